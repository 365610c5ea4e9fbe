"""One ONVIF conversation with one camera: pinned addresses, timed calls, one clock offset.

Two ways to talk, one set of rules (pinned, capped, timed, errors in words):

- ``soap(Request)``: the health calls, as fixed SOAP templates read with lxml (``onvif_soap``);
  no zeep, no WSDL, a fraction of the CPU. What a check at fleet scale runs on.
- ``call(service, op, **params)``: any WSDL operation through onvif-zeep-async's zeep client
  (``onvif_zeep``, imported on first use): configuration, users, push.

Both sign with the same ``UsernameToken`` (its Created on the camera's clock), so a re-measured
offset reaches both. Every call is timed into ``calls`` and every failure leaves as
``OnvifCallError(failure, msg)`` with the camera address and the operation in words, never a
credential.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from fleetctl.adapters.errors import OnvifCallError, WireError
from fleetctl.adapters.http.pool import HttpPool, camera_pool
from fleetctl.adapters.onvif.clock import measure_offset, utc_now
from fleetctl.adapters.onvif.soap import (
    NAMESPACES,
    Request,
    SoapFault,
    SoapReplyError,
    UsernameToken,
    request,
    response_of,
)
from fleetctl.adapters.onvif.transport import (
    DigestLogin,
    PinnedTransport,
    exchange_ms,
)
from fleetctl.base.i18n import Msg
from fleetctl.base.logsafe import redact
from fleetctl.core.models import Camera, Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

__all__ = [
    "NAMESPACES",
    "Conversation",
    "OnvifCallError",
    "host_for_url",
    "pin_stream_uri",
    "pin_xaddr",
]

DEVICE_PATH = "/onvif/device_service"
_CLOCK = request("devicemgmt", "GetSystemDateAndTime")

# ONVIF Core 5.11.2.1: ter:NotAuthorized; some firmwares only say it in the reason text
# ("Sender not Authorized", "authority failure", WS-Security's FailedAuthentication). Not a bare
# "password": SetUser faults about a weak new password are argument errors, not a rejection.
_AUTH_FAULT = re.compile(
    r"not ?authori[sz]ed|unauthori[sz]ed|authenticat|authority|FailedAuthentication", re.I
)


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
    """Calls to one camera under the caller's deadline (which wraps everything from outside).

    ``pool`` is the connection pool of the caller's run (shared with other cameras, closed by
    its owner); without one the conversation opens its own, and ``aclose()`` closes it.
    """

    def __init__(
        self,
        camera: Camera,
        credential: Credential | None,
        *,
        max_bytes: int,
        read_timeout_s: float,
        pool: HttpPool | None = None,
    ) -> None:
        self.camera = camera
        self.where = f"{camera.host}:{camera.port}"
        scheme = "https" if camera.https else "http"
        self.base = f"{scheme}://{host_for_url(camera.host)}:{camera.port}"
        self.xaddrs: dict[str, str] = {"devicemgmt": self.base + DEVICE_PATH}
        self._own_pool = pool is None
        self.pool = pool if pool is not None else camera_pool()
        password = (
            credential.password.reveal() if credential and credential.password is not None else None
        )
        self._secret = password

        def transport(digest: DigestLogin | None) -> PinnedTransport:
            return PinnedTransport(
                self.pool,
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
            digest = DigestLogin(credential.username, Secret(password))
        self.auth_transport = transport(digest)
        self.token = UsernameToken(credential.username, password or "") if credential else None
        self.calls: list[tuple[str, float]] = []
        self.pending: list[str] = []  # operations sent and not answered yet
        self.offset_s: float | None = None
        self.latency_ms: float | None = None
        self.auth_retried = False
        self._proxies: dict[tuple[str, bool], Any] = {}

    async def aclose(self) -> None:
        """Close the conversation's own pool (a pool given by the caller stays open)."""
        if self._own_pool:
            await self.pool.close()

    @property
    def answered(self) -> bool:
        return self.open_transport.responses > 0 or self.auth_transport.responses > 0

    @property
    def auth_method(self) -> str | None:
        if self.token is None:
            return None
        return "digest" if self.auth_transport.digest_used else "wsse"

    def _proxy(self, service: str, authed: bool) -> Any:
        from fleetctl.adapters.onvif import zeep_client as onvif_zeep

        key = (service, authed)
        proxy = self._proxies.get(key)
        if proxy is None:
            wsse = None
            if authed and self.token is not None:
                wsse = onvif_zeep.OffsetUsernameToken(self.token, self._secret or "")
            proxy = self._proxies[key] = onvif_zeep.service_proxy(
                service,
                self.xaddrs[service],
                self.auth_transport if authed else self.open_transport,
                wsse,
            )
        return proxy

    def _safe(self, text: str) -> str:
        if self._secret and len(self._secret) >= 3:
            text = text.replace(self._secret, "********")
        return redact(text)[:300]

    async def soap(
        self, req: Request, service: str = "devicemgmt", *, authed: bool = True
    ) -> etree._Element:
        """One call without zeep: ``req`` to ``service``; the reply's ``opResponse`` element.

        Timed into ``calls`` when it ends with an answer (a reply, a fault, a refusal). A call
        cancelled by the deadline is not a timing: it stays in ``pending`` for the error text.
        """
        if service not in self.xaddrs:
            raise OnvifCallError(Failure.UNSUPPORTED, f"{self.where}: no {service} service")
        transport = self.auth_transport if authed else self.open_transport
        token = self.token if authed else None

        async def send() -> etree._Element:
            reply = await transport.post_bytes(
                self.xaddrs[service], req.envelope(token), req.headers()
            )
            if reply.root is None:  # MTOM multipart: no health reply comes this way
                raise SoapReplyError("a multipart reply")
            return response_of(reply.root, req)

        return await self._run(req.op, authed, send)

    async def call(self, service: str, op: str, *, authed: bool = True, **params: Any) -> Any:
        """One SOAP call through zeep; the reply object.

        The service's WSDL is parsed on first use (once per process): callers under a deadline
        load them first (``onvif.load_wsdls``) so that no camera pays for it.
        """
        if service not in self.xaddrs:
            raise OnvifCallError(Failure.UNSUPPORTED, f"{self.where}: no {service} service")
        from fleetctl.adapters.onvif import zeep_client as onvif_zeep

        await onvif_zeep.load_documents((service,))

        return await self._run(
            op, authed, lambda: onvif_zeep.send(self._proxy(service, authed), op, params)
        )

    async def _run(self, op: str, authed: bool, send: Callable[[], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        exchange_ms.set(None)
        self.pending.append(op)
        cause: Exception | None = None
        try:
            reply = await send()
        except WireError as err:
            cause = err
            rejected = err.http_status == 401 and self.auth_transport.digest_used and authed
            error = OnvifCallError(
                err.failure, f"{op}: {self._safe(str(err))}", digest_rejected=rejected
            )
            if err.msg is not None:  # words of our own (no secret in them): the call, then those
                error.msg = Msg("%(call)s: %(said)s", (("call", op), ("said", err.msg)))
        except SoapFault as fault:
            cause = fault
            error = self._fault_error(op, fault)
        except (ValueError, TypeError, AttributeError, LookupError) as err:
            cause = err
            # The reply does not have the shape of the answer: the camera's doing, not ours.
            reason = self._safe(str(err).splitlines()[0] if str(err) else type(err).__name__)
            error = OnvifCallError(
                Failure.MALFORMED, f"{op}: {self.where}: unusable reply ({reason[:120]})"
            )
        else:
            self._done(op, start)
            return reply
        self._done(op, start)
        raise error from cause

    def _done(self, op: str, start: float) -> None:
        self.pending.remove(op)
        # The camera's own time when the transport saw the exchange; else (refused, pinned
        # away) the whole call.
        ms = exchange_ms.get()
        self.calls.append(
            (op, ms if ms is not None else round((time.perf_counter() - start) * 1000, 3))
        )

    def _fault_error(self, op: str, fault: SoapFault) -> OnvifCallError:
        text = " ".join([*fault.subcodes, fault.message])
        failure = Failure.AUTH if _AUTH_FAULT.search(text) else Failure.PROTOCOL
        code = "/".join(fault.subcodes) or "fault"
        reason = self._safe(fault.message)[:160]
        return OnvifCallError(
            failure, f"{op}: {self.where}: SOAP fault {code}" + (f": {reason}" if reason else "")
        )

    async def measure_clock(self, *, allow_auth: bool = True) -> etree._Element | None:
        """GetSystemDateAndTime, unauthenticated (Axis: authenticated); sets offset and latency.

        The reply's ``SystemDateAndTime`` element (None if absent; read it with ``field``).
        ``allow_auth=False`` never falls back to the authenticated call (it would be a login).
        """
        sent = utc_now()
        try:
            response = await self.soap(_CLOCK, authed=False)
        except OnvifCallError as err:
            if err.failure is not Failure.AUTH or self.token is None or not allow_auth:
                raise
            # Axis authenticates even this call (against ONVIF Core); our unadjusted clock
            # is the best we have for its first Created.
            sent = utc_now()
            response = await self.soap(_CLOCK)
        reply = response.find("{*}SystemDateAndTime")
        self.latency_ms = self.calls[-1][1]
        offset = measure_offset(reply, sent, utc_now())
        if offset is not None:
            self.offset_s = offset
            if self.token is not None:
                self.token.offset_s = offset
        return reply

    async def authed(self, service: str, op: str, *, retry_auth: bool = True, **params: Any) -> Any:
        """An authenticated zeep call; on NotAuthorized/401 re-measure the clock, retry once."""
        return await self.retrying(lambda: self.call(service, op, **params), retry_auth)

    async def authed_soap(
        self, req: Request, service: str = "devicemgmt", *, retry_auth: bool = True
    ) -> etree._Element:
        """``soap`` with the same one re-measure and retry on NotAuthorized/401."""
        return await self.retrying(lambda: self.soap(req, service), retry_auth)  # type: ignore[no-any-return]

    async def retrying(self, make: Callable[[], Awaitable[Any]], retry_auth: bool = True) -> Any:
        try:
            return await make()
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
        return await make()
