"""Record types of the demo catalogue and a compact builder for dish tables (no ORM)."""

from __future__ import annotations

from dataclasses import dataclass

# Meal period codes, in the order of a day.
BREAKFAST, LUNCH, DINNER, LATE = "breakfast", "lunch", "dinner", "late_snack"
MEAL_PERIOD_CODES: tuple[str, ...] = (BREAKFAST, LUNCH, DINNER, LATE)
_PERIOD_SHORT = {"B": BREAKFAST, "L": LUNCH, "D": DINNER, "N": LATE}

# Allergen and dietary-tag codes the catalogue uses (checked against rules.dietary by tests).
ALLERGEN_CODES: frozenset[str] = frozenset(
    {"peanut", "tree_nut", "soy", "gluten", "egg", "milk", "fish", "crustacean", "mollusc",
     "sesame"}
)
TAG_CODES: frozenset[str] = frozenset({"spicy", "halal", "vegetarian", "vegan"})


@dataclass(frozen=True)
class Category:
    """A menu category such as 荤菜 / meat dishes."""

    code: str
    name_zh: str
    name_en: str
    sort: int


@dataclass(frozen=True)
class Station:
    """A kitchen station that receives the tickets for its dishes."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Nutrition:
    """Nutrition per portion (or per 100 g for weighed dishes); kcal follows from the macros."""

    protein_g: float
    fat_g: float
    carbs_g: float
    sodium_mg: int

    @property
    def kcal(self) -> int:
        """Energy by the Atwater factors (4/9/4 kcal per gram)."""
        return round(4 * self.protein_g + 9 * self.fat_g + 4 * self.carbs_g)


@dataclass(frozen=True)
class Dish:
    """One sellable dish with bilingual names, price in fen, allergens and tags."""

    code: str
    name_zh: str
    name_en: str
    desc_zh: str
    desc_en: str
    category: str
    station: str
    price_fen: int
    member_price_fen: int | None
    allergens: frozenset[str]
    tags: frozenset[str]
    nutrition: Nutrition
    periods: frozenset[str]
    contains_pork: bool = False
    per_100g: bool = False
    daily_limit: int | None = None


def dish(
    code: str,
    names: tuple[str, str],
    descs: tuple[str, str],
    *,
    cat: str,
    station: str,
    price: int,
    member: int | None = None,
    allergens: str = "",
    tags: str = "",
    nut: tuple[float, float, float, int],
    periods: str = "LD",
    pork: bool = False,
    per_100g: bool = False,
    limit: int | None = None,
) -> Dish:
    """Build a Dish from the compact table notation (space-separated codes, 'BLDN' periods)."""
    return Dish(
        code=code,
        name_zh=names[0],
        name_en=names[1],
        desc_zh=descs[0],
        desc_en=descs[1],
        category=cat,
        station=station,
        price_fen=price,
        member_price_fen=member,
        allergens=frozenset(allergens.split()),
        tags=frozenset(tags.split()),
        nutrition=Nutrition(*nut),
        periods=frozenset(_PERIOD_SHORT[p] for p in periods),
        contains_pork=pork,
        per_100g=per_100g,
        daily_limit=limit,
    )
