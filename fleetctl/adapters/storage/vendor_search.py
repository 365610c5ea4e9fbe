"""Recorded footage from the vendors' own search APIs, for cameras without Profile G search.

    read_vendor_footage(camera, credential, start, end, *, timeout_s, clock_offset_s, pool)
        -> FootageReading                                                       never raises

Which API: ``GET /ISAPI/System/time`` answers on a Hikvision (its zone and clock), else
``GET /cgi-bin/global.cgi?action=getCurrentTime`` on a Dahua (its local clock); neither (404):
``UNSUPPORTED``. Both over the HTTP Digest client of ``vendor_http`` (only the inventory's
``host:port``, replies capped at ``max_bytes``, XML without DTDs), all under ``timeout_s``.

- Hikvision ``POST /ISAPI/ContentMgmt/search`` (CMSearchDescription, track 101 = channel 1 main
  stream), paged with ``searchResultPostion`` (sic: the API's spelling) until
  ``responseStatusStrg`` is not ``MORE``. Times: the request gives device-local digits *with*
  their offset (``...T12:00:00+07:00``), which firmware that honours designators and firmware
  that reads digits as local time both search alike. Replies marked ``Z`` are UTC on most
  firmware and device-local on some: when the zone is not UTC a first small search around the
  newest recorded instant (``newest``, the ONVIF summary's, else the camera's present) tells
  which: the newest file ends there, or one zone later. The zone is ``timeZone``, POSIX-shaped with the sign inverted
  (``CST-7:00:00`` is UTC+7).
- Dahua ``mediaFileFind.cgi``: factory.create -> findFile -> findNextFile (``count``) until
  ``found=0`` -> close -> destroy. The object is always closed and destroyed (in ``finally``,
  each step under its own ``END_S``, after the deadline or a cancel too): a Dahua keeps its find
  objects until it reboots and refuses new ones once a few are held. Times are device-local
  without a zone (``2021-8-27 12:00:00``); the zone is the camera's local clock minus its UTC
  clock (the clock offset the caller measured over ONVIF), rounded to a quarter hour.

Pages (``MAX_PAGES``) and segments (``MAX_SEGMENTS``) are bounded: a camera that never says it
is done, or answers garbage, costs its own result (a failure with the reason), nothing more.
The reading's spans are UTC on the camera's clock; ``clock_offset_s`` is the caller's, or the
one read here when it had none.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from fleetctl.adapters.errors import HttpError, StorageApiError
from fleetctl.adapters.http.pool import HttpPool, borrowed
from fleetctl.adapters.storage.search_common import (
    MAX_PAGES,
    MAX_SEGMENTS,
    SearchHttp,
    SearchRefused,
)
from fleetctl.adapters.storage.search_dahua import END_S, DahuaFind, search_dahua
from fleetctl.adapters.storage.search_isapi import search_hikvision
from fleetctl.base.i18n import M_, Msg
from fleetctl.core.footage.model import SOURCE_DAHUA, SOURCE_HIKVISION, FootageReading
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure

__all__ = ["END_S", "MAX_PAGES", "MAX_SEGMENTS", "PAGE", "read_vendor_footage"]

PAGE = 50  # results asked per page (cameras cap it lower)
MAX_BYTES = 1_000_000


async def read_vendor_footage(
    camera: Camera,
    credential: Credential | None,
    start: datetime,
    end: datetime,
    *,
    timeout_s: float,
    clock_offset_s: float | None,
    pool: HttpPool | None = None,
    max_bytes: int = MAX_BYTES,
    page: int = PAGE,
    allow_basic: bool = False,
    newest: datetime | None = None,
) -> FootageReading:
    """What ``camera`` recorded in [start, end] (true UTC) by its vendor's search. Never raises.

    ``newest``: the newest recorded instant as ONVIF said it (UTC on the camera's clock), if
    known: where a Hikvision's meaning of ``Z`` is tested."""
    where = f"{camera.host}:{camera.port}"
    source = SOURCE_HIKVISION
    find = DahuaFind()
    try:
        async with borrowed(pool) as http_pool:
            http = SearchHttp(
                http_pool, camera, credential, max_bytes, max(0.5, timeout_s), allow_basic
            )
            try:
                async with asyncio.timeout(timeout_s):
                    try:
                        return await search_hikvision(
                            http, start, end, clock_offset_s, page, newest
                        )
                    except StorageApiError as err:
                        if err.failure is not Failure.UNSUPPORTED:
                            raise
                    source = SOURCE_DAHUA
                    try:
                        return await search_dahua(http, find, start, end, clock_offset_s, page)
                    except StorageApiError as err:
                        if err.failure is not Failure.UNSUPPORTED or find.obj is not None:
                            raise
                    raise SearchRefused(
                        Failure.UNSUPPORTED,
                        f"{where}: no vendor search API (Hikvision ISAPI, Dahua CGI)",
                    )
            finally:
                await find.end(http)  # also on the deadline or a cancel: never left open
    except TimeoutError:
        seconds = f"{timeout_s:.1f}"
        return _failed(
            source,
            Failure.TIMEOUT,
            f"{where}: no complete answer within {seconds} s",
            clock_offset_s,
            find,
            M_(
                "%(where)s: no complete answer within %(s)s s",
                where=where,
                s=seconds,
            ),
        )
    except SearchRefused as err:
        return _failed(source, err.failure, str(err), clock_offset_s, find)
    except StorageApiError as err:
        return _failed(source, err.failure, str(err), clock_offset_s, find)
    except HttpError as err:
        failure = (
            err.failure
            if err.failure in (Failure.REFUSED, Failure.UNREACHABLE, Failure.TIMEOUT)
            else Failure.PROTOCOL
        )
        said = (
            Msg("%(where)s: %(said)s", (("where", where), ("said", err.said))) if err.said else None
        )
        return _failed(source, failure, f"{where}: {err.reason}", clock_offset_s, find, said)
    except ValueError as err:
        return _failed(
            source,
            Failure.MALFORMED,
            f"{where}: unreadable search reply ({err})",
            clock_offset_s,
            find,
        )


def _failed(
    source: str,
    failure: Failure,
    error: str,
    offset: float | None,
    find: DahuaFind,
    msg: Msg | None = None,
) -> FootageReading:
    return FootageReading(
        source, clock_offset_s=offset, failure=failure, error=error[:300], error_msg=msg,
        searches_ended=find.ended,
    )  # fmt: skip
