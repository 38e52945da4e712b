"""Form fields of the admin shell: money typed in yuan, dietary codes picked from rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape
from wtforms import Form, SelectMultipleField, StringField, ValidationError
from wtforms.i18n import get_translations as wtforms_translations

from hub.i18n import get_language, gettext
from rules.errors import MoneyError
from rules.labels import Label
from rules.money import parse_yuan


class HubForm(Form):
    """A form whose WTForms' own messages ("This field is required.") follow the page language."""

    class Meta:
        """WTForms looks its message catalog up per form through this hook."""

        def get_translations(self, form: Form) -> Any:
            """WTForms' shipped Chinese or English catalog for the current request."""
            return wtforms_translations(["zh"] if get_language() == "zh_Hans" else ["en"])


def cents_to_yuan_text(cents: int | None) -> str:
    """``1234 -> "12.34"`` for a form input (no currency sign: the label says yuan)."""
    if cents is None:
        return ""
    yuan, fen = divmod(cents, 100)
    return f"{yuan}.{fen:02d}"


class YuanField(StringField):
    """A money input typed in yuan ("12.5") whose data is int cents (1250), as stored."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return cents_to_yuan_text(self.data)

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        """Parse the typed yuan strictly with the one money parser of the project."""
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = parse_yuan(text)
        except MoneyError as err:
            self.data = None
            raise ValueError(gettext("Enter an amount in yuan, e.g. 12.50")) from err


_BOX = (
    '<label class="form-check form-check-inline" for="{id}">'
    '<input class="form-check-input" type="checkbox" id="{id}" name="{name}" value="{value}"'
    '{checked}><span class="form-check-label">{label}</span></label>'
)


class CheckboxGroup:
    """Tabler's inline checkboxes, one per choice (SQLAdmin's form-control class dropped)."""

    def __call__(self, field: SelectMultipleField, **kwargs: Any) -> Markup:
        """Render every choice as a labelled checkbox."""
        boxes = []
        for value, label, checked, _render_kw in field.iter_choices():
            box_id = f"{field.id}-{value}"
            boxes.append(
                _BOX.format(
                    id=escape(box_id),
                    name=escape(field.name),
                    value=escape(value),
                    checked=" checked" if checked else "",
                    label=escape(label),
                )
            )
        return Markup(f'<div class="code-choices" id="{escape(field.id)}">{"".join(boxes)}</div>')


class CodeChoiceField(SelectMultipleField):
    """Pick any of a fixed set of codes (tags, allergens); labels follow the page language."""

    widget = CheckboxGroup()

    def __init__(self, *args: Any, codes: Mapping[str, Label], **kwargs: Any) -> None:
        kwargs.pop("coerce", None)
        super().__init__(*args, coerce=str, **kwargs)
        self.codes = codes
        self.choices = [(code, code) for code in codes]

    def iter_choices(self) -> Any:
        """Each code with its label in the current language, checked when selected."""
        # Built per render, not at form build, so a language switch relabels them.
        english = get_language() == "en"
        selected = set(self.data or [])
        for code, label in self.codes.items():
            text = label.en if english else label.zh
            yield (code, f"{text} ({code})", code in selected, {})

    def pre_validate(self, form: Any) -> None:
        """Refuse codes the rules package does not know, naming them."""
        unknown = [code for code in self.data or [] if code not in self.codes]
        if unknown:
            message = gettext("Unknown codes: %(codes)s") % {"codes": ", ".join(unknown)}
            raise ValidationError(message)
