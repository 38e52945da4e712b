"""SQLAdmin views of the names dish codes carry: dish categories and kitchen stations."""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin import ModelView

from hub.admin.views import CATALOG, HubModelView
from hub.i18n import lazy_gettext as _l
from hub.models import DishCategory, DishCategoryCreate, KitchenStation, KitchenStationCreate

NAME_LABELS: dict[str, Any] = {
    "id": "ID",
    "code": _l("Code"),
    "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English)"),
    "sort_order": _l("Sort order"),
}


class DishCategoryAdmin(HubModelView, model=DishCategory):
    """Dish categories: the menu tab names kiosks show, in the menu's order."""

    name = _l("Dish category")
    name_plural = _l("Dish categories")
    icon = "fa-solid fa-layer-group"
    category = CATALOG
    create_schema = DishCategoryCreate
    column_list = ("id", "code", "name_zh", "name_en", "sort_order")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_sortable_list = ("code", "sort_order")
    column_default_sort = ("sort_order", False)
    column_labels: ClassVar[dict[Any, Any]] = NAME_LABELS
    form_columns = ("code", "name_zh", "name_en", "sort_order")


class KitchenStationAdmin(HubModelView, model=KitchenStation):
    """Kitchen stations: the names kitchen displays show instead of the code."""

    name = _l("Kitchen station")
    name_plural = _l("Kitchen stations")
    icon = "fa-solid fa-fire-burner"
    category = CATALOG
    create_schema = KitchenStationCreate
    column_list = ("id", "code", "name_zh", "name_en")
    column_searchable_list = ("code", "name_zh", "name_en")
    column_sortable_list = ("code",)
    column_labels: ClassVar[dict[Any, Any]] = NAME_LABELS
    form_columns = ("code", "name_zh", "name_en")


CATALOG_NAME_VIEWS: tuple[type[ModelView], ...] = (DishCategoryAdmin, KitchenStationAdmin)
"""The views of catalog names, after the dish views in the menu."""
