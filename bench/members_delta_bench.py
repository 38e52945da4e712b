"""Member-cache delta at 100,000 members: build time and size, full snapshot vs one-card delta.

Run: .venv/bin/python bench/members_delta_bench.py [members]   (SQLite file in a temp dir)
Baseline: the full snapshot a device needs with no delta support (every part, JSON).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.db_types import utcnow
from hub.identity.delta import build_member_delta
from hub.migrate import upgrade_to_head
from hub.models.identity import MemberCard
from hub.models.members import Member
from hub.models.sites import Site
from hub.settings import Settings

NOW = utcnow()


def main(n: int) -> None:
    """Seed n members (half with a card), build a full snapshot, block one card, build a delta."""
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, demo_mode=True, data_dir=tmp)
    engine = make_engine(settings)
    upgrade_to_head(engine)
    cipher = FieldCipher.from_settings(settings)
    with Session(engine) as s:
        s.add(Site(code="hq", name_zh="总部", name_en="HQ"))
        s.commit()
        s.execute(
            sa.insert(Member.__table__),
            [  # type: ignore[attr-defined]
                {
                    "member_no": f"M{i:07d}",
                    "name": "张小明",
                    "dietary_preferences": [],
                    "allergens": [],
                    "active": True,
                    "created_at": NOW,
                }
                for i in range(1, n + 1)
            ],
        )
        s.execute(
            sa.insert(MemberCard.__table__),
            [  # type: ignore[attr-defined]
                {
                    "member_id": i,
                    "card_hash": cipher.lookup_hash(f"card:{i:010d}"),
                    "card_encrypted": cipher.encrypt(f"{i:010d}"),
                    "last4": f"{i:010d}"[-4:],
                    "status": "active",
                    "created_at": NOW,
                }
                for i in range(1, n + 1, 2)
            ],
        )
        s.commit()
        parts, t0, v, size, gz = 0, time.perf_counter(), 0, 0, 0
        while True:
            delta = build_member_delta(s, cipher=cipher, site_id=1, from_version=v)
            if delta is None:
                break
            raw = delta.model_dump_json().encode()
            size, gz, parts, v = (
                size + len(raw),
                gz + len(gzip.compress(raw)),
                parts + 1,
                delta.to_version,
            )
        full_s = time.perf_counter() - t0
        s.execute(sa.text("UPDATE member_card SET status='blocked' WHERE id = 1"))
        s.commit()
        t0 = time.perf_counter()
        step = build_member_delta(s, cipher=cipher, site_id=1, from_version=v)
        delta_s = time.perf_counter() - t0
        assert step is not None and len(step.removals) == 1
        raw = step.model_dump_json().encode()
        t0 = time.perf_counter()
        assert build_member_delta(s, cipher=cipher, site_id=1, from_version=step.to_version) is None
        idle_s = time.perf_counter() - t0
    print(f"members {n:,}, identifiers {n + n // 2:,}")
    print(
        f"full snapshot : {parts} parts, {size / 1e6:.1f} MB JSON, {gz / 1e6:.2f} MB gzip, "
        f"{full_s:.1f} s (first build, includes publishing every entry)"
    )
    print(
        f"one card block: {len(raw):,} B JSON, {len(gzip.compress(raw)):,} B gzip, {delta_s:.1f} s"
    )
    print(f"nothing new   : {idle_s:.1f} s (refresh diff only)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
