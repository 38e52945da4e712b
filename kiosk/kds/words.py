"""The few words the kitchen screens show, in Chinese and English (shown side by side or one)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "title": ("厨房显示", "Kitchen display"),
    "open": ("待做", "open"),
    "all_day": ("全部待做", "All day"),
    "bump": ("完成", "Bump"),
    "recall": ("召回", "Recall"),
    "undo": ("撤销", "Undo"),
    "lost": ("与厨房服务器断开", "Site broker lost"),
    "since": ("断开于", "since"),
    "last_msg": ("最后消息", "last message"),
    "never": ("无", "none"),
    "preparing": ("制作中", "Preparing"),
    "ready": ("请取餐", "Ready"),
    "pickup": ("取餐", "Pickup"),
}


def word(key: str, lang: str) -> str:
    """One word in ``lang`` ("zh" or "en")."""
    zh, en = WORDS[key]
    return zh if lang == "zh" else en


def both(key: str) -> str:
    """Chinese and English together, for signs the diners read."""
    zh, en = WORDS[key]
    return f"{zh} {en}"
