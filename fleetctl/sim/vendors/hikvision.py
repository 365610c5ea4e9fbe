"""A factory-fresh Hikvision's provisioning face: activation, the ONVIF switch, ONVIF users, RTSP
authentication and per-address lockout, as the vendor's ISAPI developer guide describes them.

Device side of activation (written from the vendor's description, not from our client):

1. ``GET /SDK/activateStatus`` (no auth): ``<Activated>true|false</Activated>``.
2. ``POST /ISAPI/Security/challenge`` with ``<PublicKey><key>`` = base64 of the client's RSA-1024
   modulus as 256 hex characters (e = 65537). The device draws a 32-hex-character random string,
   RSA-encrypts it (PKCS#1 v1.5) with that key and answers ``<key>`` = base64 of the hex of the
   ciphertext. The random string, read as hex, is a 16-byte AES key; it is kept per client address.
3. ``PUT /ISAPI/System/activate`` with ``<ActivateInfo><password>`` = base64 of the hex of
   AES-128-ECB (zero padding) over the random string's first 16 characters + the password.
   Success: ResponseStatus statusCode 1. A password against the rules (8-16 ASCII characters, at
   least two of lower/upper/digit/symbol, not the user name or its mirror) is refused with the
   device's reason; the challenge is spent either way.

Newer firmware advertises ``<supportVersion>3</supportVersion>`` in step 1 and then requires
the V3 flow instead (RSA-3072, AES-CBC; sim/vendors/hikvision_v3.py says what is known of it and
what is our design); such a device refuses steps 2 and 3 above.

Until activated, every authenticated page answers 401 and ONVIF is absent; after activation,
ONVIF stays off until ``PUT /ISAPI/System/Network/Integrate`` turns it on, and its users are a
separate list (``/ISAPI/Security/ONVIF/users``). Failed administrator logins are counted per
client address: after ``LOCK_AFTER`` that address is refused for ``LOCK_S`` seconds, correct
password included (``/ISAPI/Security/illegalLoginLock`` tells the limits).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.sim.camera.model import FactoryState, SimCamera, User
from fleetctl.sim.http import Request, Response
from fleetctl.sim.onvif.auth import check_digest, digest_challenge
from fleetctl.sim.vendors import hikvision_v3

ADMIN = "admin"
LOCK_AFTER = 7  # failed administrator logins per client address
LOCK_S = 1800.0
MAX_ONVIF_USERS = 32
PATHS = (
    frozenset(
        {
            "/SDK/activateStatus",
            "/ISAPI/Security/challenge",
            "/ISAPI/System/activate",
            "/ISAPI/System/Network/Integrate",
            "/ISAPI/Security/ONVIF/users",
            "/ISAPI/Security/RTSPCertificate",
            "/ISAPI/Security/illegalLoginLock",
            "/ISAPI/System/deviceInfo",
        }
    )
    | hikvision_v3.PATHS
)
_XML = "application/xml; charset=UTF-8"
_NS = 'xmlns="http://www.hikvision.com/ver20/XMLSchema"'
_TAG = re.compile(r"<(\w+)>([^<]*)</\1>")


def inactive() -> FactoryState:
    return FactoryState()


def handles(cam: SimCamera, path: str) -> bool:
    return (
        cam.factory is not None
        and cam.factory.kind == "hikvision"
        and (path in PATHS or path.startswith("/ISAPI/Security/ONVIF/"))
    )


def password_problem(password: str, username: str = ADMIN) -> str | None:
    """The device's reason for refusing a new password, or None."""
    if not 8 <= len(password) <= 16 or not password.isascii() or not password.isprintable():
        return "password length must be 8-16 printable ASCII characters"
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if classes < 2:
        return "password must contain at least two kinds of characters"
    if password.lower() in (username.lower(), username.lower()[::-1]):
        return "password must not be the user name or the user name reversed"
    return None


def _status(code: int, string: str, sub: str, path: str, status: int = 200) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="2.0" {_NS}>'
        f"<requestURL>{escape(path)}</requestURL><statusCode>{code}</statusCode>"
        f"<statusString>{escape(string)}</statusString><subStatusCode>{escape(sub)}"
        "</subStatusCode></ResponseStatus>"
    ).encode()
    return Response(status, body, content_type=_XML)


def _ok(path: str) -> Response:
    return _status(1, "OK", "ok", path)


def _xml(body: str) -> Response:
    return Response(200, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode(), _XML)


def _fields(body: bytes) -> dict[str, str]:
    return {k: v.strip() for k, v in _TAG.findall(body[:16384].decode("utf-8", "replace"))}


def route(cam: SimCamera, req: Request) -> Response | None:
    """Answer one provisioning request of a camera with a ``factory`` state; None: never answer
    it (``cam.write_faults["Integrate"] = "hang"``: the ONVIF switch hangs, for tests that kill
    the client there)."""
    state = cam.factory
    assert state is not None
    cam.counters.requests[req.path] += 1
    if req.path == "/SDK/activateStatus" and req.method == "GET":
        flag = "true" if state.activated else "false"
        v3 = "<supportVersion>3</supportVersion>" if state.activate_v3 else ""
        return _xml(f"<ActivateStatus {_NS}><Activated>{flag}</Activated>{v3}</ActivateStatus>")
    if req.path in hikvision_v3.PATHS:
        if not state.activate_v3 or req.method != "POST":
            return _status(4, "Invalid Operation", "notSupport", req.path, 404)
        if req.path == hikvision_v3.CHALLENGE:
            return hikvision_v3.challenge(state, req)
        return hikvision_v3.activate(state, req, password_problem)
    older = ("/ISAPI/Security/challenge", "/ISAPI/System/activate")
    if state.activate_v3 and not state.activated and req.path in older:
        if req.path == older[1]:
            state.activations += 1  # a password sent the wrong way was still sent
        return _status(6, "Invalid Content", "badParameters", req.path, 400)  # V3 only
    if req.path == "/ISAPI/Security/challenge" and req.method == "POST":
        return _challenge(state, req)
    if req.path == "/ISAPI/System/activate" and req.method == "PUT":
        return _activate(cam, state, req)
    if req.path == "/ISAPI/Security/illegalLoginLock" and req.method == "GET":
        return _xml(
            f"<IllegalLoginLock {_NS}><enabled>true</enabled>"
            f"<maxIllegalLoginTimes>{LOCK_AFTER}</maxIllegalLoginTimes>"
            f"<lockTime>{int(LOCK_S // 60)}</lockTime></IllegalLoginLock>"
        )
    denied = _login(cam, state, req)
    if denied is not None:
        return denied
    hang = cam.write_faults.get("Integrate") == "hang"
    if hang and req.path == "/ISAPI/System/Network/Integrate" and req.method == "PUT":
        return None
    return _authenticated(cam, state, req)


def _challenge(state: FactoryState, req: Request) -> Response:
    if state.activated:
        return _status(4, "Invalid Operation", "activated", req.path, 403)
    try:
        modulus = int(base64.b64decode(_fields(req.body).get("key", ""), validate=True), 16)
        public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    except (ValueError, binascii.Error):
        return _status(6, "Invalid Content", "badXmlContent", req.path, 400)
    if public.key_size != 1024:
        return _status(6, "Invalid Content", "badXmlContent", req.path, 400)
    random_key = os.urandom(16).hex()
    state.challenges[req.peer] = random_key
    sealed = public.encrypt(random_key.encode("ascii"), padding.PKCS1v15())
    key = base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")
    return _xml(f"<Challenge {_NS}><key>{key}</key></Challenge>")


def _activate(cam: SimCamera, state: FactoryState, req: Request) -> Response:
    state.activations += 1
    if state.activated:
        return _status(4, "Invalid Operation", "activated", req.path, 403)
    random_key = state.challenges.pop(req.peer, None)  # one activation per challenge
    if random_key is None:
        return _status(4, "Invalid Operation", "noChallenge", req.path, 403)
    try:
        sealed = bytes.fromhex(base64.b64decode(_fields(req.body).get("password", "")).decode())
        aes = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.ECB()).decryptor()
        plain = (aes.update(sealed) + aes.finalize()).rstrip(b"\0")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return _status(6, "Invalid Content", "badXmlContent", req.path, 400)
    if len(sealed) % 16 or plain[:16] != random_key[:16].encode():
        return _status(6, "Invalid Content", "badXmlContent", req.path, 400)
    password = plain[16:].decode("utf-8", "replace")
    problem = password_problem(password)
    if problem is not None:
        return _status(6, "Invalid Content", f"riskPassword: {problem}", req.path, 400)
    state.activated, state.admin_password = True, password
    return _ok(req.path)


def _login(cam: SimCamera, state: FactoryState, req: Request) -> Response | None:
    """None when the request carries the administrator's valid Digest; else the refusal."""
    if not state.activated:
        return _status(4, "Invalid Operation", "notActivated", req.path, 401)
    verdict = admin_login(cam, state, req, ADMIN)
    if verdict is None:
        return None
    if verdict == "locked":
        return _status(4, "Invalid Operation", "userLocked", req.path, 401)
    return Response(
        401, b"", content_type="text/html", headers=(("WWW-Authenticate", digest_challenge(cam)),)
    )


def admin_login(cam: SimCamera, state: FactoryState, req: Request, admin: str) -> str | None:
    """The device administrator's Digest login, failures counted per client address: None when
    it opens; "locked" while the address is locked (correct password included); "refused"."""
    header = req.headers.get("authorization", "")
    if state.locked_until.get(req.peer, 0.0) > time.monotonic():
        return "locked"
    if header:

        def password_of(user: str) -> str | None:
            return state.admin_password if user == admin else None

        result = check_digest(cam, header, req.method, req.target, password_of)
        if result.ok:
            state.failures.pop(req.peer, None)
            return None
        if result.reason != "stale nonce":
            failures = state.failures[req.peer] = state.failures.get(req.peer, 0) + 1
            if failures >= LOCK_AFTER:
                state.locked_until[req.peer] = time.monotonic() + LOCK_S
                state.failures.pop(req.peer, None)
    return "refused"


def _authenticated(cam: SimCamera, state: FactoryState, req: Request) -> Response:
    path, method = req.path, req.method
    if path == "/ISAPI/System/deviceInfo" and method == "GET":
        return _xml(
            f"<DeviceInfo {_NS}><model>{escape(cam.model)}</model>"
            f"<serialNumber>{escape(cam.serial)}</serialNumber>"
            f"<macAddress>{escape(cam.mac)}</macAddress>"
            f"<firmwareVersion>{escape(cam.firmware)}</firmwareVersion></DeviceInfo>"
        )
    if path == "/ISAPI/System/Network/Integrate":
        if method == "PUT":
            body = req.body.decode("utf-8", "replace")
            onvif = re.search(r"<ONVIF>.*?<enable>\s*(\w+)\s*</enable>", body, re.S)
            if onvif is None:
                return _status(6, "Invalid Content", "badXmlContent", path, 400)
            state.onvif_enabled = onvif.group(1).lower() == "true"
            return _ok(path)
        flag = "true" if state.onvif_enabled else "false"
        return _xml(
            f"<Integrate {_NS}><CGI><enable>false</enable><certificateType>digest"
            f"</certificateType></CGI><ONVIF><enable>{flag}</enable><certificateType>digest"
            "</certificateType></ONVIF><ISAPI><enable>true</enable></ISAPI></Integrate>"
        )
    if path == "/ISAPI/Security/RTSPCertificate":
        if method == "PUT":
            kind = _fields(req.body).get("certificateType", "")
            if kind not in ("basic", "digest", "digestBasic"):
                return _status(6, "Invalid Content", "badXmlContent", path, 400)
            state.rtsp_auth = kind
            return _ok(path)
        return _xml(
            f"<RTSPCertificate {_NS}><certificateType>{state.rtsp_auth}"
            "</certificateType></RTSPCertificate>"
        )
    if path.startswith("/ISAPI/Security/ONVIF/users"):
        return _onvif_users(cam, req)
    return _status(4, "Invalid Operation", "notSupport", path, 404)


def _onvif_users(cam: SimCamera, req: Request) -> Response:
    path = req.path
    if req.method == "GET" and path == "/ISAPI/Security/ONVIF/users":
        rows = "".join(
            f"<User><id>{i}</id><userName>{escape(u.username)}</userName>"
            f"<userType>{_user_type(u.level)}</userType></User>"
            for i, u in enumerate(cam.users.values(), 1)
        )
        return _xml(f'<UserList version="2.0" {_NS}>{rows}</UserList>')
    if req.method not in ("POST", "PUT"):
        return _status(4, "Invalid Operation", "notSupport", path, 405)
    f = _fields(req.body)
    name, password, kind = f.get("userName", ""), f.get("password", ""), f.get("userType", "")
    levels = {"administrator": "Administrator", "operator": "Operator", "mediaUser": "User"}
    if not name or kind not in levels or not password:
        return _status(6, "Invalid Content", "badXmlContent", path, 400)
    problem = password_problem(password, name)
    if problem is not None:
        return _status(6, "Invalid Content", f"riskPassword: {problem}", path, 400)
    if name not in cam.users and len(cam.users) >= MAX_ONVIF_USERS:
        return _status(4, "Invalid Operation", "userNumLimited", path, 400)
    existing = cam.users.get(name)
    if existing is not None and req.method == "POST":
        return _status(4, "Invalid Operation", "userNameExist", path, 400)
    cam.users[name] = User(name, password, levels[kind])
    return _ok(path)


def _user_type(level: str) -> str:
    return {"Administrator": "administrator", "Operator": "operator"}.get(level, "mediaUser")
