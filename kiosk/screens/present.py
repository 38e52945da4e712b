"""Pure functions: controller state -> the strings and row dicts the screens display (no Kivy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiosk.i18n import Text, translate
from kiosk.theme import badge_colour

MAX_BADGES = 6
"""Badges on one card; more would not fit a finger-sized card (the detail lists them all)."""

FACES: dict[int, Callable[[str], str]] = {
    1: lambda lang: tr("Very bad", lang),
    2: lambda lang: tr("Bad", lang),
    3: lambda lang: tr("OK", lang),
    4: lambda lang: tr("Good", lang),
    5: lambda lang: tr("Very good", lang),
}
"""Labels of the five faces, worst to best."""

# Fallback labels for a catalog that names no categories (the catalog's own names win):
# the category codes of the seed catalog, as msgids the catalog extractor can see.
CATEGORIES: dict[str, Callable[[str], str]] = {
    "breakfast": lambda lang: tr("Breakfast", lang),
    "meat": lambda lang: tr("Meat Dishes", lang),
    "vegetable": lambda lang: tr("Vegetable Dishes", lang),
    "staple": lambda lang: tr("Rice & Staples", lang),
    "noodles": lambda lang: tr("Noodles & Dumplings", lang),
    "soup": lambda lang: tr("Soups", lang),
    "cold": lambda lang: tr("Cold Dishes", lang),
    "snack": lambda lang: tr("Snacks", lang),
    "drink": lambda lang: tr("Drinks", lang),
    "buffet": lambda lang: tr("Weighed Buffet", lang),
    "hot": lambda lang: tr("Hot Dishes", lang),
    "veg": lambda lang: tr("Vegetable Dishes", lang),
}
NOTE_CHIPS: dict[str, Callable[[str], str]] = {
    "less_oil": lambda lang: tr("Less oil", lang),
    "less_salt": lambda lang: tr("Less salt", lang),
    "no_scallion": lambda lang: tr("No scallion", lang),
    "no_coriander": lambda lang: tr("No coriander", lang),
    "take_away": lambda lang: tr("Take away", lang),
}
"""Quick notes for the kitchen: one tap each instead of typing on a kiosk."""
NOTE_SEPARATOR = "; "

SET_MEALS = "set_meals"
"""The pseudo-category that lists the set meals."""


def tr(message: str, lang: str, **params: object) -> str:
    """A chrome text in ``lang`` with ``{name}`` parameters filled in."""
    text = translate(lang, message)
    return text.format(**params) if params else text


def both(text: Text | None, lang: str) -> str:
    """A bilingual Text in ``lang`` ('' for None)."""
    return text.in_lang(lang) if text is not None else ""


def other(text: Text, lang: str) -> str:
    """The same Text in the other language (the card's second line)."""
    return text.en if lang == "zh_Hans" else text.zh


def category_label(code: str, lang: str) -> str:
    """The tab label of a category code."""
    if code == SET_MEALS:
        return tr("Set meals", lang)
    label = CATEGORIES.get(code)
    return label(lang) if label else code.replace("_", " ").title()


def slot_label(name: Text, lang: str, candidates: Sequence[Any] = ()) -> str:
    """A set-meal slot's name: the catalog's (category or dish), else our category label."""
    if name.zh != name.en or any(c.dish_id == name.en for c in candidates):
        return name.in_lang(lang)
    return category_label(name.en, lang)  # a catalog that names no categories


def join(names: Sequence[str], lang: str) -> str:
    """A list of names with the language's separator."""
    return ("、" if lang == "zh_Hans" else ", ").join(names)


def badges(card: Any, lang: str) -> list[dict[str, Any]]:
    """Coloured pills for a dish card: dietary tags first, then allergens."""
    out = [{"text": b.label.in_lang(lang), "bg": badge_colour(b.code)} for b in card.tags]
    out += [{"text": b.label.in_lang(lang), "bg": badge_colour("allergen")}
            for b in card.allergens]
    if len(out) > MAX_BADGES:
        extra = len(out) - (MAX_BADGES - 1)
        out = [*out[: MAX_BADGES - 1], {"text": f"+{extra}", "bg": badge_colour("more")}]
    return out


def dish_row(card: Any, lang: str, on_pick: Callable[[str, str], None] | None) -> dict[str, Any]:
    """One RecycleView row for a controller DishCard."""
    price = card.price_text + (tr(" /100 g", lang) if card.per_100g else "")
    member = tr("Member {price}", lang, price=card.member_price_text) \
        if card.member_price_text else ""
    return {
        "dish_id": card.dish_id,
        "kind": "dish",
        "name": card.name.in_lang(lang),
        "subname": other(card.name, lang),
        "price": price,
        "member_price": member,
        "kcal": f"{card.kcal} kcal" if card.kcal is not None else "",
        "badges": badges(card, lang),
        "sold_out": card.sold_out,
        "sold_out_text": tr("Sold out", lang),
        "weighed": card.per_100g,
        "on_pick": on_pick,
    }


def set_meal_row(card: Any, lang: str, on_pick: Callable[[str, str], None]) -> dict[str, Any]:
    """One RecycleView row for a set meal offered on the menu."""
    kind_text = tr("Build your own", lang) if card.kind == "build" else tr("Fixed combo", lang)
    return {
        "dish_id": card.set_meal_id,
        "kind": "set",
        "name": card.name.in_lang(lang),
        "subname": other(card.name, lang),
        "price": card.price_text,
        "member_price": "",
        "kcal": "",
        "badges": [{"text": kind_text, "bg": badge_colour("set")}],
        "sold_out": False,
        "sold_out_text": "",
        "weighed": False,
        "on_pick": on_pick,
    }


def member_line(member: Any, lang: str) -> str:
    """The greeting strip: name, tier, balance, subsidy, points."""
    if member is None:
        return ""
    line = tr("Hello, {name} · {tier} · balance {balance} · subsidy {subsidy} · "
              "{points} points", lang, name=member.name, tier=member.tier.in_lang(lang),
              balance=member.balance_text, subsidy=member.subsidy_text, points=member.points)
    if member.bonus_text:
        line += tr(" · bonus {bonus}", lang, bonus=member.bonus_text)
    extra = [tr("Filters from your profile: {names}", lang,
                names=join([t.in_lang(lang) for t in member.diet], lang))] if member.diet else []
    extra += [t.in_lang(lang) for t in member.offers]
    extra += [t.in_lang(lang) for t in getattr(member, "greetings", ())]
    return "\n".join([line, " · ".join(extra)]) if extra else line


def period_line(period: Any, lang: str) -> str:
    """The meal period on the attract screen: now serving, or when the next one starts."""
    if period is None:
        return tr("No meal is being served right now.", lang)
    if period.serving:
        return f"{period.name.in_lang(lang)}  {period.start}–{period.end}"
    return tr("Next: {period} from {start}", lang, period=period.name.in_lang(lang),
              start=period.start)


def option_groups(options: Sequence[Any], lang: str) -> list[dict[str, Any]]:
    """Option groups of the dish detail as button rows."""
    groups = []
    for o in options:
        title = o.name.in_lang(lang) + (" *" if o.required else "")
        choices = [{"code": code, "text": name.in_lang(lang) + (f" +{delta}" if delta else ""),
                    "selected": code == o.selected} for code, name, delta in o.choices]
        groups.append({"code": o.code, "text": title, "choices": choices})
    return groups


def dish_facts(card: Any, lang: str) -> tuple[str, str]:
    """The detail's tag line (tags · kcal) and allergen line."""
    facts = [b.label.in_lang(lang) for b in card.tags]
    if card.kcal is not None:
        facts.append(f"{card.kcal} kcal")
    names = join([b.label.in_lang(lang) for b in card.allergens], lang)
    return " · ".join(facts), tr("Allergens: {names}", lang, names=names) if names else ""


def cart_rows(lines: Sequence[Any], lang: str,
              notes: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Cart lines as CartLine kwargs (with the kitchen note of each line)."""
    rows = []
    notes = list(notes) + [None] * (len(lines) - len(notes))
    for ln, note in zip(lines, notes, strict=False):
        head = ln.name.in_lang(lang)
        items = [f"·\u00a0{i.in_lang(lang)}" for i in ln.items]  # a set meal's dishes
        if not items:
            head += f"  {ln.grams} g" if ln.grams else f" ×{ln.qty}"
        parts = [o.in_lang(lang) for o in ln.options]
        if ln.sold_out:
            parts.insert(0, tr("Sold out", lang))
        if note is not None:
            parts.append(note.in_lang(lang))
        detail = "\n".join([" · ".join(parts)] * bool(parts) + items)
        rows.append({"line_id": ln.line_id, "text": head, "detail": detail,
                     "amount": ln.net_text or ln.list_text, "qty": ln.qty,
                     "extra_rows": max(0, len(items) + bool(parts) - 1),
                     "countable": not items and ln.set_meal is None and not ln.grams})
    return rows


def split_rows(st: Any, lang: str) -> list[dict[str, Any]]:
    """The payment split line by line: subtotal, discounts, total, each source, counter due."""
    if not st.total_text:
        return []
    rows = [{"text": tr("Subtotal", lang), "amount": st.subtotal_text, "strong": False}]
    rows += [{"text": d.label.in_lang(lang), "amount": f"−{d.amount_text}", "strong": False}
             for d in st.discounts]
    rows.append({"text": tr("Total", lang), "amount": st.total_text, "strong": True})
    rows += [{"text": p.label.in_lang(lang), "amount": p.amount_text, "strong": False}
             for p in st.payments]
    return rows


def coupon_line(st: Any, lang: str) -> str:
    """The scanned coupon and what it pays, why it does not apply, or how to add one."""
    if st.coupon is None:
        return tr("Have a coupon? Show its code to the scanner.", lang)
    line = st.coupon.in_lang(lang) + (f"  −{st.coupon_text}" if st.coupon_text else "")
    if st.coupon_note is not None:
        line += "\n" + st.coupon_note.in_lang(lang)
    return tr("Coupon: {coupon}", lang, coupon=line)


def cart_note(st: Any, guest: bool, lang: str) -> str:
    """Guest pays at the counter; offline spending is capped."""
    notes = []
    if guest:
        notes.append(tr("Guests pay at the counter after ordering.", lang))
    if st.offline:
        notes.append(tr("Offline: stored-value spending is limited until the network "
                              "is back.", lang))
    if st.offline_limit_text:
        notes.append(tr("Offline limit {amount}", lang, amount=st.offline_limit_text))
    if st.points_earned:
        notes.append(tr("You earn {points} points with this order.", lang,
                        points=st.points_earned))
    return "\n".join(notes)


def chip_note(code: str) -> str:
    """How a quick note reads on the kitchen ticket: Chinese and English."""
    label = NOTE_CHIPS[code]
    return f"{label('zh_Hans')} {label('en')}"


def note_chips(note: str, lang: str) -> list[dict[str, Any]]:
    """The quick-note buttons, ticked when the note already holds them."""
    held = note.split(NOTE_SEPARATOR)
    return [{"code": code, "text": label(lang), "selected": chip_note(code) in held}
            for code, label in NOTE_CHIPS.items()]


def toggled_note(note: str, code: str) -> str:
    """The note with one quick note added or taken out."""
    held = [n for n in note.split(NOTE_SEPARATOR) if n]
    chip = chip_note(code)
    held = [n for n in held if n != chip] if chip in held else [*held, chip]
    return NOTE_SEPARATOR.join(held)


def receipt_line(st: Any, lang: str) -> str:
    """The done screen's receipt line: printing, printed, or the printer's fault."""
    if st.printer_message is not None:
        return both(st.printer_message, lang)
    if st.printing:
        return tr("Your receipt is printing. Please take it.", lang)
    return tr("Please take your receipt.", lang)
