"""``PinnedTransport`` on the lean client: HTTP Digest for SOAP, status first, pinning.

The server checks every Digest answer with its own hashlib arithmetic (RFC 7616, MD5, qop=auth),
not with our digest module: a client and a server sharing one bug would agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from fleetctl.adapters.http.client import Pool
from fleetctl.adapters.onvif.transport import (
    DigestLogin,
    PinnedTransport,
    WireError,
    exchange_ms,
)
from fleetctl.core.probes import Failure
from fleetctl.core.secret import Secret

HOST = "127.0.0.1"
USER, PASSWORD = "fleet", "s3cr3t-Pa55"
ENVELOPE = (
    b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope '
    b'xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><ok/></s:Body></s:Envelope>'
)
PATH = "/onvif/device_service"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class DigestCamera:
    """Answers SOAP only to a valid Digest Authorization (or with ``offer``: what it challenges)."""

    offer: str = 'Digest realm="cam", nonce="{nonce}", qop="auth", algorithm=MD5'
    nonce: str = "n-0001"
    expire_after: int = 0  # successes before the nonce goes stale (0: never)
    authorizations: list[str | None] = field(default_factory=list)
    ncs: list[str] = field(default_factory=list)
    accepted: int = 0
    challenge_body: bytes = b"<html><body>401 Unauthorized</body></html>"
    successes: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def valid(self, header: str) -> bool:
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', header.removeprefix("Digest ")))
        ha1 = _md5(f"{USER}:cam:{PASSWORD}")
        ha2 = _md5(f"POST:{PATH}")
        want = _md5(f"{ha1}:{self.nonce}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
        self.ncs.append(p.get("nc", ""))
        return (p.get("username"), p.get("uri"), p.get("nonce"), p.get("response")) == (
            USER,
            PATH,
            self.nonce,
            want,
        )

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = re.search(r"(?i)content-length: *(\d+)", head)
                await reader.readexactly(int(length[1]) if length else 0)
                auth = re.search(r"(?im)^authorization: *(.+?)\r$", head)
                self.authorizations.append(auth[1] if auth else None)
                stale = ""
                if auth and auth[1].startswith("Digest ") and self.valid(auth[1]):
                    if not self.expire_after or self.successes < self.expire_after:
                        self.successes += 1
                        writer.write(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; "
                            b'charset="utf-8"\r\nContent-Length: %d\r\n\r\n%s'
                            % (len(ENVELOPE), ENVELOPE)
                        )
                        continue
                    self.nonce, self.successes, stale = "n-0002", 0, ", stale=true"
                challenge = self.offer.format(nonce=self.nonce) + stale
                writer.write(
                    f"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\n"
                    f"Content-Type: text/html\r\nContent-Length: {len(self.challenge_body)}\r\n\r\n"
                    .encode() + self.challenge_body
                )  # fmt: skip
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    p = Pool()
    yield p
    await p.close()


@pytest.fixture
async def start(pool: Pool) -> AsyncIterator[Callable[[DigestCamera], Awaitable[int]]]:
    started: list[tuple[asyncio.Server, DigestCamera]] = []

    async def start(cam: DigestCamera) -> int:
        server = await asyncio.start_server(cam.handle, HOST, 0)
        started.append((server, cam))
        return int(server.sockets[0].getsockname()[1])

    yield start
    await pool.close()  # the client hangs up first; then every handler ends on its EOF
    for server, cam in started:
        server.close()
        await asyncio.gather(*cam.tasks, return_exceptions=True)


def transport(pool: Pool, port: int, password: str | None = PASSWORD) -> PinnedTransport:
    login = DigestLogin(USER, Secret(password)) if password is not None else None
    return PinnedTransport(
        pool, scheme="http", host=HOST, port=port, max_bytes=65536, read_timeout_s=2, digest=login
    )


async def post(t: PinnedTransport, port: int) -> int:
    reply = await t.post_bytes(f"http://{HOST}:{port}{PATH}", b"<q/>", {"Content-Type": "x"})
    return reply.status_code


async def test_challenge_once_then_preemptive_with_counting_nc(pool, start) -> None:
    cam = DigestCamera()
    port = await start(cam)
    t = transport(pool, port)
    assert [await post(t, port) for _ in range(3)] == [200, 200, 200]
    assert cam.authorizations[0] is None  # first contact: no credentials until challenged
    assert all(a and a.startswith("Digest ") for a in cam.authorizations[1:])
    assert len(cam.authorizations) == 4  # one 401, then every call authenticated up front
    assert cam.ncs == ["00000001", "00000002", "00000003"]
    assert t.digest_used and t.responses == 4
    assert cam.accepted == 1  # the 401's body was read: the socket stayed alive
    assert exchange_ms.get() is not None


async def test_a_stale_nonce_is_answered_again(pool, start) -> None:
    cam = DigestCamera(expire_after=2)
    port = await start(cam)
    t = transport(pool, port)
    assert [await post(t, port) for _ in range(4)] == [200, 200, 200, 200]
    assert cam.nonce == "n-0002" and cam.ncs[-1] == "00000002"  # nc restarts with a new nonce


async def test_a_rejected_answer_is_auth_401_without_the_password(pool, start) -> None:
    cam = DigestCamera()
    port = await start(cam)
    t = transport(pool, port, password="wrong-horse-battery")
    with pytest.raises(WireError) as info:
        await post(t, port)
    assert (info.value.failure, info.value.http_status) == (Failure.AUTH, 401)
    assert len(cam.authorizations) == 2  # the challenge and one answer: not a loop
    assert t.digest_used  # onvif_session reads this as "Digest rejected": no clock re-measure
    text = f"{info.value} {info.value!r} {t.__dict__!r}"
    assert "wrong-horse-battery" not in text and PASSWORD not in text


async def test_basic_is_never_sent_for_soap(pool, start) -> None:
    cam = DigestCamera(offer='Basic realm="cam"')
    port = await start(cam)
    t = transport(pool, port)
    with pytest.raises(WireError) as info:
        await post(t, port)
    assert (info.value.failure, info.value.http_status) == (Failure.AUTH, 401)
    assert cam.authorizations == [None] and not t.digest_used


async def test_status_comes_before_the_size_of_an_html_401(pool, start) -> None:
    cam = DigestCamera(challenge_body=b"<html>" + b"x" * 200_000 + b"</html>")
    port = await start(cam)
    t = transport(pool, port, password=None)  # WS-Security only: the 401 is final
    with pytest.raises(WireError) as info:
        await post(t, port)
    assert (info.value.failure, info.value.http_status) == (Failure.AUTH, 401)


async def test_addresses_outside_the_inventory_are_refused(pool, start) -> None:
    cam = DigestCamera()
    port = await start(cam)
    t = transport(pool, port)
    for address in (f"http://127.254.0.9:{port}{PATH}", f"http://{HOST}:{port + 1}{PATH}"):
        with pytest.raises(WireError) as info:
            await t.post_bytes(address, b"<q/>", {})
        assert info.value.failure is Failure.PROTOCOL and "outside the inventory" in str(info.value)
    assert cam.accepted == 0


async def test_pinned_targets_are_the_exact_path_and_query(pool) -> None:
    t = transport(pool, 8080)
    assert t._pin(f"http://{HOST}:8080/onvif/Media?a=1&b=2") == "/onvif/Media?a=1&b=2"
    assert t._pin(f"http://{HOST}:8080/onvif/x#frag") == "/onvif/x"  # the slow path agrees
    assert t._pin(f"HTTP://{HOST}:8080") == "/"
    with pytest.raises(ValueError):  # a space would end the request line: never sent
        await t.post_bytes(f"http://{HOST}:8080/onvif/a b", b"", {})
