"""Finding the diner in the device's member cache from a QR member code or a card number."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from edge_agent.store import DeviceStore
from kiosk.services.clock import Clock
from kiosk.services.errors import (
    CardBlocked,
    ExpiredCode,
    MemberNotFound,
    NotConfigured,
    UnknownCode,
)
from protocol.member_cache import CachedMember
from protocol.tokens import TokenError, TokenExpired, identifier_hash, verify_member_token

log = logging.getLogger(__name__)


class MemberDirectory:
    """Resolves identifiers to cached members, offline (keys and cache live on the device)."""

    def __init__(
        self,
        store: DeviceStore,
        clock: Clock,
        *,
        token_keys: Mapping[str, str],
        site_key: bytes | None,
    ) -> None:
        """Keys come from the kiosk config (the site key from its file)."""
        self.store = store
        self.clock = clock
        self.token_keys = dict(token_keys)
        self.site_key = site_key

    def _key(self) -> bytes:
        if self.site_key is None:
            raise NotConfigured("member_ids.site_key_file")
        return self.site_key

    def by_member_code(self, code: str) -> CachedMember:
        """The member of a signed, current QR member code."""
        if not self.token_keys:
            raise NotConfigured("member_ids.token_keys")
        try:
            member_id = verify_member_token(code, self.token_keys, self.clock.now())
        except TokenExpired as err:
            raise ExpiredCode(str(err)) from err
        except TokenError as err:
            log.info("member code refused: %s", err.reason)
            raise UnknownCode(err.reason) from err
        return self._lookup(identifier_hash("member", member_id, self._key()))

    def by_card(self, card_number: str) -> CachedMember:
        """The member of a card number read by the card reader."""
        return self._lookup(identifier_hash("card", card_number.strip(), self._key()))

    def _lookup(self, digest: str) -> CachedMember:
        member = self.store.lookup_member(digest)
        if member is None:
            raise MemberNotFound("not in the member cache")
        if member.blocked:  # a lost card's tombstone: say so rather than "unknown"
            raise CardBlocked(member.member_id)
        return member
