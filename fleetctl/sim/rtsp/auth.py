"""RTSP authentication as cameras do it: Digest (RFC 2617) and, where offered, Basic.

Digest without qop (what Hikvision, Dahua and live555 send; a client's qop=auth answer is
accepted too). ``uri=`` must equal the request URI exactly and the realm must be the
camera's. Nonces are stateless (timestamp + HMAC, 32 hex digits like Hikvision's), so 2,000
cameras keep no nonce tables; they expire after ``NONCE_TTL_S``. A camera whose accounts are
locked (after failed ONVIF logins, ``sim/onvif/auth.py``) refuses RTSP too. RTSP failures are not
counted towards the lockout: a check's first, credential-less DESCRIBE must not lock anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
from functools import lru_cache

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.onvif.auth import locked
from fleetctl.sim.rtsp.flavours import RtspFlavour

NONCE_TTL_S = 600.0
_SECRET = os.urandom(16)  # per process: nonces from another simulator run are refused
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@lru_cache(maxsize=1024)  # one HMAC per second of issue, not per request
def _nonce(issued: int) -> str:
    # Stateless (timestamp + HMAC): 2,000 cameras keep no nonce tables; 32 hex like Hikvision's.
    stamp = f"{issued:08x}"
    return stamp + hmac.new(_SECRET, stamp.encode(), hashlib.sha256).hexdigest()[:24]


def _nonce_ok(nonce: str) -> bool:
    try:
        issued = int(nonce[:8], 16)
    except ValueError:
        return False
    return hmac.compare_digest(_nonce(issued), nonce) and time.time() - issued < NONCE_TTL_S


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@lru_cache(maxsize=4096)
def _ha1(username: str, realm: str, password: str) -> str:
    return _md5(f"{username}:{realm}:{password}")  # constant per account: once, not per request


def challenges(flavour: RtspFlavour, cam: SimCamera | None = None) -> str:
    """The ``WWW-Authenticate`` value of a 401: Digest, and Basic where the flavour offers it;
    Basic alone on a ``basic_only`` camera (old firmware, cheap OEM boards)."""
    realm = flavour.realm
    if cam is not None and "basic_only" in cam.faults:
        return f'Basic realm="{realm}"'
    value = f'Digest realm="{realm}", nonce="{_nonce(int(time.time()))}", stale="FALSE"'
    if flavour.basic:
        # Two challenges in one header line, comma-joined, as Axis firmware sends them.
        value += f', Basic realm="{realm}"'
    return value


def authorized(
    cam: SimCamera, flavour: RtspFlavour, method: str, url: str, headers: dict[str, str]
) -> bool:
    """Whether this request carries valid credentials of one of ``cam.users``."""
    if locked(cam):
        return (
            False  # the account lockout (sim/onvif/auth.py) covers every protocol, as on Hikvision
        )
    if flavour.needs_user_agent and "user-agent" not in headers:
        return False  # some firmware 401s clients that send no User-Agent
    auth = headers.get("authorization", "")
    scheme, _, rest = auth.partition(" ")
    basic_only = "basic_only" in cam.faults
    if scheme.lower() == "basic":
        cam.counters.basic_auth_headers += 1  # what a spoofed device would have collected
    if basic_only and scheme.lower() != "basic":
        return False
    if scheme.lower() == "basic" and (flavour.basic or basic_only):
        try:
            username, _, password = base64.b64decode(rest.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        user = cam.users.get(username)
        return user is not None and hmac.compare_digest(user.password, password)
    if scheme.lower() != "digest":
        return False
    p = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(rest)}
    user = cam.users.get(p.get("username", ""))
    nonce = p.get("nonce", "")
    # Hikvision-like strictness: uri= must be the request URI as sent, realm ours.
    if user is None or p.get("realm") != flavour.realm or p.get("uri") != url:
        return False
    if not _nonce_ok(nonce):
        return False
    ha1 = _ha1(user.username, flavour.realm, user.password)
    ha2 = _md5(f"{method}:{url}")
    if p.get("qop"):
        nc, cnonce, qop = p.get("nc", ""), p.get("cnonce", ""), p["qop"]
        want = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    else:
        want = _md5(f"{ha1}:{nonce}:{ha2}")
    return hmac.compare_digest(want, p.get("response", ""))
