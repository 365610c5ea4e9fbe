"""The HTTP side of ONVIF: one shared connection pool, capped reads, errors as Failures.

onvif-zeep-async gives every service of every camera its own ``TCPConnector`` and
``ClientSession`` and reads whole bodies before zeep parses them with ``huge_tree``. At fleet
scale that is thousands of pools and an unbounded read per reply. Here, instead:

- one ``ClientSession`` per event loop for the whole fleet (``shared_session``), no cookie jar
  shared between cameras, no ``Accept-Encoding`` (a gzip bomb cannot pass as a small body);
- ``PinnedTransport`` is the object zeep calls (``post_xml``) and the health path calls
  (``post_bytes``): it refuses any address other
  than the inventory's host and port, classifies the HTTP status *before* any SOAP parsing
  (an HTML 401 page is auth, not a "Unknown fault"), reads at most ``max_bytes`` and checks that
  the body is plain, well-formed XML with no DTD before zeep sees it.

Every problem leaves as ``WireError(failure, message)``; messages carry the address, never a
credential.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from lxml import etree
from multidict import CIMultiDictProxy

from fleetctl import __version__
from fleetctl.adapters.reach import classify_os_error
from fleetctl.core.probes import Failure

USER_AGENT = f"fleetctl/{__version__}"
# Concurrent connections to one camera. The probe overlaps independent calls (hostname, NTP,
# profiles, recordings); two sockets halve its round trips, while each extra socket costs a
# handshake on both ends (at 10,000 cameras the CPU, not the wire, is the limit) and small
# embedded web servers serve only a handful of sockets.
PER_CAMERA_CONNECTIONS = 2
# Idle keep-alive sockets go back to the camera soon: at 10,000 cameras a long keep-alive is
# thousands of idle descriptors, and a probe's calls come within milliseconds of each other.
KEEPALIVE_S = 3.0


class WireError(Exception):
    """A reply failed at the HTTP or XML boundary. ``str()`` is safe to show (no secrets)."""

    def __init__(self, failure: Failure, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.failure = failure
        self.http_status = http_status


def _no_verify_tls() -> ssl.SSLContext:
    # Cameras ship self-signed certificates named after their factory IP; verification would fail
    # on every one. Pinning to the inventory address is what stops us talking to the wrong host.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

# How long the camera took: from our request on the wire to the last byte of its reply, not
# counting a wait for a pooled socket, the connect, or our own XML work. Set per task by the
# transport, read by the caller right after the zeep call returns (same task, same context).
exchange_ms: ContextVar[float | None] = ContextVar("exchange_ms", default=None)


async def _on_headers_sent(_s: aiohttp.ClientSession, ctx: SimpleNamespace, _p: object) -> None:
    if isinstance(ctx.trace_request_ctx, dict):
        ctx.trace_request_ctx["sent"] = time.perf_counter()  # a Digest retry overwrites: we want it


_TRACE = aiohttp.TraceConfig()
_TRACE.on_request_headers_sent.append(_on_headers_sent)
_TRACE.freeze()


def shared_session() -> aiohttp.ClientSession:
    """The fleet-wide HTTP session of the running loop (created on first use)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for dead in [lp for lp in _sessions if lp.is_closed()]:
            del _sessions[dead]
        connector = aiohttp.TCPConnector(
            limit=0,  # the caller's semaphore bounds the fleet; this would only queue behind it
            limit_per_host=PER_CAMERA_CONNECTIONS,
            keepalive_timeout=KEEPALIVE_S,
            ssl=_no_verify_tls(),
            use_dns_cache=True,
            ttl_dns_cache=300,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("Accept-Encoding",),
            auto_decompress=False,
            headers={"User-Agent": USER_AGENT},
            trace_configs=[_TRACE],
        )
        _sessions[loop] = session
    return session


async def close_shared() -> None:
    """Close the running loop's shared session (call once at the end of a run)."""
    loop = asyncio.get_running_loop()
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()


@dataclass(frozen=True)
class Reply:
    """What zeep's ``process_reply`` reads of a response (a duck-typed requests.Response),
    and ``root``: the body as the strict check parsed it (None for a multipart reply)."""

    status_code: int
    content: bytes
    headers: CIMultiDictProxy[str]
    encoding: str | None
    root: etree._Element | None = None


_SAFE_PARSER_KW: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "recover": False,
}
# lxml parsers are reusable but not thread-safe: this one only runs on the event loop's thread.
_parser = etree.XMLParser(**_SAFE_PARSER_KW)


def check_xml(body: bytes, where: str) -> etree._Element:
    """``body`` parsed; MALFORMED unless it is well-formed XML without DTD or entities.

    onvif-zeep-async's settings parse in recover mode with ``huge_tree`` (garbage may "parse",
    a DTD is refused only after libxml2 read it). Ours are stricter, but this pass does not rely
    on them: it runs first, on the capped bytes, and words the refusal for the operator.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise WireError(Failure.MALFORMED, f"{where}: reply declares a DTD or entities (refused)")
    try:
        root = etree.fromstring(body, parser=_parser)
    except etree.XMLSyntaxError as err:
        raise WireError(
            Failure.MALFORMED, f"{where}: reply is not well-formed XML ({err.msg})"
        ) from None
    if root.getroottree().docinfo.doctype:  # e.g. a UTF-16 body the byte scan could not see
        raise WireError(Failure.MALFORMED, f"{where}: reply declares a DTD (refused)")
    return root


async def read_capped(content: aiohttp.StreamReader, max_bytes: int, where: str) -> bytes:
    """Read a body, giving up (OVERSIZED) as soon as it passes ``max_bytes``."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            raise WireError(Failure.OVERSIZED, f"{where}: reply larger than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def translate_client_error(err: aiohttp.ClientError | OSError, where: str) -> WireError:
    """aiohttp and socket errors -> WireError with the right Failure."""
    if isinstance(err, aiohttp.ClientConnectorError):
        failure = classify_os_error(err.os_error)  # same words as the reach probe
        if failure is Failure.REFUSED:
            return WireError(failure, f"{where}: connection refused")
        return WireError(failure, f"{where}: {err.os_error.strerror or failure.value}")
    if isinstance(err, aiohttp.ServerTimeoutError | TimeoutError):
        return WireError(Failure.TIMEOUT, f"{where}: no answer in time")
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return WireError(Failure.PROTOCOL, f"{where}: closed the connection without a reply")
    if isinstance(err, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return WireError(Failure.MALFORMED, f"{where}: broken HTTP reply")
    return WireError(Failure.PROTOCOL, f"{where}: HTTP error ({type(err).__name__})")


class PinnedTransport:
    """The transport zeep calls for one camera: pinned, capped, status-first.

    ``digest`` (an aiohttp ``DigestAuthMiddleware``) answers a ``401 WWW-Authenticate: Digest``
    challenge and then authenticates preemptively; it is per camera because it keeps the nonce.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        scheme: str,
        host: str,
        port: int,
        max_bytes: int,
        read_timeout_s: float,
        digest: aiohttp.DigestAuthMiddleware | None = None,
    ) -> None:
        self.session = session
        self.scheme = scheme
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self.digest = digest
        self.digest_used = False  # a 401 Digest challenge was met (and answered)
        self.responses = 0  # HTTP responses whose status line and headers arrived
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=read_timeout_s, sock_read=read_timeout_s
        )
        self.where = f"{host}:{port}"

    def _check_pinned(self, address: str) -> None:
        parts = urlsplit(address)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if (parts.hostname or "").lower() != self.host.strip("[]").lower() or port != self.port:
            raise WireError(
                Failure.PROTOCOL, f"{self.where}: refusing to call an address outside the inventory"
            )

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Reply:
        """zeep's entry point: the envelope as an lxml tree."""
        body = etree.tostring(envelope, encoding="utf-8", xml_declaration=True)
        return await self.post_bytes(address, body, headers)

    async def post_bytes(self, address: str, body: bytes, headers: dict[str, str]) -> Reply:
        self._check_pinned(address)
        # A pooled keep-alive socket the camera already closed fails before the request is
        # sent (RFC 9112 9.3.1 allows the close): one retry then is safe even for a login.
        for attempt in (1, 2):
            try:
                return await self._post_once(address, body, headers)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError) as err:
                if attempt == 2:
                    raise translate_client_error(err, self.where) from None
            except (aiohttp.ClientError, OSError) as err:
                raise translate_client_error(err, self.where) from None
        raise AssertionError("unreachable")

    async def _post_once(self, address: str, body: bytes, headers: dict[str, str]) -> Reply:
        middlewares = (self.digest,) if self.digest is not None else ()
        trace: dict[str, float] = {}
        try:
            return await self._exchange(address, body, headers, middlewares, trace)
        finally:
            if "sent" in trace:
                exchange_ms.set(round((time.perf_counter() - trace["sent"]) * 1000, 3))

    async def _exchange(
        self,
        address: str,
        body: bytes,
        headers: dict[str, str],
        middlewares: tuple[aiohttp.DigestAuthMiddleware, ...],
        trace: dict[str, float],
    ) -> Reply:
        async with self.session.post(
            address,
            data=body,
            headers=headers,
            timeout=self._timeout,
            middlewares=middlewares,
            trace_request_ctx=trace,
        ) as resp:
            self.responses += 1
            status = resp.status
            if self.digest is not None and resp.request_info.headers.get(
                "Authorization", ""
            ).startswith("Digest"):
                self.digest_used = True
            # The status decides before any parsing: Digest-only cameras answer an HTML 401
            # page that zeep would report as an "Unknown fault".
            if status in (401, 403):
                raise WireError(
                    Failure.AUTH,
                    f"{self.where}: HTTP {status} (credentials rejected)",
                    http_status=status,
                )
            declared = resp.content_length
            if declared is not None and declared > self.max_bytes:
                raise WireError(
                    Failure.OVERSIZED, f"{self.where}: reply of {declared:,} bytes exceeds the cap"
                )
            content = await read_capped(resp.content, self.max_bytes, self.where)
            if status not in (200, 400, 500) or not content:
                # SOAP faults travel as 400/500 with an envelope; anything else is not SOAP.
                raise WireError(
                    Failure.PROTOCOL, f"{self.where}: HTTP {status}", http_status=status
                )
            root = None
            if "multipart" in resp.headers.get("Content-Type", ""):
                pass  # MTOM: zeep splits the parts; no ONVIF health call replies this way
            elif status != 200:
                try:
                    root = check_xml(content, self.where)
                except WireError:  # an HTML error page: a bad status, not a bad SOAP reply
                    raise WireError(
                        Failure.PROTOCOL, f"{self.where}: HTTP {status}", http_status=status
                    ) from None
            else:
                root = check_xml(content, self.where)
            return Reply(status, content, resp.headers, resp.charset, root)

    def load(self, url: str) -> bytes:  # zeep API: documents come from local files only
        raise RuntimeError("remote WSDL/XSD loading is disabled")

    async def aclose(self) -> None:
        """The session is shared by the fleet: nothing to close per camera."""


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
