"""Names as a kiosk may show them: enough to recognise yourself, not enough to identify you."""

from __future__ import annotations


def _mask_word(word: str) -> str:
    if len(word) <= 1:
        return word
    if len(word) == 2:
        return word[0] + "*"
    return word[0] + "*" * (len(word) - 2) + word[-1]


def mask_name(name: str) -> str:
    """张小明 -> 张*明, 李雷 -> 李*, "Ann Lee" -> "A*n L*e"; never blank."""
    words = name.split()
    masked = " ".join(_mask_word(w) for w in words)[:80]
    return masked or "*"
