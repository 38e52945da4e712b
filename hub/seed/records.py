"""Record types of the demo catalogue and a compact builder for dish tables (no ORM)."""

from __future__ import annotations

from dataclasses import dataclass

from rules.dietary import validate_allergens, validate_tags

# Meal period codes, in the order of a day.
BREAKFAST, LUNCH, DINNER, LATE = "breakfast", "lunch", "dinner", "late_snack"
MEAL_PERIOD_CODES: tuple[str, ...] = (BREAKFAST, LUNCH, DINNER, LATE)
_PERIOD_SHORT = {"B": BREAKFAST, "L": LUNCH, "D": DINNER, "N": LATE}



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
    """Nutrition per portion (per 100 g for weighed dishes); kcal follows from the macros."""

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
    """One sellable dish: bilingual names, price in fen (per 100 g if weighed), allergens, tags."""

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
    per_100g: bool = False


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
    per_100g: bool = False,
) -> Dish:
    """Build a Dish from the compact table notation (space-separated codes, 'BLDN' periods).

    Codes are checked against rules.dietary here, so a typo fails at import, not in a kiosk.
    """
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
        allergens=validate_allergens(allergens.split()),
        tags=validate_tags(tags.split()),
        nutrition=Nutrition(*nut),
        periods=frozenset(_PERIOD_SHORT[p] for p in periods),
        per_100g=per_100g,
    )
