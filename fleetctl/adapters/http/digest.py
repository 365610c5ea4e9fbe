"""HTTP and RTSP authorization: parse ``WWW-Authenticate`` challenges, answer Digest or Basic.

Shared by the RTSP client and the vendor storage readers. Digest follows RFC 7616 (MD5, MD5-sess,
SHA-256, SHA-256-sess; ``qop=auth``) and the RFC 2069 legacy form without ``qop`` that many RTSP
servers in cameras still send. ``auth-int`` is never chosen: it would hash bodies we do not send.

Contract: ``authorization()`` returns the header *value* only; callers never log it (it carries
a response hash, and for Basic the password itself). Nothing here does I/O.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fleetctl.core.secret import Secret

# Algorithms we can answer; the key is the upper-cased token as cameras spell it.
_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA256": "sha256"}

# One token of a challenge list: `scheme`, `key=value` or `key="quoted value"`, or a comma.
_TOKEN = re.compile(
    r"\s*(?:(?P<comma>,)|(?P<key>[!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*"
    r'(?:=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s,]*)))?)'
)


@dataclass(frozen=True)
class Challenge:
    """One challenge offered by the server: ``scheme`` lower-cased, params with lower-cased keys."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def algorithm(self) -> str:
        return self.params.get("algorithm", "MD5").upper()

    @property
    def supported(self) -> bool:
        if self.scheme == "basic":
            return True
        if self.scheme != "digest" or "nonce" not in self.params:
            return False
        base = self.algorithm.removesuffix("-SESS")
        qops = self.qops
        return base in _HASHES and (not qops or "auth" in qops)

    @property
    def qops(self) -> tuple[str, ...]:
        raw = self.params.get("qop")
        return tuple(q.strip().lower() for q in raw.split(",")) if raw else ()


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Every challenge in the given ``WWW-Authenticate`` header values, in order.

    Handles several challenges folded into one header (``Digest realm=.., Basic realm=..``) as
    well as one header per challenge. Unparseable text is skipped, never raised on.
    """
    out: list[Challenge] = []
    for value in values:
        scheme: str | None = None
        params: dict[str, str] = {}
        pos = 0
        while pos < len(value):
            m = _TOKEN.match(value, pos)
            if m is None or m.end() == pos:
                break  # garbage: keep what was understood so far
            pos = m.end()
            if m.group("comma"):
                continue
            key = m.group("key")
            quoted, bare = m.group("quoted"), m.group("bare")
            if quoted is None and bare is None:
                # A lone token starts a new challenge (auth-scheme); token68 values are ignored.
                if scheme is not None:
                    out.append(Challenge(scheme, params))
                scheme, params = key.lower(), {}
            elif scheme is not None:
                val = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
                params[key.lower()] = val
        if scheme is not None:
            out.append(Challenge(scheme, params))
    return out


def choose(challenges: Iterable[Challenge], *, allow_basic: bool = False) -> Challenge | None:
    """The strongest challenge we may answer: Digest (SHA-256 over MD5), then Basic only when
    ``allow_basic`` (policy ``allow_basic_auth``: TLS, or a per-camera password).

    Basic sends the password in clear on every request: a spoofed device at any inventory
    address would collect the credential the whole fleet shares. Refused by default.
    """

    def rank(ch: Challenge) -> int:
        if ch.scheme == "basic":
            return 0
        return 2 if ch.algorithm.startswith("SHA") else 1

    usable = [c for c in challenges if c.supported and (allow_basic or c.scheme != "basic")]
    return max(usable, key=rank, default=None)


def only_basic(challenges: Iterable[Challenge]) -> bool:
    """The server offers Basic and nothing else we can answer (its finding: ``security``)."""
    usable = [c for c in challenges if c.supported]
    return bool(usable) and all(c.scheme == "basic" for c in usable)


def _h(algorithm: str, text: str) -> str:
    name = _HASHES[algorithm.upper().removesuffix("-SESS")]
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def authorization(
    challenge: Challenge,
    method: str,
    uri: str,
    username: str,
    password: Secret | str,
    *,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The ``Authorization`` header value answering ``challenge`` for ``method uri``.

    ``uri`` must be exactly the request target sent on the wire (Hikvision compares it byte for
    byte). ``nc`` counts requests made with the same nonce; callers increment it.
    """
    pw = password.reveal() if isinstance(password, Secret) else password
    if challenge.scheme == "basic":
        token = base64.b64encode(f"{username}:{pw}".encode()).decode("ascii")
        return f"Basic {token}"
    p = challenge.params
    alg = challenge.algorithm
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    qop = "auth" if "auth" in challenge.qops else None
    cnonce = cnonce or os.urandom(8).hex()
    ncv = f"{nc:08x}"
    ha1 = _h(alg, f"{username}:{realm}:{pw}")
    if alg.endswith("-SESS"):
        ha1 = _h(alg, f"{ha1}:{nonce}:{cnonce}")
    ha2 = _h(alg, f"{method}:{uri}")
    if qop:
        response = _h(alg, f"{ha1}:{nonce}:{ncv}:{cnonce}:{qop}:{ha2}")
    else:  # RFC 2069: what many RTSP servers in cameras still demand
        response = _h(alg, f"{ha1}:{nonce}:{ha2}")
    parts = [
        f'username="{_quote(username)}"',
        f'realm="{_quote(realm)}"',
        f'nonce="{_quote(nonce)}"',
        f'uri="{_quote(uri)}"',
        f'response="{response}"',
    ]
    if "algorithm" in p:
        parts.append(f"algorithm={p['algorithm']}")
    if "opaque" in p:
        parts.append(f'opaque="{_quote(p["opaque"])}"')
    if qop:
        parts += [f"qop={qop}", f"nc={ncv}", f'cnonce="{cnonce}"']
    return "Digest " + ", ".join(parts)


def _quote(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


class Authorizer:
    """Answers the challenge a server chose for one connection, counting ``nc`` per nonce."""

    def __init__(self, challenge: Challenge, username: str, password: Secret) -> None:
        self.challenge = challenge
        self._username = username
        self._password = password
        self._nc = 0

    @property
    def scheme(self) -> str:
        return self.challenge.scheme

    def header(self, method: str, uri: str) -> str:
        self._nc += 1
        return authorization(
            self.challenge, method, uri, self._username, self._password, nc=self._nc
        )

    def __repr__(self) -> str:  # never the password, even in a debugger or a traceback
        return f"Authorizer({self.challenge.scheme}, user={self._username!r})"
