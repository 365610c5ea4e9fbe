"""RTSP/1.0 messages as they come off the wire (RFC 2326 section 6-7): pure, no I/O.

``parse_message`` reads one reply (or a request from the server) out of a receive buffer, in
place. The camera is not trusted: the header block is capped at ``MAX_HEADER_BYTES`` and a body
at ``MAX_BODY_BYTES`` (a 1 GB Content-Length is refused before a byte of it is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from fleetctl.adapters.errors import RtspFailure
from fleetctl.core.probes import Failure

MAX_HEADER_BYTES = 16 * 1024  # status line + headers of one RTSP message
MAX_BODY_BYTES = 64 * 1024  # an SDP is a few hundred bytes; anything near this is hostile

Buffer = bytes | bytearray


@dataclass(frozen=True)
class Response:
    status: int  # -1: a request from the server (GET_PARAMETER, ANNOUNCE, ...)
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def get(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def parse_message(buf: Buffer, pos: int, n: int, where: str) -> tuple[Response | None, int]:
    """The message starting at ``buf[pos]`` and the offset after it, or (None, ``pos``) while
    it is incomplete. Raises RtspFailure (OVERSIZED, MALFORMED) for what no camera should send;
    ``where`` ("host:port") goes into the message."""
    hend = buf.find(b"\r\n\r\n", pos, pos + MAX_HEADER_BYTES + 4)
    if hend < 0:
        if n - pos > MAX_HEADER_BYTES:
            raise RtspFailure(
                Failure.OVERSIZED, f"{where}: RTSP header block over {MAX_HEADER_BYTES} bytes"
            )
        return None, pos
    lines = bytes(buf[pos:hend]).decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    try:
        length = int(headers.get("content-length", ["0"])[0])
    except ValueError as err:
        raise RtspFailure(Failure.MALFORMED, f"{where}: unreadable Content-Length") from err
    if length > MAX_BODY_BYTES or length < 0:
        raise RtspFailure(Failure.OVERSIZED, f"{where}: RTSP body of {length} bytes refused")
    start = hend + 4
    if start + length > n:
        return None, pos
    first = lines[0].split(" ", 2)
    status = -1  # a request from the server
    if first[0].startswith("RTSP/"):
        if len(first) < 2 or not first[1].isdigit():
            raise RtspFailure(Failure.MALFORMED, f"{where}: bad RTSP status line")
        status = int(first[1])
    reason = first[2][:80] if len(first) > 2 else ""
    return Response(status, reason, headers, bytes(buf[start : start + length])), start + length


def strip_userinfo(uri: str) -> tuple[str, str | None, str | None]:
    """(uri without userinfo, username, password) with user and password percent-decoded."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri, None, None
    slash = rest.find("/")
    authority = rest if slash < 0 else rest[:slash]
    at = authority.rfind("@")
    if at < 0:
        return uri, None, None
    user, _, pw = authority[:at].partition(":")
    return f"{scheme}://{rest[at + 1 :]}", unquote(user), unquote(pw) if pw else None
