"""The device side of Hikvision's newer ("V3") activation, for firmware that advertises it.

What the public record says, and what is our design where it is thin: the vendor's developer
guide documents only the older flow (sim/vendors/hikvision.py). The V3 flow is known from small
third-party projects that reproduced what newer firmware's own web client sends; the message
shapes below follow them, and the details they leave open (the error bodies, the exact refusal
of the older flow) are our most plausible reading, marked "design" here.

1. ``GET /SDK/activateStatus`` (no auth) adds ``<supportVersion>3</supportVersion>`` beside
   ``<Activated>``: the device's own signal. A device without it knows only the older flow.
2. ``POST /ISAPI/System/activate/GetChallengeV3?format=json`` with ``{"publicKey": K}``: K is
   base64 of the client's RSA modulus in hex; the key must be RSA-3072 (e = 65537), any other
   size is refused as invalid content. The device draws a 32-hex-character random string,
   RSA-encrypts it (PKCS#1 v1.5) with that key and answers ``{"challenge": C}``, C = base64 of
   the hex of the ciphertext. The random string, read as hex, is the AES key; it is kept per
   client address.
3. ``POST /ISAPI/System/activate/StartActivateV3?format=json`` with ``{"password": P, "iv": V}``:
   V is the hex of a 16-byte initialisation vector the client drew; P is base64 of the hex of
   AES-CBC (PKCS#7 padding) over the random string's first 16 characters + the password. The
   device decrypts, checks the prefix and the password rules (as the older flow's), and answers
   a JSON ResponseStatus (design: ``statusCode``, ``statusString``, ``subStatusCode``,
   ``errorMsg`` in the device's words). The challenge is spent either way.
4. Design: such a device refuses the older flow (``POST /ISAPI/Security/challenge`` and
   ``PUT /ISAPI/System/activate`` answer statusCode 6, ``badParameters``), as the third-party
   record reports for the firmware it saw; a device without V3 does not know the V3 paths (404).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.sim.camera.model import FactoryState
from fleetctl.sim.http import Request, Response

CHALLENGE = "/ISAPI/System/activate/GetChallengeV3"
ACTIVATE = "/ISAPI/System/activate/StartActivateV3"
PATHS = frozenset({CHALLENGE, ACTIVATE})
KEY_BITS = 3072
MAX_BODY = 16384
_JSON = "application/json; charset=UTF-8"


def status(code: int, string: str, sub: str, path: str, http: int = 200, msg: str = "") -> Response:
    """An ISAPI ResponseStatus in JSON (the ``?format=json`` form of the XML one)."""
    body = {
        "requestURL": path,
        "statusCode": code,
        "statusString": string,
        "subStatusCode": sub,
        "errorCode": 0 if code == 1 else 0x60000000 + code,
        "errorMsg": msg or sub,
    }
    return Response(http, json.dumps(body).encode(), content_type=_JSON)


def _body(req: Request) -> dict[str, object]:
    try:
        data = json.loads(req.body[:MAX_BODY].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def challenge(state: FactoryState, req: Request) -> Response:
    if state.activated:
        return status(4, "Invalid Operation", "activated", req.path, 403)
    try:
        modulus = int(base64.b64decode(str(_body(req).get("publicKey", "")), validate=True), 16)
        public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    except (ValueError, binascii.Error):
        return status(6, "Invalid Content", "badJsonContent", req.path, 400)
    if public.key_size != KEY_BITS:
        return status(6, "Invalid Content", "badJsonContent", req.path, 400, "Invalid JSON Content")
    random_key = os.urandom(16).hex()
    state.challenges[req.peer] = random_key
    sealed = public.encrypt(random_key.encode("ascii"), padding.PKCS1v15())
    answer = {"challenge": base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")}
    return Response(200, json.dumps(answer).encode(), content_type=_JSON)


def activate(
    state: FactoryState, req: Request, password_problem: Callable[[str], str | None]
) -> Response:
    """StartActivateV3; ``password_problem`` is the device's rule (shared with the older flow)."""
    state.activations += 1
    if state.activated:
        return status(4, "Invalid Operation", "activated", req.path, 403)
    random_key = state.challenges.pop(req.peer, None)  # one activation per challenge
    if random_key is None:
        return status(4, "Invalid Operation", "noChallenge", req.path, 403)
    data = _body(req)
    try:
        iv = bytes.fromhex(str(data.get("iv", "")))
        sealed = bytes.fromhex(base64.b64decode(str(data.get("password", ""))).decode("ascii"))
        if len(iv) != 16 or not sealed or len(sealed) % 16:
            raise ValueError("block size")
        aes = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.CBC(iv)).decryptor()
        unpad = sym_padding.PKCS7(128).unpadder()
        plain = unpad.update(aes.update(sealed) + aes.finalize()) + unpad.finalize()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return status(6, "Invalid Content", "badJsonContent", req.path, 400)
    if plain[:16] != random_key[:16].encode():
        return status(6, "Invalid Content", "badJsonContent", req.path, 400)
    password = plain[16:].decode("utf-8", "replace")
    problem = password_problem(password)
    if problem is not None:
        return status(6, "Invalid Content", "riskPassword", req.path, 400, problem)
    state.activated, state.admin_password = True, password
    return status(1, "OK", "ok", req.path)
