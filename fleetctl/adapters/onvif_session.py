"""One ONVIF conversation with one camera: shared WSDLs, pinned addresses, timed calls.

Builds on onvif-zeep-async for what it does well (the WSDL documents, parsed once per process
and shared by every camera, and its zeep client subclass), and replaces what does not scale or
is unsafe (a session per service, uncapped reads, no re-measure of the clock on NotAuthorized).

Every call is timed into ``calls`` and every failure leaves as ``OnvifCallError(failure, msg)``
with the camera address and the operation in words, never a credential.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import zeep.exceptions
from lxml import etree
from onvif.client import _WSDL_PATH, ZeepAsyncClient, _cached_document
from onvif.definition import SERVICES
from zeep.proxy import AsyncOperationProxy, AsyncServiceProxy
from zeep.settings import Settings

from fleetctl.adapters.onvif_time import OffsetUsernameToken, measure_offset, utc_now
from fleetctl.adapters.onvif_transport import (
    PinnedTransport,
    WireError,
    exchange_ms,
    shared_session,
)
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure
from fleetctl.logsafe import redact

WSDL_DIR = _WSDL_PATH  # the ONVIF 2.4.2 WSDLs bundled with onvif-zeep-async: local files only
NAMESPACES = {name: SERVICES[name]["ns"] for name in ("devicemgmt", "media", "recording", "search")}
DEVICE_PATH = "/onvif/device_service"
_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_REPLY_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)

# ``strict`` on the client only switches off lxml's recover mode for replies (schema leniency
# comes from the shared documents' own settings, which stay lenient: cameras add and reorder
# elements). No huge_tree, no DTD, no entities, no remote imports: defence in depth behind the
# transport's own strict check.
ZEEP_SETTINGS = Settings(
    strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True
)

# ONVIF Core 5.11.2.1: ter:NotAuthorized; some firmwares only say it in the reason text
# ("Sender not Authorized", "authority failure", WS-Security's FailedAuthentication). Not a bare
# "password": SetUser faults about a weak new password are argument errors, not a rejection.
_AUTH_FAULT = re.compile(
    r"not ?authori[sz]ed|unauthori[sz]ed|authenticat|authority|FailedAuthentication", re.I
)

_documents: dict[str, Any] = {}
_doc_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


async def load_documents(names: tuple[str, ...]) -> None:
    """Parse the WSDLs once per process (~1 s for four) before any camera's deadline starts.

    onvif-zeep-async caches documents but has no lock: 500 cameras starting together would each
    parse the same WSDL in the thread pool. One lock per loop serialises the first parse.
    """
    missing = [n for n in names if n not in _documents]
    if not missing:
        return
    loop = asyncio.get_running_loop()
    lock = _doc_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        for name in missing:
            if name not in _documents:
                _documents[name] = await _cached_document(f"{WSDL_DIR}/{SERVICES[name]['wsdl']}")


class _LazyServiceProxy(AsyncServiceProxy):  # type: ignore[misc]  # zeep is untyped
    """zeep's AsyncServiceProxy, building an operation's proxy on first use.

    zeep builds all of them up front: ~100 for devicemgmt, half a millisecond per camera and
    service, for the handful of operations a probe calls.
    """

    def __init__(self, client: Any, binding: Any, **binding_options: Any) -> None:
        self._client = client
        self._binding_options = binding_options
        self._binding = binding
        self._operations: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        op = self._operations.get(key)
        if op is None:
            if key not in self._binding.all():
                raise AttributeError(f"Service has no operation {key!r}")
            op = self._operations[key] = AsyncOperationProxy(self, key)  # type: ignore[no-untyped-call]
        return op


class OnvifCallError(Exception):
    """A call failed; ``str()`` is safe to show."""

    def __init__(self, failure: Failure, message: str, *, digest_rejected: bool = False) -> None:
        super().__init__(message)
        self.failure = failure
        # HTTP Digest said no: a wrong password, whatever the clock (do not spend another try).
        self.digest_rejected = digest_rejected


def host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def pin_xaddr(xaddr: str, base: str) -> str:
    """A service address the camera reported, re-rooted on the inventory's scheme/host/port.

    Cameras behind NAT report their LAN address; credentials go only where the inventory says.
    """
    parts = urlsplit(xaddr.strip())
    return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


_CREDENTIAL_QUERY_KEYS = frozenset({"user", "username", "password", "pass", "pwd", "passwd"})


def pin_stream_uri(uri: str, host: str) -> str:
    """A stream URI on the inventory host (keeping the camera's RTSP port), without userinfo.

    Some firmwares (Dahua, OEMs) put ``user=...&password=...`` in the query: dropped as well.
    """
    parts = urlsplit(uri.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host_for_url(host) + (f":{port}" if port else "")
    query = "&".join(
        kv
        for kv in parts.query.split("&")
        if kv and kv.split("=", 1)[0].lower() not in _CREDENTIAL_QUERY_KEYS
    )
    return urlunsplit((parts.scheme or "rtsp", netloc, parts.path, query, ""))


class Conversation:
    """Calls to one camera under the caller's deadline (which wraps everything from outside)."""

    def __init__(
        self,
        camera: Camera,
        credential: Credential | None,
        *,
        max_bytes: int,
        read_timeout_s: float,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.camera = camera
        self.where = f"{camera.host}:{camera.port}"
        scheme = "https" if camera.https else "http"
        self.base = f"{scheme}://{host_for_url(camera.host)}:{camera.port}"
        self.xaddrs: dict[str, str] = {"devicemgmt": self.base + DEVICE_PATH}
        session = session or shared_session()
        password = (
            credential.password.reveal() if credential and credential.password is not None else None
        )
        self._secret = password

        def transport(digest: aiohttp.DigestAuthMiddleware | None) -> PinnedTransport:
            return PinnedTransport(
                session,
                scheme=scheme,
                host=camera.host,
                port=camera.port,
                max_bytes=max_bytes,
                read_timeout_s=read_timeout_s,
                digest=digest,
            )

        # Unauthenticated calls go through a transport that cannot answer a Digest challenge:
        # a clock reading must never count as a login attempt.
        self.open_transport = transport(None)
        digest = None
        if credential is not None and password is not None and ":" not in credential.username:
            digest = aiohttp.DigestAuthMiddleware(credential.username, password)
        self.auth_transport = transport(digest)
        self.token = (
            OffsetUsernameToken(credential.username, password or "") if credential else None
        )
        self.calls: list[tuple[str, float]] = []
        self.pending: list[str] = []  # operations sent and not answered yet
        self.offset_s: float | None = None
        self.latency_ms: float | None = None
        self.auth_retried = False
        self._proxies: dict[tuple[str, bool], Any] = {}

    @property
    def answered(self) -> bool:
        return self.open_transport.responses > 0 or self.auth_transport.responses > 0

    @property
    def auth_method(self) -> str | None:
        if self.token is None:
            return None
        return "digest" if self.auth_transport.digest_used else "wsse"

    def _proxy(self, service: str, authed: bool) -> Any:
        key = (service, authed)
        proxy = self._proxies.get(key)
        if proxy is None:
            client = ZeepAsyncClient(
                wsdl=_documents[service],
                wsse=self.token if authed else None,
                transport=self.auth_transport if authed else self.open_transport,
                settings=ZEEP_SETTINGS,
            )
            binding = client.wsdl.bindings[
                "{%s}%s" % (NAMESPACES[service], SERVICES[service]["binding"])
            ]
            proxy = self._proxies[key] = _LazyServiceProxy(
                client, binding, address=self.xaddrs[service]
            )
        return proxy

    def _safe(self, text: str) -> str:
        if self._secret and len(self._secret) >= 3:
            text = text.replace(self._secret, "********")
        return redact(text)[:300]

    async def call(self, service: str, op: str, *, authed: bool = True, **params: Any) -> Any:
        """One SOAP call through zeep; the reply object, or OnvifCallError.

        Timed into ``calls`` when it ends with an answer (a reply, a fault, a refusal). A call
        cancelled by the deadline is not a timing: it stays in ``pending`` for the error text.
        """
        if service not in self.xaddrs:
            raise OnvifCallError(Failure.UNSUPPORTED, f"{self.where}: no {service} service")
        return await self._run(
            op, authed, lambda: getattr(self._proxy(service, authed), op)(**params)
        )

    async def raw_call(self, service: str, ns: str, op: str, body: etree._Element) -> Any:
        """A signed SOAP 1.2 call zeep has no WSDL for (media2); the reply's Body child.

        ``body`` is the request element (``{ns}op`` with its children). Same timing, pinning,
        caps and error translation as ``call``; a SOAP fault raises like zeep's.
        """
        if service not in self.xaddrs:
            raise OnvifCallError(Failure.UNSUPPORTED, f"{self.where}: no {service} service")

        async def send() -> Any:
            env = etree.Element(f"{{{_SOAP12}}}Envelope", nsmap={"s": _SOAP12})
            etree.SubElement(env, f"{{{_SOAP12}}}Header")
            etree.SubElement(env, f"{{{_SOAP12}}}Body").append(body)
            if self.token is not None:
                self.token.apply(env, {})
            headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{ns}/{op}"'}
            reply = await self.auth_transport.post_xml(self.xaddrs[service], env, headers)
            root = etree.fromstring(reply.content, parser=_REPLY_PARSER)  # checked by the transport
            fault = root.find(f"{{{_SOAP12}}}Body/{{{_SOAP12}}}Fault")
            if fault is not None:
                subcodes = [
                    etree.QName(v.text.split(":")[-1])
                    for v in fault.iterfind(".//{*}Subcode/{*}Value")
                    if v.text
                ]
                raise zeep.exceptions.Fault(  # type: ignore[no-untyped-call]
                    fault.findtext(".//{*}Reason/{*}Text") or "", subcodes=subcodes
                )
            found = root.find(f"{{{_SOAP12}}}Body/{{{ns}}}{op}Response")
            if found is None:
                raise ValueError(f"no {op}Response in the reply")
            return found

        return await self._run(op, True, send)

    async def _run(self, op: str, authed: bool, send: Callable[[], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        exchange_ms.set(None)
        self.pending.append(op)
        try:
            reply = await send()
        except WireError as err:
            rejected = err.http_status == 401 and self.auth_transport.digest_used and authed
            error = OnvifCallError(
                err.failure, f"{op}: {self._safe(str(err))}", digest_rejected=rejected
            )
        except zeep.exceptions.Fault as fault:
            error = self._fault_error(op, fault)
        except (zeep.exceptions.Error, ValueError, TypeError, AttributeError, LookupError) as err:
            # zeep could not map the reply onto the schema: the camera's doing, not ours.
            reason = self._safe(str(err).splitlines()[0] if str(err) else type(err).__name__)
            error = OnvifCallError(
                Failure.MALFORMED, f"{op}: {self.where}: unusable reply ({reason[:120]})"
            )
        else:
            self._done(op, start)
            return reply
        self._done(op, start)
        raise error

    def _done(self, op: str, start: float) -> None:
        self.pending.remove(op)
        # The camera's own time when the transport saw the exchange; else (refused, pinned
        # away) the whole call.
        ms = exchange_ms.get()
        self.calls.append(
            (op, ms if ms is not None else round((time.perf_counter() - start) * 1000, 3))
        )

    def _fault_error(self, op: str, fault: zeep.exceptions.Fault) -> OnvifCallError:
        subcodes = [getattr(c, "localname", None) or str(c) for c in (fault.subcodes or [])]
        text = " ".join([*subcodes, str(fault.message or "")])
        failure = Failure.AUTH if _AUTH_FAULT.search(text) else Failure.PROTOCOL
        code = "/".join(s.rsplit("}", 1)[-1] for s in subcodes) or "fault"
        reason = self._safe(str(fault.message or "").strip())[:160]
        return OnvifCallError(
            failure, f"{op}: {self.where}: SOAP fault {code}" + (f": {reason}" if reason else "")
        )

    async def measure_clock(self, *, allow_auth: bool = True) -> Any:
        """GetSystemDateAndTime, unauthenticated (Axis: authenticated); sets offset and latency.

        ``allow_auth=False`` never falls back to the authenticated call (it would be a login).
        """
        sent = utc_now()
        try:
            reply = await self.call("devicemgmt", "GetSystemDateAndTime", authed=False)
        except OnvifCallError as err:
            if err.failure is not Failure.AUTH or self.token is None or not allow_auth:
                raise
            # Axis authenticates even this call (against ONVIF Core); our unadjusted clock
            # is the best we have for its first Created.
            sent = utc_now()
            reply = await self.call("devicemgmt", "GetSystemDateAndTime")
        self.latency_ms = self.calls[-1][1]
        offset = measure_offset(reply, sent, utc_now())
        if offset is not None:
            self.offset_s = offset
            if self.token is not None:
                self.token.offset_s = offset
        return reply

    async def authed(self, service: str, op: str, *, retry_auth: bool = True, **params: Any) -> Any:
        """An authenticated call; on NotAuthorized/401 re-measure the clock and retry once."""
        try:
            return await self.call(service, op, **params)
        except OnvifCallError as err:
            if (
                err.failure is not Failure.AUTH
                or err.digest_rejected  # Digest does not depend on the clock: re-measuring won't help
                or not retry_auth
                or self.auth_retried
                or self.token is None
            ):
                raise
            self.auth_retried = True
        # The camera may have jumped (reboot, NTP step) since we measured: measure again.
        await self.measure_clock()
        return await self.call(service, op, **params)
