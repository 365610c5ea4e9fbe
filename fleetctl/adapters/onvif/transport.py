"""The HTTP side of ONVIF: one shared connection pool, capped reads, errors as Failures.

onvif-zeep-async gives every service of every camera its own ``TCPConnector`` and
``ClientSession`` and reads whole bodies before zeep parses them with ``huge_tree``. At fleet
scale that is thousands of pools and an unbounded read per reply. Here, instead:

- one ``http.pool.HttpPool`` for the whole fleet, passed in by whoever owns it (the engine's
  check run opens one per run): keep-alive, at most ``PER_CAMERA_CONNECTIONS`` sockets per
  camera, no cookies, no ``Accept-Encoding`` (a gzip bomb cannot pass as a small body), llhttp
  under it instead of aiohttp's per-request machinery (see ``http.client``);
- ``PinnedTransport`` is the object zeep calls (``post_xml``) and the health path calls
  (``post_bytes``): it refuses any address other than the inventory's host and port, answers
  an HTTP Digest challenge (never Basic) and then authenticates preemptively, classifies the
  HTTP status *before* any SOAP parsing (an HTML 401 page is auth, not a "Unknown fault"),
  reads at most ``max_bytes`` and checks that the body is plain, well-formed XML with no DTD
  before zeep sees it.

Every problem leaves as ``WireError(failure, message)`` (``adapters.errors``); messages carry
the address, never a credential.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from fleetctl import __version__
from fleetctl.adapters.errors import HttpError, WireError
from fleetctl.adapters.http.client import Headers, Response
from fleetctl.adapters.http.digest import Authorizer, Challenge, parse_challenges
from fleetctl.adapters.http.pool import HttpPool
from fleetctl.base.i18n import Msg
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

USER_AGENT = f"fleetctl/{__version__}"


@dataclass(frozen=True)
class DigestLogin:
    """Who answers a camera's HTTP Digest challenge (the password never shows in a repr)."""

    username: str
    password: Secret = field(repr=False)


# How long the camera took: from our request on the wire to the last byte of its reply, not
# counting a wait for a pooled socket, the connect, or our own XML work. Set per task by the
# transport, read by the caller right after the call returns (same task, same context).
exchange_ms: ContextVar[float | None] = ContextVar("exchange_ms", default=None)


@dataclass(frozen=True)
class Reply:
    """What zeep's ``process_reply`` reads of a response (a duck-typed requests.Response),
    and ``root``: the body as the strict check parsed it (None for a multipart reply)."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]  # http_client.Headers (case-insensitive, getall)
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
        ) from err
    if root.getroottree().docinfo.doctype:  # e.g. a UTF-16 body the byte scan could not see
        raise WireError(Failure.MALFORMED, f"{where}: reply declares a DTD (refused)")
    return root


def translate_client_error(err: HttpError, where: str) -> WireError:
    """An ``http_client.HttpError`` -> WireError with the same Failure, the address in front."""
    wire = WireError(err.failure, f"{where}: {err.reason}")
    if err.said is not None:
        wire.msg = Msg("%(where)s: %(said)s", (("where", where), ("said", err.said)))
    return wire


def _charset(content_type: str | None) -> str | None:
    # zeep decodes MTOM parts with it; a SOAP body itself declares its encoding in XML.
    if not content_type or "charset" not in content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _digest_challenge(headers: Headers) -> Challenge | None:
    """The first Digest challenge we can answer (never Basic: SOAP is not worth a password in
    clear, and a camera offering only Basic keeps WS-UsernameToken)."""
    for challenge in parse_challenges(headers.getall("WWW-Authenticate")):
        if challenge.scheme == "digest" and challenge.supported:
            return challenge
    return None


class PinnedTransport:
    """The transport zeep (and the health path) calls for one camera: pinned, capped, status-first.

    ``digest`` answers a ``401 WWW-Authenticate: Digest`` challenge, then authenticates
    preemptively (the nonce is kept, ``nc`` counts up); it is per camera. ``pool`` is the
    fleet's connection pool; its owner closes it.
    """

    def __init__(
        self,
        pool: HttpPool,
        *,
        scheme: str,
        host: str,
        port: int,
        max_bytes: int,
        read_timeout_s: float,
        digest: DigestLogin | None = None,
    ) -> None:
        self.pool = pool
        self.scheme = scheme
        self.host = host.strip("[]")
        self.port = port
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s
        self.digest = digest
        self.digest_used = False  # an Authorization: Digest header was sent
        self.responses = 0  # HTTP responses whose status line and headers arrived
        self.where = f"{host}:{port}"
        self._auth: Authorizer | None = None
        self._targets: dict[str, str] = {}  # address -> request target, once pinned
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        self._prefix = f"{scheme}://{netloc}:{port}/"  # how pinned addresses look (pin_xaddr)

    def _pin(self, address: str) -> str:
        target = self._targets.get(address)
        if target is not None:
            return target
        if address.startswith(self._prefix) and "#" not in address:
            # The common case, without urlsplit's cost: an address we re-rooted ourselves.
            target = self._targets[address] = address[len(self._prefix) - 1 :]
            return target
        parts = urlsplit(address)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if (parts.hostname or "").lower() != self.host.lower() or port != self.port:
            raise WireError(
                Failure.PROTOCOL, f"{self.where}: refusing to call an address outside the inventory"
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._targets[address] = target
        return target

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Reply:
        """zeep's entry point: the envelope as an lxml tree."""
        body = etree.tostring(envelope, encoding="utf-8", xml_declaration=True)
        return await self.post_bytes(address, body, headers)

    async def post_bytes(self, address: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST ``body``; the checked reply, or WireError (see the module docstring)."""
        target = self._pin(address)
        response = await self._send(target, body, headers)
        if response.status == 401 and self.digest is not None:
            # A challenge met (first contact), or our preemptive answer's nonce expired: answer
            # it once, as aiohttp's DigestAuthMiddleware does. A 401 to that answer is final.
            challenge = _digest_challenge(response.headers)
            if challenge is not None:
                self._auth = Authorizer(challenge, self.digest.username, self.digest.password)
                response = await self._send(target, body, headers)
        return self._reply(response)

    async def _send(self, target: str, body: bytes, headers: dict[str, str]) -> Response:
        sent = {"User-Agent": USER_AGENT, **headers}
        if self._auth is not None:
            sent["Authorization"] = self._auth.header("POST", target)  # uri= is the exact target
            self.digest_used = True
        try:
            response = await self.pool.request(
                "POST",
                self.scheme,
                self.host,
                self.port,
                target,
                sent,
                body,
                max_bytes=self.max_bytes,
                read_timeout_s=self.read_timeout_s,
                on_head=self._count,
            )
        except HttpError as err:
            if err.exchange_ms is not None:
                exchange_ms.set(err.exchange_ms)
            raise translate_client_error(err, self.where) from err
        exchange_ms.set(response.exchange_ms)  # a Digest answer overwrites: we want the last
        return response

    def _count(self) -> None:
        self.responses += 1

    def _reply(self, response: Response) -> Reply:
        status = response.status
        # The status decides before any parsing: Digest-only cameras answer an HTML 401 page
        # that zeep would report as an "Unknown fault".
        if status in (401, 403):
            raise WireError(
                Failure.AUTH,
                f"{self.where}: HTTP {status} (credentials rejected)",
                http_status=status,
            )
        if response.oversized:
            if response.declared is not None and response.declared > self.max_bytes:
                raise WireError(
                    Failure.OVERSIZED,
                    f"{self.where}: reply of {response.declared:,} bytes exceeds the cap",
                )
            raise WireError(
                Failure.OVERSIZED, f"{self.where}: reply larger than {self.max_bytes:,} bytes"
            )
        content = response.body
        if status not in (200, 400, 500) or not content:
            # SOAP faults travel as 400/500 with an envelope; anything else is not SOAP.
            raise WireError(Failure.PROTOCOL, f"{self.where}: HTTP {status}", http_status=status)
        content_type = response.headers.get("Content-Type")
        root = None
        if content_type is not None and "multipart" in content_type:
            pass  # MTOM: zeep splits the parts; no ONVIF health call replies this way
        elif status != 200:
            try:
                root = check_xml(content, self.where)
            except WireError as err:  # an HTML error page: a bad status, not a bad SOAP reply
                raise WireError(
                    Failure.PROTOCOL, f"{self.where}: HTTP {status}", http_status=status
                ) from err
            if str(root.tag).rpartition("}")[2] != "Envelope":
                # An error page that happens to be well-formed (XHTML): still a bad status.
                raise WireError(
                    Failure.PROTOCOL, f"{self.where}: HTTP {status}", http_status=status
                )
        else:
            root = check_xml(content, self.where)
        return Reply(status, content, response.headers, _charset(content_type), root)

    def load(self, url: str) -> bytes:  # zeep API: documents come from local files only
        raise RuntimeError("remote WSDL/XSD loading is disabled")

    async def aclose(self) -> None:
        """The pool is the fleet's (its owner closes it): nothing to close per camera."""


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
