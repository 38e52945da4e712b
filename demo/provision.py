"""Set the demo site's devices up through the hub's own API, as an installer would.

Log in as the demo admin; publish each active site's catalog (``publish-catalog``; an
inactive site is skipped with a log line); fetch the site's device keys (token public keys
+ identifier key); give a few seeded members a card; publish the site's member-cache
snapshot (``member-delta`` from version 0) retained on the site's ``members`` downlink,
where every device's edge agent picks it up.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher
from protocol import encode, make_envelope
from protocol.topics import site_downlink_topic

log = logging.getLogger(__name__)

DEMO_CARDS = 12
"""How many seeded members of the demo site get a card (numbers in ``Provisioned.cards``)."""


class ProvisionError(RuntimeError):
    """The hub refused or did not answer a provisioning call."""


@dataclass
class HubClient:
    """A tiny JSON client of the hub API with a bearer token."""

    base: str
    token: str | None = None

    def call(self, method: str, path: str, body: Any = None, *, form: bool = False) -> Any:
        """One request; the decoded JSON answer (None for 204)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:300]
            raise ProvisionError(f"{method} {path}: HTTP {err.code} {detail}") from err
        except OSError as err:
            raise ProvisionError(f"{method} {path}: {err}") from err
        return json.loads(raw) if raw else None

    def login(self, username: str, password: str) -> None:
        """Get a token for the rest of the calls."""
        answer = self.call("POST", "/api/v1/auth/token",
                           {"username": username, "password": password}, form=True)
        self.token = answer["access_token"]


@dataclass
class Provisioned:
    """What the devices of the demo site are configured with."""

    site_id: int
    token_keys: dict[str, str]
    identifier_key: str
    cards: list[str] = field(default_factory=list)
    catalog_versions: dict[str, int] = field(default_factory=dict)
    members_published: int = 0


def card_number(member_no: str) -> str:
    """A 10-hex-digit card id (what an RDM6300 reader reports) made from a member number."""
    digits = "".join(c for c in member_no if c.isdigit())
    return f"{int(digits or 0) + 0xC0DE0000:010X}"


def sites(client: HubClient) -> dict[str, tuple[int, bool]]:
    """Site code -> (hub id, active), over every page."""
    out: dict[str, tuple[int, bool]] = {}
    while True:
        page = client.call("GET", f"/api/v1/sites?limit=100&offset={len(out)}")
        out.update({s["code"]: (int(s["id"]), bool(s.get("active", True)))
                    for s in page["items"]})
        if not page["items"] or len(out) >= int(page.get("total", 0)):
            return out


def publish_catalogs(client: HubClient, ids: dict[str, int]) -> dict[str, int]:
    """Ask the hub to publish each site's catalog (retained); code -> version.

    A site the hub no longer serves (made inactive or deleted meanwhile: 404) is skipped with
    a warning: another site's state never stops the demo's own site from starting.
    """
    out = {}
    for code, sid in ids.items():
        try:
            answer = client.call("POST", f"/api/v1/sync/sites/{sid}/publish-catalog")
        except ProvisionError as err:
            if " HTTP 404 " not in str(err):
                raise
            log.warning("site %s: no catalog published (%s); skipped", code, err)
            continue
        out[code] = int(answer.get("version", 0)) if isinstance(answer, dict) else 0
    return out


def give_cards(client: HubClient, member_prefix: str, count: int) -> list[str]:
    """Register a card to the first ``count`` members whose number starts with the prefix."""
    page = client.call("GET", f"/api/v1/members?q={member_prefix}&limit={count}")
    cards = []
    for m in page["items"][:count]:
        number = card_number(str(m.get("member_no", m["id"])))
        have = client.call("GET", f"/api/v1/members/{m['id']}/cards")
        if not any(c.get("last4") == number[-4:] for c in have or []):
            client.call("POST", f"/api/v1/members/{m['id']}/cards", {"card_no": number})
        cards.append(number)
    return cards


def publish_members(client: HubClient, site_code: str, site_id: int, target: BrokerTarget) -> int:
    """Publish the site's member-cache snapshot (first part) retained; members in it."""
    delta = client.call("GET", f"/api/v1/identity/sites/{site_id}/member-delta?from_version=0")
    if not delta:
        return 0
    env = make_envelope("member.delta", delta, site=site_code, device="hub")
    with OneShotPublisher(target) as pub:
        pub.publish(site_downlink_topic(site_code, "members"), encode(env), qos=1, retain=True)
    return len(delta.get("upserts", []))


SOLD_OUT_DISH = "kung-pao-chicken"
SOLD_OUT_PORTIONS = 6
"""The demo kitchen prepares only this many of one dish per meal period, so the diners
sell it out while you watch (issue 17: counted kiosk to kiosk on the site broker)."""


def set_demo_portions(client: HubClient, site_id: int) -> int:
    """Portions of the sold-out dish for today's and tomorrow's meal periods (the demo's
    diners may move the kiosk clock into the next day); how many plans were set. Never
    stops the demo: a refusal is logged and skipped."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    try:
        found = client.call("GET", f"/api/v1/dishes?q={SOLD_OUT_DISH}&limit=5")["items"]
    except ProvisionError as err:
        log.warning("no demo portions: %s", err)
        return 0
    dish = next((d for d in found if d.get("code") == SOLD_OUT_DISH), None)
    if dish is None:
        return 0
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    done = 0
    for day in (today, today + dt.timedelta(days=1)):
        for period in ("breakfast", "lunch", "dinner", "late_snack"):
            try:
                client.call("PUT", "/api/v1/supply/portions", {
                    "site_id": site_id, "dish_id": dish["id"], "service_date": day.isoformat(),
                    "meal_period": period, "prepared": SOLD_OUT_PORTIONS})
                done += 1
            except ProvisionError as err:
                log.debug("no demo portions for %s %s: %s", day, period, err)
    log.info("%s: %d portions per meal period (%d plans): it sells out while you watch",
             SOLD_OUT_DISH, SOLD_OUT_PORTIONS, done)
    return done


def provision(base: str, login: tuple[str, str], site_code: str, member_prefix: str,
              target: BrokerTarget) -> Provisioned:
    """Everything above, in order; raises ProvisionError naming the call that failed."""
    client = HubClient(base)
    client.login(*login)
    known = sites(client)
    if site_code not in known:
        raise ProvisionError(f"site {site_code!r} is not in the hub (seeded: {sorted(known)})")
    if not known[site_code][1]:
        raise ProvisionError(f"the demo's own site {site_code!r} is inactive at the hub: make it"
                             " active again (admin → Sites) or start with --fresh")
    for code, (_, active) in sorted(known.items()):
        if not active:
            log.info("site %s is inactive: skipped (no catalog published for it)", code)
    ids = {code: sid for code, (sid, active) in known.items() if active}
    versions = publish_catalogs(client, ids)
    keys = client.call("GET", f"/api/v1/identity/sites/{ids[site_code]}/device-keys")
    done = Provisioned(ids[site_code], dict(keys["keys"]), keys["identifier_key"],
                       catalog_versions=versions)
    done.cards = give_cards(client, member_prefix, DEMO_CARDS)
    done.members_published = publish_members(client, site_code, ids[site_code], target)
    set_demo_portions(client, ids[site_code])
    log.info("provisioned %s: catalogs %s, %d cards, %d cached members", site_code, versions,
             len(done.cards), done.members_published)
    return done
