"""The hub's SQLModel tables and API shapes, one module per purpose."""

# Imported for their tables: SQLModel registers them in the metadata Alembic compares.
import hub.models.accounts
import hub.models.analytics
import hub.models.crm  # CRM tags, rules, segments, scores (issue 13)
import hub.models.crm_campaigns
import hub.models.crm_cases
import hub.models.downlinks
import hub.models.face
import hub.models.fleet_access
import hub.models.fleet_health
import hub.models.ingest
import hub.models.member_portal  # member web page sign-in, sessions (issue 19)
import hub.models.notify  # notification outbox, delivery log (issue 19)
import hub.models.recommend
import hub.models.supply
import hub.models.supply_bookings
import hub.models.supply_forecast
import hub.models.surveys  # dish votes and short surveys (issue 19)
import hub.models.tracking  # noqa: F401  (order tracking tables)
from hub.models import coupons, identity  # noqa: F401  (member identifiers, coupons, promotions)
from hub.models.catalog_names import (
    DishCategory,
    DishCategoryCreate,
    KitchenStation,
    KitchenStationCreate,
)
from hub.models.devices import Device, DeviceCreate, DeviceKind, DevicePublic, DeviceUpdate
from hub.models.dishes import Dish, DishCreate, DishPublic, DishUpdate, Nutrition
from hub.models.feedback import Feedback, FeedbackPublic
from hub.models.members import Member, MemberCreate, MemberPublic, MemberUpdate
from hub.models.menus import (
    Menu,
    MenuCreate,
    MenuItem,
    MenuItemIn,
    MenuItemPublic,
    MenuItemUpdate,
    MenuPublic,
    MenuUpdate,
)
from hub.models.orders import Order, OrderLine, OrderLineModifier, Payment
from hub.models.set_meals import (
    SetMeal,
    SetMealCreate,
    SetMealItem,
    SetMealItemIn,
    SetMealKind,
    SetMealPublic,
    SetMealSlot,
    SetMealSlotIn,
    SetMealUpdate,
)
from hub.models.sites import (
    MealPeriod,
    MealPeriodCreate,
    MealPeriodPublic,
    MealPeriodUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationPublic,
    Site,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)
from hub.models.users import Role, Token, User, UserCreate, UserPublic, UserUpdate

__all__ = [
    "Device",
    "DeviceCreate",
    "DeviceKind",
    "DevicePublic",
    "DeviceUpdate",
    "Dish",
    "DishCategory",
    "DishCategoryCreate",
    "DishCreate",
    "DishPublic",
    "DishUpdate",
    "Feedback",
    "FeedbackPublic",
    "KitchenStation",
    "KitchenStationCreate",
    "MealPeriod",
    "MealPeriodCreate",
    "MealPeriodPublic",
    "MealPeriodUpdate",
    "Member",
    "MemberCreate",
    "MemberPublic",
    "MemberUpdate",
    "Menu",
    "MenuCreate",
    "MenuItem",
    "MenuItemIn",
    "MenuItemPublic",
    "MenuItemUpdate",
    "MenuPublic",
    "MenuUpdate",
    "Nutrition",
    "Order",
    "OrderLine",
    "OrderLineModifier",
    "Organisation",
    "OrganisationCreate",
    "OrganisationPublic",
    "Payment",
    "Role",
    "SetMeal",
    "SetMealCreate",
    "SetMealItem",
    "SetMealItemIn",
    "SetMealKind",
    "SetMealPublic",
    "SetMealSlot",
    "SetMealSlotIn",
    "SetMealUpdate",
    "Site",
    "SiteCreate",
    "SitePublic",
    "SiteUpdate",
    "Token",
    "User",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]
