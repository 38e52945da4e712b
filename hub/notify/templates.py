"""Notification templates: per kind, per language (zh, en), a subject, a body and a short
greeting (what the kiosk shows, at most 200 characters).

A template names its parameters as ``{name}``; rendering checks that every parameter it
uses was given (and nothing it does not know), so a bad call is refused at enqueue with
the kind and the parameter, never sent half-filled.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from hub.errors import InvalidInputError

LANGUAGES = ("zh", "en")
MAX_SHORT = 200
MAX_SUBJECT = 200
MAX_BODY = 2000


class TemplateError(InvalidInputError):
    """An unknown kind or language, or parameters that do not fit the kind's template."""


@dataclass(frozen=True)
class Text:
    """One language's subject, body and short greeting."""

    subject: str
    body: str
    short: str


@dataclass(frozen=True)
class Kind:
    """A kind of notification: marketing or service, its parameters, its texts."""

    code: str
    marketing: bool
    params: tuple[str, ...]
    texts: Mapping[str, Text]


@dataclass(frozen=True)
class Rendered:
    """A template filled in for one language."""

    subject: str
    body: str
    short: str


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("birthday", True, ("name",), {
        "zh": Text("生日快乐，{name}！",
                   "{name}，您好！\n\n祝您生日快乐！本周来食堂用餐，我们为您准备了一份小礼物。\n\n"
                   "—— 您的食堂",
                   "生日快乐，{name}！本周来用餐有小礼物。"),
        "en": Text("Happy birthday, {name}!",
                   "Dear {name},\n\nHappy birthday! Come and eat with us this week: a small "
                   "gift is waiting for you.\n\n-- Your canteen",
                   "Happy birthday, {name}! A small gift awaits you this week."),
    }),
    Kind("winback", True, ("name",), {
        "zh": Text("{name}，好久不见",
                   "{name}，您好！\n\n好久没在食堂见到您了，我们很想念您。最近新上了几道菜，"
                   "欢迎回来尝尝。\n\n—— 您的食堂",
                   "好久不见，{name}！欢迎回来尝尝新菜。"),
        "en": Text("We have missed you, {name}",
                   "Dear {name},\n\nWe have not seen you at the canteen for a while and we "
                   "miss you. There are new dishes on the menu: come back and try them.\n\n"
                   "-- Your canteen",
                   "We have missed you, {name}! Come and try the new dishes."),
    }),
    Kind("complaint_resolved", False, ("name", "case_id", "resolution"), {
        "zh": Text("您的反馈（编号 {case_id}）已处理",
                   "{name}，您好！\n\n您反馈的问题（编号 {case_id}）已经处理：\n{resolution}\n\n"
                   "感谢您帮助我们改进。\n\n—— 您的食堂",
                   "您的反馈（编号 {case_id}）已处理，感谢您！"),
        "en": Text("Your feedback (case {case_id}) has been resolved",
                   "Dear {name},\n\nThe problem you told us about (case {case_id}) has been "
                   "resolved:\n{resolution}\n\nThank you for helping us improve.\n\n"
                   "-- Your canteen",
                   "Your feedback (case {case_id}) has been resolved. Thank you!"),
    }),
    Kind("booking_reminder", False, ("name", "day", "meal", "site"), {
        "zh": Text("提醒：{day} {meal} 已预订",
                   "{name}，您好！\n\n提醒您：您已预订 {day} 在{site}的{meal}。"
                   "如不能前来，请在截止时间前取消。\n\n—— 您的食堂",
                   "提醒：您已预订 {day} {meal}。"),
        "en": Text("Reminder: {meal} booked for {day}",
                   "Dear {name},\n\nA reminder: you have booked {meal} on {day} at {site}. "
                   "If you cannot come, please cancel before the cut-off.\n\n-- Your canteen",
                   "Reminder: you booked {meal} on {day}."),
    }),
    Kind("low_balance", False, ("name", "balance"), {
        "zh": Text("余额不足提醒",
                   "{name}，您好！\n\n您的储值余额只剩 ¥{balance}，请及时充值，以免影响用餐。"
                   "\n\n—— 您的食堂",
                   "余额只剩 ¥{balance}，请及时充值。"),
        "en": Text("Your balance is low",
                   "Dear {name},\n\nYour stored balance is down to ¥{balance}. Please top up "
                   "so that paying for your meals is not interrupted.\n\n-- Your canteen",
                   "Your balance is down to ¥{balance}: please top up."),
    }),
)}


def kind_of(code: str) -> Kind:
    """The kind, or TemplateError naming the known kinds."""
    kind = KINDS.get(code)
    if kind is None:
        raise TemplateError(f"unknown notification kind {code!r}; known: {', '.join(KINDS)}",
                            field="kind")
    return kind


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_templates() -> None:
    """Every kind has both languages and uses exactly its declared parameters (a test and
    the module's import check this, so a broken template never reaches a dispatcher)."""
    for kind in KINDS.values():
        missing = [lang for lang in LANGUAGES if lang not in kind.texts]
        if missing:
            raise TemplateError(f"template {kind.code!r} lacks language(s) {missing}")
        for lang, text in kind.texts.items():
            for part in (text.subject, text.body, text.short):
                unknown = _fields(part) - set(kind.params)
                if unknown:
                    raise TemplateError(f"template {kind.code!r} ({lang}) uses undeclared "
                                        f"parameter(s) {sorted(unknown)}")


def render(code: str, language: str, params: Mapping[str, object]) -> Rendered:
    """The kind's texts in ``language`` filled with ``params``; TemplateError when the kind
    or language is unknown, a parameter is missing or empty, or one is not the kind's."""
    kind = kind_of(code)
    if language not in LANGUAGES:
        raise TemplateError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}",
                            field="language")
    missing = [p for p in kind.params if str(params.get(p, "")).strip() == ""]
    if missing:
        raise TemplateError(f"{code}: missing parameter(s) {', '.join(missing)}",
                            field="params")
    extra = sorted(set(params) - set(kind.params))
    if extra:
        raise TemplateError(f"{code}: unknown parameter(s) {', '.join(extra)}; it takes "
                            f"{', '.join(kind.params)}", field="params")
    values = {p: str(params[p]).strip() for p in kind.params}
    text = kind.texts[language]
    subject = text.subject.format_map(values)[:MAX_SUBJECT]
    body = text.body.format_map(values)[:MAX_BODY]
    short = text.short.format_map(values)[:MAX_SHORT]
    return Rendered(subject=subject, body=body, short=short)


check_templates()
