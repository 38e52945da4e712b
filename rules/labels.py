"""Bilingual (Chinese / English) text shown to diners: one small value type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Label:
    """A text in simplified Chinese and English; receipts print both side by side."""

    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"
