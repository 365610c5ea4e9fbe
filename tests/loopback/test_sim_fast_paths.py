"""The simulator's cheap paths give what the plain ones gave: same lookups, bytes, order, auth.

Each fast path (child walking instead of ElementPath, replies written inside data_received,
cached HTTP heads, memoized Digest values, RTP headers patched without a per-packet mask, frame
timers on a grid) is checked against the straightforward computation it replaced, or through
real sockets where the difference would show on the wire.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import struct
from collections.abc import AsyncIterator, Awaitable

import pytest
from lxml import etree
from support.sim_media import make_cam, rtp_fields, serve_on_a_free_address

from fleetctl.sim.camera.model import SimCamera
from fleetctl.sim.http import Request, Response, _head
from fleetctl.sim.onvif import auth, soap
from fleetctl.sim.onvif.app import _username_token
from fleetctl.sim.rtsp.h264 import default_library
from fleetctl.sim.rtsp.stream import GRID_S, RTP_CLOCK, RtpSender

NS = soap.NS
WSSE = soap.WSSE

# Documents where document order matters: the first match may sit under a later parent.
DOCS = [
    f'<r xmlns:tds="{NS["tds"]}" xmlns:tt="{NS["tt"]}"><tds:A><tt:X>no-b</tt:X></tds:A>'
    "<tds:A><tt:B><tt:C>first</tt:C></tt:B><tt:B><tt:C>second</tt:C></tt:B></tds:A></r>",
    f'<r xmlns:tds="{NS["tds"]}" xmlns:tt="{NS["tt"]}"><tds:A/><tds:A><tt:B/></tds:A>'
    "<tds:A><tt:B><tt:C/></tt:B></tds:A></r>",
    f'<r xmlns:tds="{NS["tds"]}" xmlns:tt="{NS["tt"]}"><tt:A><tt:B><tt:C>other ns</tt:C></tt:B>'
    "</tt:A></r>",
    f'<r xmlns:tds="{NS["tds"]}" xmlns:tt="{NS["tt"]}"><tds:A>  padded  </tds:A></r>',
]
PATHS = ["tds:A", "tds:A/tt:B", "tds:A/tt:B/tt:C", "tt:A/tt:B/tt:C", "tds:Missing"]


@pytest.mark.parametrize(
    "doc", DOCS, ids=["later-parent-matches", "empty-parents", "other-namespace", "padded-text"]
)
@pytest.mark.parametrize("path", PATHS)
def test_find_and_text_match_elementpath(doc: str, path: str) -> None:
    root = etree.fromstring(doc)
    want = root.find(path, NS)
    got = soap.find(root, path)
    assert got is want or (got is not None and want is not None and got == want)
    assert soap.text(root, path, "dflt") == (
        (want.text or "").strip() if want is not None else "dflt"
    )


def _envelope(header: str) -> etree._Element:
    return etree.fromstring(
        f'<e:Envelope xmlns:e="{NS["env"]}" xmlns:w="{WSSE}"><e:Header>{header}</e:Header>'
        "<e:Body/></e:Envelope>"
    )


@pytest.mark.parametrize(
    "header",
    [
        "<w:Security><w:UsernameToken><w:Username>a</w:Username></w:UsernameToken></w:Security>",
        # The first Security has no token: the one in the second counts, as ElementPath finds it.
        "<w:Security/><w:Security><w:UsernameToken><w:Username>b</w:Username></w:UsernameToken>"
        "<w:UsernameToken><w:Username>c</w:Username></w:UsernameToken></w:Security>",
        "<w:Other><w:UsernameToken/></w:Other>",
        "",
    ],
    ids=["one-token", "token-in-second-security", "token-outside-security", "empty-header"],
)
def test_username_token_is_the_one_elementpath_finds(header: str) -> None:
    root = _envelope(header)
    want = root.find(f"{{{NS['env']}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    got = _username_token(root)
    assert (got is None and want is None) or (got is not None and got == want)


@pytest.mark.parametrize(
    ("status", "ctype", "headers", "keep"),
    [
        (200, "application/soap+xml; charset=utf-8", (), True),
        (400, "application/soap+xml; charset=utf-8", (), False),
        (401, "text/html", (("WWW-Authenticate", 'Digest realm="x", nonce="n"'),), True),
        (405, "text/plain", (("Allow", "POST"),), True),
        (599, "text/plain", (("A", "1"), ("B", "2")), False),
    ],
    ids=[
        "200-soap",
        "400-soap-close",
        "401-digest-challenge",
        "405-allow",
        "599-two-headers-close",
    ],
)
def test_cached_heads_are_byte_identical_to_the_plain_formula(
    status: int, ctype: str, headers: tuple[tuple[str, str], ...], keep: bool
) -> None:
    from fleetctl.sim.http import REASONS

    resp = Response(status, b"x" * 17, content_type=ctype, headers=headers)
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
        f"Content-Type: {ctype}",
        "Content-Length: 17",
        "Connection: " + ("keep-alive" if keep else "close"),
        *(f"{k}: {v}" for k, v in headers),
    ]
    assert _head(resp, 17, keep) == ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture
async def mixed_server() -> AsyncIterator[tuple[str, int]]:
    """Answers "/now..." at once, "/later..." through a coroutine, "/boom" by raising."""
    gate = asyncio.Event()

    async def later(req: Request) -> Response:
        await asyncio.sleep(0)  # a real suspension: the reply is written from a task
        gate.set()
        return Response(200, f"later {req.path}".encode(), content_type="text/plain")

    def handler(req: Request) -> Response | Awaitable[Response]:
        if req.path == "/boom":
            raise RuntimeError("simulator bug")
        if req.path.startswith("/later"):
            return later(req)
        return Response(200, f"now {req.path}".encode(), content_type="text/plain")

    listener, host = await serve_on_a_free_address(handler, 91)
    yield host, 8080
    await listener.close()


async def test_pipelined_sync_and_async_replies_keep_request_order(
    mixed_server: tuple[str, int],
) -> None:
    reader, writer = await asyncio.open_connection(*mixed_server)
    paths = ["/now1", "/later1", "/now2", "/boom", "/later2", "/now3"]
    writer.write(
        b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths)
        + b"GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    data = await asyncio.wait_for(reader.read(), 5)  # the server closes after /last
    writer.close()
    bodies = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        bodies.append((head.split(b" ")[1], rest[:length]))
        data = rest[length:]
    assert bodies == [
        (b"200", b"now /now1"),
        (b"200", b"later /later1"),
        (b"200", b"now /now2"),
        (b"500", b"internal error"),
        (b"200", b"later /later2"),
        (b"200", b"now /now3"),
        (b"200", b"now /last"),
    ]


def _digest_header(cam: SimCamera, user: str, password: str, nonce: str, uri: str) -> str:
    realm = auth.realm(cam)
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"GET:{uri}".encode()).hexdigest()
    resp = hashlib.md5(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'qop=auth, nc=00000001, cnonce="c0ffee", response="{resp}"'
    )


def test_memoized_digest_follows_a_password_change_and_refuses_forged_nonces() -> None:
    cam = make_cam()
    user = next(iter(cam.users))
    old = cam.users[user].password
    uri = "/ISAPI/ContentMgmt/Storage"
    nonce = auth.digest_challenge(cam).split('nonce="')[1].split('"')[0]
    assert auth.check_digest(cam, _digest_header(cam, user, old, nonce, uri), "GET", uri).ok
    cam.users[user].password = "rotated-Pa55"  # what a push's password rotation does
    assert not auth.check_digest(cam, _digest_header(cam, user, old, nonce, uri), "GET", uri).ok
    assert auth.check_digest(
        cam, _digest_header(cam, user, "rotated-Pa55", nonce, uri), "GET", uri
    ).ok
    forged = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    result = auth.check_digest(
        cam, _digest_header(cam, user, "rotated-Pa55", forged, uri), "GET", uri
    )
    assert not result.ok and result.reason == "stale nonce"


@pytest.mark.parametrize("seq", [0, 1000, 65_520, 65_530, 65_535])
def test_rtp_render_matches_the_per_packet_formula_across_the_seq_wrap(seq: int) -> None:
    media = default_library()
    track = media.track(media.clip_for("H264", 1920, 1080), 4096, 25.0, 0)
    for unit in track.units[:3]:
        want = bytearray(unit.template)
        for i, off in enumerate(unit.offsets):
            struct.pack_into(">HII", want, off + 2, (seq + i) & 0xFFFF, 123_456, 0xCAFE)
        assert unit.render(seq, 123_456, 0xCAFE) == want
        assert len(unit.offsets) > 2  # a real multi-packet unit: the wrap is inside it


async def test_frame_timers_sit_on_the_grid_and_the_rate_stays_exact() -> None:
    fps = 25.0
    cam = make_cam(main=(640, 360, fps, 512))
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[asyncio.Transport] = loop.create_future()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport)  # type: ignore[arg-type]

    server = await loop.create_server(Accept, cam.host, 0)
    reader, writer = await asyncio.open_connection(cam.host, server.sockets[0].getsockname()[1])
    sender = RtpSender(cam, default_library(), cam.profiles[0], await accepted, 0, None)
    sender.start()  # the first unit at once, then one per timer
    stamps, whens = [], []
    for _ in range(12):
        assert sender._timer is not None
        whens.append(sender._timer.when())
        stamps.append(await _next_timestamp(reader))
    sender.stop()
    writer.close()
    server.close()
    for when in whens:  # every frame is due on a grid boundary...
        assert math.isclose(when / GRID_S, round(when / GRID_S), abs_tol=1e-6)
    # ...and the stream's clock is untouched: exactly one frame interval per access unit.
    steps = {(b - a) % 2**32 for a, b in itertools.pairwise(stamps)}
    assert steps == {int(RTP_CLOCK / fps)}


async def _next_timestamp(reader: asyncio.StreamReader) -> int:
    """The RTP timestamp of the next access unit's last packet (marker bit set)."""
    while True:
        _, _, size = struct.unpack(">cBH", await reader.readexactly(4))
        marker, _, stamp, _ = rtp_fields(await reader.readexactly(size))
        if marker:
            return stamp
