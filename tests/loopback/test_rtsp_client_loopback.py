"""The RTSP client against a scripted RTSP server on loopback: real sockets, real bytes.

The server here is deliberately small and independent of fleetctl's (Digest is checked with
hashlib directly), so the client cannot pass by sharing a bug with it. Each scenario is one
camera behaviour seen in the field, including hostile ones.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from support.rtp_packets import access_units, clip, interleave, nal_type, rtp_packets, split_annexb

from fleetctl.adapters.rtsp.client import probe_rtsp_noauth, probe_stream
from fleetctl.core.models import Credential
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret
from fleetctl.sim.camera.model import NAT_BASE, UNUSED_BASE, address_for

HOST = address_for(6001)
USER, PASSWORD = "admin", "p@ss:w/rd%41"  # every character that breaks RTSP URLs
CRED = Credential("fleet", USER, Secret(PASSWORD))
UNITS = access_units(split_annexb(clip("640x360.h264")), "H264")
UNITS_H265 = access_units(split_annexb(clip("640x360.h265")), "H265")
SDP = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=Media Presentation\r\nt=0 0\r\na=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:trackID=1\r\n"
)


@dataclass
class Camera:
    """What the scripted camera does; ``seen`` records the requests it received."""

    auth: str | None = None  # None | digest | basic | both
    codec: str = "H264"
    fmtp: str = "packetization-mode=1"
    grant: str = "RTP/AVP/TCP;unicast;interleaved=4-5"
    frames: int = 20  # access units sent right after the PLAY reply
    content_base: str | None = None
    frozen: bool = False
    chatter: bool = False  # RTCP and an RTSP request from the server between RTP frames
    describe_raw: bytes | None = None  # replaces the DESCRIBE reply entirely (hostile cases)
    drip: bool = False
    hang_up: bool = False  # close the connection right after the frames
    setup_status: int = 200
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    nonce: str = "4f1c2a9b"

    def _authorized(self, method: str, uri: str, headers: dict[str, str]) -> bool:
        if self.auth is None:
            return True
        value = headers.get("authorization", "")
        if value.startswith("Basic "):
            return (
                self.auth == "basic"
                and base64.b64decode(value[6:]).decode() == f"{USER}:{PASSWORD}"
            )
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', value))
        if not value.startswith("Digest ") or params.get("uri") != uri:
            return False
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
        ha1, ha2 = md5(f"{USER}:cam:{PASSWORD}"), md5(f"{method}:{uri}")
        return params.get("response") == md5(f"{ha1}:{self.nonce}:{ha2}")  # RFC 2069, no qop

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, uri, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                self.seen.append((method, uri, headers))
                cseq = headers.get("cseq", "0")
                if not self._authorized(method, uri, headers):
                    offers = {
                        "digest": [f'Digest realm="cam", nonce="{self.nonce}"'],
                        "basic": ['Basic realm="cam"'],
                        "both": ['Basic realm="cam"', f'Digest realm="cam", nonce="{self.nonce}"'],
                    }[self.auth or "digest"]
                    www = "".join(f"WWW-Authenticate: {o}\r\n" for o in offers)
                    writer.write(f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n{www}\r\n".encode())
                    continue
                if method == "DESCRIBE" and self.describe_raw is not None:
                    await self._send_raw(
                        writer, self.describe_raw.replace(b"{cseq}", cseq.encode())
                    )
                    continue
                extra, body = "", ""
                if method == "DESCRIBE":
                    body = SDP.replace("H264/90000", f"{self.codec}/90000").replace(
                        "packetization-mode=1", self.fmtp
                    )
                    extra = f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n"
                    if self.content_base:
                        extra += f"Content-Base: {self.content_base}\r\n"
                elif method == "SETUP":
                    if self.setup_status != 200:
                        writer.write(
                            f"RTSP/1.0 {self.setup_status} Unsupported Transport\r\nCSeq: {cseq}\r\n\r\n".encode()
                        )
                        continue
                    extra = f"Transport: {self.grant}\r\nSession: 12345678;timeout=60\r\n"
                writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}\r\n{body}".encode())
                if method == "PLAY":
                    writer.write(self._stream())
                    if self.hang_up:
                        await writer.drain()
                        break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _send_raw(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self.drip:
            writer.write(data)
            return
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(0.05)  # pacing a hostile camera, not waiting for readiness

    def _stream(self) -> bytes:
        channel = (
            int(re.search(r"interleaved=(\d+)", self.grant).group(1))
            if "interleaved" in self.grant
            else 0
        )
        clip_units = UNITS_H265 if self.codec == "H265" else UNITS
        units = [clip_units[0]] * self.frames if self.frozen else clip_units[: self.frames]
        out = bytearray()
        for k, pkt in enumerate(rtp_packets(units, self.codec)):
            out += interleave(pkt, channel)
            if self.chatter and k % 7 == 3:
                out += interleave(b"\x81\xc9\x00\x01" + bytes(4), channel + 1)  # RTCP RR
                out += b"GET_PARAMETER rtsp://x/ RTSP/1.0\r\nCSeq: 99\r\nContent-Length: 0\r\n\r\n"
        return bytes(out)


Serve = Callable[[Camera], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(cam: Camera) -> str:
        server = await asyncio.start_server(cam.handle, HOST, 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"rtsp://{HOST}:{port}/Streaming/Channels/101"

    yield start
    for s in servers:
        s.close()


async def test_healthy_stream_digest_and_granted_channels(serve: Serve) -> None:
    cam = Camera(auth="digest", chatter=True)
    uri = await serve(cam)
    probe = await probe_stream(uri, CRED, window_s=0.5, timeout_s=5)
    assert probe.ok, probe.error
    assert (probe.codec, probe.width, probe.height) == ("H264", 640, 360)
    assert probe.frames == 20 and probe.keyframes == 1 and probe.distinct_payloads == 20
    assert probe.packets > 20 and probe.bytes > 0 and probe.seq_gaps == 0
    assert probe.first_rtp_ms is not None and not probe.unauthenticated
    methods = [m for m, _, _ in cam.seen]
    assert methods[:5] == ["OPTIONS", "OPTIONS", "DESCRIBE", "SETUP", "PLAY"]  # one 401 answered
    setup = next(h for m, _, h in cam.seen if m == "SETUP")
    play = next(h for m, _, h in cam.seen if m == "PLAY")
    assert setup["transport"] == "RTP/AVP/TCP;unicast;interleaved=0-1"
    assert play["session"] == "12345678"  # ;timeout stripped
    assert all("user-agent" in h for _, _, h in cam.seen)
    assert all(PASSWORD not in u and "@" not in u for _, u, _ in cam.seen)


async def test_digest_preferred_when_basic_is_offered_first(serve: Serve) -> None:
    cam = Camera(auth="both")
    probe = await probe_stream(await serve(cam), CRED, window_s=0.3, timeout_s=5)
    assert probe.ok, probe.error
    assert all(not h.get("authorization", "").startswith("Basic") for _, _, h in cam.seen)


async def test_basic_only_camera_gets_no_password_unless_policy_allows(serve: Serve) -> None:
    cam = Camera(auth="basic")
    url = await serve(cam)
    probe = await probe_stream(url, CRED, window_s=0.3, timeout_s=5)
    assert not probe.ok and probe.basic_only, probe.error
    assert "only Basic" in (probe.error or "")
    assert not any(h.get("authorization") for _, _, h in cam.seen)  # nothing crossed the socket
    allowed = await probe_stream(url, CRED, window_s=0.3, timeout_s=5, allow_basic=True)
    assert allowed.ok, allowed.error
    assert any(h.get("authorization", "").startswith("Basic") for _, _, h in cam.seen)


async def test_wrong_password_is_auth(serve: Serve) -> None:
    cam = Camera(auth="digest")
    bad = Credential("fleet", USER, Secret("nope"))
    probe = await probe_stream(await serve(cam), bad, window_s=0.3, timeout_s=5)
    assert (probe.ok, probe.failure) == (False, Failure.AUTH)
    # This camera guards OPTIONS too: the second 401 comes there.
    assert probe.stage == "options" and "nope" not in (probe.error or "")


async def test_credentials_in_uri_are_used_and_never_returned(serve: Serve) -> None:
    cam = Camera(auth="digest")
    uri = await serve(cam)
    with_userinfo = uri.replace("rtsp://", "rtsp://admin:p%40ss%3Aw%2Frd%2541@")
    probe = await probe_stream(with_userinfo, None, window_s=0.3, timeout_s=5)
    assert probe.ok, probe.error
    assert probe.uri == uri and probe.unauthenticated is False


async def test_nat_address_is_never_dialled(serve: Serve) -> None:
    cam = Camera(content_base=f"rtsp://{address_for(1, NAT_BASE)}/Streaming/Channels/101/")
    uri = await serve(cam)
    port = int(uri.split(":")[2].split("/")[0])
    nat_uri = uri.replace(HOST, address_for(1, NAT_BASE))
    probe = await probe_stream(
        nat_uri, None, window_s=0.3, timeout_s=5, host_override=HOST, port_override=port
    )
    assert probe.ok, probe.error
    # a=control resolved against Content-Base, with the trailing slash the camera gave.
    assert any(m == "SETUP" and u.endswith("/Channels/101/trackID=1") for m, u, _ in cam.seen)
    assert probe.unauthenticated


async def test_bare_channel_grant_and_frozen_picture(serve: Serve) -> None:
    cam = Camera(grant="RTP/AVP/TCP;unicast;interleaved=0", frozen=True, frames=15)
    probe = await probe_stream(await serve(cam), None, window_s=0.3, timeout_s=5)
    assert probe.ok and probe.frames == 15 and probe.distinct_payloads == 1


async def test_play_without_rtp_is_no_video(serve: Serve) -> None:
    probe = await probe_stream(await serve(Camera(frames=0)), None, window_s=0.3, timeout_s=1.5)
    assert (probe.ok, probe.stage, probe.packets, probe.failure) == (False, "rtp", 0, None)


async def test_camera_hanging_up_mid_stream_keeps_what_arrived(serve: Serve) -> None:
    probe = await probe_stream(
        await serve(Camera(hang_up=True, frames=10)), None, window_s=0.5, timeout_s=5
    )
    assert probe.ok and probe.frames == 10 and "closed" in (probe.error or "")


async def test_setup_refusing_tcp_is_a_setup_failure(serve: Serve) -> None:
    probe = await probe_stream(
        await serve(Camera(setup_status=461)), None, window_s=0.3, timeout_s=5
    )
    assert (probe.ok, probe.failure, probe.stage) == (False, Failure.PROTOCOL, "setup")
    assert "461" in (probe.error or "")


async def test_refused_port() -> None:
    probe = await probe_stream(f"rtsp://{address_for(6002, UNUSED_BASE)}:8554/x", None, timeout_s=2)
    assert (probe.failure, probe.stage) == (Failure.REFUSED, "connect")


@pytest.mark.parametrize(
    ("raw", "failure"),
    [
        (
            b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Length: 1073741824\r\n\r\nv=0\r\n",
            Failure.OVERSIZED,
        ),
        (b"RTSP/1.0 200 OK\r\nX-Pad: " + b"a" * 100_000, Failure.OVERSIZED),
        (
            b"\x17\x03\x03 this is not rtsp at all, just noise from a broken firmware",
            Failure.MALFORMED,
        ),
        (b"", Failure.TIMEOUT),  # the camera goes silent after OPTIONS
    ],
    ids=["1-gb-content-length", "endless-header", "tls-noise", "silent-after-options"],
)
async def test_hostile_describe_replies(serve: Serve, raw: bytes, failure: Failure) -> None:
    probe = await probe_stream(
        await serve(Camera(describe_raw=raw)), None, window_s=0.3, timeout_s=1.0
    )
    assert (probe.ok, probe.failure, probe.stage) == (False, failure, "describe")


async def test_drip_fed_reply_is_cut_by_the_deadline(serve: Serve) -> None:
    raw = b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n" * 10
    probe = await probe_stream(
        await serve(Camera(describe_raw=raw, drip=True)), None, timeout_s=0.5
    )
    assert (probe.failure, probe.stage) == (Failure.TIMEOUT, "describe")


async def test_noauth_probe(serve: Serve) -> None:
    open_uri = await serve(Camera())
    closed_uri = await serve(Camera(auth="digest"))
    assert await probe_rtsp_noauth(open_uri, timeout_s=2) is True
    assert await probe_rtsp_noauth(closed_uri, timeout_s=2) is False
    assert (
        await probe_rtsp_noauth(f"rtsp://{address_for(6003, UNUSED_BASE)}:8554/", timeout_s=2)
        is None
    )


@pytest.mark.parametrize("uri", ["", "http://127.16.0.1/x", "rtsps://127.16.0.1/x", "rtsp://"])
async def test_unusable_uri_is_unsupported_not_an_exception(uri: str) -> None:
    probe = await probe_stream(uri, CRED, timeout_s=1)
    assert (probe.ok, probe.failure, probe.stage) == (False, Failure.UNSUPPORTED, "connect")


async def test_h265_stream(serve: Serve) -> None:
    cam = Camera(codec="H265", frames=12, grant="RTP/AVP/TCP;unicast;interleaved=2-3")
    probe = await probe_stream(await serve(cam), None, window_s=0.3, timeout_s=5)
    assert probe.ok, probe.error
    assert (probe.codec, probe.width, probe.height) == ("H265", 640, 360)
    assert (probe.frames, probe.keyframes) == (12, 1)


async def test_interleaved_flood_before_the_describe_reply_is_skipped(serve: Serve) -> None:
    # Some cameras start pushing RTP of a previous session; the reply must still be found.
    junk = b"".join(interleave(p, 0) for p in rtp_packets(UNITS[:30], "H264"))
    body = SDP.encode()
    raw = junk + b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    probe = await probe_stream(
        await serve(Camera(describe_raw=raw)), None, window_s=0.3, timeout_s=5
    )
    assert probe.ok, probe.error
    assert probe.frames == 20  # only what came after PLAY counts


async def test_control_url_with_a_line_break_is_refused(serve: Serve) -> None:
    cam = Camera(content_base="rtsp://h/x\nX-Injected: 1")
    probe = await probe_stream(await serve(cam), None, window_s=0.3, timeout_s=5)
    assert (probe.failure, probe.stage) == (Failure.MALFORMED, "setup")
    assert all("x-injected" not in h for _, _, h in cam.seen)


async def test_size_from_sdp_until_an_in_band_sps_corrects_it(serve: Serve) -> None:
    sps_720 = next(n for n in split_annexb(clip("1280x720.h264")) if nal_type(n, "H264") == 7)
    fmtp = f"packetization-mode=1;sprop-parameter-sets={base64.b64encode(sps_720).decode()}"
    silent = await probe_stream(
        await serve(Camera(fmtp=fmtp, frames=0)), None, window_s=0.3, timeout_s=1.5
    )
    assert (silent.width, silent.height) == (1280, 720)  # no RTP: the SDP is all we have
    live = await probe_stream(await serve(Camera(fmtp=fmtp)), None, window_s=0.3, timeout_s=5)
    assert (live.width, live.height) == (640, 360)  # what the encoder really sends


async def test_a_burst_is_measured_on_the_stream_clock(serve: Serve) -> None:
    # The scripted camera sends 20 frames stamped 40 ms apart in one burst (a GOP cache):
    # 0.8 s of video, 25 fps, however fast it arrived.
    probe = await probe_stream(await serve(Camera(frames=20)), None, window_s=0.3, timeout_s=5)
    assert probe.window_s == pytest.approx(0.8) and probe.fps == pytest.approx(25.0)
