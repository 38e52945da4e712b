"""1:N matching against a site's enrolled templates as one matrix product.

Distances are Euclidean, as dlib's embedding was trained for:
``|q - t|^2 = |q|^2 + |t|^2 - 2 q.t``, so all N distances come from one (N x 128) @ (128)
product plus precomputed norms. ``bench/face_match.py`` compares it with a Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MATCH_THRESHOLD = 0.45
"""Accept at or below this distance (docs/face-id.md: chosen from measured FAR/FRR;
dlib's LFW operating point is 0.6, this is stricter because a match pays)."""

MATCH_MARGIN = 0.05
"""The runner-up (another member) must be at least this much further: else ambiguous."""


@dataclass(frozen=True, slots=True)
class Match:
    """The best candidate and how sure the matcher is."""

    key: str | None  # the matched key (a member id), None when refused
    distance: float
    runner_up: float
    reason: str | None = None  # "no_templates", "too_far", "ambiguous"

    @property
    def accepted(self) -> bool:
        """A member was matched."""
        return self.key is not None


class TemplateIndex:
    """The enrolled templates of one site, ready for matching."""

    def __init__(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """``vectors``: (N, dim) float32, row i belongs to ``keys[i]``."""
        if vectors.ndim != 2 or len(keys) != vectors.shape[0]:
            raise ValueError("one vector row per key")
        self.keys = list(keys)
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self.norms = np.einsum("ij,ij->i", self.matrix, self.matrix)

    @classmethod
    def empty(cls, dim: int = 128) -> TemplateIndex:
        """No templates."""
        return cls([], np.zeros((0, dim), dtype=np.float32))

    def __len__(self) -> int:
        """Number of templates."""
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        """Memory held by the matrix and norms."""
        return int(self.matrix.nbytes + self.norms.nbytes)

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Distance from ``query`` to every template (one matrix-vector product)."""
        q = np.asarray(query, dtype=np.float32)
        sq = self.norms + float(q @ q) - 2.0 * (self.matrix @ q)
        return np.sqrt(np.maximum(sq, 0.0))

    def match(self, query: np.ndarray, *, threshold: float = MATCH_THRESHOLD,
              margin: float = MATCH_MARGIN) -> Match:
        """The one member within ``threshold`` and clearly nearer than any other."""
        if not self.keys:
            return Match(None, float("inf"), float("inf"), "no_templates")
        d = self.distances(query)
        best = int(np.argmin(d))
        best_d = float(d[best])
        others = d[[i for i, k in enumerate(self.keys) if k != self.keys[best]]] \
            if len(set(self.keys)) > 1 else np.array([np.inf])
        runner = float(others.min()) if others.size else float("inf")
        if best_d > threshold:
            return Match(None, best_d, runner, "too_far")
        if runner - best_d < margin:
            return Match(None, best_d, runner, "ambiguous")
        return Match(self.keys[best], best_d, runner)


def match_loop(keys: Sequence[str], vectors: Sequence[np.ndarray], query: np.ndarray
               ) -> tuple[str | None, float]:
    """The baseline: nearest template by a Python loop (bench only)."""
    best_key, best_d = None, float("inf")
    for key, vec in zip(keys, vectors, strict=True):
        d = float(np.linalg.norm(vec - query))
        if d < best_d:
            best_key, best_d = key, d
    return best_key, best_d
