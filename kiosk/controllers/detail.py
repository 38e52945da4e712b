"""Dish detail (options, quantity, weight) and the set-meal builder; both add to the cart."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.controllers.context import Services, Session
from kiosk.controllers.observable import Observable
from kiosk.controllers.views import DishCard, dish_card
from kiosk.i18n import Text
from kiosk.services.cart import Cart, CartLine, ChosenOption
from kiosk.services.catalog import set_meal_offer, unit_prices
from kiosk.services.errors import DishUnavailable, OptionRequired, SetMealIncomplete
from protocol.payloads.catalog import BuildSetMeal, Dish
from protocol.payloads.offers import OptionGroup
from rules.money import format_cents


@dataclass(frozen=True)
class OptionView:
    """An option group with its choices and the current selection."""

    code: str
    name: Text
    required: bool
    choices: tuple[tuple[str, Text, str], ...]  # (code, name, price delta text)
    selected: str | None


@dataclass(frozen=True)
class DetailState:
    """What the dish detail screen shows."""

    dish: DishCard | None = None
    options: tuple[OptionView, ...] = ()
    qty: int = 1
    grams: int | None = None
    note: str = ""
    line_total_text: str = ""
    weighing: bool = False  # waiting for the scale to settle (buttons disabled meanwhile)


NOTE_MAX_CHARS = 60
"""A note for the kitchen ("no coriander") fits one ticket line."""


def clean_note(note: str) -> str:
    """Free text for the kitchen: control characters out, spaces collapsed, at most 60 chars."""
    text = " ".join("".join(c if c.isprintable() else " " for c in note).split())
    return text[:NOTE_MAX_CHARS]


def _line(cart: Cart, dish: Dish, *, qty: int = 1, grams: int | None = None,
          options: tuple[ChosenOption, ...] = (), note: str = "") -> CartLine:
    price, member = unit_prices(dish)
    return CartLine(
        line_id=cart.new_line_id(), dish_id=dish.id, name_zh=dish.name_zh, name_en=dish.name_en,
        category=dish.category, station=dish.station, unit_price_cents=price,
        member_unit_price_cents=member, qty=qty, grams=grams, options=options,
        note=note,
    )


class DetailController(Observable[DetailState]):
    """One dish being configured before it goes into the cart."""

    def __init__(self, services: Services, session: Session) -> None:
        """Nothing open yet."""
        super().__init__(DetailState())
        self.s = services
        self.session = session
        self._dish: Dish | None = None
        self._groups: tuple[OptionGroup, ...] = ()
        self._selected: dict[str, str] = {}

    def open(self, dish_id: str) -> None:
        """Show a dish; refused when it is sold out or off the menu."""
        period = self.session.period
        dish = self.s.catalog.dish(dish_id)
        if dish is None or not self.s.catalog.sellable(dish_id, period.code if period else None):
            raise DishUnavailable(dish_id)
        self._dish = dish
        self._groups = self.s.catalog.options_for(dish)
        self._selected = {}
        self._set(DetailState(dish=dish_card(dish, self.s.catalog.is_weighed(dish))))
        self._refresh()

    def choose(self, group: str, choice: str) -> None:
        """Select one choice of an option group."""
        g = next(g for g in self._groups if g.code == group)
        if not any(c.code == choice for c in g.choices):
            raise ValueError(f"unknown choice {choice!r} of {group!r}")
        self._selected[group] = choice
        self._refresh()

    def set_qty(self, qty: int) -> None:
        """Quantity of a counted dish (1..99)."""
        self._update(qty=max(1, min(99, qty)))
        self._refresh()

    def set_note(self, note: str) -> None:
        """A note for the kitchen ("no coriander"): one line, at most NOTE_MAX_CHARS."""
        self._update(note=clean_note(note))

    def weigh(self) -> int:
        """Read a stable weight from the scale for a weighed dish; WeightNotReady otherwise."""
        grams = self.s.scale.stable_grams()
        self.set_grams(grams)
        return grams

    def set_weighing(self, on: bool) -> None:
        """Say the scale is being read (the read itself runs elsewhere)."""
        self._update(weighing=on)

    def set_grams(self, grams: int) -> None:
        """A settled weight read from the scale prices the plate."""
        self._update(grams=grams, weighing=False)
        self._refresh()

    def _chosen(self) -> tuple[ChosenOption, ...]:
        out = []
        for g in self._groups:
            code = self._selected.get(g.code)
            if code is None:
                continue
            c = next(c for c in g.choices if c.code == code)
            out.append(ChosenOption(g.code, c.code, c.name_zh, c.name_en, c.price_delta_cents))
        return tuple(out)

    def _refresh(self) -> None:
        dish = self._dish
        if dish is None:
            return
        views = tuple(
            OptionView(g.code, Text(g.name_zh, g.name_en), g.required,
                       tuple((c.code, Text(c.name_zh, c.name_en),
                              format_cents(c.price_delta_cents) if c.price_delta_cents else "")
                             for c in g.choices),
                       self._selected.get(g.code))
            for g in self._groups
        )
        st = self.state
        total = ""
        weighed = self.s.catalog.is_weighed(dish)
        if not weighed or st.grams:
            # the list amount as the rules compute it (weighed: per 100 g, rounded per plate)
            probe = _line(Cart(), dish, qty=1 if weighed else st.qty, grams=st.grams,
                          options=self._chosen())
            total = format_cents(probe.rules_line().list_cents)
        self._update(options=views, line_total_text=total)

    def add_to_cart(self) -> CartLine:
        """Put the configured dish in the cart (re-checking stock); returns the new line."""
        dish = self._dish
        if dish is None:
            raise DishUnavailable("?")
        period = self.session.period
        self.s.catalog.refresh()
        if not self.s.catalog.sellable(dish.id, period.code if period else None):
            raise DishUnavailable(dish.id)
        for g in self._groups:
            if g.required and g.code not in self._selected:
                raise OptionRequired(g.code)
        weighed = self.s.catalog.is_weighed(dish)
        st = self.state
        grams = None
        if weighed:
            grams = st.grams or self.weigh()
        line = _line(self.session.cart, dish, qty=1 if weighed else st.qty, grams=grams,
                     options=self._chosen(), note=st.note)
        return self.session.cart.add(line)


@dataclass(frozen=True)
class SlotView:
    """One slot of a set meal: what fits, what was picked."""

    code: str
    name: Text
    count: int
    candidates: tuple[DishCard, ...]
    picked: tuple[str, ...]


@dataclass(frozen=True)
class SetMealState:
    """What the set-meal builder shows."""

    set_meal_id: str | None = None
    name: Text | None = None
    price_text: str = ""
    slots: tuple[SlotView, ...] = ()
    complete: bool = False
    fixed: bool = False
    picks: dict[str, tuple[str, ...]] = field(default_factory=dict)


class SetMealController(Observable[SetMealState]):
    """Builds a set meal slot by slot; the rules engine has the last word on validity."""

    def __init__(self, services: Services, session: Session) -> None:
        """Nothing open yet."""
        super().__init__(SetMealState())
        self.s = services
        self.session = session

    def open(self, set_meal_id: str) -> None:
        """Start building; a fixed combo comes pre-filled."""
        snap = self.s.catalog.snapshot
        sm = next((m for m in (snap.set_meals if snap else ()) if m.id == set_meal_id), None)
        if sm is None:
            raise DishUnavailable(set_meal_id)
        offer = set_meal_offer(sm, snap)
        period = self.session.period
        menu = [d for d in self.s.catalog.menu(period.code if period else "") if not d.sold_out]
        menu = [d for d in menu if not self.s.catalog.is_weighed(d)]
        slots = []
        picks: dict[str, tuple[str, ...]] = {}
        for slot in offer.slots:
            fits = [d for d in self.session.diet.apply(menu)
                    if d.id in slot.dish_ids or d.category in slot.categories]
            slots.append(SlotView(slot.code, Text(slot.name.zh, slot.name.en), slot.count,
                                  tuple(dish_card(d, False) for d in fits), ()))
            if not isinstance(sm, BuildSetMeal):
                picks[slot.code] = (next(iter(slot.dish_ids)),) * slot.count
        self._set(SetMealState(sm.id, Text(sm.name_zh, sm.name_en), format_cents(sm.price_cents),
                               tuple(slots), fixed=not isinstance(sm, BuildSetMeal), picks=picks))
        self._refresh()

    def pick(self, slot: str, dish_id: str) -> None:
        """Add a dish to a slot (the slot's oldest pick drops out when it is full)."""
        view = next(v for v in self.state.slots if v.code == slot)
        if not any(c.dish_id == dish_id for c in view.candidates):
            raise DishUnavailable(dish_id)
        chosen = (*self.state.picks.get(slot, ()), dish_id)[-view.count:]
        self._update(picks={**self.state.picks, slot: chosen})
        self._refresh()

    def unpick(self, slot: str, dish_id: str) -> None:
        """Take one pick of this dish out of a slot."""
        chosen = list(self.state.picks.get(slot, ()))
        if dish_id in chosen:
            chosen.remove(dish_id)
        self._update(picks={**self.state.picks, slot: tuple(chosen)})
        self._refresh()

    def _refresh(self) -> None:
        st = self.state
        slots = tuple(
            SlotView(v.code, v.name, v.count, v.candidates, st.picks.get(v.code, ()))
            for v in st.slots
        )
        complete = all(len(v.picked) == v.count for v in slots)
        self._update(slots=slots, complete=complete)

    def add_to_cart(self) -> None:
        """Validate through the pricing engine, then add the set meal to the cart."""
        st = self.state
        if st.set_meal_id is None or not st.complete:
            raise SetMealIncomplete(st.set_meal_id or "?")
        period = self.session.period
        trial = Cart()
        picks: list[tuple[str, CartLine]] = []
        for slot in st.slots:
            for dish_id in slot.picked:
                dish = self.s.catalog.dish(dish_id)
                if dish is None or not self.s.catalog.sellable(dish_id,
                                                                period.code if period else None):
                    raise DishUnavailable(dish_id)
                picks.append((slot.code, _line(trial, dish)))
        assert st.name is not None
        trial.add_set(st.set_meal_id, (st.name.zh, st.name.en), picks)
        # price the set alone as a guest: any slot error is the engine's (SetMealError)
        self.s.orders.quote(trial, None)
        cart = self.session.cart
        real = [(slot, _line(cart, self.s.catalog.dish(line.dish_id)))  # type: ignore[arg-type]
                for slot, line in picks]
        cart.add_set(st.set_meal_id, (st.name.zh, st.name.en), real)
        self._set(SetMealState())
