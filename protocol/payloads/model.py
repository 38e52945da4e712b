"""``model.recommender`` (schema 1.1): a recommender model version for one device.

A per-device downlink, retained, so a rollout can give devices different versions. The
ONNX file travels base64-encoded beside its manifest; the device checks the file against the
manifest's size and sha256, the site and catalog, then smoke-tests it before switching.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from protocol.fields import Code, Count, Identifier, Positive, UtcDatetime, WireModel

MAX_MODEL_DISHES = 2000
MAX_MODEL_BYTES = 17 * 1024 * 1024
"""The largest ONNX file a device accepts (2,000 dishes: a 16 MB item-item matrix)."""
MODEL_FORMAT = "canteen-recommend/1"

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Weight = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]


class ModelManifest(WireModel):
    """What the file is and how to feed it (see models.recommend.bundle.Manifest)."""

    format: Literal["canteen-recommend/1"]
    version: Positive
    sha256: Sha256
    size: Annotated[int, Field(strict=True, ge=1, le=MAX_MODEL_BYTES)]
    site: Identifier
    catalog_version: Count
    created_at: UtcDatetime
    dish_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=MAX_MODEL_DISHES)
    tags: tuple[Code, ...] = Field(default=(), max_length=32)
    periods: tuple[Code, ...] = Field(min_length=1, max_length=8)
    half_life_days: Weight
    other_period_weight: Weight
    sentinel: int = -1


class RecommenderRelease(WireModel):
    """A model version: its manifest and the ONNX file, base64."""

    manifest: ModelManifest
    data_b64: Annotated[str, StringConstraints(max_length=(MAX_MODEL_BYTES * 4) // 3 + 8)]
