"""Hikvision's newer ("V3") activation, for firmware that says it supports it.

The device's signal: ``GET /SDK/activateStatus`` carries ``<supportVersion>`` 3 or more. Only
then is this flow used; a device that does not say so gets the documented one (``hikvision``),
and neither flow is ever tried after the other (each carries the password).

1. We make an RSA-3072 key (e = 65537; the device refuses other sizes) and
   ``POST /ISAPI/System/activate/GetChallengeV3?format=json`` with ``{"publicKey": K}``, K the
   modulus in hex, base64-encoded. The device answers ``{"challenge": C}``: base64 of the hex of
   our key's encryption (PKCS#1 v1.5) of a random hex string, which read as hex is the AES key
   (32 characters: AES-128; 48 or 64 are read as AES-192 or AES-256).
2. ``POST /ISAPI/System/activate/StartActivateV3?format=json`` with ``{"password": P, "iv": V}``:
   a fresh 16-byte initialisation vector V (hex); P = the random string's first 16 characters +
   the password, AES-CBC with PKCS#7 padding, then hex, then base64. Success is a JSON
   ResponseStatus with statusCode 1; otherwise the device's own words are the reason.

An RSA-3072 key costs about 0.4 s of CPU to make (RSA-1024: 25 ms): one key serves every device
of the process (``shared_key``), made once in a worker thread so the event loop, and the other
devices' deadlines, never wait on it. It only ever decrypts the devices' one-time challenges.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import re
import threading

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.core.text import clean

CHALLENGE = "/ISAPI/System/activate/GetChallengeV3?format=json"
ACTIVATE = "/ISAPI/System/activate/StartActivateV3?format=json"
KEY_BITS = 3072
MIN_VERSION = 3
_RANDOM = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64}")
_shared: rsa.RSAPrivateKey | None = None
_shared_lock = threading.Lock()


class ChallengeError(ValueError):
    """The device's challenge could not be read (in words, never a secret)."""


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _make_shared() -> rsa.RSAPrivateKey:
    global _shared
    with _shared_lock:  # concurrent first callers wait for the one key
        if _shared is None:
            _shared = new_key()
        return _shared


async def shared_key() -> rsa.RSAPrivateKey:
    """The process's RSA-3072 key, made on first use in a worker thread."""
    return _shared if _shared is not None else await asyncio.to_thread(_make_shared)


def challenge_request(key: rsa.RSAPrivateKey) -> str:
    modulus = format(key.public_key().public_numbers().n, f"0{KEY_BITS // 4}x")
    return json.dumps({"publicKey": base64.b64encode(modulus.encode("ascii")).decode("ascii")})


def open_challenge(key: rsa.RSAPrivateKey, body: bytes) -> str:
    """The device's random string from its GetChallengeV3 answer."""
    try:
        data = json.loads(body.decode("utf-8"))
        challenge = data.get("challenge") if isinstance(data, dict) else None
        if not isinstance(challenge, str):
            raise ChallengeError("the device's answer has no challenge")
        sealed = bytes.fromhex(base64.b64decode(challenge, validate=True).decode("ascii"))
        random_key = key.decrypt(sealed, padding.PKCS1v15()).decode("ascii")
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        if isinstance(err, ChallengeError):
            raise
        raise ChallengeError("the device's challenge could not be read") from None
    if not _RANDOM.fullmatch(random_key):
        raise ChallengeError("the device's challenge is not an AES key")
    return random_key


def activate_request(random_key: str, password: str, iv: bytes | None = None) -> str:
    """StartActivateV3's body: the password sealed under the device's random string."""
    iv = iv if iv is not None else os.urandom(16)
    pad = sym_padding.PKCS7(128).padder()
    plain = pad.update((random_key[:16] + password).encode("utf-8")) + pad.finalize()
    aes = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.CBC(iv)).encryptor()
    sealed = aes.update(plain) + aes.finalize()
    text = base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")
    return json.dumps({"password": text, "iv": iv.hex()})


def json_reason(body: bytes) -> str | None:
    """None for a JSON ResponseStatus with statusCode 1; else the device's own words."""
    try:
        data = json.loads(body[: 64 * 1024].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return "the answer is not a ResponseStatus"
    if str(data.get("statusCode")) == "1":
        return None
    words: list[str] = []
    for name in ("statusString", "subStatusCode", "errorMsg"):
        value = data.get(name)
        if isinstance(value, str | int) and str(value) and str(value).lower() != "ok":
            text = clean(str(value), 1024)
            if text not in words:
                words.append(text)
    return ": ".join(words) or "no reason given"
