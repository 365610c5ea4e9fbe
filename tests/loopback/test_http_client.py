"""The lean camera HTTP client against real loopback servers: real sockets, real bytes.

Each server is ``asyncio.start_server`` on 127.0.0.1 with a scripted handler per request, and
counts the connections it accepted: that count is how keep-alive, the per-host limit and the
retry are observed from the outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from fleetctl.adapters.http.client import HttpError, Pool, Response, build_request
from fleetctl.core.probes import Failure

HOST = "127.0.0.1"


@dataclass
class Req:
    conn: int  # which accepted connection (0-based)
    index: int  # which request on that connection (0-based)
    head: bytes
    body: bytes
    reader: asyncio.StreamReader

    def header(self, name: str) -> str | None:
        for line in self.head.decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


Handler = Callable[[Req, asyncio.StreamWriter], Awaitable[bool]]  # False: close the socket


@dataclass
class Server:
    handler: Handler
    port: int = 0
    accepted: int = 0
    requests: list[Req] = field(default_factory=list)
    closed_by_peer: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)  # cancelled at teardown: some handlers never end by themselves
        conn = self.accepted
        self.accepted += 1
        index = 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.closed_by_peer.set()
                    return
                req = Req(conn, index, head, b"", reader)
                length = req.header("Content-Length")
                if length:
                    req.body = await reader.readexactly(int(length))
                self.requests.append(req)
                index += 1
                if not await self.handler(req, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed_by_peer.set()
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[Server] = []

    async def start(handler: Handler, tls: ssl.SSLContext | None = None) -> Server:
        srv = Server(handler)
        srv.server = await asyncio.start_server(srv.serve, HOST, 0, ssl=tls)
        servers.append(srv)
        srv.port = srv.server.sockets[0].getsockname()[1]
        return srv

    yield start
    for srv in servers:
        assert srv.server is not None
        srv.server.close()
        for task in srv.tasks:
            task.cancel()
        await asyncio.gather(*srv.tasks, return_exceptions=True)


async def until(predicate: Callable[[], bool]) -> None:
    """Let the loop run until ``predicate`` holds (a state change, not a wall-clock wait)."""
    for _ in range(10_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the expected state was never reached")


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    p = Pool(per_host=2, keepalive_s=3.0)
    yield p
    await p.close()


def ok(body: bytes = b"<ok/>", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def answer_ok(req: Req, writer: asyncio.StreamWriter) -> bool:
    writer.write(ok(b"<n>%d</n>" % req.index))
    await writer.drain()
    return True


async def get(pool: Pool, srv: Server, *, max_bytes: int = 65536, timeout: float = 2.0) -> Response:
    return await pool.request(
        "POST", "http", HOST, srv.port, "/onvif/device_service", {"Content-Type": "text/xml"},
        b"<q/>", max_bytes=max_bytes, read_timeout_s=timeout,
    )  # fmt: skip


# ---------------------------------------------------------------------------- keep-alive, limits


async def test_keep_alive_reuses_one_socket_and_sends_plain_headers(serve, pool) -> None:
    srv = await serve(answer_ok)
    bodies = [(await get(pool, srv)).body for _ in range(5)]
    assert bodies == [b"<n>%d</n>" % i for i in range(5)]  # one socket, five requests on it
    assert srv.accepted == 1 and pool.connects == 1
    req = srv.requests[0]
    assert req.head.startswith(b"POST /onvif/device_service HTTP/1.1\r\n")
    assert req.header("Host") == f"{HOST}:{srv.port}"
    assert req.header("Content-Length") == "4" and req.body == b"<q/>"
    assert req.header("Accept-Encoding") is None  # a gzip bomb cannot pass as a small body


async def test_per_host_limit_queues_requests_beyond_it(serve, pool) -> None:
    release = asyncio.Event()
    in_flight = 0
    peak = 0
    two_waiting = asyncio.Event()

    async def slow(req: Req, writer: asyncio.StreamWriter) -> bool:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 2:
            two_waiting.set()
        await release.wait()
        in_flight -= 1
        return await answer_ok(req, writer)

    srv = await serve(slow)
    tasks = [asyncio.create_task(get(pool, srv)) for _ in range(5)]
    await two_waiting.wait()
    (host,) = pool._hosts.values()
    await until(lambda: len(host.waiters) == 3)  # the other three queue, not on new sockets
    release.set()
    responses = await asyncio.gather(*tasks)
    assert all(r.status == 200 for r in responses)
    assert srv.accepted == 2 and peak == 2


async def test_a_cancelled_waiter_does_not_leak_its_slot(serve, pool) -> None:
    release = asyncio.Event()

    async def slow(req: Req, writer: asyncio.StreamWriter) -> bool:
        await release.wait()
        return await answer_ok(req, writer)

    srv = await serve(slow)
    busy = [asyncio.create_task(get(pool, srv)) for _ in range(2)]
    waiting = asyncio.create_task(get(pool, srv))
    await until(lambda: bool(pool._hosts))
    (host,) = pool._hosts.values()
    await until(lambda: len(host.waiters) == 1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await asyncio.gather(*busy)
    assert (await get(pool, srv)).status == 200
    assert host.count == 2 and not host.waiters and len(host.idle) == 2


# ---------------------------------------------------------------------------- framing


async def test_chunked_body_is_dechunked_and_the_socket_reused(serve, pool) -> None:
    async def chunked(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (b"<a>", b"hello", b"</a>"):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        return True

    srv = await serve(chunked)
    assert (await get(pool, srv)).body == b"<a>hello</a>"
    assert (await get(pool, srv)).body == b"<a>hello</a>"
    assert srv.accepted == 1


async def test_close_delimited_body_ends_at_eof_and_is_not_reused(serve, pool) -> None:
    async def http10(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<old>")
        await writer.drain()
        writer.write(b"firmware</old>")
        return False  # the close delimits the body

    srv = await serve(http10)
    first = await get(pool, srv)
    assert (first.status, first.body, first.declared) == (200, b"<old>firmware</old>", None)
    assert (await get(pool, srv)).body == b"<old>firmware</old>"
    assert srv.accepted == 2


async def test_connection_close_from_the_server_is_honoured(serve, pool) -> None:
    async def closing(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(extra="Connection: close\r\n"))
        await writer.drain()
        return True  # keeps the socket open: the client must not reuse it anyway

    srv = await serve(closing)
    await get(pool, srv)
    await get(pool, srv)
    assert srv.accepted == 2


async def test_truncated_and_garbage_replies_are_malformed(serve, pool) -> None:
    async def truncated(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<only-a-part")
        return False

    async def garbage(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-dropbear\r\n\r\n")
        return False

    for handler in (truncated, garbage):
        srv = await serve(handler)
        with pytest.raises(HttpError) as info:
            await get(pool, srv)
        assert (info.value.failure, info.value.reason) == (Failure.MALFORMED, "broken HTTP reply")


# ---------------------------------------------------------------------------- retry


async def test_a_keep_alive_socket_closed_under_us_is_retried_once(serve, pool) -> None:
    async def one_per_socket(req: Req, writer: asyncio.StreamWriter) -> bool:
        if req.index > 0:
            return False  # the keep-alive race: our request crossed the server's close
        return await answer_ok(req, writer)

    srv = await serve(one_per_socket)
    for _ in range(3):
        assert (await get(pool, srv)).status == 200
    # Every reuse met a closed socket and went through again on a new one.
    assert srv.accepted == 3 and len(srv.requests) == 5


async def test_the_retry_happens_exactly_once(serve, pool) -> None:
    async def first_only(req: Req, writer: asyncio.StreamWriter) -> bool:
        if req.conn == 0 and req.index == 0:
            return await answer_ok(req, writer)
        return False  # everything else: closed without a reply

    srv = await serve(first_only)
    await get(pool, srv)
    with pytest.raises(HttpError) as info:
        await get(pool, srv)
    assert info.value.failure is Failure.PROTOCOL
    assert info.value.reason == "closed the connection without a reply"
    assert srv.accepted == 2  # the reused socket, then one fresh one: no second retry
    with pytest.raises(HttpError):  # a fresh socket closed without a reply is not retried
        await get(pool, srv)
    assert srv.accepted == 3


# ---------------------------------------------------------------------------- caps and deadlines


async def test_a_declared_length_over_the_cap_is_not_read(serve, pool) -> None:
    async def huge(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n")
        await writer.drain()
        await req.reader.read()  # sends no body: the client must hang up by itself
        srv.closed_by_peer.set()
        return False

    srv = await serve(huge)
    resp = await get(pool, srv, max_bytes=4096)
    assert resp.oversized and resp.declared == 50_000_000 and resp.body == b""
    await srv.closed_by_peer.wait()


async def test_a_streamed_body_over_the_cap_stops_and_closes(serve, pool) -> None:
    sent = 0
    done = asyncio.Event()

    async def firehose(req: Req, writer: asyncio.StreamWriter) -> bool:
        nonlocal sent
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"A" * 65536
        try:
            for _ in range(800):  # 50 MB offered
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
        except ConnectionError:
            pass
        done.set()
        return False

    srv = await serve(firehose)
    resp = await get(pool, srv, max_bytes=256 * 1024)
    assert resp.oversized and resp.declared is None and resp.body == b""
    await done.wait()
    assert sent < 20 * 1024 * 1024  # the client hung up: the cap plus what socket buffers hold


async def test_a_silent_server_times_out_per_read(serve, pool) -> None:
    async def silent(req: Req, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(3600)
        return False

    srv = await serve(silent)
    with pytest.raises(HttpError) as info:
        await get(pool, srv, timeout=0.2)
    assert (info.value.failure, info.value.reason) == (Failure.TIMEOUT, "no answer in time")
    assert info.value.exchange_ms is not None
    assert not pool._hosts  # the socket was closed and its slot freed


async def test_a_drip_fed_reply_ends_at_the_callers_deadline(serve, pool) -> None:
    dripped = 0

    async def drip(req: Req, writer: asyncio.StreamWriter) -> bool:
        nonlocal dripped
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:  # a byte every 20 ms: each read arrives in time, the reply never ends
            writer.write(b"x")
            await writer.drain()
            dripped += 1
            await asyncio.sleep(0.02)

    srv = await serve(drip)
    heads = 0

    def on_head() -> None:
        nonlocal heads
        heads += 1

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.4):
            await pool.request(
                "GET", "http", HOST, srv.port, "/", {}, max_bytes=2_000_000, read_timeout_s=0.3,
                on_head=on_head,
            )  # fmt: skip
    assert heads == 1 and dripped > 0  # it answered; the deadline, not the read timeout, ended it
    assert not pool._hosts  # cancelled mid-reply: the socket is closed, the slot free
    await srv.closed_by_peer.wait()


# ---------------------------------------------------------------------------- connect errors, TLS


async def test_refused_is_refused() -> None:
    pool = Pool()
    with pytest.raises(HttpError) as info:
        await pool.request("GET", "http", "127.253.0.7", 9, "/", {}, max_bytes=1, read_timeout_s=2)
    assert (info.value.failure, info.value.reason) == (Failure.REFUSED, "connection refused")
    assert not pool._hosts
    await pool.close()


async def test_idle_sockets_expire_and_close_ends_everything(serve) -> None:
    pool = Pool(keepalive_s=0.05)
    srv = await serve(answer_ok)
    await get(pool, srv)
    await srv.closed_by_peer.wait()  # the idle keep-alive socket was closed by us
    assert not pool._hosts
    await get(pool, srv)
    srv.closed_by_peer.clear()
    await pool.close()
    await srv.closed_by_peer.wait()
    with pytest.raises(HttpError):
        await get(pool, srv)


async def test_tls_without_verification(serve, tmp_path) -> None:

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=192.168.1.64"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    srv = await serve(answer_ok, tls)
    port = srv.port

    async def plain_http(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        writer.close()

    pool = Pool()
    try:
        for _ in range(2):
            resp = await pool.request(
                "POST", "https", HOST, port, "/onvif/device_service", {}, b"<q/>",
                max_bytes=4096, read_timeout_s=2,
            )  # fmt: skip
            assert resp.status == 200
        assert srv.accepted == 1  # one handshake, then keep-alive
        plain = await asyncio.start_server(plain_http, HOST, 0)
        with pytest.raises(HttpError) as info:  # a TLS client against a plain HTTP server
            await pool.request(
                "GET", "https", HOST, plain.sockets[0].getsockname()[1], "/", {},
                max_bytes=4096, read_timeout_s=1,
            )  # fmt: skip
        assert info.value.failure is Failure.UNREACHABLE  # as a failed handshake was before
        plain.close()
    finally:
        await pool.close()


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        build_request("POST", "/", "h", {"SOAPAction": "x\r\nAuthorization: y"}, b"")
    head = build_request("GET", "/a?b=c", "h:81", {"User-Agent": "u"}, b"")
    assert head == b"GET /a?b=c HTTP/1.1\r\nHost: h:81\r\nUser-Agent: u\r\n\r\n"


async def test_unsolicited_bytes_retire_an_idle_socket(serve, pool) -> None:
    async def chatty(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok() + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")  # one reply too many
        await writer.drain()
        return True

    srv = await serve(chatty)
    await get(pool, srv)
    assert (await get(pool, srv)).status == 200
    assert srv.accepted == 2  # the socket with the stray reply was not used again


def test_the_check_path_never_imports_aiohttp() -> None:
    # aiohttp's per-request machinery was a quarter of a check's CPU; webhooks and serve may
    # still use it, a health check must not.
    import sys

    code = (
        "import sys, fleetctl.engine.check.runner, fleetctl.engine.check.probing, fleetctl.engine.check.side_probes,"
        " fleetctl.adapters.onvif.client, fleetctl.adapters.storage.vendor_http, fleetctl.cli.run.check;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'yarl')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_a_camera_named_by_dns_is_resolved_and_the_address_cached(serve, pool) -> None:
    # "localhost" comes from /etc/hosts: no query leaves the machine.
    srv = await serve(answer_ok)
    for _ in range(2):
        responses = await asyncio.gather(
            *(
                pool.request("GET", "http", "localhost", srv.port, "/", {}, max_bytes=99,
                             read_timeout_s=2)
                for _ in range(2)
            )
        )  # fmt: skip
        assert [r.status for r in responses] == [200, 200]
    assert srv.requests[0].header("Host") == f"localhost:{srv.port}"
    assert list(pool._dns) == ["localhost"] and pool._dns["localhost"][1] == HOST


async def test_an_interim_100_continue_is_skipped(serve, pool) -> None:
    async def continuing(req: Req, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n")
        await writer.drain()
        return await answer_ok(req, writer)

    srv = await serve(continuing)
    for i in range(2):
        resp = await get(pool, srv)
        assert (resp.status, resp.body, resp.headers.get("X-Interim")) == (
            200,
            b"<n>%d</n>" % i,
            None,
        )
    assert srv.accepted == 1


async def test_slots_survive_a_storm_of_failures_and_cancellations(serve, pool) -> None:
    # A leaked slot would make every later request to that camera wait forever: after a mix
    # of replies, hang-ups, silences and cancelled callers, each host's books must balance.
    rng = random.Random(7)

    async def moody(req: Req, writer: asyncio.StreamWriter) -> bool:
        mood = rng.choice(["ok", "ok", "ok", "close", "silent", "slow", "chunked-cut"])
        if mood == "close":
            return False
        if mood == "silent":
            await req.reader.read()
            return False
        if mood == "slow":
            await asyncio.sleep(0.01)
        if mood == "chunked-cut":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
            return False
        return await answer_ok(req, writer)

    servers = [await serve(moody) for _ in range(3)]

    async def caller(i: int) -> None:
        srv = servers[i % 3]
        with contextlib.suppress(HttpError, TimeoutError):
            async with asyncio.timeout(rng.choice([0.02, 0.05, 0.2])):
                await get(pool, srv, timeout=0.1)

    await asyncio.gather(*(caller(i) for i in range(150)))
    for key, host in pool._hosts.items():
        assert not host.waiters, key
        assert host.count == len(host.idle) <= pool.per_host, key
    for srv in servers:
        srv.handler = answer_ok
        assert (await get(pool, srv)).status == 200
