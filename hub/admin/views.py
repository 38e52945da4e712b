"""SQLAdmin model views of the hub: dishes, menus, set meals, sites, members, devices."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel, ValidationError
from sqladmin import ModelView
from sqlalchemy import event, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from starlette.requests import Request
from wtforms import Form, SelectField
from wtforms.validators import InputRequired

from hub.accounts.audit import snapshot
from hub.admin.fields import CodeChoiceField, HubForm, YuanField
from hub.db_types import utcnow
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models import (
    Device,
    Dish,
    DishCreate,
    MealPeriod,
    Member,
    Menu,
    MenuItem,
    SetMeal,
    Site,
)
from hub.services.dishes import audit_dish
from hub.services.set_meals import audit_set_meal
from rules.dietary import ALLERGENS, DISH_TAGS
from rules.labels import Label
from rules.money import format_cents

logger = logging.getLogger(__name__)

CATALOG = _l("Catalog")
PEOPLE_AND_PLACES = _l("Sites and people")


def money(attr: str) -> Callable[[Any, Any], str]:
    """A column formatter showing an int-cents attribute as ￥12.34 (blank when unset)."""

    def show(model: Any, _attr: Any) -> str:
        value = getattr(model, attr)
        return "" if value is None else format_cents(value)

    return show


def code_labels(attr: str, labels: dict[str, Label] | Any) -> Callable[[Any, Any], str]:
    """A column formatter showing a list of codes by their label in the page language."""

    def show(model: Any, _attr: Any) -> str:
        english = get_language() == "en"
        names = []
        for code in getattr(model, attr) or []:
            label = labels.get(code)
            names.append(code if label is None else (label.en if english else label.zh))
        return ", ".join(names)

    return show


def localized_name(row: Any) -> str:
    """A row's name in the page language (rows carry name_zh and name_en)."""
    return str(row.name_en if get_language() == "en" else row.name_zh)


def validation_message(err: ValidationError, labels: dict[str, Any]) -> str:
    """One readable line per refused field, with the field's label in the page language."""
    parts = []
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        parts.append(f"{labels.get(field, field)}: {problem['msg']}")
    return gettext("Not saved, please correct:") + " " + "; ".join(parts)


# The SQLAdmin attributes read as sequences of column names. A bare string there is read
# letter by letter: ``("credential_hash")`` (no trailing comma) excluded nothing.
COLUMN_SEQUENCES = (
    "column_list", "column_exclude_list", "column_details_list", "column_details_exclude_list",
    "column_export_list", "column_export_exclude_list", "column_import_list",
    "column_import_exclude_list", "column_searchable_list", "column_sortable_list",
    "form_columns", "form_excluded_columns",
)
SECRET_SUFFIXES = ("_hash", "_encrypted")


def is_secret_column(name: str) -> bool:
    """A column no admin page may show: credential and password hashes, ciphertexts."""
    return name.endswith(SECRET_SUFFIXES) or "password" in name or "secret" in name


def _shown(columns: builtins.list[str]) -> builtins.list[str]:
    return [c for c in columns if not is_secret_column(c)]


class HubModelView(ModelView):
    """Shared behaviour: validate through the API's shape, pick foreign keys by name.

    Secret columns never reach a page, whatever a view's own lists say.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a column list written as a bare string when the view is defined."""
        super().__init_subclass__(**kwargs)
        for attr in COLUMN_SEQUENCES:
            value = getattr(cls, attr, None)
            if isinstance(value, str):
                raise TypeError(
                    f"{cls.__name__}.{attr} must be a tuple of column names, not the string "
                    f"{value!r} (a one-name tuple needs a trailing comma)"
                )

    # The API's input shape for this table; the form must pass the same validation.
    create_schema: ClassVar[type[BaseModel] | None] = None
    # Foreign-key columns shown as a select of the referenced rows: column -> (model, label).
    fk_choices: ClassVar[dict[str, tuple[type, Callable[[Any], str]]]] = {}
    # The service's audit call for this table (prices, money rules, roles): an edit here is
    # audited exactly as the API's. Called as (session, row, actor=, before=, verb=).
    audit_change: ClassVar[Callable[..., None] | None] = None
    page_size = 25
    form_base_class = HubForm

    async def scaffold_form(self, rules: builtins.list[str] | None = None) -> type[Form]:
        """SQLAdmin's form plus a select for each foreign key (SQLAdmin skips them)."""
        form = await super().scaffold_form(rules)
        if not self.fk_choices:
            return form
        extra: dict[str, Any] = {}
        for column, (model, describe) in self.fk_choices.items():
            rows = await anyio.to_thread.run_sync(self._load_rows, model)
            extra[column] = SelectField(
                self._column_labels.get(column, column),
                choices=[(row.id, f"{describe(row)} (#{row.id})") for row in rows],
                coerce=int,
                validators=[InputRequired()],
            )
        return type(form.__name__, (form,), extra)

    def get_list_columns(self) -> builtins.list[str]:
        """The list page's columns, never a secret one."""
        return _shown(super().get_list_columns())

    def get_details_columns(self) -> builtins.list[str]:
        """The detail page's columns, never a secret one."""
        return _shown(super().get_details_columns())

    def get_form_columns(self) -> builtins.list[str]:
        """The form's columns, never a secret one."""
        return _shown(super().get_form_columns())

    def get_export_columns(self) -> builtins.list[str]:
        """The exported columns, never a secret one."""
        return _shown(super().get_export_columns())

    def search_placeholder(self) -> str:
        """The searchable columns' labels, translated now (they are lazy strings)."""
        return ", ".join(str(self._column_labels.get(f, f)) for f in self._search_fields)

    def _load_rows(self, model: type) -> list[Any]:
        with self.session_maker() as session:
            return list(session.execute(select(model).order_by(model.id)).scalars())  # type: ignore[attr-defined]

    async def on_model_change(
        self, data: dict, model: Any, is_created: bool, request: Request
    ) -> None:
        """Refuse what the API would refuse, before anything is written; audit what is."""
        if self.create_schema is not None:
            self._check_like_the_api(data, model, is_created)
        if not is_created:
            self._audit_at_commit(request, model, verb="update")

    def _check_like_the_api(self, data: dict, model: Any, is_created: bool) -> None:
        assert self.create_schema is not None
        current = {} if is_created else {
            name: getattr(model, name) for name in self.create_schema.model_fields
            if hasattr(model, name)
        }
        try:
            checked = self.create_schema.model_validate({**current, **data})
        except ValidationError as err:
            raise ValueError(validation_message(err, self._column_labels)) from err
        # Store what the API would store (codes lower-cased and de-duplicated, ...).
        normalized = checked.model_dump()
        for key in data:
            if key in normalized:
                data[key] = normalized[key]
        if not is_created and hasattr(model, "updated_at"):
            model.updated_at = utcnow()

    async def after_model_change(
        self, data: dict, model: Any, is_created: bool, request: Request
    ) -> None:
        """Audit a row created here (SQLAdmin adds it to its session only after the hooks)."""
        if not is_created or self.audit_change is None:
            return

        def write() -> None:
            with self.session_maker() as session:
                self._audit(session, request, model, before=None, verb="create")
                session.commit()

        await anyio.to_thread.run_sync(write)

    async def on_model_delete(self, model: Any, request: Request) -> None:
        """Audit a deletion in the transaction that deletes the row."""
        self._audit_at_commit(request, model, verb="delete")

    def _audit_at_commit(self, request: Request, model: Any, *, verb: str) -> None:
        # The row is unchanged yet: keep its "before" and write the record just before
        # SQLAdmin commits the change, in the same transaction (a refused change: none).
        session = object_session(model)
        if self.audit_change is None or session is None:
            return
        before = snapshot(model)

        def write(committing: OrmSession) -> None:
            self._audit(committing, request, model, before=before, verb=verb)

        event.listen(session, "before_commit", write, once=True)

    def _audit(
        self, session: Any, request: Request, model: Any, *, before: Any, verb: str
    ) -> None:
        assert self.audit_change is not None
        actor = str(request.state.admin_user.username)
        self.audit_change(session, model, actor=actor, before=before, verb=verb)


DISH_LABELS: dict[str, Any] = {
    "id": "ID",
    "code": _l("Code"),
    "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English)"),
    "description_zh": _l("Description (Chinese)"),
    "description_en": _l("Description (English)"),
    "category": _l("Category"),
    "price_cents": _l("Price (yuan)"),
    "member_price_cents": _l("Member price (yuan)"),
    "price_per_100g_cents": _l("Price per 100 g (yuan)"),
    "tags": _l("Dietary tags"),
    "allergens": _l("Allergens"),
    "station": _l("Kitchen station"),
    "image_path": _l("Image path"),
    "active": _l("On sale"),
    "kcal": _l("Energy (kcal)"),
    "protein_g": _l("Protein (g)"),
    "fat_g": _l("Fat (g)"),
    "carbs_g": _l("Carbohydrates (g)"),
    "sodium_mg": _l("Sodium (mg)"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class DishAdmin(HubModelView, model=Dish):
    """Dishes: prices typed in yuan and stored in cents; tags and allergens from rules."""

    name = _l("Dish")
    name_plural = _l("Dishes")
    icon = "fa-solid fa-bowl-rice"
    category = CATALOG
    create_schema = DishCreate
    audit_change = staticmethod(audit_dish)
    column_list = (
        "id", "code", "name_zh", "name_en", "category",
        "price_cents", "tags", "allergens", "active",
    )
    column_searchable_list = ("code", "name_zh", "name_en")
    column_sortable_list = ("id", "code", "category", "price_cents")
    column_default_sort = ("id", True)
    column_labels: ClassVar[dict[Any, Any]] = DISH_LABELS
    column_formatters: ClassVar[dict[Any, Any]] = {
        "price_cents": money("price_cents"),
        "tags": code_labels("tags", DISH_TAGS),
        "allergens": code_labels("allergens", ALLERGENS),
    }
    column_formatters_detail: ClassVar[dict[Any, Any]] = {
        "price_cents": money("price_cents"),
        "member_price_cents": money("member_price_cents"),
        "price_per_100g_cents": money("price_per_100g_cents"),
        "tags": code_labels("tags", DISH_TAGS),
        "allergens": code_labels("allergens", ALLERGENS),
    }
    # Identity, names and price first; nutrition last.
    form_columns = (
        "code", "name_zh", "name_en", "category", "price_cents", "member_price_cents",
        "price_per_100g_cents", "tags", "allergens", "station", "active",
        "description_zh", "description_en", "image_path",
        "kcal", "protein_g", "fat_g", "carbs_g", "sodium_mg",
    )
    form_overrides: ClassVar[dict[Any, Any]] = {
        "price_cents": YuanField,
        "member_price_cents": YuanField,
        "price_per_100g_cents": YuanField,
        "tags": CodeChoiceField,
        "allergens": CodeChoiceField,
    }
    form_args: ClassVar[dict[Any, Any]] = {
        "tags": {"codes": DISH_TAGS},
        "allergens": {"codes": ALLERGENS},
    }
    form_widget_args: ClassVar[dict[Any, Any]] = {
        "price_cents": {"placeholder": "12.50", "inputmode": "decimal"},
    }


class MenuAdmin(HubModelView, model=Menu):
    """Menus: one per site and meal period."""

    name = _l("Menu")
    name_plural = _l("Menus")
    icon = "fa-solid fa-list"
    category = CATALOG
    column_list = ("id", "site_id", "meal_period_id", "active", "updated_at")
    column_labels: ClassVar[dict[Any, Any]] = {
        "site_id": _l("Site"),
        "meal_period_id": _l("Meal period"),
        "active": _l("Active"),
        "created_at": _l("Created"),
        "updated_at": _l("Updated"),
    }
    form_excluded_columns = ("created_at", "updated_at")
    fk_choices: ClassVar[dict[Any, Any]] = {
        "site_id": (Site, localized_name),
        "meal_period_id": (MealPeriod, localized_name),
    }


class MenuItemAdmin(HubModelView, model=MenuItem):
    """The dishes on each menu, with the kitchen's sold-out switch."""

    name = _l("Menu item")
    name_plural = _l("Menu items")
    icon = "fa-solid fa-utensils"
    category = CATALOG
    column_list = (
        "id", "menu_id", "dish_id", "available",
        "sold_out", "sort_order",
    )
    column_labels: ClassVar[dict[Any, Any]] = {
        "menu_id": _l("Menu"),
        "dish_id": _l("Dish"),
        "available": _l("Available"),
        "sold_out": _l("Sold out"),
        "sort_order": _l("Sort order"),
    }
    fk_choices: ClassVar[dict[Any, Any]] = {
        "menu_id": (Menu, lambda menu: gettext("Menu") + f" {menu.id}"),
        "dish_id": (Dish, localized_name),
    }


class SetMealAdmin(HubModelView, model=SetMeal):
    """Set meals (their items and slots are edited through the API for now)."""

    name = _l("Set meal")
    name_plural = _l("Set meals")
    icon = "fa-solid fa-box"
    category = CATALOG
    can_create = False
    audit_change = staticmethod(audit_set_meal)
    column_list = (
        "id", "code", "name_zh", "name_en", "kind",
        "price_cents", "active",
    )
    column_labels: ClassVar[dict[Any, Any]] = {
        "code": _l("Code"),
        "name_zh": _l("Name (Chinese)"),
        "name_en": _l("Name (English)"),
        "kind": _l("Kind"),
        "price_cents": _l("Price (yuan)"),
        "active": _l("On sale"),
        "created_at": _l("Created"),
    }
    column_formatters: ClassVar[dict[Any, Any]] = {"price_cents": money("price_cents")}
    column_formatters_detail: ClassVar[dict[Any, Any]] = {"price_cents": money("price_cents")}
    form_columns = ("name_zh", "name_en", "price_cents", "active")
    form_overrides: ClassVar[dict[Any, Any]] = {"price_cents": YuanField}


class SiteAdmin(HubModelView, model=Site):
    """Sites (canteens); created through the API with their meal periods."""

    name = _l("Site")
    name_plural = _l("Sites")
    icon = "fa-solid fa-building"
    category = PEOPLE_AND_PLACES
    can_create = False
    can_delete = False
    column_list = ("id", "code", "name_zh", "name_en", "timezone", "active")
    column_labels: ClassVar[dict[Any, Any]] = {
        "code": _l("Code"),
        "name_zh": _l("Name (Chinese)"),
        "name_en": _l("Name (English)"),
        "timezone": _l("Time zone"),
        "active": _l("Active"),
        "created_at": _l("Created"),
    }
    form_columns = ("name_zh", "name_en", "active")


class MemberAdmin(HubModelView, model=Member):
    """Members, read-only here: personal data changes go through the audited API."""

    name = _l("Member")
    name_plural = _l("Members")
    icon = "fa-solid fa-users"
    category = PEOPLE_AND_PLACES
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    column_list = (
        "id", "member_no", "name", "employer", "department",
        "active", "created_at",
    )
    # Never the phone ciphertext or its lookup hash.
    column_details_list = (
        "id", "member_no", "name", "employer", "department",
        "school_class", "dietary_preferences", "allergens", "active",
        "consent_data_at", "consent_marketing_at", "created_at",
    )
    column_searchable_list = ("member_no", "name")
    column_labels: ClassVar[dict[Any, Any]] = {
        "member_no": _l("Member number"),
        "name": _l("Name"),
        "employer": _l("Employer"),
        "department": _l("Department"),
        "school_class": _l("Class"),
        "dietary_preferences": _l("Dietary preferences"),
        "allergens": _l("Allergens"),
        "active": _l("Active"),
        "consent_data_at": _l("Data consent given"),
        "consent_marketing_at": _l("Marketing consent given"),
        "created_at": _l("Created"),
    }
    column_formatters: ClassVar[dict[Any, Any]] = {"allergens": code_labels("allergens", ALLERGENS)}


class DeviceAdmin(HubModelView, model=Device):
    """Devices, read-only here: provisioning issues credentials through the API."""

    name = _l("Device")
    name_plural = _l("Devices")
    icon = "fa-solid fa-tablet-screen-button"
    category = PEOPLE_AND_PLACES
    can_create = False
    can_edit = False
    can_delete = False
    column_list = (
        "id", "code", "kind", "site_id", "name", "active",
        "last_seen_at",
    )
    column_details_exclude_list = ("credential_hash",)
    column_labels: ClassVar[dict[Any, Any]] = {
        "code": _l("Code"),
        "kind": _l("Kind"),
        "site_id": _l("Site"),
        "name": _l("Name"),
        "active": _l("Active"),
        "last_seen_at": _l("Last seen"),
        "created_at": _l("Created"),
    }


ALL_VIEWS: tuple[type[ModelView], ...] = (
    DishAdmin, MenuAdmin, MenuItemAdmin, SetMealAdmin, SiteAdmin, MemberAdmin, DeviceAdmin,
)
"""Every model view, in menu order."""
