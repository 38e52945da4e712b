"""Face-ID on the kiosk: the models, the site's templates as one matrix, sealing enrolments.

Everything runs on the device, offline. The templates come sealed from the member cache
(``edge_agent.face_store``) and are opened into memory only, with a key derived from the
site key file; a template that does not open (corrupt, wrong site) is skipped and
counted, never fatal. A missing or corrupt model file makes face-ID unavailable with a
clear message: QR and card keep working because nothing else depends on this service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from edge_agent import face_store
from edge_agent.store import DeviceStore
from kiosk.services.errors import KioskError
from models.face.matcher import MATCH_THRESHOLD, Match, TemplateIndex
from models.face.quality import FrameCheck, check_frame
from models.face.types import DetectedFace, FaceModelError, FacePipeline
from protocol.face import (
    FACE_CONSENT_VERSION,
    FaceEnrolled,
    FaceTemplate,
    TemplateError,
    open_template,
    seal_template,
)
from protocol.ids import new_message_id
from protocol.member_cache import CachedMember
from protocol.tokens import identifier_hash

log = logging.getLogger(__name__)

ENROL_CONSISTENCY = 0.35
"""Enrolment frames must agree: every frame within this distance of their mean."""


class FaceUnavailable(KioskError):
    """Face-ID cannot run on this kiosk now (models, site key); QR and card still work."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"face-ID unavailable: {reason}")
        self.reason = reason


def _default_loader() -> FacePipeline:
    from models.face.dlib_models import default_pipeline

    return default_pipeline()


@dataclass(frozen=True)
class LoadedTemplates:
    """The site's templates in memory, and how many were refused."""

    index: TemplateIndex
    skipped: int
    version: int | None


class FaceService:
    """The kiosk's face pipeline, template index and enrolment uplink."""

    def __init__(self, store: DeviceStore, site_key: bytes | None, *,
                 loader: Callable[[], FacePipeline] = _default_loader,
                 threshold: float = MATCH_THRESHOLD) -> None:
        """Nothing loads until first used (the models take about half a second)."""
        self.store = store
        self.site_key = site_key
        self.loader = loader
        self.threshold = threshold
        self._pipeline: FacePipeline | None = None
        self._templates: LoadedTemplates | None = None

    # ---- models ------------------------------------------------------------------------

    def pipeline(self) -> FacePipeline:
        """The loaded pipeline; FaceUnavailable when a model file is missing or corrupt."""
        if self._pipeline is None:
            try:
                self._pipeline = self.loader()
            except FaceModelError as err:
                log.error("face-ID off: %s", err)
                raise FaceUnavailable("model") from err
        return self._pipeline

    def _key(self) -> bytes:
        if self.site_key is None:
            raise FaceUnavailable("site key")
        return self.site_key

    # ---- templates ---------------------------------------------------------------------

    def templates(self) -> LoadedTemplates:
        """The site's templates, reloaded whenever the member cache version moved."""
        version = self.store.versions().get("members")
        if self._templates is not None and self._templates.version == version:
            return self._templates
        key = self._key()
        model = self.pipeline().model
        keys: list[str] = []
        rows: list[Sequence[float]] = []
        skipped = 0
        for t in face_store.load_templates(self.store.conn, model):
            try:
                rows.append(open_template(t.sealed, site_key=key, member_id=t.member_id,
                                          template_id=t.template_id))
                keys.append(t.member_id)
            except TemplateError as err:
                skipped += 1
                log.warning("face template of %s skipped: %s", t.member_id, err)
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1) if rows else \
            np.zeros((0, 128), dtype=np.float32)
        self._templates = LoadedTemplates(TemplateIndex(keys, matrix), skipped, version)
        log.info("face templates loaded: %d (%d skipped)", len(keys), skipped)
        return self._templates

    def ready(self) -> bool:
        """Whether face-ID can identify anyone here now (models load, templates exist)."""
        try:
            return len(self.templates().index) > 0
        except FaceUnavailable:
            return False

    # ---- frames ------------------------------------------------------------------------

    def check(self, rgb: np.ndarray, *, frontal: bool = True) -> FrameCheck:
        """The usable face of a frame, or why there is none."""
        return check_frame(self.pipeline(), rgb, frontal=frontal)

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The template vector of a checked face."""
        return self.pipeline().embed(rgb, face)

    def match(self, vector: np.ndarray) -> Match:
        """The site's member nearest this vector, if near and unambiguous enough."""
        return self.templates().index.match(vector, threshold=self.threshold)

    def member(self, member_id: str) -> CachedMember | None:
        """The cached member of a matched member id."""
        return self.store.lookup_member(identifier_hash("member", member_id, self._key()))

    # ---- enrolment ---------------------------------------------------------------------

    def enrol(self, member: CachedMember, vectors: Sequence[np.ndarray], *, lang: str,
              consented_at: datetime) -> str:
        """Seal the mean of the frames' vectors and queue it for the hub; the message id.

        Only numbers leave this method: the frames were never stored.
        """
        stacked = np.asarray(vectors, dtype=np.float32)
        mean = stacked.mean(axis=0)
        spread = float(np.linalg.norm(stacked - mean, axis=1).max())
        if spread > ENROL_CONSISTENCY:
            raise EnrolmentInconsistent(spread)
        template_id = new_message_id()
        sealed = seal_template(mean.tolist(), site_key=self._key(), member_id=member.member_id,
                               template_id=template_id)
        enrolment = FaceEnrolled(
            member_id=member.member_id,
            template=FaceTemplate(template_id=template_id, model=self.pipeline().model,
                                  sealed=sealed),
            consent_version=FACE_CONSENT_VERSION,
            consent_lang="zh_Hans" if lang == "zh_Hans" else "en",
            consented_at=consented_at, frames=len(vectors))
        return face_store.record_enrolment(self.store.conn, enrolment, site=self.store.site_id,
                                           device=self.store.device_id, now=consented_at)


class EnrolmentInconsistent(KioskError):
    """The enrolment frames did not show one face consistently: nothing was sent."""

    def __init__(self, spread: float) -> None:
        super().__init__(f"enrolment frames disagree (spread {spread:.2f})")
        self.spread = spread
