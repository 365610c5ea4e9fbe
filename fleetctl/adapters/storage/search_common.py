"""What the vendor recording searches share: the HTTP exchange (``vendor_http``'s Digest
client, capped bodies, only the inventory's ``host:port``), the refusal they raise, and their
bounds. Used by ``search_isapi`` and ``search_dahua``; the entry is ``vendor_search``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fleetctl.adapters.http.pool import HttpPool
from fleetctl.adapters.storage.vendor_http import request_vendor
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure

MAX_PAGES = 100  # a camera that never says it is done is not read forever
MAX_SEGMENTS = 5000  # a week of half-hour files is ~340


class SearchRefused(Exception):
    """The camera answered something we cannot use."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


class SearchHttp:
    def __init__(
        self, pool: HttpPool, camera: Camera, credential: Credential | None, max_bytes: int,
        read_timeout_s: float, allow_basic: bool,
    ) -> None:  # fmt: skip
        self.pool, self.camera, self.credential = pool, camera, credential
        self.max_bytes, self.read_timeout_s, self.allow_basic = (
            max_bytes,
            read_timeout_s,
            allow_basic,
        )
        self.where = f"{camera.host}:{camera.port}"

    async def call(self, target: str, body: bytes = b"") -> bytes:
        return await request_vendor(
            self.pool,
            self.camera.host,
            self.camera.port,
            target,
            self.credential,
            https=self.camera.https,
            max_bytes=self.max_bytes,
            read_timeout_s=self.read_timeout_s,
            where=self.where,
            allow_basic=self.allow_basic,
            method="POST" if body else "GET",
            body=body,
            content_type="application/xml; charset=UTF-8" if body else "",
            what="search API",
        )


def utc_now() -> datetime:
    return datetime.now(UTC)
