"""Moved to protocol (member.delta and device.config are registered types now).

Kept only until the kiosk imports them from protocol; remove then.
"""

from protocol.member_cache import CachedMember, IdentifierHash, MemberCacheDelta
from protocol.payloads.config import DeviceConfig

__all__ = ["CachedMember", "DeviceConfig", "IdentifierHash", "MemberCacheDelta"]
