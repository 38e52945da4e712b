"""Demo members and hub users, generated deterministically from a seed (no ORM, no clock)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hub.seed.names import (
    CLASSES_PER_GRADE,
    DEPARTMENTS,
    EMPLOYERS,
    EXPAT_NAMES,
    GIVEN_CHARS_FEMALE,
    GIVEN_CHARS_MALE,
    GRADE_BIRTH_YEAR,
    PHONE_PREFIXES,
    SCHOOL_GRADES,
    SCHOOL_NAME,
    SURNAMES,
    TEACHING_GROUPS,
)
from hub.seed.sites import REFERENCE_DATE, SHIYAN, XINGHE

COMPANY_MEMBERS = 230
SCHOOL_STUDENTS = 130
SCHOOL_TEACHERS = 20
EXPAT_SHARE = 0.04

DEMO_PASSWORD = "canteen-demo"
"""Password of every demo user. Public on purpose: demo only."""

DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("admin", "admin"),
    ("manager", "manager"),
    ("cashier", "cashier"),
    ("kitchen", "kitchen"),
)
"""(username, role) of the demo hub users."""

# Rough shares of diners with each preference or allergy (a realistic minority).
_PREFERENCE_SHARE: tuple[tuple[str, float], ...] = (
    ("halal", 0.04), ("vegetarian", 0.05), ("vegan", 0.01), ("no_spice", 0.12),
)
_ALLERGY_SHARE = 0.10
_ALLERGEN_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("peanut", 30), ("crustacean", 20), ("milk", 15), ("egg", 10), ("mollusc", 8),
    ("fish", 8), ("sesame", 8), ("tree_nut", 6), ("gluten", 5), ("soy", 3),
)


@dataclass(frozen=True)
class MemberSeed:
    """One demo member; phone in clear (the loader encrypts it)."""

    member_no: str
    name: str
    phone: str | None
    employer: str | None
    department: str | None
    school_class: str | None
    birthday: date
    dietary_preferences: tuple[str, ...]
    allergens: tuple[str, ...]
    consent_data: bool
    consent_marketing: bool
    consent_face: bool
    joined_at: datetime
    # The organisation (code) whose canteen the member eats at: its kiosks cache them.
    org_code: str


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def chinese_name(rng: random.Random) -> str:
    """A plausible Chinese full name: surname plus one or two given characters."""
    pool = GIVEN_CHARS_MALE if rng.random() < 0.5 else GIVEN_CHARS_FEMALE
    given_len = 1 if rng.random() < 0.3 else 2
    return _weighted(rng, SURNAMES) + "".join(rng.choice(pool) for _ in range(given_len))


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _birthday(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _diet(rng: random.Random) -> tuple[tuple[str, ...], tuple[str, ...]]:
    prefs = [code for code, share in _PREFERENCE_SHARE if rng.random() < share]
    if "vegan" in prefs and "vegetarian" in prefs:
        prefs.remove("vegetarian")
    allergens: set[str] = set()
    if rng.random() < _ALLERGY_SHARE:
        allergens.add(_weighted(rng, _ALLERGEN_WEIGHTS))
        if rng.random() < 0.2:
            allergens.add(_weighted(rng, _ALLERGEN_WEIGHTS))
    return tuple(prefs), tuple(sorted(allergens))


def _joined(rng: random.Random) -> datetime:
    day = REFERENCE_DATE - timedelta(days=rng.randrange(1, 1000))
    return datetime.combine(day, time(rng.randrange(0, 10), rng.randrange(60)), tzinfo=UTC)


def _company_member(rng: random.Random, number: int, phones: set[str]) -> MemberSeed:
    if rng.random() < EXPAT_SHARE:
        given, family = rng.choice(EXPAT_NAMES)
        name = f"{given} {family}"
    else:
        name = chinese_name(rng)
    prefs, allergens = _diet(rng)
    consent_data = rng.random() < 0.95
    return MemberSeed(
        member_no=f"XH{number:06d}",
        name=name,
        phone=_phone(rng, phones) if consent_data else None,
        employer=_weighted(rng, EMPLOYERS),
        department=_weighted(rng, DEPARTMENTS),
        school_class=None,
        birthday=_birthday(rng, REFERENCE_DATE.year - rng.randint(21, 58)),
        dietary_preferences=prefs,
        allergens=allergens,
        consent_data=consent_data,
        consent_marketing=consent_data and rng.random() < 0.4,
        consent_face=consent_data and rng.random() < 0.35,
        joined_at=_joined(rng),
        org_code=XINGHE.org_code,
    )


def _student(rng: random.Random, number: int, phones: set[str]) -> MemberSeed:
    grade = rng.choice(SCHOOL_GRADES)
    prefs, allergens = _diet(rng)
    # a guardian signs up for the student; minors get no marketing
    consent_data = rng.random() < 0.9
    return MemberSeed(
        member_no=f"SY{number:06d}",
        name=chinese_name(rng),
        phone=_phone(rng, phones) if consent_data and rng.random() < 0.6 else None,
        employer=SCHOOL_NAME,
        department=None,
        school_class=f"{grade}({rng.randint(1, CLASSES_PER_GRADE)})班",
        birthday=_birthday(rng, GRADE_BIRTH_YEAR[grade]),
        dietary_preferences=prefs,
        allergens=allergens,
        consent_data=consent_data,
        consent_marketing=False,
        consent_face=consent_data and rng.random() < 0.3,
        joined_at=_joined(rng),
        org_code=SHIYAN.org_code,
    )


def _teacher(rng: random.Random, number: int, phones: set[str]) -> MemberSeed:
    prefs, allergens = _diet(rng)
    return MemberSeed(
        member_no=f"SY{number:06d}",
        name=chinese_name(rng),
        phone=_phone(rng, phones),
        employer=SCHOOL_NAME,
        department=rng.choice(TEACHING_GROUPS),
        school_class=None,
        birthday=_birthday(rng, REFERENCE_DATE.year - rng.randint(24, 60)),
        dietary_preferences=prefs,
        allergens=allergens,
        consent_data=True,
        consent_marketing=rng.random() < 0.3,
        consent_face=rng.random() < 0.4,
        joined_at=_joined(rng),
        org_code=SHIYAN.org_code,
    )


def generate_members(seed: int = 42) -> tuple[MemberSeed, ...]:
    """All demo members of both canteens; the same seed always gives the same people."""
    rng = random.Random(seed)
    phones: set[str] = set()
    members = [_company_member(rng, n, phones) for n in range(1, COMPANY_MEMBERS + 1)]
    members += [_teacher(rng, n, phones) for n in range(1, SCHOOL_TEACHERS + 1)]
    first_student = SCHOOL_TEACHERS + 1
    members += [
        _student(rng, n, phones) for n in range(first_student, first_student + SCHOOL_STUDENTS)
    ]
    return tuple(members)
