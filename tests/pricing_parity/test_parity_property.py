"""Property: for random carts, the kiosk's checkout and the hub's re-pricing agree to the fen."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.errors import RulesError
from tests.pricing_parity.world import DISHES, Case, HubSide, KioskSide, Line, Offers

OFFERS = Offers(member_day_bp=850, spend_save=[("ss20", 2000, 300, False),
                                               ("ss50", 5000, 900, True)])
COUNTED = [d[0] for d in DISHES if not d[4]]
WEIGHED = [d[0] for d in DISHES if d[4]]
MEATS = [d[0] for d in DISHES if d[1] == "meat"]
VEG = [d[0] for d in DISHES if d[1] == "vegetable"]
STAPLES = [d[0] for d in DISHES if d[1] == "staple"]

loose = st.one_of(
    st.builds(Line, st.sampled_from(COUNTED), st.integers(1, 4), st.none(), st.booleans()),
    st.builds(Line, st.sampled_from(WEIGHED), st.just(1), st.integers(1, 1500)),
)
build_set = st.tuples(
    st.just("two-meat-one-veg"),
    st.tuples(st.sampled_from(MEATS), st.sampled_from(MEATS), st.sampled_from(VEG),
              st.sampled_from(STAPLES)).map(lambda ds: [Line(d) for d in ds]),
)
fixed_set = st.just(("combo-kungpao", [Line("kung-pao"), Line("rice")]))
cases = st.builds(
    Case,
    st.lists(loose, max_size=6),
    st.lists(st.one_of(build_set, fixed_set), max_size=2),
    st.sampled_from([None, "m-gold", "m-std"]),
    st.sampled_from([None, "five-off", "drinks-20", "free-juice"]),
    st.booleans(),
    st.just(OFFERS),
).filter(lambda c: bool(c.lines or c.sets))


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> tuple[KioskSide, HubSide]:
    tmp: Path = tmp_path_factory.mktemp("parity")
    return KioskSide(tmp / "store.db", OFFERS), HubSide(tmp / "hub.db", OFFERS)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases)
def test_random_carts_agree(sides: tuple[KioskSide, HubSide], case: Case) -> None:
    kiosk, hub = sides
    if case.member is None:
        case.coupon = None
    coupon_id = hub.issue(case.coupon, case.member) if case.coupon and case.member else None
    try:
        order, priced = kiosk.place(case, coupon_id)
    except RulesError:  # the cart screen drops a coupon the engine refuses for this cart
        case.coupon = None
        order, priced = kiosk.place(case, None)
    at_hub = hub.price(order)
    assert (at_hub.subtotal_cents, at_hub.total_cents) == (order.subtotal_cents,
                                                           order.total_cents)
    assert at_hub.discounts == priced.discounts
    assert at_hub.coupon_value_cents == priced.coupon_value_cents
    assert hub.reprice(order) is None
