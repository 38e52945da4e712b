"""Face ID: the camera preview, what to do now, and "Is this you?" before anything is paid.

One screen for both face steps (identify and enrolment); the presenter fills it from the
``FaceController`` state (``render_face``). The preview is a texture made in memory from
the controller's small frame; it is never written anywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.controllers.face_texts import T
from kiosk.screens.base import KioskScreen


class FaceScreen(KioskScreen):
    """Buttons: yes / not me (confirm), agree / no (consent), back, try again."""

    title = StringProperty("")
    prompt = StringProperty("")
    problem = StringProperty("")
    candidate = StringProperty("")
    phase = StringProperty("idle")
    yes_text = StringProperty("")
    not_me_text = StringProperty("")
    accept_text = StringProperty("")
    decline_text = StringProperty("")
    back_text = StringProperty("")
    retry_text = StringProperty("")
    consent = BooleanProperty(False)
    enrol = BooleanProperty(False)
    preview = ObjectProperty(None, allownone=True)

    def on_leave(self, *args: Any) -> None:
        """Leaving the screen drops the preview and the face state (privacy)."""
        self.preview = None
        journey = self.journey
        if journey is not None and str(journey.state.step) not in ("face", "face_enrol"):
            journey.face.clear()

    def confirm(self) -> None:
        """"Yes, that's me"."""
        self.journey.face_confirm()

    def not_me(self) -> None:
        """Back to QR / card."""
        self.journey.face_not_me()

    def accept(self) -> None:
        """Consent accepted."""
        self.journey.face_accept_consent()

    def decline(self) -> None:
        """Consent declined."""
        self.journey.face_decline()

    def retry(self) -> None:
        """Try the face step again."""
        self.journey.face_retry()

    def done(self) -> None:
        """Close after enrolment."""
        self.journey.face_enrol_done()


def preview_texture(rgb: np.ndarray | None, old: Texture | None) -> Texture | None:
    """The preview frame as a texture, mirrored like a mirror (what diners expect)."""
    if rgb is None:
        return None
    h, w = rgb.shape[:2]
    tex = old if old is not None and tuple(old.size) == (w, h) else \
        Texture.create(size=(w, h), colorfmt="rgb")
    # Kivy's textures start at the bottom row; flip vertically, mirror horizontally.
    tex.blit_buffer(np.ascontiguousarray(rgb[::-1, ::-1]).tobytes(), colorfmt="rgb",
                    bufferfmt="ubyte")
    return tex


def render_face(screen: FaceScreen, state: Any, lang: str) -> None:
    """Fill the face screen from a ``FaceState``."""
    screen.title = (T["title_enrol"] if state.mode == "enrol" else T["title_identify"]
                    ).in_lang(lang)
    screen.prompt = state.prompt.in_lang(lang) if state.prompt else ""
    screen.problem = state.problem.in_lang(lang) if state.problem else ""
    screen.candidate = state.candidate.in_lang(lang) if state.candidate else ""
    screen.phase = state.phase
    screen.consent = state.phase == "consent"
    screen.enrol = state.mode == "enrol"
    screen.yes_text = T["yes"].in_lang(lang)
    screen.not_me_text = T["not_me"].in_lang(lang)
    screen.accept_text = T["accept"].in_lang(lang)
    screen.decline_text = T["decline"].in_lang(lang)
    screen.back_text = T["back"].in_lang(lang)
    screen.retry_text = T["try_again"].in_lang(lang)
    screen.preview = preview_texture(state.preview, screen.preview)
