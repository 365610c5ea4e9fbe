"""A factory-fresh Dahua (modern firmware): no account at all until it is initialised.

Written from what the vendor's web set-up wizard sends (public descriptions are approximate):
until initialised every CGI answers 401 ``Invalid Authority!`` and ONVIF is absent; only DHIP
discovery (sim/discovery/dhip.py) and JSON POSTs to ``/OutsideCmd`` (no session, no login) answer:

- ``DevInit.getStatus`` -> ``{"Init": 1|2, "Find": "B"}`` (Init 1: waiting, 2: initialised);
- ``DevInit.setProtocolAgree`` ``{"ProtocolEnable": true}``: the licence agreed (else the
  account is refused);
- ``Security.getEncryptInfo`` -> ``{"asymmetric": "RSA", "cipher": ["AES", "RPAC"],
  "AESPadding": ["ZERO", "PKCS7"], "pub": "N:<hex>,E:010001"}``: the device's RSA-2048 key;
- ``DevInit.account`` ``{"salt", "cipher", "content"}``: ``salt`` = hex of the device-key
  encryption (PKCS#1 v1.5) of a 32-character key string; ``content`` = base64 of AES-256-CBC
  (key: that string's bytes; IV: sixteen ASCII "0") over ``{"name": "admin", "pwd": ...}``,
  PKCS#7 padding for ``cipher`` "AES-256", zero padding for "RPAC-256". Refused in the device's
  words when the password breaks its rules (8-32 characters, two of upper/lower/digit/symbol,
  none of ``' " ; : &``, not the user name). Answered once: an initialised device refuses it;
- ``DevInit.access`` (after the account): cloud and upgrade-check choices, accepted.

Errors are ``{"result": false, "error": {"code": N, "message": "..."}}``. After initialisation
the CGI takes the administrator's HTTP Digest (failed logins counted per client address and the
address locked as sim/vendors/hikvision.py does). ONVIF is a service of its own, off until switched
on, with a user list of its own (``SimCamera.users``), as Dahua firmware keeps them:

- ``configManager.cgi?action=getConfig&name=VSP_ONVIF`` -> ``table.VSP_ONVIF.ServiceStart=false``
- ``configManager.cgi?action=setConfig&VSP_ONVIF.ServiceStart=true`` -> ``OK``
- ``userManager.cgi?action=getOnvifUserInfoAll`` -> ``users[0].Name=...`` lines
- ``userManager.cgi?action=addOnvifUser&user.Name=..&user.Password=..&user.Group=admin`` -> ``OK``

CGI errors are HTTP 400 with ``Error`` and the reason on the next line.
``cam.write_faults["VSP_ONVIF"] = "hang"``: the ONVIF switch never answers (kill tests).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives import padding as sympad
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.sim.camera.model import FactoryState, SimCamera, User
from fleetctl.sim.http import Request, Response
from fleetctl.sim.onvif.auth import digest_challenge
from fleetctl.sim.vendors.hikvision import admin_login

ADMIN = "admin"
OUTSIDE = "/OutsideCmd"
CONFIG = "/cgi-bin/configManager.cgi"
USERS = "/cgi-bin/userManager.cgi"
PATHS = frozenset({OUTSIDE, CONFIG, USERS})
IV = b"0" * 16
MAX_ONVIF_USERS = 18
_FORBIDDEN = set("'\";:&")


def handles(cam: SimCamera, path: str) -> bool:
    return cam.factory is not None and cam.factory.kind == "dahua" and path in PATHS


def password_problem(password: str, username: str = ADMIN) -> str | None:
    """The device's reason for refusing a password, or None."""
    if not 8 <= len(password) <= 32 or not password.isascii() or not password.isprintable():
        return "The password must be 8 to 32 characters"
    if _FORBIDDEN & set(password):
        return "The password cannot contain the characters ' \" ; : &"
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if classes < 2:
        return "The password must combine two of: upper case, lower case, numbers, symbols"
    if password.lower() == username.lower():
        return "The password cannot be the same as the user name"
    return None


def _answer(request_id: Any, params: dict[str, Any] | None = None) -> Response:
    body = {"result": True, "params": params, "id": request_id}
    return Response(200, json.dumps(body).encode(), content_type="application/json")


def _error(request_id: Any, code: int, message: str) -> Response:
    body = {"result": False, "error": {"code": code, "message": message}, "id": request_id}
    return Response(200, json.dumps(body).encode(), content_type="application/json")


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), content_type="text/plain")


def route(cam: SimCamera, req: Request) -> Response | None:
    """Answer one request of a Dahua with a ``factory`` state; None: never answer it."""
    state = cam.factory
    assert state is not None
    cam.counters.requests[req.path] += 1
    if req.path == OUTSIDE:
        return _outside(cam, state, req)
    if not state.activated:
        return _text(401, "Error\r\nInvalid Authority!\r\n")
    verdict = admin_login(cam, state, req, ADMIN)
    if verdict == "locked":
        return _text(401, "Error\r\nUser locked: too many failed logins from this address\r\n")
    if verdict is not None:
        return Response(
            401,
            b"",
            content_type="text/html",
            headers=(("WWW-Authenticate", digest_challenge(cam)),),
        )
    q, action = req.query, req.query.get("action", "")
    if req.path == CONFIG and action == "getConfig" and q.get("name") == "VSP_ONVIF":
        flag = "true" if state.onvif_enabled else "false"
        return _text(200, f"table.VSP_ONVIF.ServiceStart={flag}\r\n")
    if req.path == CONFIG and action == "setConfig" and "VSP_ONVIF.ServiceStart" in q:
        if cam.write_faults.get("VSP_ONVIF") == "hang":
            return None
        state.onvif_enabled = q["VSP_ONVIF.ServiceStart"].lower() == "true"
        return _text(200, "OK\r\n")
    if req.path == USERS and action == "getOnvifUserInfoAll":
        lines = [
            f"users[{i}].Name={u.username}\r\nusers[{i}].Group={_group(u.level)}\r\n"
            for i, u in enumerate(cam.users.values())
        ]
        return _text(200, "".join(lines))
    if req.path == USERS and action == "addOnvifUser":
        return _add_onvif_user(cam, q)
    return _text(400, "Error\r\nBad Request!\r\n")


def _outside(cam: SimCamera, state: FactoryState, req: Request) -> Response:
    try:
        call = json.loads(req.body[:65536])
    except (UnicodeDecodeError, ValueError):
        call = None
    if req.method != "POST" or not isinstance(call, dict):
        return _text(400, "Error\r\nBad Request!\r\n")
    method, rid = str(call.get("method", "")), call.get("id")
    given = call.get("params")
    params: dict[str, Any] = given if isinstance(given, dict) else {}
    cam.counters.requests[method] += 1
    if method == "DevInit.getStatus":
        return _answer(rid, {"Init": 2 if state.activated else 1, "Find": "B"})
    if method == "DevInit.setProtocolAgree":
        state.protocol_agreed = state.protocol_agreed or params.get("ProtocolEnable") is True
        return _answer(rid)
    if method == "Security.getEncryptInfo":
        if state.key is None:
            state.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        n = state.key.public_key().public_numbers().n
        pub = f"N:{n:X},E:010001"
        info = {"asymmetric": "RSA", "cipher": ["AES", "RPAC"], "AESPadding": ["ZERO", "PKCS7"]}
        return _answer(rid, {**info, "pub": pub, "suggestedAsymmetric": "RSA"})
    if method == "DevInit.account":
        state.activations += 1
        return _account(state, rid, params)
    if method == "DevInit.access":
        if not state.activated:
            return _error(rid, 268632085, "The device is not initialised")
        state.access_set = True
        return _answer(rid)
    return _error(rid, 268894210, "Method not found")


def _account(state: FactoryState, rid: Any, params: dict[str, Any]) -> Response:
    if state.activated:
        return _error(rid, 268632086, "The device is already initialised")
    if not state.protocol_agreed:
        return _error(rid, 268632087, "The user agreement has not been accepted")
    account = _open(state, params)
    if account is None:
        return _error(rid, 268632088, "The request could not be decrypted")
    name, pwd = str(account.get("name", "")), account.get("pwd")
    if name != ADMIN or not isinstance(pwd, str):
        return _error(rid, 268632089, "The first account must be admin with a password")
    problem = password_problem(pwd, name)
    if problem is not None:
        return _error(rid, 268632090, problem)
    state.activated, state.admin_password = True, pwd
    return _answer(rid)


def _open(state: FactoryState, params: dict[str, Any]) -> dict[str, Any] | None:
    """The decrypted JSON of a ``{salt, cipher, content}`` envelope, or None."""
    cipher = params.get("cipher")
    if state.key is None or cipher not in ("AES-256", "RPAC-256"):
        return None
    try:
        key = state.key.decrypt(bytes.fromhex(str(params.get("salt", ""))), padding.PKCS1v15())
        sealed = base64.b64decode(str(params.get("content", "")), validate=True)
        aes = Cipher(algorithms.AES(key), modes.CBC(IV)).decryptor()
        plain = aes.update(sealed) + aes.finalize()
        if cipher == "AES-256":
            unpad = sympad.PKCS7(128).unpadder()
            plain = unpad.update(plain) + unpad.finalize()
        else:
            plain = plain.rstrip(b"\0")
        account = json.loads(plain.decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return account if isinstance(account, dict) else None


def _add_onvif_user(cam: SimCamera, q: dict[str, str]) -> Response:
    name, password = q.get("user.Name", ""), q.get("user.Password", "")
    levels = {"admin": "Administrator", "operator": "Operator", "user": "User"}
    group = q.get("user.Group", "")
    if not name or group not in levels or not password:
        return _text(400, "Error\r\nBad Request!\r\n")
    problem = password_problem(password, name)
    if problem is not None:
        return _text(400, f"Error\r\n{problem}\r\n")
    if name in cam.users:
        return _text(400, "Error\r\nThe user name already exists\r\n")
    if len(cam.users) >= MAX_ONVIF_USERS:
        return _text(400, "Error\r\nThe number of users has reached the limit\r\n")
    cam.users[name] = User(name, password, levels[group])
    return _text(200, "OK\r\n")


def _group(level: str) -> str:
    return {"Administrator": "admin", "Operator": "operator"}.get(level, "user")
