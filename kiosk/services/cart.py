"""The diner's cart: lines (counted, weighed, in set meals) and the rules inputs they become."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rules.order import Modifier, OrderLine, SetMealChoice, SlotPick


@dataclass(frozen=True, slots=True)
class ChosenOption:
    """One option the diner chose on a line (large portion, medium spicy, noodles)."""

    group: str
    code: str
    name_zh: str
    name_en: str
    price_delta_cents: int = 0


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line; ``unit_price_cents`` is per 100 g when ``grams`` is set."""

    line_id: str
    dish_id: str
    name_zh: str
    name_en: str
    category: str
    station: str
    unit_price_cents: int
    member_unit_price_cents: int | None = None
    qty: int = 1
    grams: int | None = None
    options: tuple[ChosenOption, ...] = ()
    note: str = ""
    set_key: str | None = None

    def rules_line(self) -> OrderLine:
        """The pricing engine's view of this line."""
        return OrderLine(
            line_id=self.line_id,
            dish_id=self.dish_id,
            category=self.category,
            unit_price_cents=self.unit_price_cents,
            qty=self.qty,
            member_unit_price_cents=self.member_unit_price_cents,
            grams=self.grams,
            modifiers=tuple(
                Modifier(f"{o.group}.{o.code}", o.price_delta_cents) for o in self.options
            ),
        )


@dataclass(frozen=True, slots=True)
class SetMealInCart:
    """A set meal in the cart: the offer and which line fills which slot."""

    key: str
    offer_code: str
    name_zh: str
    name_en: str
    picks: tuple[tuple[str, str], ...]  # (slot code, line id)

    def rules_choice(self) -> SetMealChoice:
        """The pricing engine's view of this set meal."""
        return SetMealChoice(self.offer_code, tuple(SlotPick(s, lid) for s, lid in self.picks))


class Cart:
    """Lines in the order they were added; ids are stable while the diner edits."""

    def __init__(self) -> None:
        """An empty cart."""
        self.lines: dict[str, CartLine] = {}
        self.sets: dict[str, SetMealInCart] = {}
        self._next_line = 1
        self._next_set = 1

    def new_line_id(self) -> str:
        """A fresh line id; zero-padded so the engine's id order is the order added."""
        line_id = f"L{self._next_line:03d}"
        self._next_line += 1
        return line_id

    def add(self, line: CartLine) -> CartLine:
        """Add a line (its id from ``new_line_id``)."""
        self.lines[line.line_id] = line
        return line

    def add_set(self, offer_code: str, name: tuple[str, str],
                picks: list[tuple[str, CartLine]]) -> SetMealInCart:
        """Add a set meal made of these (slot, line) picks."""
        key = f"S{self._next_set}"
        self._next_set += 1
        for _slot, line in picks:
            self.lines[line.line_id] = replace(line, set_key=key)
        entry = SetMealInCart(key, offer_code, name[0], name[1],
                              tuple((slot, line.line_id) for slot, line in picks))
        self.sets[key] = entry
        return entry

    def set_qty(self, line_id: str, qty: int) -> None:
        """Change a counted line's quantity; 0 removes it. Set-meal and weighed lines stay 1."""
        line = self.lines[line_id]
        if qty <= 0:
            self.remove(line_id)
        elif line.set_key is None and line.grams is None:
            self.lines[line_id] = replace(line, qty=qty)

    def remove(self, line_id: str) -> None:
        """Remove a line; removing a set-meal line removes the whole set meal."""
        line = self.lines.pop(line_id, None)
        if line is not None and line.set_key is not None:
            entry = self.sets.pop(line.set_key)
            for _slot, lid in entry.picks:
                self.lines.pop(lid, None)

    def remove_set(self, key: str) -> None:
        """Remove a whole set meal (all its lines)."""
        entry = self.sets.pop(key, None)
        for _slot, lid in entry.picks if entry is not None else ():
            self.lines.pop(lid, None)

    def set_lines(self, key: str) -> list[CartLine]:
        """The lines of one set meal, in slot order."""
        entry = self.sets[key]
        return [self.lines[lid] for _slot, lid in entry.picks if lid in self.lines]

    def clear(self) -> None:
        """Forget everything (idle reset, order placed)."""
        self.__init__()  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.lines)

    def rules_lines(self) -> tuple[OrderLine, ...]:
        """All lines for the engine."""
        return tuple(line.rules_line() for line in self.lines.values())

    def rules_sets(self) -> tuple[SetMealChoice, ...]:
        """All set meals for the engine."""
        return tuple(entry.rules_choice() for entry in self.sets.values())
