"""Who may drive the browser TUI: the rules, without sockets.

A browser session is a remote control of the fleet (push, reboot), and any web page the
technician has open can try to reach a server on 127.0.0.1. So:

- every page load and websocket needs the random token printed at start (like Jupyter's),
  compared in constant time;
- a websocket upgrade must come from the page this server served: its ``Origin`` equals the
  origin of the request's own ``Host`` (another site's page cannot open it);
- on a loopback listen address the ``Host`` must be a loopback name too, so a DNS name an attacker
  points at 127.0.0.1 (DNS rebinding) reaches nothing;
- on any other listen address the server starts only read-only or with an explicit
  ``--allow-remote-actions``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

TOKEN_BYTES = 24  # 192 random bits, URL-safe: as long as a bookmark can bear
LOOPBACK_NAMES = ("localhost", "localhost.")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_ok(given: str | None, token: str) -> bool:
    """Constant-time comparison: the time taken says nothing about how much of it was right."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """An address (or ``localhost``) that only this machine can reach."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_ok(host_header: str | None, listen_host: str) -> bool:
    """The request's ``Host`` is acceptable for a server listening on ``listen_host``."""
    if not host_header:
        return False
    if not is_loopback(listen_host):
        return True
    name = urlsplit(f"//{host_header}").hostname or ""
    return is_loopback(name)


def origin_ok(origin: str | None, host_header: str | None, scheme: str = "http") -> bool:
    """The upgrade comes from a page of this very origin (scheme, host and port)."""
    if not origin or not host_header:
        return False
    return hmac.compare_digest(origin.lower(), f"{scheme}://{host_header}".lower())


def remote_start_problem(listen_host: str, read_only: bool, allow_remote_actions: bool) -> bool:
    """True when a non-loopback listen address lacks ``--read-only`` or an explicit
    ``--allow-remote-actions``: the server must not start."""
    return not is_loopback(listen_host) and not (read_only or allow_remote_actions)
