"""The kitchen display's portions panel on screen: a modal over the tickets (thin; the
logic is kiosk.kds.portions)."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView

from kiosk.kds.portions import KdsPortions

STEPS = {"cooked": 5, "left_over": 1}


class PortionsPanel(ModalView):
    """Plan per dish, cooked and left over with − / + buttons, Record and Close."""

    def __init__(self, portions: KdsPortions, font: str, **kw: Any) -> None:
        super().__init__(size_hint=(0.92, 0.9), auto_dismiss=False,
                         background_color=(0, 0, 0, 0.85), **kw)
        self.portions, self.font = portions, font
        self.box = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))
        self.add_widget(self.box)
        self.buttons: dict[tuple[str, str, int], Button] = {}
        portions.load()
        self.redraw()

    def _label(self, text: str, size: float = 20, **kw: Any) -> Label:
        label = Label(text=text, font_name=self.font, font_size=dp(size), **kw)
        label.bind(size=lambda w, s: setattr(w, "text_size", s))
        return label

    def _button(self, text: str, action: Any, **kw: Any) -> Button:
        b = Button(text=text, font_name=self.font, font_size=dp(22), **kw)
        b.bind(on_release=lambda _b: action())
        return b

    def redraw(self) -> None:
        """Rebuild the panel from the portions state."""
        p, w = self.portions, self.portions.words
        self.box.clear_widgets()
        self.buttons.clear()
        self.box.add_widget(self._label(p.title(), 26, bold=True, size_hint_y=None,
                                        height=dp(44), halign="left", valign="middle"))
        head = BoxLayout(size_hint_y=None, height=dp(32), spacing=dp(8))
        for text, hint in ((w["dish"], 0.44), (w["cooked"], 0.28), (w["left"], 0.28)):
            head.add_widget(self._label(text, 18, size_hint_x=hint, color=(0.7, 0.8, 1, 1),
                                        halign="left", valign="middle"))
        self.box.add_widget(head)
        rows = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(6))
        rows.bind(minimum_height=rows.setter("height"))
        for row in p.rows():
            rows.add_widget(self._row(row))
        scroll = ScrollView()
        scroll.add_widget(rows)
        self.box.add_widget(scroll)
        self.box.add_widget(self._label(p.status, 20, size_hint_y=None, height=dp(34),
                                        color=(1, 0.85, 0.2, 1), halign="left",
                                        valign="middle"))
        bar = BoxLayout(size_hint_y=None, height=dp(64), spacing=dp(8))
        self.record_button = self._button(w["record"], self.record,
                                          disabled=not p.lines,
                                          background_color=(0.2, 0.7, 0.3, 1))
        bar.add_widget(self.record_button)
        bar.add_widget(self._button(w["close"], self.dismiss, size_hint_x=0.35))
        self.box.add_widget(bar)

    def _row(self, row: dict[str, Any]) -> BoxLayout:
        line = BoxLayout(size_hint_y=None, height=dp(64), spacing=dp(8))
        name = BoxLayout(orientation="vertical", size_hint_x=0.44)
        name.add_widget(self._label(str(row["name"]), 22, bold=True, halign="left",
                                    valign="middle", shorten=True))
        name.add_widget(self._label(str(row["plan"]), 17, color=(0.75, 0.88, 1, 1),
                                    halign="left", valign="middle"))
        line.add_widget(name)
        for field in ("cooked", "left_over"):
            cell = BoxLayout(size_hint_x=0.28, spacing=dp(4))
            step = STEPS[field]
            for sign, text in ((-1, f"−{step}"), (1, f"+{step}")):
                b = self._button(text, lambda f=field, s=sign * step: self.adjust(
                    str(row["dish_id"]), f, s))
                self.buttons[(str(row["dish_id"]), field, sign)] = b
                if sign == 1:
                    cell.add_widget(self._label(str(row[field]), 26, bold=True,
                                                halign="center", valign="middle"))
                cell.add_widget(b)
            line.add_widget(cell)
        return line

    def adjust(self, dish_id: str, field: str, step: int) -> None:
        """A − / + touch."""
        self.portions.adjust(dish_id, field, step)
        self.redraw()

    def record(self) -> None:
        """The Record button: queue the counts for the hub."""
        self.portions.record()
        self.redraw()
