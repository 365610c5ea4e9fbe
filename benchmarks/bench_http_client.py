"""fleetctl's camera HTTP client (llhttp, ``adapters/http``) vs aiohttp, on a check's request mix.

    python benchmarks/bench_http_client.py                      # 500 cameras, concurrency 512
    python benchmarks/bench_http_client.py --cameras 200 --repeat 1   # quicker

A child process serves N simulated cameras (``fleetctl.sim.fleet.SimFleet``: SOAP 1.2,
WS-UsernameToken, a third of the Hikvisions on HTTP Digest, vendor storage pages) on 127.16.x.y.
Each contender runs in a child process of its own, so its CPU seconds and peak RSS are its own,
and both run the same code above the pool, with the check's settings:

- per camera, the check's ONVIF health conversation (``probe_onvif``: clock, device info,
  services, profiles, the main stream's URI, recording jobs, state and summary; first reply
  within 2 x slow_s, replies capped at the check's 4 MiB) and, for Hikvision and Dahua, the
  vendor storage GET (``read_vendor_storage``): the HTTP the check sends, in the same order;
- at most 512 cameras at once (``CheckOptions.concurrency``'s default), the check's per-camera
  socket limit (2) and keep-alive (3 s); pinning, caps and Digest are ``PinnedTransport``'s and
  the storage adapter's, the same for both: only the pool under them differs.

Contenders:

- ``llhttp``: ``adapters.http.client.Pool`` (asyncio.Protocol + httptools), as the check runs.
- ``aiohttp``: the same ``HttpPool`` interface over one ``aiohttp.ClientSession`` with
  equivalent settings (``TCPConnector(limit_per_host=2, keepalive_timeout=3)``, DNS cache, no
  cookies, no decompression, certificates unverified as cameras need), the body read in chunks
  up to the cap, one retry when a kept-alive socket was closed under us.

Printed per contender (median of ``--repeat`` runs, the contenders alternating): wall seconds,
CPU seconds (user + system of the client process), CPU per HTTP request sent, peak RSS, and how
many cameras came back healthy, with the reasons of those that did not. On a machine busy with
other work a contender short of CPU misses the cameras' 10 s deadlines: fewer healthy cameras
and fewer requests, so compare CPU per request then, not CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

FIRST = 9500  # simulator address block (127.16.x.y), clear of the other benchmarks
CONCURRENCY = 512  # CheckOptions().concurrency
TIMEOUT_S = 10.0  # CheckOptions().timeout_s
FIRST_REPLY_S = 4.0  # probing.FIRST_REPLY_FACTOR x the default policy.slow_s
STORAGE_TIMEOUT_S = 4.0  # camera_run.STORAGE_TIMEOUT_S

_SIM = r"""
import asyncio, json, sys
from fleetctl.sim.fleet import SimFleet

async def main(n, first):
    async with SimFleet(cameras=n, faults="none", seed=7, rtsp=False, ssh=False, discovery=False,
                        first_index=first, nat=0.0) as fleet:
        user, password = fleet.credentials
        print(json.dumps({"user": user, "password": password,
                          "cams": [[c.host, c.onvif_port] for c in fleet.cameras]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


class AiohttpPool:
    """``adapters.http.pool.HttpPool`` over aiohttp: the baseline (see the module docstring)."""

    def __init__(self, *, per_host: int, keepalive_s: float) -> None:
        import aiohttp

        from fleetctl.adapters.http.client import no_verify_tls

        self._aiohttp = aiohttp
        connector = aiohttp.TCPConnector(
            limit=0,  # the caller bounds the fleet; per host is the limit that matters
            limit_per_host=per_host,
            keepalive_timeout=keepalive_s,
            ssl=no_verify_tls(),
            use_dns_cache=True,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            auto_decompress=False,
        )
        self._timeouts: dict[float, Any] = {}

    @property
    def closed(self) -> bool:
        return bool(self._session.closed)

    async def request(
        self,
        method: str,
        scheme: str,
        host: str,
        port: int,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        max_bytes: int,
        read_timeout_s: float,
        on_head: Callable[[], None] | None = None,
    ) -> Any:
        from yarl import URL

        from fleetctl.adapters.errors import HttpError
        from fleetctl.adapters.http.wire import Headers, Response
        from fleetctl.adapters.reach import classify_os_error
        from fleetctl.core.probes import Failure

        aiohttp = self._aiohttp
        where = f"{host}:{port}"
        netloc = f"[{host}]" if ":" in host else host
        url = URL(f"{scheme}://{netloc}:{port}{target}", encoded=True)
        timeout = self._timeouts.get(read_timeout_s)
        if timeout is None:
            timeout = self._timeouts[read_timeout_s] = aiohttp.ClientTimeout(
                total=None, sock_connect=read_timeout_s, sock_read=read_timeout_s
            )
        for attempt in (1, 2):
            sent = time.perf_counter()
            try:
                async with self._session.request(
                    method,
                    url,
                    data=body if body or method != "GET" else None,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as resp:
                    if on_head is not None:
                        on_head()
                    raw = Headers(list(resp.raw_headers))
                    declared = resp.content_length
                    if declared is not None and declared > max_bytes:
                        resp.close()
                        ms = (time.perf_counter() - sent) * 1000
                        return Response(resp.status, raw, b"", True, declared, ms)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in resp.content.iter_chunked(64 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            resp.close()
                            ms = (time.perf_counter() - sent) * 1000
                            return Response(resp.status, raw, b"", True, declared, ms)
                        chunks.append(chunk)
                    ms = (time.perf_counter() - sent) * 1000
                    return Response(resp.status, raw, b"".join(chunks), False, declared, ms)
            except aiohttp.ServerDisconnectedError as err:
                if attempt == 2:
                    raise HttpError(
                        Failure.PROTOCOL, "closed the connection without a reply", where=where
                    ) from err
            except aiohttp.ClientConnectorError as err:
                failure = classify_os_error(err.os_error)
                raise HttpError(
                    failure, err.os_error.strerror or failure.value, where=where
                ) from err
            except (aiohttp.ServerTimeoutError, TimeoutError) as err:
                raise HttpError(Failure.TIMEOUT, "no answer in time", where=where) from err
            except aiohttp.ClientError as err:
                raise HttpError(Failure.MALFORMED, "broken HTTP reply", where=where) from err
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self._session.close()


class Counting:
    """Counts the requests that reach the pool under it (the same wrapper for both)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.requests = 0

    @property
    def closed(self) -> bool:
        return bool(self.pool.closed)

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return await self.pool.request(*args, **kwargs)

    async def close(self) -> None:
        await self.pool.close()


async def _check_mix(spec: dict[str, Any], kind: str) -> tuple[int, int, dict[str, int]]:
    """The check's HTTP for every camera; (healthy cameras, requests sent, why the others
    failed)."""
    from collections import Counter

    from fleetctl.adapters.http.pool import KEEPALIVE_S, PER_CAMERA_CONNECTIONS, camera_pool
    from fleetctl.adapters.onvif.client import probe_onvif
    from fleetctl.adapters.storage.vendor_http import read_vendor_storage
    from fleetctl.core.models import Camera, Credential
    from fleetctl.core.secret import Secret
    from fleetctl.engine.check.camera_run import MAX_REPLY_BYTES

    inner = (
        camera_pool()
        if kind == "llhttp"
        else AiohttpPool(per_host=PER_CAMERA_CONNECTIONS, keepalive_s=KEEPALIVE_S)
    )
    pool = Counting(inner)
    cred = Credential("bench", spec["user"], Secret(spec["password"]))
    sem = asyncio.Semaphore(CONCURRENCY)
    why: Counter[str] = Counter()

    async def one(i: int, host: str, port: int) -> bool:
        async with sem:
            cam = Camera(name=f"c{i}", host=host, site="bench", port=port)
            probe = await probe_onvif(
                cam,
                cred,
                timeout_s=TIMEOUT_S,
                max_bytes=MAX_REPLY_BYTES,
                want_recordings=True,
                first_reply_s=FIRST_REPLY_S,
                pool=pool,
            )
            if not (probe.ok and probe.profiles and probe.profiles[0].stream_uri):
                why[f"onvif {probe.failure}: {(probe.error or '').split(': ', 1)[-1][:60]}"] += 1
                return False
            vendor = (probe.device.manufacturer or "").lower() if probe.device else ""
            vendor = next((v for v in ("hikvision", "dahua") if v in vendor), "")
            if vendor:
                readout = await read_vendor_storage(
                    host,
                    port,
                    vendor,
                    cred,
                    timeout_s=STORAGE_TIMEOUT_S,
                    max_bytes=MAX_REPLY_BYTES,
                    pool=pool,
                )
                if not readout.ok:
                    why[f"storage {readout.failure}: {(readout.error or '')[-60:]}"] += 1
                return readout.ok
            return True

    try:
        ok = await asyncio.gather(*(one(i, h, p) for i, (h, p) in enumerate(spec["cams"])))
    finally:
        await pool.close()
    return sum(ok), pool.requests, dict(why)


def client(kind: str) -> None:
    spec = json.loads(sys.stdin.readline())
    # Everything either contender imports, before the clock starts.
    import aiohttp  # noqa: F401
    import lxml.etree  # noqa: F401

    import fleetctl.adapters.onvif.client
    import fleetctl.adapters.storage.vendor_http  # noqa: F401
    from fleetctl.base import aio

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def run() -> tuple[int, int, dict[str, int], float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        ok, requests, why = await _check_mix(spec, kind)
        return ok, requests, why, time.perf_counter() - t0, time.process_time() - c0

    ok, requests, why, wall, cpu = aio.run(run())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ok": ok,
                "requests": requests,
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": rss / 1024,
                "rss0_mb": rss0 / 1024,
                "why": why,
            }
        )
    )


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


NAMES = {
    "llhttp": "fleetctl Pool (httptools/llhttp)",
    "aiohttp": "baseline: aiohttp ClientSession",
}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender (median shown)")
    ap.add_argument("--client", choices=sorted(NAMES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args.client)
        return
    sim = subprocess.Popen(
        [sys.executable, "-c", _SIM, str(args.cameras), str(FIRST)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdout is not None and sim.stdin is not None
    spec = sim.stdout.readline()
    n = args.cameras
    print(
        f"{n} simulated cameras (no faults), concurrency {CONCURRENCY}, "
        f"the check's ONVIF health calls + vendor storage GET; median of {args.repeat}"
    )
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in NAMES}
    try:
        for r in range(args.repeat):
            order = list(NAMES) if r % 2 == 0 else list(reversed(NAMES))
            for kind in order:
                sim_cpu0 = _cpu_of(sim.pid)
                out = subprocess.run(
                    [sys.executable, __file__, "--client", kind],
                    input=spec,
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    sys.exit(f"{kind} client failed:\n{out.stderr[-3000:]}")
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result["sim_cpu_s"] = _cpu_of(sim.pid) - sim_cpu0
                for reason, count in result.pop("why").items():
                    print(f"  {kind} run {r + 1}: {count} cameras failed: {reason}")
                runs[kind].append(result)
    finally:
        sim.stdin.close()
        sim.wait(timeout=30)
    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}
    print(
        f"{'client':36} {'ok':>9} {'requests':>8} {'wall s':>7} {'CPU s':>7} "
        f"{'CPU us/req':>10} {'peak RSS MB':>11} {'sim CPU s':>9}"
    )
    for kind, m in med.items():
        print(
            f"{NAMES[kind]:36} {m['ok']:>5.0f}/{n:<3} {m['requests']:>8.0f} {m['wall_s']:>7.2f} "
            f"{m['cpu_s']:>7.2f} {1e6 * m['cpu_s'] / m['requests']:>10.0f} "
            f"{m['peak_rss_mb']:>11.1f} {m['sim_cpu_s']:>9.1f}"
        )
    ours, base = med["llhttp"], med["aiohttp"]
    print(
        f"aiohttp / llhttp: CPU x{base['cpu_s'] / ours['cpu_s']:.2f}, "
        f"wall x{base['wall_s'] / ours['wall_s']:.2f}, "
        f"peak RSS {base['peak_rss_mb'] - ours['peak_rss_mb']:+.1f} MB"
    )
    print("CPU s per run:", {k: [round(r["cpu_s"], 2) for r in v] for k, v in runs.items()})


if __name__ == "__main__":
    main()
