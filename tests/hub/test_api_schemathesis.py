"""Schemathesis over the whole hub API: no operation answers 500, every answer is documented.

A bounded, reproducible run (Hypothesis derandomized, a fixed number of examples): every
operation of the OpenAPI document, with valid and invalid input, as an admin; then
sequences of calls that feed one response's ids into the next request (stateful). Both run
on SQLite and on PostgreSQL, whose integers and text refuse what SQLite silently takes.
A new route that answers 500, or answers a status or a body its documentation does not
promise, fails here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.models.users import Role
from tests.support.hub_db import RowsSnapshot

EXAMPLES_PER_OPERATION = 20
SHARDS = 4
"""The operations are run in four interleaved shards: separate tests pytest-xdist can run in
parallel (the whole API on PostgreSQL is the suite's longest single test otherwise)."""
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 8

# Invalid input (negative mode) is sent too, and must get a documented 4xx, never a 500.
# `negative_data_rejection` is left out: the API takes JSON the way pydantic's lax mode
# does (false for 0, "12" for 12), which that check counts as accepting invalid data.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Operations that would change what the rest of the run can do (lock out the admin it
# runs as) or reach outside the hub (a broker the test does not start): their own tests
# cover them.
SKIPPED_OPERATIONS: set[str] = set()

SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.fixture
def api(client: TestClient, token_for: Callable[[Role], str]) -> Iterator[Any]:
    """The app's own OpenAPI document, loaded by schemathesis over ASGI."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    yield schema


@pytest.fixture
def admin_headers(token_for: Callable[[Role], str]) -> dict[str, str]:
    """An admin's Authorization header: every operation is open to the admin."""
    return {"Authorization": f"Bearer {token_for(Role.ADMIN)}"}


def _run_operation(operation: Any, headers: dict[str, str]) -> list[str]:
    """Run one operation's examples; the failures, one line each (empty: all passed)."""
    failures: list[str] = []
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseException as err:  # collect every operation's failures, report them all
            failures.append(f"{operation.label}: {type(err).__name__}: {str(err)[:2000]}")
            raise

    with contextlib.suppress(Exception, BaseExceptionGroup):  # the failure is in `failures`
        run()
    return failures[-1:]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_answers_as_documented(api: Any, admin_headers: dict[str, str],
                                               shard: int) -> None:
    operations = sorted((result.ok() for result in api.get_all_operations()),
                        key=lambda op: op.label)
    assert len(operations) > 60
    failures: list[str] = []
    for operation in operations[shard::SHARDS]:
        if operation.label in SKIPPED_OPERATIONS:
            continue
        failures.extend(_run_operation(operation, admin_headers))
    assert not failures, "\n\n".join(failures)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _printable(value: Any) -> Any:
    """The value with every control character in its text (keys too) replaced by "x"."""
    if isinstance(value, str):
        return _CONTROL.sub("x", value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def test_call_sequences_answer_as_documented(api: Any, admin_headers: dict[str, str],
                                            client: TestClient) -> None:
    # Sequences are built from valid input only: invalid bodies (covered per operation above)
    # are mostly refused with 422, and a run of refusals never creates the rows that later
    # calls are meant to reach by id.
    api.config.generation.update(modes=[GenerationMode.POSITIVE])
    # The member API (/me) answers an admin 403 by design (hub/api/routes/member_portal.py;
    # tests/member_portal walks it with member sessions): in sequences it only used up steps.
    sequences = api.exclude(path_regex=r"^/api/v1/me(/|$)")
    # The hub refuses control characters in any text (hub/api/guards.py, tested per operation
    # above), and JSON Schema cannot say so: left in, most generated bodies were refused and
    # whether a sequence created anything came down to the hash seed (seen in CI).
    sequences.hook("map_body")(lambda ctx, body: _printable(body))
    base = sequences.as_state_machine()
    start = RowsSnapshot(client.app.state.engine)  # migrated, with the admin user
    answered: list[tuple[str, int]] = []
    failures: list[str] = []

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": admin_headers}

        def teardown(self) -> None:
            start.restore()  # the next scenario starts from the same database

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            answered.append((case.operation.label, response.status_code))
            # Failures are collected, not raised: the hub's database carries rows from one
            # scenario into the next, so Hypothesis' replay of a failing scenario never sees
            # the same answers and reports "inconsistent data generation" instead of the bug.
            try:
                case.validate_response(response, checks=CHECKS,
                                       transport_kwargs=kwargs or None, recorder=self.recorder)
            except Exception as err:  # a failed check, of whichever kind schemathesis raises
                body = repr(case.body)[:300]
                failures.append(f"{case.operation.label} {response.status_code} body={body}: "
                                f"{str(err)[:600]}")

    Machine.run(
        settings=hypothesis.settings(
            SETTINGS, max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS
        )
    )
    assert not failures, "\n\n".join(failures[:5])
    # The sequences did reach into the API: rows were created and then used by id.
    created = {label for label, status in answered if status == 201}
    used = {label for label, status in answered if "{" in label and 200 <= status < 300}
    assert len(answered) >= STATEFUL_SCENARIOS and created and used, sorted(set(answered))
