"""The hub's catalogs and language negotiation, and the yuan money field of the admin forms."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.pofile import read_po
from wtforms import Form

from hub import i18n
from hub.admin.fields import CodeChoiceField, YuanField
from rules.dietary import DISH_TAGS

LOCALE_DIR = Path(i18n.__file__).parent / "locale"


def load_catalog_tool() -> ModuleType:
    """hub/locale/catalogs.py, the script that extracts and merges messages."""
    spec = importlib.util.spec_from_file_location("hub_catalogs", LOCALE_DIR / "catalogs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shown_message_has_a_chinese_translation() -> None:
    template = load_catalog_tool().extract_template()
    wanted = {m.id for m in template if m.id}
    with i18n.catalog_path("zh_Hans").open("rb") as po:
        zh = read_po(po, locale="zh_Hans")
    have = {m.id: m for m in zh if m.id}
    missing = sorted(str(m) for m in wanted - set(have))
    assert not missing, f"run `python hub/locale/catalogs.py` and translate: {missing}"
    untranslated = sorted(str(i) for i, m in have.items() if not m.string or m.fuzzy)
    assert not untranslated, f"untranslated or fuzzy in zh_Hans/hub.po: {untranslated}"


def test_catalogs_compile_and_translate() -> None:
    assert i18n.translate("zh_Hans", "Dishes") == "菜品"
    assert i18n.translate("en", "Dishes") == "Dishes"
    assert i18n.translate("zh_Hans", "Save and continue editing") == "保存并继续编辑"


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "zh_Hans"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        (None, None, "fr-FR,en;q=0.5,zh;q=0.7", "zh_Hans"),
        (None, None, "de, fr", "zh_Hans"),
        (None, None, "zh;q=0,en", "en"),
        (None, "en", "zh-CN", "en"),
        ("zh_Hans", "en", "en", "zh_Hans"),
        ("xx", "en", "zh", "en"),
    ],
)
def test_language_negotiation(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert i18n.negotiate_language(query=query, cookie=cookie, accept_language=header) == expected


def test_lazy_labels_follow_the_current_language() -> None:
    label = i18n.lazy_gettext("Price (yuan)")
    i18n.set_language("en")
    assert str(label) == "Price (yuan)"
    i18n.set_language("zh_Hans")
    assert str(label) == "价格（元）"


class PriceForm(Form):
    price = YuanField("price")
    tags = CodeChoiceField("tags", codes=DISH_TAGS)


class FakeFormData(dict[str, list[str]]):
    """The multidict shape WTForms reads (getlist)."""

    def getlist(self, key: str) -> list[str]:
        return self.get(key, [])


@pytest.mark.parametrize(
    ("typed", "cents"), [("12.5", 1250), ("0", 0), ("￥8.05", 805), ("", None)]
)
def test_yuan_field_stores_cents(typed: str, cents: int | None) -> None:
    form = PriceForm(FakeFormData(price=[typed]))
    form.validate()
    assert form.price.data == cents
    assert not form.price.errors


@pytest.mark.parametrize("typed", ["12.345", "-3", "1,000", "abc", "１２"])
def test_yuan_field_refuses_what_is_not_an_amount(typed: str) -> None:
    i18n.set_language("en")
    form = PriceForm(FakeFormData(price=[typed]))
    assert not form.validate()
    assert form.price.errors == ["Enter an amount in yuan, e.g. 12.50"]


def test_yuan_field_shows_stored_cents_as_yuan() -> None:
    form = PriceForm(data={"price": 1205, "tags": []})
    assert 'value="12.05"' in form.price()


def test_code_field_refuses_codes_the_rules_do_not_know() -> None:
    i18n.set_language("en")
    form = PriceForm(FakeFormData(price=["1"], tags=["spicy", "unicorn"]))
    assert not form.validate()
    assert form.tags.errors == ["Unknown codes: unicorn"]
    form = PriceForm(FakeFormData(price=["1"], tags=["spicy"]))
    assert form.validate() and form.tags.data == ["spicy"]
