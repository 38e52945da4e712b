"""Name, employer and class pools for the demo members (plain data, nothing real)."""

from __future__ import annotations

# Common Chinese surnames with rough relative frequencies (most common first).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 71), ("张", 67), ("刘", 54), ("陈", 46), ("杨", 33), ("黄", 25),
    ("赵", 22), ("吴", 21), ("周", 20), ("徐", 17), ("孙", 16), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("方", 3), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("欧阳", 1), ("司马", 1), ("上官", 1),
)

# Characters used in given names; combined into one- or two-character names.
GIVEN_CHARS_MALE: tuple[str, ...] = tuple(
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳斌东博文彬晨轩睿哲"
    "航宏志峰建国成昊然泽天翔瑞霖嘉铭远诚"
)
GIVEN_CHARS_FEMALE: tuple[str, ...] = tuple(
    "芳娜敏静丽艳娟霞秀燕玲桂丹萍红婷雪琳晶欣怡悦倩颖洁慧璐佳瑶雯琪涵萱梦诗雅楠"
    "晓月蕾妍思雨彤岚菲婉"
)

# Expatriate staff of the park's tenants (given name, family name).
EXPAT_NAMES: tuple[tuple[str, str], ...] = (
    ("Emma", "Schmidt"), ("James", "Walker"), ("Priya", "Nair"), ("Lukas", "Becker"),
    ("Sophie", "Martin"), ("Daniel", "Kim"), ("Olivia", "Brown"), ("Mateo", "García"),
    ("Hannah", "Müller"), ("Ethan", "Clarke"), ("Aisha", "Rahman"), ("Noah", "Jensen"),
    ("Chloé", "Dubois"), ("Kenji", "Watanabe"), ("Isabella", "Rossi"), ("Liam", "O'Brien"),
)

# Tenants of the tech park and the departments staff belong to.
EMPLOYERS: tuple[tuple[str, int], ...] = (
    ("星河云计算有限公司", 30),
    ("青禾智能科技有限公司", 22),
    ("蓝鲸数据服务有限公司", 18),
    ("启明生物医药研究院", 14),
    ("星河科技园管委会", 8),
    ("园区物业服务中心", 8),
)
DEPARTMENTS: tuple[tuple[str, int], ...] = (
    ("研发部", 30), ("测试部", 10), ("产品部", 10), ("运维部", 8), ("市场部", 8),
    ("销售部", 8), ("客服部", 6), ("人力资源部", 5), ("财务部", 5), ("行政部", 5),
    ("法务部", 2), ("安保部", 3),
)

# The school: junior (初一-初三) and senior (高一-高三) grades, classes 1-8.
SCHOOL_GRADES: tuple[str, ...] = ("初一", "初二", "初三", "高一", "高二", "高三")
CLASSES_PER_GRADE = 8
# Birth years of each grade's students, for a school year starting September 2025.
GRADE_BIRTH_YEAR: dict[str, int] = {
    "初一": 2013, "初二": 2012, "初三": 2011, "高一": 2010, "高二": 2009, "高三": 2008,
}
TEACHING_GROUPS: tuple[str, ...] = (
    "语文组", "数学组", "英语组", "物理组", "化学组", "生物组", "历史组", "地理组",
    "政治组", "体育组", "艺术组", "教务处", "后勤处",
)
SCHOOL_NAME = "实验中学"

# Mobile prefixes of the three carriers (all match 1[3-9]).
PHONE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177",
    "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)
