"""Dahua media file finding (``/cgi-bin/mediaFileFind.cgi``): factory.create, findFile,
findNextFile by ``count`` until ``found=0``, then close and destroy, always; the device's local
clock from ``global.cgi?action=getCurrentTime``. The contract and the time rules:
``vendor_search``.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from fleetctl.adapters.errors import HttpError, StorageApiError
from fleetctl.adapters.storage.search_common import (
    MAX_PAGES,
    MAX_SEGMENTS,
    SearchHttp,
    SearchRefused,
    utc_now,
)
from fleetctl.core.footage.model import SOURCE_DAHUA, FootageReading
from fleetctl.core.footage.vendor_time import dahua_stamp, dahua_time, local_to_utc, round_zone_s
from fleetctl.core.probes import Failure

DAHUA_TIME = "/cgi-bin/global.cgi?action=getCurrentTime"
DAHUA_FIND = "/cgi-bin/mediaFileFind.cgi"
END_S = 2.0  # close and destroy: each its own limit, even after the deadline
_ITEM = re.compile(r"^items\[(\d{1,5})\]\.(\w+)=(.*)$")


def _lines(body: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


class DahuaFind:
    """The find object once created; ``end()`` closes and destroys it whatever happened."""

    def __init__(self) -> None:
        self.obj: int | None = None
        self.ended = 0

    async def end(self, http: SearchHttp) -> None:
        if self.obj is None:
            return
        obj, self.obj = self.obj, None
        for action in ("close", "destroy"):
            try:
                async with asyncio.timeout(END_S):
                    await http.call(f"{DAHUA_FIND}?action={action}&object={obj}")
            except (TimeoutError, HttpError, StorageApiError):
                continue  # nothing more we can do: the next step still goes out
            if action == "destroy":
                self.ended += 1


async def search_dahua(
    http: SearchHttp,
    find: DahuaFind,
    start: datetime,
    end: datetime,
    drift: float | None,
    page: int,
) -> FootageReading:
    local = dahua_time(_lines(await http.call(DAHUA_TIME)).get("result"))
    if local is None:
        raise ValueError("no readable time in getCurrentTime")
    measured = (local.replace(tzinfo=UTC) - utc_now()).total_seconds()  # zone + clock offset
    zone = round_zone_s(measured - (drift or 0.0))
    if drift is None:
        drift = round(measured - zone, 3)
    shift = timedelta(seconds=drift)
    created = _lines(await http.call(f"{DAHUA_FIND}?action=factory.create")).get("result", "")
    if not created.isdigit() or len(created) > 12:
        raise ValueError("factory.create gave no object")
    find.obj = int(created)
    target = (
        f"{DAHUA_FIND}?action=findFile&object={find.obj}&condition.Channel=1"
        f"&condition.StartTime={quote(dahua_stamp(start + shift, zone))}"
        f"&condition.EndTime={quote(dahua_stamp(end + shift, zone))}&condition.Types[0]=dav"
    )
    if (await http.call(target)).strip()[:2].upper() != b"OK":
        raise SearchRefused(Failure.PROTOCOL, f"{http.where}: findFile refused")
    spans: list[tuple[datetime, datetime]] = []
    for _ in range(MAX_PAGES):
        reply = await http.call(f"{DAHUA_FIND}?action=findNextFile&object={find.obj}&count={page}")
        found, items = _found(reply)
        if found == 0:
            return FootageReading(SOURCE_DAHUA, spans=tuple(spans), clock_offset_s=drift)
        spans += [(local_to_utc(a, zone), local_to_utc(b, zone)) for a, b in items]
        if len(spans) > MAX_SEGMENTS:
            raise SearchRefused(
                Failure.OVERSIZED, f"{http.where}: over {MAX_SEGMENTS} recorded files"
            )
    raise SearchRefused(
        Failure.PROTOCOL, f"{http.where}: the search did not end in {MAX_PAGES} pages"
    )


def _found(body: bytes) -> tuple[int, list[tuple[datetime, datetime]]]:
    """(found=, the items' (start, end) device-local) of one findNextFile reply."""
    found: int | None = None
    items: dict[int, dict[str, str]] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("found="):
            value = line[6:].strip()
            found = int(value) if value.isdigit() and len(value) < 7 else None
            continue
        m = _ITEM.match(line)
        if m is not None and m[2] in ("StartTime", "EndTime"):
            items.setdefault(int(m[1]), {})[m[2]] = m[3]
    if found is None:
        raise ValueError("no found= in findNextFile")
    out = []
    for _, item in sorted(items.items()):
        a, b = dahua_time(item.get("StartTime")), dahua_time(item.get("EndTime"))
        if a is None or b is None:
            raise ValueError("a file without a readable StartTime/EndTime")
        out.append((a, b))
    if len(out) != found:
        raise ValueError(f"found={found} but {len(out)} items")
    return found, out
