"""docs/protocol.md cannot drift: every JSON example parses with the real parser on its topic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from protocol import REGISTRY, encode, parse

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_BLOCK_RE = re.compile(r"^Topic: `([^`]+)`\n\n```json\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK_RE.finditer(DOC.read_text("utf-8"))]


def test_every_json_block_has_a_topic_line() -> None:
    assert len(_examples()) == DOC.read_text("utf-8").count("```json")


def test_every_registered_type_has_an_example() -> None:
    documented = {parse(body.encode()).type for _, body in _examples()}
    assert documented == set(REGISTRY)


@pytest.mark.parametrize(("topic", "body"), _examples(), ids=lambda v: v[:60])
def test_example_parses_on_its_topic(topic: str, body: str) -> None:
    env = parse(body.encode("utf-8"), topic=topic)
    assert env.topic(topic.split("/")[5] if "/device/" in topic else None) == topic
    assert parse(encode(env)) == env


def test_pre_decode_size_limit_is_the_one_the_parser_applies() -> None:
    """The too_large row names MAX_MESSAGE_BYTES (in MiB), and no other pre-decode figure."""
    from protocol import MAX_MESSAGE_BYTES

    row = next(line for line in DOC.read_text("utf-8").splitlines() if "`too_large`" in line)
    assert f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MiB" in row
    sizes = re.findall(r"(\d+) MiB", row)
    assert sizes == [str(MAX_MESSAGE_BYTES // (1024 * 1024))], row
