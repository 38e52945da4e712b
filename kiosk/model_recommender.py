"""The ONNX recommender on the kiosk: the agent's switched-in model, popularity as fallback.

The model file is the one the edge agent verified, smoke-tested and switched to
(edge_agent.model_store). It is loaded on first use and again only when the switched-in
version changes; a file that fails to load (or to match its manifest's sha256) is logged,
never retried for that version, and the kiosk keeps the model it had or, with none, the
popularity ranking. The member's history is this device's own orders of that member.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from edge_agent.model_store import read_active
from edge_agent.store import DeviceStore
from kiosk.recommend import (
    PopularityRecommender,
    Reason,
    RecommendContext,
    popular_here,
)
from models.recommend.data import EPOCH, period_index
from models.recommend.features import context_vector, history_vector
from models.recommend.onnx_graph import OnnxRecommender
from protocol.payloads.catalog import Dish
from protocol.payloads.model import ModelManifest

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500  # a member's latest order lines considered (months of canteen lunches)
OFTEN = 2  # "because you often order X": at least this many orders of X


@dataclass(frozen=True)
class _Loaded:
    version: int
    runner: OnnxRecommender
    manifest: ModelManifest
    index: dict[str, int]


def _days(at: datetime, tz: ZoneInfo) -> float:
    local = at.astimezone(tz)
    return (local.date() - EPOCH).days + (local.hour * 3600 + local.minute * 60
                                          + local.second) / 86400


class ModelRecommender:
    """Ranks with the ONNX model when one is switched in, else with ``fallback``."""

    def __init__(self, store: DeviceStore, fallback: PopularityRecommender, timezone: str) -> None:
        """``store``: the device store the agent writes the model state into."""
        self.store, self.fallback, self.tz = store, fallback, ZoneInfo(timezone)
        self._loaded: _Loaded | None = None
        self._failed: set[int] = set()
        self._counts: Counter[str] = Counter()
        self._used_model = False

    @property
    def model_version(self) -> int | None:
        """Version of the model in use, None while on the popularity fallback."""
        return None if self._loaded is None else self._loaded.version

    def _model(self) -> _Loaded | None:
        active = read_active(self.store.conn)
        if active is None or active.version in self._failed:
            return self._loaded
        if self._loaded is not None and self._loaded.version == active.version:
            return self._loaded
        try:
            data = active.path.read_bytes()
            if hashlib.sha256(data).hexdigest() != active.manifest.sha256:
                raise ValueError("the file on disk no longer matches its sha256")
            runner = OnnxRecommender.load(data)
            if runner.n != len(active.manifest.dish_ids):
                raise ValueError("the graph's dish count differs from its manifest")
        except Exception as err:  # any load failure: keep what we had, never crash the menu
            log.warning("recommender model v%d not loaded (%s); keeping %s", active.version,
                        err, "the previous model" if self._loaded else "popularity")
            self._failed.add(active.version)
            return self._loaded
        self._loaded = _Loaded(active.version, runner, active.manifest,
                               {d: i for i, d in enumerate(active.manifest.dish_ids)})
        log.info("recommender model v%d in use", active.version)
        return self._loaded

    def _history(self, member_id: str) -> list[tuple[float, int, str]]:
        rows = self.store.conn.execute(
            "SELECT o.placed_at, json_extract(o.payload, '$.meal_period'),"
            " json_extract(l.value, '$.dish_id')"
            " FROM orders o, json_each(o.payload, '$.lines') l WHERE o.member_id = ?"
            " ORDER BY o.placed_at DESC LIMIT ?", (member_id, HISTORY_LIMIT))
        return [(_days(datetime.fromisoformat(at), self.tz), period_index(str(p or "")), str(d))
                for at, p, d in rows]

    def rank(self, context: RecommendContext, candidates: Sequence[Dish]) -> list[str]:
        """Candidates by the model's scores; those it cannot score follow by popularity."""
        self._used_model = False
        self._counts = Counter()
        loaded = self._model()
        if loaded is None or not candidates:
            return self.fallback.rank(context, candidates)
        m = loaded.manifest
        n = len(m.dish_ids)
        events = self._history(context.member_id) if context.member_id else []
        self._counts = Counter(d for _t, _p, d in events)
        period = period_index(context.meal_period)
        history = history_vector(
            ((t, p, loaded.index.get(d, -1)) for t, p, d in events),
            now=_days(context.now, self.tz), period=period, n=n,
            half_life_days=m.half_life_days, other_period_weight=m.other_period_weight)
        prefs = set(context.preferences)
        if "no_spice" in prefs:
            prefs.add("light")  # the profile's "no spice" nudges towards light dishes
        ctx = context_vector(period, context.weekday, sorted(prefs), m.tags)
        mask = np.ones((1, n), bool)
        known = [loaded.index[d.id] for d in candidates if d.id in loaded.index]
        mask[0, known] = False
        try:
            idx, _ = loaded.runner.top_k(history, ctx, mask, len(known))
        except Exception as err:  # a model that loaded but fails on this input
            log.warning("recommender model v%d failed (%s); popularity used", loaded.version,
                        err)
            return self.fallback.rank(context, candidates)
        self._used_model = True
        ranked = [m.dish_ids[i] for i in idx[0] if i >= 0]
        seen = set(ranked)
        rest = [d for d in self.fallback.rank(context, candidates) if d not in seen]
        seen.update(rest)
        return ranked + rest + [d.id for d in candidates if d.id not in seen]

    def explain(self, context: RecommendContext, chosen: Sequence[Dish]) -> Reason | None:
        """Why the row holds what it holds, from the last :meth:`rank`."""
        if not chosen:
            return None
        if not self._used_model:
            return self.fallback.explain(context, chosen)
        for dish in chosen[:3]:
            if self._counts.get(dish.id, 0) >= OFTEN:
                return Reason(f"因为你常点{dish.name_zh}",
                              f"Because you often order {dish.name_en}")
        if context.member_id and self._counts:
            return Reason("根据你的口味推荐", "Picked for your taste")
        return popular_here(context)
