"""One camera's HTTP face: ONVIF SOAP dispatch, authentication, vendor storage, and HTTP-level faults.

Order of a request, as on a real device: transport faults (hang, slow) -> routing -> parse ->
authentication (HTTP Digest demanded on ``auth_mode="digest"`` cameras and on vendor APIs,
WS-UsernameToken otherwise; GetSystemDateAndTime is always open) -> operation -> reply faults
(soap_fault, malformed_xml, huge_reply, entity_bomb, drip). Every operation is counted in
``cam.counters.requests``, every successful write in ``cam.counters.writes``.

Cost: a request is answered synchronously (the HTTP server writes the reply from
``data_received``); only the faults that make a camera wait (hang, slow, a hanging write) hand
back a coroutine. This simulator shares the cores with the client it serves, so its cost per
request shows in every benchmark (benchmarks/bench_sim.py).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fleetctl.sim.camera import firmware as simfirmware
from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.http import Request, Response
from fleetctl.sim.onvif import device as onvif_device
from fleetctl.sim.onvif import media as onvif_media
from fleetctl.sim.onvif import network as onvif_network
from fleetctl.sim.onvif import recording as onvif_recording
from fleetctl.sim.onvif import search as onvif_search
from fleetctl.sim.onvif.auth import (
    WSU_NS,
    AuthResult,
    check_digest,
    check_wsse,
    digest_challenge,
    record,
)
from fleetctl.sim.onvif.soap import (
    MEDIA2,
    NS,
    OPS,
    RECORDING,
    REPLAY,
    SEARCH,
    WSSE,
    Ctx,
    SoapFault,
    envelope,
    fault,
    parse,
)
from fleetctl.sim.vendors import axis as sim_axis
from fleetctl.sim.vendors import dahua as sim_dahua
from fleetctl.sim.vendors import hikvision as sim_hikvision
from fleetctl.sim.vendors import search as vendor_search
from fleetctl.sim.vendors import storage as vendor_storage
from fleetctl.sim.vendors.flavours import FLAVOURS

# Canonical prefix of each service namespace (envelope() rewrites them per vendor).
_PREFIX = {v: k for k, v in NS.items()}

_LOADED = (
    onvif_device,
    onvif_media,
    onvif_network,
    onvif_recording,
    onvif_search,
)  # importing them registers their ops

_BODY = f"{{{NS['env']}}}Body"
_HEADER = f"{{{NS['env']}}}Header"
_SECURITY, _TOKEN = f"{{{WSSE}}}Security", f"{{{WSSE}}}UsernameToken"
_USERNAME, _PASSWORD, _NONCE = f"{{{WSSE}}}Username", f"{{{WSSE}}}Password", f"{{{WSSE}}}Nonce"
_CREATED = f"{{{WSU_NS}}}Created"
_HANG = Response(0)  # marker from _soap(): never answer this request (a write that hangs)
HUGE_BYTES = 50 * 1024 * 1024
_CHUNK = b"A" * 65536  # shared: a 50 MB reply streams from this, never held per request
_SOAP12_URI, _SOAP11_URI = NS["env"].encode(), b"http://schemas.xmlsoap.org/soap/envelope/"
_SOAP11_TYPE = "text/xml; charset=utf-8"
_INTERNAL_ERROR_HTML = (
    b"<html><head><title>500 Internal Server Error</title></head>"
    b"<body><h1>500 Internal Server Error</h1></body></html>"
)
_UNAUTHORIZED_HTML = (
    b"<html><head><title>401 Unauthorized</title></head><body>Unauthorized</body></html>"
)


def _bomb(flavour_env: str) -> bytes:
    levels = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">{levels}]>'
        f'<{flavour_env}:Envelope xmlns:{flavour_env}="{NS["env"]}"><{flavour_env}:Body>'
        f'<tds:GetDeviceInformationResponse xmlns:tds="{NS["tds"]}"><tds:Manufacturer>&lol9;'
        f"</tds:Manufacturer></tds:GetDeviceInformationResponse></{flavour_env}:Body>"
        f"</{flavour_env}:Envelope>"
    ).encode()


def _huge(env: str) -> Response:
    head = (
        f'<?xml version="1.0"?>\n<{env}:Envelope xmlns:{env}="{NS["env"]}"><{env}:Body>'
        f'<tds:GetDeviceInformationResponse xmlns:tds="{NS["tds"]}"><tds:Manufacturer>'
    ).encode()
    tail = (
        f"</tds:Manufacturer></tds:GetDeviceInformationResponse></{env}:Body></{env}:Envelope>"
    ).encode()

    async def stream() -> AsyncIterator[bytes]:
        yield head
        for _ in range(HUGE_BYTES // len(_CHUNK)):
            yield _CHUNK
        yield tail

    return Response(200, stream=stream, length=len(head) + HUGE_BYTES + len(tail))


def _username_token(root: Any) -> Any:
    """The first Header/Security/UsernameToken in document order (what ElementPath's find()
    returns), by walking children: ElementPath costs several times more per request."""
    for header in root.iterchildren(_HEADER):
        for security in header.iterchildren(_SECURITY):
            for token in security.iterchildren(_TOKEN):
                return token
    return None


def _text(el: Any) -> str:
    return (el.text or "") if el is not None else ""


async def _never() -> Response:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")  # pragma: no cover


UPLOAD_PREFIX = "/upload/firmware/"


def _unsupported(reason: str) -> SoapFault:
    """An optional action this firmware does not implement: ONVIF's generic fault for it is
    env:Receiver with ter:ActionNotSupported (HTTP 500), whatever was asked."""
    return SoapFault("ter:ActionNotSupported", reason, sender=False)


class CameraApp:
    """The HTTP handler of one SimCamera. ``on_reboot`` is called when SystemReboot is accepted."""

    def __init__(self, cam: SimCamera, on_reboot: Callable[[SimCamera], None]) -> None:
        self.cam = cam
        self.flavour = FLAVOURS[cam.vendor]
        self._on_reboot = on_reboot
        self._services = {
            MEDIA2: self.flavour.media2,
            RECORDING: self.flavour.recording,
            SEARCH: self.flavour.recording,
            REPLAY: self.flavour.recording,
        }

    def __call__(self, req: Request) -> Response | Awaitable[Response]:
        """The reply, at once; an awaitable only when a fault makes the camera wait or hang."""
        cam = self.cam
        if cam.faults and (cam.has("hang") or cam.has("web_hang") or cam.has("slow")):
            return self._delayed(req)
        return self._respond(req)

    async def _delayed(self, req: Request) -> Response:
        cam = self.cam
        if cam.has("hang") or cam.has("web_hang"):
            await asyncio.Event().wait()  # accepted, read, never answered
        if cam.has("slow"):
            await asyncio.sleep(cam.fault_params.get("slow_s", 2.5))
        resp = self._respond(req)
        return resp if isinstance(resp, Response) else await resp

    def _respond(self, req: Request) -> Response | Awaitable[Response]:
        cam = self.cam
        if sim_axis.answers_info(cam, req.path):
            return sim_axis.device_info(cam, req)
        if cam.factory is not None:
            if sim_hikvision.handles(cam, req.path):
                answer = sim_hikvision.route(cam, req)
                return _never() if answer is None else answer  # None: a write that hangs
            if sim_axis.handles(cam, req.path):
                return sim_axis.route(cam, req)
            if sim_dahua.handles(cam, req.path):
                answer = sim_dahua.route(cam, req)
                return _never() if answer is None else answer
            if req.path.startswith("/onvif/") and not cam.factory.onvif_enabled:
                return Response(404, b"Not Found", content_type="text/plain")  # service off
        if req.path.startswith("/onvif/"):
            if req.method != "POST":
                return Response(405, b"", content_type="text/plain", headers=(("Allow", "POST"),))
            resp = self._soap(req)
            if resp is _HANG:
                return _never()  # this write is accepted and never answered
        elif req.path.startswith(UPLOAD_PREFIX):
            resp = self._upload(req)
        else:
            vendor = self._vendor(req)
            if not isinstance(vendor, Response):
                return vendor  # a search that never answers (sim/vendors/search.py)
            resp = vendor
        if cam.faults and cam.has("drip") and resp.stream is None:
            return Response(
                resp.status,
                resp.body,
                resp.content_type,
                resp.headers,
                drip_s=cam.fault_params.get("drip_s", 0.1),
            )
        return resp

    def _upload(self, req: Request) -> Response:
        """A firmware image POSTed to the path StartFirmwareUpgrade gave (Digest, as the web UI's
        own upload); accepted, the camera restarts onto it."""
        if req.method != "POST":
            return Response(405, b"", content_type="text/plain", headers=(("Allow", "POST"),))
        result = self._digest(req)
        if not result.ok:
            return self._challenge(result)
        status, text = simfirmware.accept(self.cam, req.path[len(UPLOAD_PREFIX) :], req.body)
        if status == 200:
            self._on_reboot(self.cam)
        return Response(status, text.encode(), content_type="text/plain")

    def _vendor(self, req: Request) -> Response | Awaitable[Response]:
        api = self.flavour.storage_api
        if not api or (
            req.path not in (vendor_storage.ISAPI_PATH, vendor_storage.DAHUA_PATH)
            and not vendor_search.handles(api, req.path)
        ):
            return Response(404, b"Not Found", content_type="text/plain")
        self.cam.counters.requests[req.path] += 1
        if "basic_only" in self.cam.faults:  # vendor pages of old firmware: Basic alone
            result = self._basic(req)
            if not result.ok:
                return Response(
                    401,
                    _UNAUTHORIZED_HTML,
                    content_type="text/html",
                    headers=(("WWW-Authenticate", 'Basic realm="storage"'),),
                )
        else:
            result = self._digest(req)
            if not result.ok:
                return self._challenge(result)
        found = vendor_search.route(self.cam, api, req)
        if found is not None:
            return found
        return vendor_storage.route(self.cam, api, req) or Response(
            404, b"Not Found", content_type="text/plain"
        )

    def _digest(self, req: Request) -> AuthResult:
        header = req.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            self.cam.counters.basic_auth_headers += 1
        if not header:
            return AuthResult(False, "", "no credentials")
        result = check_digest(self.cam, header, req.method, req.target)
        return result if result.reason == "stale nonce" else record(self.cam, result)

    def _challenge(self, result: AuthResult) -> Response:
        stale = result.reason == "stale nonce"
        return Response(
            401,
            _UNAUTHORIZED_HTML,
            content_type="text/html",
            headers=(("WWW-Authenticate", digest_challenge(self.cam, stale)),),
        )

    def _basic(self, req: Request) -> AuthResult:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return AuthResult(False, "", "no credentials")
        try:
            username, _, password = base64.b64decode(token.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return AuthResult(False, "", "bad basic token")
        user = self.cam.users.get(username)
        ok = user is not None and hmac.compare_digest(user.password, password)
        return record(self.cam, AuthResult(ok, username, "" if ok else "wrong password"))

    def _reply(self, body: bytes, status: int = 200) -> Response:
        cam, env = self.cam, self.flavour.prefixes["env"]
        if cam.has("huge_reply"):
            return _huge(env)
        if cam.has("entity_bomb"):
            return Response(200, _bomb(env))
        if cam.has("malformed_xml"):
            # Firmware that builds XML by string concatenation and truncates at a buffer size.
            return Response(200, body[: len(body) * 2 // 3] + b"<&/>")
        if "soap11" in cam.onvif_quirks:
            # SOAP 1.1 firmware answers a 1.2 request in its own envelope, as text/xml.
            return Response(
                status, body.replace(_SOAP12_URI, _SOAP11_URI), content_type=_SOAP11_TYPE
            )
        return Response(status, body)

    def _fault(self, err: SoapFault) -> Response:
        if "soap11" in self.cam.onvif_quirks:
            env = self.flavour.prefixes["env"]
            code = "Client" if err.sender else "Server"
            body = (
                f"<{env}:Fault><faultcode>{env}:{code}</faultcode>"
                f"<faultstring>{err.subcode.split(':', 1)[-1]}: {err.reason}</faultstring>"
                f"</{env}:Fault>"
            )
            return self._reply(envelope(self.flavour, body), err.status)
        return self._reply(fault(self.flavour, err), err.status)

    def _soap(self, req: Request) -> Response:
        cam = self.cam
        try:
            root = parse(req.body)
        except SoapFault as err:
            cam.counters.requests["<malformed>"] += 1
            return self._fault(err)
        body = root[-1] if len(root) else None  # Body is the Envelope's last child
        call = body[0] if body is not None and body.tag == _BODY and len(body) else None
        if call is None:
            return self._fault(SoapFault("ter:WellFormed", "empty Body"))
        ns, _, name = str(call.tag)[1:].partition("}")
        cam.counters.requests[name] += 1
        operation = OPS.get((ns, name))
        if (
            operation is None
            or not self._services.get(ns, True)
            or (ns == SEARCH and "no_search_service" in cam.onvif_quirks)
        ):
            return self._fault(_unsupported(f"{name} is not supported"))
        if cam.onvif_quirks:
            if "search_hang" in cam.onvif_quirks and name.endswith("SearchResults"):
                return _HANG  # sessions open, results never come (sim/onvif/search.py)
            left_out = self._left_out(name, root)
            if left_out is not None:
                return left_out
        username = ""
        if operation.auth:
            denied, username = self._authenticate(req, root)
            if denied is not None:
                return denied
            if cam.has("soap_fault"):
                return self._fault(SoapFault("ter:Action", "internal error", sender=False))
        ctx = Ctx(cam, self.flavour, username, lambda: self._on_reboot(cam))
        how = cam.write_faults.get(name) if operation.write else None
        if how == "hang":
            return _HANG
        if how == "fault":  # the firmware refuses this write (a value it cannot take)
            return self._fault(SoapFault("ter:InvalidArgVal", f"{name}: value not accepted"))
        if how == "ignore":  # 200 OK, nothing changes: a field the model silently ignores
            return self._reply(envelope(self.flavour, f"<{_PREFIX[ns]}:{name}Response/>"))
        try:
            xml = operation.fn(ctx, call)
        except SoapFault as err:
            return self._fault(err)
        if operation.write:
            cam.counters.writes[name] += 1
        return self._reply(envelope(self.flavour, xml))

    def _left_out(self, name: str, root: Any) -> Response | None:
        """Old firmware's answer to a call it left out (``SimCamera.onvif_quirks``), or None."""
        quirks = self.cam.onvif_quirks
        if name == "GetSystemDateAndTime":
            if "no_clock" in quirks:
                return self._fault(_unsupported("not implemented"))
            if "clock_needs_auth" in quirks and _username_token(root) is None:
                return self._fault(SoapFault("ter:NotAuthorized", "Sender not Authorized"))
        if name == "GetDeviceInformation" and "no_device_info" in quirks:
            return Response(500, _INTERNAL_ERROR_HTML, content_type="text/html")
        if name == "GetServices" and "no_services" in quirks:
            return self._fault(_unsupported("GetServices not supported"))
        if name in ("FindEvents", "FindRecordings") and "no_event_search" in quirks:
            # Cheap firmware: the recording summary, no search sessions (sim/vendors/search.py).
            return self._fault(_unsupported(f"{name} not supported"))
        return None

    def _authenticate(self, req: Request, root: Any) -> tuple[Response | None, str]:
        """(None, username) when allowed, else (the refusal, "")."""
        cam = self.cam
        if cam.auth_mode == "digest" or req.headers.get("authorization", "").startswith("Digest"):
            result = self._digest(req)
            if not result.ok:
                return self._challenge(result), ""
            return None, result.username
        token = _username_token(root)
        if token is None:
            return self._fault(SoapFault("ter:NotAuthorized", "Sender not Authorized")), ""
        fields: dict[Any, Any] = {}
        for child in token:  # one pass; the first of each name counts, as find() would
            fields.setdefault(child.tag, child)
        pw = fields.get(_PASSWORD)
        result = record(
            cam,
            check_wsse(
                cam,
                _text(fields.get(_USERNAME)).strip(),
                (pw.text or "") if pw is not None else "",
                pw.get("Type", "") if pw is not None else "",
                _text(fields.get(_NONCE)).strip(),
                _text(fields.get(_CREATED)),
                self.flavour.auth_window_s,
                zulu_only=self.flavour.zulu_only,
            ),
        )
        if not result.ok:
            return self._fault(SoapFault("ter:NotAuthorized", "Sender not Authorized")), ""
        return None, result.username
