"""Hikvision's documented activation flow, the pieces that need no network: the password rule,
our RSA key, the device's challenge opened, the password sealed.

1. ``GET /SDK/activateStatus`` (no auth) says whether it is activated.
2. We make an RSA-1024 key (e = 65537) and ``POST /ISAPI/Security/challenge`` with the modulus
   as 256 hex characters, base64-encoded. The device answers ``<key>``: base64 of the hex of our
   key's encryption (PKCS#1 v1.5) of a 32-hex-character random string, which read as hex is a
   16-byte AES key.
3. ``PUT /ISAPI/System/activate`` with the password sealed: the random string's first 16
   characters + the password, AES-128-ECB with zero padding, then hex, then base64.
   Success is ResponseStatus statusCode 1; otherwise the device's own words are the reason.

``hikvision`` sends these; the newer flow's pieces are ``hikvision_v3``. ``cryptography`` does
the RSA and AES (a dependency of asyncssh already; declared in pyproject for this).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fleetctl.adapters.provision.session import ADMIN, ProvisionError


@dataclass(frozen=True)
class Activation:
    """What ``/SDK/activateStatus`` says: activated, and whether the V3 flow is offered."""

    activated: bool
    v3: bool = False


def password_ok(password: str, username: str = ADMIN) -> bool:
    """The vendor's rule: 8-16 ASCII characters, two of four classes, not the user name (or it
    reversed)."""
    if not 8 <= len(password) <= 16 or not password.isascii():
        return False
    classes = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    return classes >= 2 and password.lower() not in (username.lower(), username.lower()[::-1])


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def public_key_field(key: rsa.RSAPrivateKey) -> str:
    modulus = format(key.public_key().public_numbers().n, "0256x")
    return base64.b64encode(modulus.encode("ascii")).decode("ascii")


def open_challenge(key: rsa.RSAPrivateKey, challenge: str) -> str:
    """The device's random string (32 hex characters) from its ``<key>`` answer."""
    try:
        sealed = bytes.fromhex(base64.b64decode(challenge, validate=True).decode("ascii"))
        random_key = key.decrypt(sealed, padding.PKCS1v15()).decode("ascii")
        bytes.fromhex(random_key)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ProvisionError("the device's challenge could not be read") from None
    if len(random_key) != 32:
        raise ProvisionError("the device's challenge is not a 128-bit key")
    return random_key


def seal_password(random_key: str, password: str) -> str:
    plain = (random_key[:16] + password).encode("utf-8")
    plain += b"\0" * (-len(plain) % 16)  # zero padding, as the device expects
    aes = Cipher(algorithms.AES(bytes.fromhex(random_key)), modes.ECB()).encryptor()
    sealed = aes.update(plain) + aes.finalize()
    return base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")
