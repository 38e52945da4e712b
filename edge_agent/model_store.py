"""The device's recommender model: verified, smoke-tested, switched atomically, last good kept.

A ``model.recommender`` downlink is checked in this order, and any failure leaves the model
the device had in place (counted as ``refused.model``, the reason in ``meta.last_refusal``):
the site; the version (same one again: nothing to do; older: refused); the base64 payload;
the file's size (a truncated file) and sha256 (a corrupt one) against the manifest; the
catalog (a model whose dishes are mostly unknown to this device's catalog was trained for
another menu); then the file is written beside the current one under a versioned name and a
smoke inference runs on it. Only then does one store transaction point ``downlink_state``
``model`` at it, which is the switch the kiosk sees. The previous file stays on disk as the
fallback; older ones are removed.

The catalog version the model was trained for need not equal the device's: the kiosk maps
dishes by id, so a model for the same menu one price change ago still ranks it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from edge_agent.db import bump_counter
from edge_agent.errors import DownlinkRefused
from edge_agent.outbox import write_txn
from protocol.codec import parse
from protocol.errors import ProtocolError
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.model import ModelManifest, RecommenderRelease

log = logging.getLogger(__name__)

MODEL_KIND = "model"
MIN_CATALOG_OVERLAP = 0.5
"""Share of the model's dishes the device's catalog must know (else: the wrong catalog)."""


@dataclass(frozen=True)
class ActiveModel:
    """The model the kiosk should use: its file and manifest."""

    version: int
    path: Path
    manifest: ModelManifest


def model_dir(store_path: Path) -> Path:
    """Where a device keeps its model files: beside its store."""
    return store_path.parent / "models"


def read_active(conn: sqlite3.Connection) -> ActiveModel | None:
    """The switched-to model, or None (none yet, or a state row this code cannot read)."""
    row = conn.execute(
        "SELECT version, payload FROM downlink_state WHERE kind = ?", (MODEL_KIND,)
    ).fetchone()
    if row is None:
        return None
    try:
        state = json.loads(row[1])
        return ActiveModel(int(row[0]), Path(state["path"]),
                           ModelManifest.model_validate(state["manifest"]))
    except (ValueError, KeyError, TypeError, ValidationError):
        log.warning("unreadable model state row; treated as no model")
        return None


def smoke_test(path: Path, manifest: ModelManifest) -> None:
    """Load the file with onnxruntime and run two inferences; ValueError says what failed."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as err:
        raise ValueError(f"onnxruntime is not installed: {err}") from err
    n = len(manifest.dish_ids)
    try:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        sess = ort.InferenceSession(str(path), sess_options=opts,
                                    providers=["CPUExecutionProvider"])
        shapes = {i.name: i.shape for i in sess.get_inputs()}
        if shapes.get("history") != [1, n] or "context" not in shapes:
            raise ValueError(f"inputs {shapes} do not match the manifest's {n} dishes")
        c = int(shapes["context"][1])
        ctx = np.zeros((1, c), np.float32)
        ctx[0, 0] = 1.0
        k = min(5, n)
        feed = {"history": np.zeros((1, n), np.float32), "context": ctx,
                "mask": np.zeros((1, n), bool), "k": np.array([k], np.int64)}
        idx, val = sess.run(["indices", "scores"], feed)
        if idx.shape != (1, k) or not ((idx >= 0) & (idx < n)).all() or not np.isfinite(val).all():
            raise ValueError("smoke inference gave no valid ranking")
        idx, _ = sess.run(["indices", "scores"], {**feed, "mask": np.ones((1, n), bool)})
        if not (idx == manifest.sentinel).all():
            raise ValueError("smoke inference let an excluded dish through")
    except ValueError:
        raise
    except Exception as err:  # onnxruntime raises its own types for a bad graph
        raise ValueError(f"cannot run the model: {type(err).__name__}: {err}") from err


class ModelStore:
    """Applies model downlinks to one device's store and model folder."""

    def __init__(self, conn: sqlite3.Connection, directory: Path, *, site_id: str) -> None:
        self.conn, self.directory, self.site_id = conn, directory, site_id

    def handle(self, topic: str, raw: bytes) -> str:
        """Parse and apply one message; DownlinkRefused (counted, logged) when refused."""
        try:
            try:
                env = parse(raw, topic=topic)
                release = env.payload_as(RecommenderRelease)
            except ProtocolError as err:
                raise DownlinkRefused(MODEL_KIND, str(err)) from err
            if env.site != self.site_id:
                raise DownlinkRefused(
                    MODEL_KIND, f"for site {env.site!r}, this device is on {self.site_id!r}")
            return self.apply(release)
        except DownlinkRefused as err:
            self._refused(err.reason)
            raise

    def _refused(self, reason: str) -> None:
        log.warning("model refused, last good kept: %s", reason)
        with write_txn(self.conn):
            bump_counter(self.conn, f"refused.{MODEL_KIND}")
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('last_refusal', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"{MODEL_KIND}: {reason}"[:200],),
            )

    def _catalog_dishes(self) -> set[str] | None:
        row = self.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'catalog'").fetchone()
        if row is None:
            return None
        return {d.id for d in CatalogSnapshot.model_validate_json(row[0]).dishes}

    def apply(self, release: RecommenderRelease) -> str:
        """Verify, store, smoke-test and switch to ``release``: "applied" or "unchanged"."""
        m = release.manifest
        if m.site != self.site_id:
            raise DownlinkRefused(MODEL_KIND, f"model for site {m.site!r}, not {self.site_id!r}")
        current = read_active(self.conn)
        if current is not None:
            if m.version == current.version and m.sha256 == current.manifest.sha256:
                return "unchanged"  # the retained copy again after a reconnect
            if m.version <= current.version:
                raise DownlinkRefused(MODEL_KIND, f"version {m.version} is not newer than"
                                                  f" {current.version} on the device")
        try:
            data = base64.b64decode(release.data_b64, validate=True)
        except (binascii.Error, ValueError) as err:
            raise DownlinkRefused(MODEL_KIND, f"corrupt: not base64 ({err})") from err
        if len(data) != m.size:
            raise DownlinkRefused(MODEL_KIND, f"truncated or padded: {len(data)} bytes,"
                                              f" the manifest says {m.size}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != m.sha256:
            raise DownlinkRefused(MODEL_KIND, f"corrupt: sha256 {digest[:12]}… is not the"
                                              f" manifest's {m.sha256[:12]}…")
        known = self._catalog_dishes()
        if known is not None:
            share = sum(d in known for d in m.dish_ids) / len(m.dish_ids)
            if share < MIN_CATALOG_OVERLAP:
                raise DownlinkRefused(MODEL_KIND, f"wrong catalog: only {share:.0%} of the"
                                                  " model's dishes are in this device's menu")
        path = self._write(m.version, data)
        try:
            smoke_test(path, m)
        except ValueError as err:
            path.unlink(missing_ok=True)
            raise DownlinkRefused(MODEL_KIND, f"smoke test failed: {err}") from err
        state = json.dumps({"path": str(path), "manifest": m.model_dump(mode="json")})
        with write_txn(self.conn):  # the switch: one row, one transaction
            self.conn.execute(
                "INSERT INTO downlink_state (kind, version, payload, applied_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(kind) DO UPDATE SET version = excluded.version,"
                " payload = excluded.payload, applied_at = excluded.applied_at",
                (MODEL_KIND, m.version, state, time.time()))
            bump_counter(self.conn, f"applied.{MODEL_KIND}")
        self._prune(keep={path, current.path if current else path})
        log.info("recommender model version %d switched in (%d bytes)", m.version, len(data))
        return "applied"

    def _write(self, version: int, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"recommend-v{version}.onnx"
        part = final.with_suffix(".onnx.part")
        with part.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, final)
        return final

    def _prune(self, keep: set[Path]) -> None:
        for old in self.directory.glob("recommend-v*.onnx*"):
            if old not in keep:
                old.unlink(missing_ok=True)
