"""What the kitchen display shows and what its keys do; no Kivy here, tested without a window."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edge_agent.kitchen.config import KitchenConfig
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import LinkStatus
from edge_agent.kitchen.tickets import Ticket, age_level, all_day, open_per_station
from kiosk.i18n import translate
from kiosk.kds.portions import WORDS as PORTION_WORDS
from kiosk.kds.stations import StationNames

# Bump-bar keys (a bump bar is a USB keyboard with few keys): digits pick a card.
KEY_ACTIONS = {"b": "bump", "enter": "bump", "r": "recall", "u": "undo",
               "left": "prev", "right": "next", "up": "prev", "down": "next"}


def locale_of(language: str) -> str:
    """The kiosk catalog's language for a kitchen config's ``language`` ("zh"/"en")."""
    return "zh_Hans" if language == "zh" else "en"


def labels(language: str) -> dict[str, str]:
    """The fixed words of the KDS screen, from the kiosk's gettext catalogs."""
    lang = locale_of(language)
    return {
        "title": translate(lang, "Kitchen display"),
        "all_day": translate(lang, "All day"),
        "bump": translate(lang, "Bump"),
        "recall": translate(lang, "Recall"),
        "undo": translate(lang, "Undo"),
        "portions": PORTION_WORDS["zh" if language == "zh" else "en"]["button"],
    }


@dataclass(frozen=True, slots=True)
class KdsView:
    """Everything on the screen at one moment."""

    cards: list[dict[str, Any]]
    counts: str
    all_day: list[dict[str, Any]]
    banner: str  # empty when the broker is fine


def _clock_text(ts: float | None, lang: str) -> str:
    if ts is None:
        return translate(lang, "none")
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def _escape(text: str) -> str:
    """Diner or catalog text inside Kivy markup: brackets and & shown as typed."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def _age_text(age_s: float) -> str:
    minutes, seconds = divmod(int(age_s), 60)
    if minutes >= 24 * 60:  # a forgotten ticket (or a wrong clock): days, still narrow
        return f"{minutes // (24 * 60)}d+"
    if minutes >= 100:  # keeps the header narrow; a ticket this old is red anyway
        return f"{minutes // 60}h{minutes % 60:02d}"
    return f"{minutes}:{seconds:02d}"


class KdsController:
    """Turns the KDS store into view data; selection, bump, recall, undo; the banner."""

    def __init__(self, store: KdsStore, config: KitchenConfig,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.config, self.now = store, config, now
        self.lang = config.language
        self.locale = locale_of(config.language)
        self.tickets: list[Ticket] = []
        self.selected = 0
        self.link = LinkStatus(False, time.time(), None)
        self.stations = StationNames(store.conn)

    def refresh(self) -> KdsView:
        """Re-read the open tickets and build the view."""
        self.tickets = self.store.open_tickets()
        self.selected = min(self.selected, max(0, len(self.tickets) - 1))
        return self.view()

    def view(self) -> KdsView:
        """The view of the tickets last read (ages move on with the clock)."""
        now = self.now()
        cards = [self._card(i, t, now) for i, t in enumerate(self.tickets)]
        counts = "   ".join(f"{self.station_text(s)}: {n}"
                           for s, n in sorted(open_per_station(self.tickets).items()))
        total = translate(self.locale, "{n} open").format(n=len(self.tickets))
        rows = [{"text": f"{n:>3} × {zh if self.lang == 'zh' else en}"}
                for zh, en, n in all_day(self.tickets)]
        return KdsView(cards, f"{total}    {counts}", rows, self.banner())

    def station_text(self, code: str) -> str:
        """A station's name in the screen's language (the catalog's; its code when unnamed)."""
        return self.stations.name(code, self.lang)

    def banner(self) -> str:
        """Empty when connected; else the loud line a cook must not miss."""
        if self.link.connected:
            return ""
        lang = self.locale
        text = translate(lang, "Site broker lost since {since} · last message {last}")
        return text.format(since=_clock_text(self.link.since, lang),
                           last=_clock_text(self.link.last_message_at, lang))

    def key(self, key: str) -> str | None:
        """Handle a bump-bar key; the action taken, or None."""
        if key.isdigit() and key != "0":
            index = int(key) - 1
            if index < len(self.tickets):
                self.selected = index
                return "select"
            return None
        action = KEY_ACTIONS.get(key)
        if action == "bump":
            return "bump" if self.bump_selected() else None
        if action == "recall":
            return "recall" if self.store.recall() else None
        if action == "undo":
            return self.store.undo()
        if action in ("prev", "next") and self.tickets:
            step = -1 if action == "prev" else 1
            self.selected = (self.selected + step) % len(self.tickets)
            return "select"
        return None

    def bump_selected(self) -> bool:
        """Bump the selected ticket."""
        if not self.tickets:
            return False
        t = self.tickets[self.selected]
        return self.store.bump(t.order_id, t.station)

    def tap(self, order_id: str, station: str, line_no: int | None = None) -> bool:
        """A touch on a card (bump) or on one of its items (item done)."""
        if line_no is None:
            return self.store.bump(order_id, station)
        return self.store.bump_item(order_id, station, line_no)

    def _card(self, index: int, t: Ticket, now: datetime) -> dict[str, Any]:
        age = max(0.0, (now - t.placed_at).total_seconds())
        level = age_level(age, self.config.warn_after_s, self.config.late_after_s)
        lines, notes = [], []
        for it in t.items:
            name = f"{it.name_zh} {it.name_en}" if self.lang == "en" else it.name_zh
            weight = f" {it.weight_g}g" if it.weight_g else ""
            mark = " [b]*[/b]" if it.note and not it.done else ""
            text = f"[b]{it.qty}×[/b] {_escape(name)}{weight}{mark}"
            for zh, en in it.modifiers:
                text += f"\n     + {_escape(zh if self.lang == 'zh' else en)}"
            lines.append(f"[s][color=888888]{text}[/color][/s]" if it.done else text)
            if it.note and not it.done:
                short = it.name_zh if self.lang == "zh" else it.name_en
                notes.append(f"* {_escape(short)}: [b]{_escape(it.note)}[/b]")
        return {
            "order_id": t.order_id, "station": t.station,
            "title": f"#{index + 1}  {t.order_no}",
            "station_text": self.station_text(t.station), "age_text": _age_text(age),
            "level": level, "items_text": "\n".join(lines),
            "flags_text": "  ".join(f.upper() for f in t.flags),
            "notes_text": "\n".join(notes), "notes_lines": len(notes),
            "selected": index == self.selected,
        }
