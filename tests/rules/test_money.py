"""Money: formatting, strict parsing, the one rounding rule, exact allocation."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import MoneyError
from rules.money import allocate, div_round_half_up, format_cents, parse_yuan, percent_of


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1234, "￥12.34"),
        (0, "￥0.00"),
        (5, "￥0.05"),
        (100, "￥1.00"),
        (-100, "-￥1.00"),
        (-5, "-￥0.05"),
        (123456789, "￥1234567.89"),
    ],
)
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


def test_format_uses_fullwidth_yuan_sign_never_u00a5() -> None:
    assert "\uffe5" in format_cents(1) and "\u00a5" not in format_cents(1)


@pytest.mark.parametrize("bad", [1.5, True, "12"])
def test_format_refuses_non_int(bad: object) -> None:
    with pytest.raises(MoneyError):
        format_cents(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.34", 1234),
        ("12", 1200),
        ("12.3", 1230),
        ("0.05", 5),
        ("￥8.50", 850),
        ("¥8.50", 850),
        (" 3.00 ", 300),
        ("0", 0),
    ],
)
def test_parse_yuan(text: str, cents: int) -> None:
    assert parse_yuan(text) == cents


@pytest.mark.parametrize(
    "bad",
    [
        "12.345",
        "",
        " ",
        "abc",
        "-1.00",
        "+1",
        "1,000.00",
        "1e3",
        "12.",
        ".5",
        "1 2",
        "１２",
        "NaN",
        "inf",
        "￥",
        "12.3.4",
    ],
)
def test_parse_yuan_refuses_garbage(bad: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_yuan(bad)
    assert err.value.label.zh and err.value.label.en


def test_parse_yuan_refuses_non_text() -> None:
    with pytest.raises(MoneyError):
        parse_yuan(12.34)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**12))
@settings(max_examples=200)
def test_parse_format_round_trip(cents: int) -> None:
    assert parse_yuan(format_cents(cents)) == cents


@pytest.mark.parametrize(
    ("cents", "bp", "expected"),
    [
        (1250, 1000, 125),
        (5, 1000, 1),
        (4, 1000, 0),
        (15, 1000, 2),
        (14, 1000, 1),
        (1000, 0, 0),
        (1000, 10000, 1000),
        (333, 3333, 111),
        (1, 5000, 1),
    ],
)
def test_percent_of_rounds_half_up(cents: int, bp: int, expected: int) -> None:
    assert percent_of(cents, bp) == expected


@given(st.integers(0, 10**9), st.integers(0, 20000))
@settings(max_examples=300)
def test_percent_of_is_the_exact_value_rounded_half_up(cents: int, bp: int) -> None:
    exact = Fraction(cents * bp, 10000)
    got = percent_of(cents, bp)
    assert exact - Fraction(1, 2) < got <= exact + Fraction(1, 2)


@pytest.mark.parametrize(("cents", "bp"), [(-1, 100), (100, -1)])
def test_percent_of_refuses_negatives(cents: int, bp: int) -> None:
    with pytest.raises(MoneyError):
        percent_of(cents, bp)


def test_div_round_half_up_refuses_zero_denominator() -> None:
    with pytest.raises(MoneyError):
        div_round_half_up(1, 0)


@pytest.mark.parametrize(
    ("cents", "weights", "parts"),
    [
        (100, [1, 1, 1], (34, 33, 33)),
        (10, [3, 7], (3, 7)),
        (1, [1, 1], (1, 0)),
        (5, [0, 1], (0, 5)),
        (0, [0, 0], (0, 0)),
        (1000, [1250, 1250, 500], (417, 417, 166)),
    ],
)
def test_allocate_known_cases(cents: int, weights: list[int], parts: tuple[int, ...]) -> None:
    assert allocate(cents, weights) == parts


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
@settings(max_examples=300)
def test_allocate_sums_exactly_and_stays_within_one_fen(cents: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    parts = allocate(cents, weights)
    assert sum(parts) == cents
    for part, w in zip(parts, weights, strict=True):
        exact = Fraction(cents * w, sum(weights))
        assert exact - 1 < part < exact + 1 and part >= 0


def test_allocate_refuses_zero_weights_for_money() -> None:
    with pytest.raises(MoneyError):
        allocate(1, [0, 0])


def test_allocate_refuses_negative_weight() -> None:
    with pytest.raises(MoneyError):
        allocate(10, [5, -1])
