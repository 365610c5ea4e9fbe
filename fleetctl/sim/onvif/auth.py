"""Authentication as cameras do it: WS-UsernameToken against the camera's clock, HTTP Digest, lockout.

- WS-UsernameToken PasswordDigest = Base64(SHA1(nonce + created + password)); ``Created`` must be
  within the flavour's window of the *camera's* clock, so a client talking to a drifted camera
  must read GetSystemDateAndTime first and correct. PasswordText is accepted too (many firmwares
  do), compared in constant time.
- HTTP Digest (RFC 7616, MD5, qop=auth): the ``uri=`` must equal the request-target exactly, as
  on Hikvision. Nonces are stateless (timestamp + HMAC) so 2,000 cameras keep no nonce tables.
- Lockout: after ``cam.lockout_after`` failures in a row, every login is refused for
  ``cam.lockout_s`` seconds, even a correct one (what locks out a technician with a bad script).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from fleetctl.sim.camera.model import SimCamera

WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST_TYPE_SUFFIX = "#PasswordDigest"
NONCE_TTL_S = 300.0

_SECRET = os.urandom(16)  # per process: nonces from another simulator run are stale
_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class AuthResult:
    ok: bool
    username: str = ""
    reason: str = ""  # why it failed: for the simulator's log and tests, never sent


def locked(cam: SimCamera) -> bool:
    return cam.locked_until > time.monotonic()


def record(cam: SimCamera, result: AuthResult) -> AuthResult:
    """Count the attempt and apply the lockout policy."""
    if result.ok:
        cam.counters.logins_ok += 1
        cam.failed_logins = 0
        return result
    cam.counters.logins_failed += 1
    cam.failed_logins += 1
    if cam.lockout_after is not None and cam.failed_logins >= cam.lockout_after:
        cam.locked_until = time.monotonic() + cam.lockout_s
        cam.failed_logins = 0
    return result


def _password(cam: SimCamera, username: str) -> str | None:
    user = cam.users.get(username)
    if user is None and cam.factory is not None and cam.factory.kind == "axis":
        # An Axis administrator may use ONVIF (to create the ONVIF accounts, a separate list).
        return cam.factory.admin_password if username == "root" else None
    return user.password if user is not None else None


def check_wsse(
    cam: SimCamera,
    username: str,
    password: str,
    ptype: str,
    nonce_b64: str,
    created: str,
    window_s: float,
    *,
    zulu_only: bool = False,
) -> AuthResult:
    """Verify one UsernameToken (fields already extracted from the Security header)."""
    if locked(cam):
        return AuthResult(False, username, "locked")
    expected = _password(cam, username)
    if expected is None:
        return AuthResult(False, username, "no such user")
    if not ptype.endswith(DIGEST_TYPE_SUFFIX):
        good = hmac.compare_digest(password.encode(), expected.encode())
        return AuthResult(good, username, "" if good else "bad password")
    if zulu_only and not created.strip().endswith("Z"):
        return AuthResult(False, username, "Created is not in Zulu time")
    try:
        nonce = base64.b64decode(nonce_b64, validate=True)
        when = datetime.fromisoformat(created.strip()).timestamp()
    except (ValueError, binascii.Error):
        return AuthResult(False, username, "bad nonce or created")
    if abs(when - cam.now()) > window_s:
        return AuthResult(False, username, "created outside the clock window")
    digest = base64.b64encode(
        hashlib.sha1(nonce + created.encode() + expected.encode()).digest()
    ).decode()
    good = hmac.compare_digest(digest, password.strip())
    return AuthResult(good, username, "" if good else "bad digest")


def realm(cam: SimCamera) -> str:
    return f"{cam.manufacturer} {cam.serial[-8:]}"


def _nonce(now: float) -> str:
    return _nonce_at(int(now))


@lru_cache(maxsize=1024)  # one HMAC per second of issue, not per request
def _nonce_at(second: int) -> str:
    stamp = f"{second:x}"
    mac = hmac.new(_SECRET, stamp.encode(), hashlib.sha256).hexdigest()[:24]
    return stamp + mac


def digest_challenge(cam: SimCamera, stale: bool = False) -> str:
    value = f'Digest realm="{realm(cam)}", qop="auth", nonce="{_nonce(time.time())}", algorithm=MD5'
    return value + (", stale=true" if stale else "")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@lru_cache(maxsize=4096)
def _ha1(username: str, realm: str, password: str) -> str:
    return _md5(f"{username}:{realm}:{password}")  # constant per account: once, not per request


def check_digest(
    cam: SimCamera,
    authorization: str,
    method: str,
    target: str,
    password_of: Callable[[str], str | None] | None = None,
) -> AuthResult:
    """Verify an ``Authorization: Digest ...`` header for this request (against ``cam.users``,
    or the accounts ``password_of`` knows)."""
    if not authorization.lower().startswith("digest "):
        return AuthResult(False, "", "no digest")
    p = {m[0].lower(): (m[1] if m[1] else m[2]) for m in _PARAM.findall(authorization[7:])}
    username = p.get("username", "")
    if locked(cam):
        return AuthResult(False, username, "locked")
    nonce = p.get("nonce", "")
    stamp, mac = nonce[:-24], nonce[-24:]
    try:
        issued = int(stamp, 16)
    except ValueError:
        return AuthResult(False, username, "bad nonce")
    if not hmac.compare_digest(_nonce(issued)[-24:], mac) or time.time() - issued > NONCE_TTL_S:
        return AuthResult(False, username, "stale nonce")
    if p.get("uri") != target:
        return AuthResult(False, username, "uri mismatch")  # Hikvision compares it exactly
    expected = (password_of or (lambda u: _password(cam, u)))(username)
    if expected is None or p.get("realm") != realm(cam):
        return AuthResult(False, username, "no such user or wrong realm")
    ha1 = _ha1(username, realm(cam), expected)
    ha2 = _md5(f"{method}:{target}")
    if p.get("qop"):
        want = _md5(f"{ha1}:{nonce}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p.get('qop')}:{ha2}")
    else:
        want = _md5(f"{ha1}:{nonce}:{ha2}")
    good = hmac.compare_digest(want, p.get("response", ""))
    return AuthResult(good, username, "" if good else "bad response")
