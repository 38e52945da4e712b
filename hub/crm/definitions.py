"""The declarative language of tag rules and segments: a JSON tree validated by pydantic.

A definition is a boolean tree. Inner nodes: ``all`` / ``any`` (lists) and ``not``.
Leaves say something about a member, each with a ``kind``:

- ``metric``: a windowed aggregate of the member's orders compared with a value
  (visits, spend_cents, distinct_days, share_meal_period, share_weekdays,
  share_weekends, share_dish), e.g. ``{"kind": "metric", "metric": "visits",
  "window_days": 30, "op": ">=", "value": 12}``;
- ``top_percent``: among members who spent in the window, the top N % by spend or visits;
- ``consecutive``: the member's last N orders each hold a dish matching ``dish``;
- ``recency``: days since the last visit compared with a number;
- ``first_visit``: the first visit was at most N days ago (new members);
- ``rate_drop``: visits in the last N days below ``ratio`` of the member's own rate over
  the M days before;
- ``modifier``: a line modifier (e.g. ``no_coriander``) seen at least N times;
- ``birthday``: the birthday falls in the current month;
- ``tier`` / ``department`` / ``site`` (visited a site in a window);
- segments only: ``tag`` (the member has a tag) and ``score`` (RFM / churn).

Unknown keys are refused (``extra="forbid"``) so a typo is an error, not a silent no-op.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Op = Literal[">=", ">", "<=", "<", "=="]
WindowDays = Annotated[int, Field(ge=1, le=3660)]
MAX_DEPTH = 6
MAX_LEAVES = 40


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DishMatch(_Node):
    """Which dishes count: any of the tags, or of the categories, or of the stations."""

    tags: list[Code] = Field(default_factory=list, max_length=20)
    categories: list[Code] = Field(default_factory=list, max_length=20)
    stations: list[Code] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _not_empty(self) -> DishMatch:
        if not (self.tags or self.categories or self.stations):
            raise ValueError("name at least one dish tag, category or station")
        return self


Metric = Literal["visits", "spend_cents", "distinct_days", "share_meal_period",
                 "share_weekdays", "share_weekends", "share_dish"]


class MetricLeaf(_Node):
    """A windowed aggregate of the member's orders, compared with ``value``."""

    kind: Literal["metric"]
    metric: Metric
    window_days: WindowDays = 30
    op: Op = ">="
    value: float = Field(ge=0, le=1e12)
    meal_period: Code | None = None  # share_meal_period
    dish: DishMatch | None = None  # share_dish

    @model_validator(mode="after")
    def _parts(self) -> MetricLeaf:
        if self.metric == "share_meal_period" and self.meal_period is None:
            raise ValueError("share_meal_period needs meal_period")
        if self.metric == "share_dish" and self.dish is None:
            raise ValueError("share_dish needs dish")
        if self.metric.startswith("share_") and self.value > 1:
            raise ValueError("a share is between 0 and 1")
        return self


class TopPercentLeaf(_Node):
    """Among members active in the window, the top ``percent`` % by spend or visits."""

    kind: Literal["top_percent"]
    metric: Literal["spend_cents", "visits"] = "spend_cents"
    window_days: WindowDays = 90
    percent: float = Field(gt=0, le=100)


class ConsecutiveLeaf(_Node):
    """The member's last ``count`` orders (within the window) each hold a matching dish."""

    kind: Literal["consecutive"]
    count: int = Field(ge=2, le=20)
    dish: DishMatch
    window_days: WindowDays = 60


class RecencyLeaf(_Node):
    """Days since the member's last visit (members who never came never match)."""

    kind: Literal["recency"]
    op: Op = "<="
    days: int = Field(ge=0, le=3660)


class FirstVisitLeaf(_Node):
    """The member's first visit was at most ``within_days`` days ago."""

    kind: Literal["first_visit"]
    within_days: int = Field(ge=1, le=3660)


class RateDropLeaf(_Node):
    """Visits in the last ``recent_days`` below ``ratio`` x the member's own earlier rate."""

    kind: Literal["rate_drop"]
    recent_days: WindowDays = 30
    baseline_days: WindowDays = 90
    ratio: float = Field(default=0.5, gt=0, le=1)
    min_baseline_visits: int = Field(default=4, ge=1, le=10000)


class ModifierLeaf(_Node):
    """A modifier code seen on at least ``min_count`` of the member's lines."""

    kind: Literal["modifier"]
    code: Code
    min_count: int = Field(default=3, ge=1, le=10000)
    window_days: WindowDays | None = None


class BirthdayLeaf(_Node):
    """The member's birthday is in the current month."""

    kind: Literal["birthday"]
    within: Literal["month"] = "month"


class TierLeaf(_Node):
    """The member's tier is one of ``codes``."""

    kind: Literal["tier"]
    codes: list[Code] = Field(min_length=1, max_length=20)


class DepartmentLeaf(_Node):
    """The member's department (or class) is one of ``names``."""

    kind: Literal["department"]
    names: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        min_length=1, max_length=50)


class SiteLeaf(_Node):
    """The member ordered at one of the sites (codes) within the window."""

    kind: Literal["site"]
    codes: list[Code] = Field(min_length=1, max_length=50)
    window_days: WindowDays = 90


class TagLeaf(_Node):
    """The member has the tag (segments only)."""

    kind: Literal["tag"]
    tag: Code


class ScoreLeaf(_Node):
    """A stored score compared with a value (segments only): r, f, m 1-5, churn 0-1."""

    kind: Literal["score"]
    field: Literal["r", "f", "m", "churn_probability"]
    op: Op = ">="
    value: float = Field(ge=0, le=5)


class AllNode(_Node):
    """Every item holds (AND)."""

    kind: Literal["all"]
    items: list[Node] = Field(min_length=1, max_length=20)


class AnyNode(_Node):
    """At least one item holds (OR)."""

    kind: Literal["any"]
    items: list[Node] = Field(min_length=1, max_length=20)


class NotNode(_Node):
    """The item does not hold."""

    kind: Literal["not"]
    item: Node


Leaf = (MetricLeaf | TopPercentLeaf | ConsecutiveLeaf | RecencyLeaf | FirstVisitLeaf
        | RateDropLeaf | ModifierLeaf | BirthdayLeaf | TierLeaf | DepartmentLeaf | SiteLeaf
        | TagLeaf | ScoreLeaf)
Node = Annotated[AllNode | AnyNode | NotNode | Leaf, Field(discriminator="kind")]
AllNode.model_rebuild()
AnyNode.model_rebuild()
NotNode.model_rebuild()
_NODE: TypeAdapter[Any] = TypeAdapter(Node)
SEGMENT_ONLY = ("tag", "score")
_KINDS = frozenset({"all", "any", "not", "metric", "top_percent", "consecutive", "recency",
                    "first_visit", "rate_drop", "modifier", "birthday", "tier",
                    "department", "site", "tag", "score"})


class DefinitionError(ValueError):
    """A definition refused: ``problems`` lists (field path, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{loc or 'definition'}: {why}" for loc, why in problems))


def parse(data: Any, *, for_rule: bool) -> Any:
    """Validate a definition (a dict) into a node tree, or raise DefinitionError."""
    try:
        node = _NODE.validate_python(data)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False)[:10]:
            problems.append((_json_path(e["loc"]), e["msg"]))
        raise DefinitionError(problems) from err
    problems = []
    leaves = list(_leaves(node, "", 1, problems))
    if len(leaves) > MAX_LEAVES:
        problems.append(("", f"at most {MAX_LEAVES} conditions"))
    if for_rule:
        for path, leaf in leaves:
            if leaf.kind in SEGMENT_ONLY:
                problems.append((path + "kind", f"{leaf.kind!r} is for segments, not rules"))
    if problems:
        raise DefinitionError(problems)
    return node


def _json_path(loc: tuple[Any, ...]) -> str:
    """Pydantic's error location as the JSON path, without the union tags it inserts.

    A discriminated union puts the chosen ``kind`` into the location each time it is
    entered: at the root, after ``items.<i>`` and after ``item``.
    """
    out: list[str] = []
    expect_tag = True
    for part in loc:
        if expect_tag and isinstance(part, str) and part in _KINDS:
            expect_tag = False
            continue
        expect_tag = False
        out.append(str(part))
        if part == "item" or (isinstance(part, int) and len(out) >= 2 and out[-2] == "items"):
            expect_tag = True
    return ".".join(out)


def _leaves(node: Any, path: str, depth: int, problems: list[tuple[str, str]]) -> Any:
    if depth > MAX_DEPTH:
        problems.append((path.rstrip("."), f"nested deeper than {MAX_DEPTH}"))
        return
    if isinstance(node, AllNode | AnyNode):
        for i, item in enumerate(node.items):
            yield from _leaves(item, f"{path}items.{i}.", depth + 1, problems)
    elif isinstance(node, NotNode):
        yield from _leaves(node.item, f"{path}item.", depth + 1, problems)
    else:
        yield path, node


def leaves(node: Any) -> list[Any]:
    """Every leaf of a parsed tree, depth first (NOT'ed ones included)."""
    return [leaf for _, leaf in _leaves(node, "", 1, [])]


def dump(node: Any) -> dict[str, Any]:
    """A parsed tree back to its canonical JSON dict (defaults filled in)."""
    return _NODE.dump_python(node, mode="json", exclude_none=True)
