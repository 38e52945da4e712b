"""The face template's wire rules: sealing binds member and id, garbage is refused, and a
schema 1.0 member cache (no ``face``) still parses."""

from __future__ import annotations

import pytest

from protocol import encode, make_envelope, parse
from protocol.face import TemplateError, open_template, seal_template
from protocol.ids import new_message_id
from protocol.member_cache import MemberCacheDelta

KEY = b"site-key"
VEC = [0.01 * (i % 7) for i in range(128)]


def test_sealed_templates_open_only_for_their_member_and_key() -> None:
    tid = new_message_id()
    sealed = seal_template(VEC, site_key=KEY, member_id="m-1", template_id=tid)
    assert sealed == seal_template(VEC, site_key=KEY, member_id="m-1", template_id=tid)
    assert open_template(sealed, site_key=KEY, member_id="m-1", template_id=tid)[1] == \
        pytest.approx(0.01)
    for kw in ({"site_key": b"other"}, {"member_id": "m-2"}, {"template_id": new_message_id()}):
        args = {"site_key": KEY, "member_id": "m-1", "template_id": tid, **kw}
        with pytest.raises(TemplateError):
            open_template(sealed, **args)  # type: ignore[arg-type]
    with pytest.raises(TemplateError):
        open_template(sealed[:-8] + "AAAAAAAA", site_key=KEY, member_id="m-1", template_id=tid)


@pytest.mark.parametrize("bad", [VEC[:127], [*VEC[:127], float("nan")], [*VEC[:127], 1e6]])
def test_garbage_vectors_are_refused(bad: list[float]) -> None:
    with pytest.raises(TemplateError):
        seal_template(bad, site_key=KEY, member_id="m-1", template_id=new_message_id())


def test_a_schema_1_0_member_delta_without_face_still_parses() -> None:
    delta = MemberCacheDelta.model_validate({
        "from_version": 0, "to_version": 1, "full": True,
        "generated_at": "2025-03-01T00:00:00Z", "upserts": [{
            "identifier_hash": "a" * 64, "member_id": "m-1", "display_name": "张*",
            "tier": "standard", "balance_cents": 0, "offline_limit_cents": 0}]})
    raw = encode(make_envelope("member.delta", delta, site="s1", device="hub"))
    old = raw.replace(b'"schema_version":"1.1"', b'"schema_version":"1.0"')
    parsed = parse(old).payload_as(MemberCacheDelta)
    assert parsed.upserts[0].face is None
