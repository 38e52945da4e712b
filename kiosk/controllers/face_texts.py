"""Every text of the face-ID screens, in Chinese and English, and the consent (``face_v1``).

Kept beside the face controller rather than in the shared catalog: the consent wording is
versioned with ``protocol.face.FACE_CONSENT_VERSION`` and must change only together.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import Text


@dataclass(frozen=True, slots=True)
class Template:
    """A text with ``{name}`` parameters."""

    zh: str
    en: str

    def fill(self, **params: object) -> Text:
        """The text with its parameters filled in."""
        return Text(self.zh.format(**params), self.en.format(**params))


T: dict[str, Text] = {
    "look": Text("请正视摄像头", "Look at the camera"),
    "turn_left": Text("请慢慢向左转头", "Slowly turn your head to your left"),
    "turn_right": Text("请慢慢向右转头", "Slowly turn your head to your right"),
    "confirm": Text("是您本人吗？", "Is this you?"),
    "no_match": Text("未能识别您的面孔，请出示会员码或刷卡",
                     "We did not recognise your face. Please show your QR code or tap your card"),
    "timeout": Text("未看到转头动作，请重试，或出示会员码、刷卡",
                    "We did not see the head turn. Try again, or use your QR code or card"),
    "unavailable": Text("本机暂不能刷脸，请出示会员码或刷卡",
                        "Face ID is not available on this kiosk. Please use your QR code or card"),
    "enrol_identify_first": Text("开通刷脸：请先出示会员码或刷卡",
                                 "Set up Face ID: first show your member QR code or tap your card"),
    "enrolled": Text("刷脸已开通。几分钟后可在您所在食堂的自助机使用；可随时在服务台撤回。",
                     "Face ID is set up. It works at your canteens' kiosks in a few minutes; "
                     "you can withdraw it at the service desk at any time."),
    "inconsistent": Text("几张照片不一致，请保持不动再试一次",
                         "The pictures did not agree. Please hold still and try again"),
    "yes": Text("是我，继续", "Yes, that's me"),
    "not_me": Text("不是我，用会员码/刷卡", "Not me: use QR code or card"),
    "accept": Text("我已阅读并同意", "I have read and agree"),
    "decline": Text("不同意", "No, thanks"),
    "back": Text("返回", "Back"),
    "try_again": Text("重试", "Try again"),
    "title_identify": Text("刷脸识别", "Face ID"),
    "title_enrol": Text("开通刷脸", "Set up Face ID"),
    "use_face": Text("刷脸", "Use Face ID"),
    "set_up_face": Text("开通刷脸", "Set up Face ID"),
    "face_hint": Text("看向屏幕上方的摄像头", "Look at the camera above the screen"),
}

CAPTURE = Template("请正视摄像头并保持不动（{n}/{total}）",
                   "Look at the camera and hold still ({n}/{total})")

PROBLEMS: dict[str, Text] = {
    "dark": Text("光线太暗，请面向光源", "Too dark. Please face the light"),
    "no_face": Text("未检测到人脸，请正对摄像头", "No face found. Please look at the camera"),
    "many_faces": Text("检测到多张人脸，请一次一人",
                       "More than one face. One person at a time, please"),
    "too_small": Text("请靠近摄像头", "Please come closer to the camera"),
    "blurry": Text("画面模糊，请保持不动", "The picture is blurred. Please hold still"),
    "not_frontal": Text("请正视摄像头", "Please look straight at the camera"),
}

CONSENT = Text(
    "刷脸识别需要您单独同意。我们将在本机根据您的面部图像计算一个面部特征值（不保存照片、"
    "不上传照片），加密后发送到食堂系统，仅用于您在所属食堂自助机上的身份识别与付款前确认。"
    "面部特征属于敏感个人信息；您可不开通，仍可使用会员码或刷卡。您可随时在服务台撤回同意，"
    "撤回后特征值将从系统和所有自助机上删除。",
    "Face ID needs your separate consent. This kiosk computes a face template (a list of "
    "numbers) from your face; the photo is never stored or sent. The template is encrypted, "
    "sent to the canteen system, and used only to recognise you at your canteens' kiosks, "
    "with your confirmation before anything is paid. A face template is sensitive personal "
    "information: you may say no and keep using your QR code or card. You can withdraw at "
    "the service desk at any time; the template is then deleted from the system and from "
    "every kiosk.",
)


def problem_text(problem: str | None) -> Text | None:
    """The diner's message for a frame problem code (None when there is none)."""
    return None if problem is None else PROBLEMS.get(problem, PROBLEMS["no_face"])
