"""A model version as shipped: the ONNX bytes and a manifest (version, sha256, input layout).

The manifest is what a device checks before it loads anything: the sha256 of the file, the
site and catalog the model was trained for, and the dish index the graph's columns follow.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.recommend.data import PERIODS
from models.recommend.model import SENTINEL, RecommendModel
from models.recommend.onnx_graph import INPUTS, OUTPUTS, to_bytes

FORMAT = "canteen-recommend/1"


class BadManifest(ValueError):
    """A manifest that is not JSON, not ours, or inconsistent with itself."""


@dataclass(frozen=True)
class Manifest:
    """What a model file is and how to feed it."""

    version: int
    sha256: str
    size: int
    site: str
    catalog_version: int
    created_at: str
    dish_ids: tuple[str, ...]
    tags: tuple[str, ...]
    half_life_days: float
    other_period_weight: float
    periods: tuple[str, ...] = PERIODS
    inputs: dict[str, list[Any]] = field(default_factory=dict)
    outputs: dict[str, list[Any]] = field(default_factory=dict)
    sentinel: int = SENTINEL
    metrics: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> str:
        """Canonical JSON (sorted keys)."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        """Parse and check a manifest; BadManifest with the reason."""
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise BadManifest(f"not a {FORMAT} manifest")
            m = cls(**{**raw, "dish_ids": tuple(raw["dish_ids"]), "tags": tuple(raw["tags"]),
                       "periods": tuple(raw.get("periods", PERIODS))})
        except (ValueError, TypeError, KeyError) as err:
            raise BadManifest(f"unreadable manifest: {err}") from err
        if not isinstance(m.version, int) or m.version < 1:
            raise BadManifest("version must be a positive integer")
        if len(m.sha256) != 64 or not isinstance(m.size, int) or m.size < 1:
            raise BadManifest("sha256 and size must describe the file")
        if len(set(m.dish_ids)) != len(m.dish_ids) or not m.dish_ids:
            raise BadManifest("dish ids must be present and unique")
        return m


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of the model file."""
    return hashlib.sha256(data).hexdigest()


def make_bundle(
    model: RecommendModel, *, version: int, site: str, metrics: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> tuple[bytes, Manifest]:
    """The ONNX file of ``model`` and its manifest."""
    data = to_bytes(model, version=version)
    n, c = model.n, model.context_table.shape[0]
    manifest = Manifest(
        version=version, sha256=sha256_hex(data), size=len(data), site=site,
        catalog_version=model.catalog_version,
        created_at=(created_at or datetime.now(UTC)).isoformat(),
        dish_ids=model.dish_ids, tags=model.tags, half_life_days=model.half_life_days,
        other_period_weight=model.other_period_weight,
        inputs={"history": ["float32", 1, n], "context": ["float32", 1, c],
                "mask": ["bool", 1, n], "k": ["int64", 1]},
        outputs={"indices": ["int64", 1, "min(k, n)"], "scores": ["float32", 1, "min(k, n)"]},
        metrics=dict(metrics or {}),
    )
    assert tuple(manifest.inputs) == INPUTS and tuple(manifest.outputs) == OUTPUTS
    return data, manifest
