"""UUIDv7 message ids: valid, unique, strictly increasing, and their time can be read back."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from protocol import is_uuid7, new_message_id, new_order_id, uuid7_time


def test_ids_are_canonical_uuid7() -> None:
    value = new_message_id()
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == value
    assert is_uuid7(value) and is_uuid7(new_order_id())


def test_ids_increase_strictly_even_within_one_millisecond() -> None:
    ids = [new_message_id() for _ in range(20_000)]  # far more than one per millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_from_many_threads_are_unique() -> None:
    results: list[list[str]] = [[] for _ in range(4)]

    def work(out: list[str]) -> None:
        out.extend(new_message_id() for _ in range(2000))

    threads = [threading.Thread(target=work, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for r in results for i in r]
    assert len(set(every)) == len(every)
    for r in results:
        assert r == sorted(r)


def test_the_time_reads_back() -> None:
    before = datetime.now(UTC)
    value = new_message_id()
    after = datetime.now(UTC)
    stamp = uuid7_time(value)
    assert stamp.tzinfo is UTC
    # ms precision; the counter may borrow a few ms ahead under heavy load
    assert before - timedelta(milliseconds=1) <= stamp <= after + timedelta(milliseconds=50)


def test_a_known_id_reads_back_its_time() -> None:
    # the first 48 bits, 0x01956c2e8f3a, are 1_741_276_745_530 ms since the epoch
    assert uuid7_time("01956c2e-8f3a-7b21-9c4d-2f1e0a9b8c7d") == datetime(
        2025, 3, 6, 15, 59, 5, 530000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        # A fixed v4 id: a fresh one per collection differs between xdist workers.
        "45943217-9525-4feb-94e6-9ea789ae6913",
        "01956C2E-8F3A-7B21-9C4D-2F1E0A9B8C7D",
        "01956c2e8f3a7b219c4d2f1e0a9b8c7d",
        "01956c2e-8f3a-7b21-1c4d-2f1e0a9b8c7d",  # wrong variant
        "",
        None,
        42,
    ],
)
def test_non_uuid7_values_are_told_apart(value: object) -> None:
    assert not is_uuid7(value)
    if isinstance(value, str):
        with pytest.raises(ValueError, match="UUIDv7"):
            uuid7_time(value)
