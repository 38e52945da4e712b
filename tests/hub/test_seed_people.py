"""Demo members: deterministic, plausible, and a realistic minority with special diets."""

from __future__ import annotations

import re
from collections import Counter

from hub.seed.names import GRADE_BIRTH_YEAR
from hub.seed.people import DEMO_USERS, generate_members
from hub.seed.sites import REFERENCE_DATE, SITES
from rules.dietary import ALLERGENS, PREFERENCES

CLASS_RE = re.compile(r"^(初[一二三]|高[一二三])\(([1-8])\)班$")


def test_at_least_two_hundred_members() -> None:
    assert len(generate_members(42)) >= 200


def test_same_seed_gives_the_same_people() -> None:
    assert generate_members(7) == generate_members(7)


def test_another_seed_gives_other_people() -> None:
    a, b = generate_members(1), generate_members(2)
    assert [m.name for m in a] != [m.name for m in b]
    assert {m.phone for m in a} != {m.phone for m in b}


def test_member_numbers_and_phones_are_unique_and_look_chinese() -> None:
    members = generate_members(42)
    assert len({m.member_no for m in members}) == len(members)
    phones = [m.phone for m in members if m.phone]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)


def test_mostly_chinese_names_with_a_few_expat_staff() -> None:
    members = generate_members(42)
    english = [m for m in members if re.fullmatch(r"[A-Za-zÀ-ÿ' ]+", m.name)]
    chinese = [m for m in members if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", m.name)]
    assert len(english) + len(chinese) == len(members)
    assert 1 <= len(english) <= len(members) // 10
    assert all(m.member_no.startswith("XH") for m in english)


def test_staff_have_employers_and_students_have_classes_and_ages_to_match() -> None:
    for m in generate_members(42):
        age = REFERENCE_DATE.year - m.birthday.year
        if m.school_class is not None:
            match = CLASS_RE.match(m.school_class)
            assert match, m.school_class
            assert m.birthday.year == GRADE_BIRTH_YEAR[match.group(1)]
            assert 11 <= age <= 18
            assert not m.consent_marketing  # minors get no marketing
        else:
            assert m.employer and m.department
            assert 20 <= age <= 61


def test_diets_and_allergies_are_valid_codes_held_by_a_minority() -> None:
    members = generate_members(42)
    for m in members:
        assert set(m.dietary_preferences) <= PREFERENCES.keys()
        assert set(m.allergens) <= ALLERGENS.keys()
    with_prefs = sum(bool(m.dietary_preferences) for m in members)
    with_allergy = sum(bool(m.allergens) for m in members)
    assert 0.05 * len(members) <= with_prefs <= 0.4 * len(members)
    assert 0.03 * len(members) <= with_allergy <= 0.25 * len(members)
    assert Counter(p for m in members for p in m.dietary_preferences)["halal"] >= 3


def test_no_phone_is_kept_without_consent_to_data() -> None:
    members = generate_members(42)
    assert all(m.consent_data for m in members if m.phone)
    assert any(not m.consent_data for m in members)
    assert any(m.consent_face for m in members) and any(not m.consent_face for m in members)


def test_both_sites_have_members_and_every_role_has_a_demo_user() -> None:
    prefixes = Counter(m.member_no[:2] for m in generate_members(42))
    assert prefixes["XH"] >= 200 and prefixes["SY"] >= 50
    assert len(SITES) == 2
    assert {role for _, role in DEMO_USERS} == {"admin", "manager", "cashier", "kitchen"}
