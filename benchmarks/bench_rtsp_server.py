"""How many concurrent RTSP streams one simulator process serves, with CPU and RSS.

    /tmp/venv/bin/python benchmarks/bench_rtsp_server.py            # 200 and 500 sub-streams
    /tmp/venv/bin/python benchmarks/bench_rtsp_server.py --streams 100 --size 1920x1080 --kbps 4096

The server (a child process: one event loop, N simulated cameras on their own 127.16.x.y
addresses, port 28554, camera indexes from 9000 so tests running meanwhile are not disturbed)
streams one profile per camera. The client (this process) authenticates with Digest, SETUPs
TCP interleaved, PLAYs, then only counts bytes for the window. Figures: bytes delivered vs
the configured bitrate (100 % = the server kept up), frames the server dropped because a
socket was full, server CPU (user+sys seconds per wall second: 1.0 = one core), server RSS.
Baseline for comparison: the configured rate itself (N x kbps); a real camera sends exactly it.

Measured 2026-11-28 on the shared 2-core box while other suites ran (load average ~8, so the
server process got only ~0.15-0.2 of a core; the per-stream cost is the portable figure):
  200 x 640x360@25 512 kbps:  93 % delivered, 0.17 cores, 0.92 ms CPU/stream-s, RSS 27 MB
  500 x 640x360@25 512 kbps:  40 % delivered (CPU-starved), 0.75 ms CPU/stream-s, RSS 29 MB
  100 x 1920x1080@25 4 Mbit/s: 101 % (414 Mbit/s), 0.12 cores, 1.23 ms CPU/stream-s
  => roughly 800-1,300 streams per free core; 2,000 listeners bind in ~1 s for +9 MB RSS.

Same day, later (load ~6), the main stream a health check plays, ``--streams 100 --size
2688x1520 --kbps 4096 --seconds 5 --loop both --baseline 8388260``, server CPU per stream-second:
  baseline 8388260 (asyncio) 2.00 ms | now, asyncio 1.65 ms (0.83 x) | now, uvloop 1.64 ms
  (frame timers on a 10 ms grid, no per-packet mask in the RTP header patching)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import multiprocessing as mp
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

PORT, FIRST_INDEX = 28554, 9000
USER, PASSWORD = "bench", "bench-pass"


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def _server(
    conn: Connection, streams: int, size: str, fps: float, kbps: int, root: str, loop: str
) -> None:
    if root:  # the named baseline: another revision's simulator, exported by git archive
        sys.path.insert(0, root)
    from fleetctl.sim.camera.model import (
        EncoderConfig,
        MediaProfile,
        SimCamera,
        User,
        Vendor,
        address_for,
    )
    from fleetctl.sim.rtsp.h264 import default_library
    from fleetctl.sim.rtsp.server import start_rtsp

    width, height = (int(v) for v in size.split("x"))

    async def main() -> None:
        media = default_library()
        cams = []
        for i in range(FIRST_INDEX, FIRST_INDEX + streams):
            enc = EncoderConfig(
                "enc", "main", width=width, height=height, fps=fps, bitrate_kbps=kbps
            )
            cams.append(
                SimCamera(
                    index=i,
                    name=f"bench-{i}",
                    site="bench",
                    host=address_for(i),
                    vendor=Vendor.HIKVISION,
                    manufacturer="HIKVISION",
                    model="DS-BENCH",
                    firmware="V1",
                    serial=f"BENCH{i:08d}",
                    mac="c0:56:e3:00:00:00",
                    endpoint=f"urn:uuid:{i}",
                    rtsp_port=PORT,
                    users={USER: User(USER, PASSWORD)},
                    profiles=[MediaProfile("Profile_1", "main", enc, "/Streaming/Channels/101")],
                )
            )
        servers = [await start_rtsp(cam, media) for cam in cams]
        conn.send(("ready", _rss_mb()))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "start": the clients are playing
        lags: list[float] = []

        async def lag_monitor() -> None:  # how late the loop wakes: > 40 ms and frames slip
            while True:
                before = loop.time()
                await asyncio.sleep(0.05)
                lags.append(loop.time() - before - 0.05)

        monitor = asyncio.create_task(lag_monitor())
        t0, r0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
        p0 = sum(c.counters.rtsp_packets for c in cams)
        await loop.run_in_executor(None, conn.recv)  # "stop"
        t1, r1 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / (t1 - t0)
        packets = sum(c.counters.rtsp_packets for c in cams) - p0
        dropped = sum(c.counters.rtsp_frames_dropped for c in cams)
        monitor.cancel()
        lags.sort()
        p99 = lags[int(len(lags) * 0.99)] if lags else 0.0
        conn.send((cpu, _rss_mb(), packets / (t1 - t0), dropped, p99))
        for s in servers:
            s.close()

    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


async def _client(index: int, stop: asyncio.Event, counts: list[int]) -> None:
    from fleetctl.sim.camera.model import address_for

    host = address_for(index)
    reader, writer = await asyncio.open_connection(host, PORT)
    url = f"rtsp://{host}:{PORT}/Streaming/Channels/101"
    cseq = 0

    async def request(method: str, target: str, extra: str = "") -> dict[str, str]:
        nonlocal cseq
        cseq += 1
        writer.write(
            f"{method} {target} RTSP/1.0\r\nCSeq: {cseq}\r\nUser-Agent: bench\r\n{extra}\r\n".encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = {
            k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head.split("\r\n")[1:])
        }
        await reader.readexactly(int(headers.get("content-length", "0")))
        return headers

    def auth(method: str, target: str, challenge: str) -> str:
        p = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        ha1 = hashlib.md5(f"{USER}:{p['realm']}:{PASSWORD}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{target}".encode()).hexdigest()
        resp = hashlib.md5(f"{ha1}:{p['nonce']}:{ha2}".encode()).hexdigest()
        return (
            f'Authorization: Digest username="{USER}", realm="{p["realm"]}", '
            f'nonce="{p["nonce"]}", uri="{target}", response="{resp}"\r\n'
        )

    challenge = (await request("DESCRIBE", url))["www-authenticate"]
    await request("DESCRIBE", url, auth("DESCRIBE", url, challenge))
    track = url + "/trackID=1"
    setup = await request(
        "SETUP",
        track,
        auth("SETUP", track, challenge) + "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
    )
    session = setup["session"].partition(";")[0]
    await request("PLAY", url, auth("PLAY", url, challenge) + f"Session: {session}\r\n")
    counts[1] += 1
    # From here on only bytes matter: a bare Protocol counts them without StreamReader buffering.
    transport = writer.transport
    transport.set_protocol(_Counter(counts))
    await stop.wait()
    transport.close()


class _Counter(asyncio.Protocol):
    def __init__(self, counts: list[int]) -> None:
        self.counts = counts

    def data_received(self, data: bytes) -> None:
        self.counts[0] += len(data)


async def _measure(streams: int, seconds: float, conn: Connection) -> tuple[float, float]:
    stop, counts = asyncio.Event(), [0, 0]  # bytes, sessions playing
    t_setup = time.monotonic()
    tasks = [asyncio.create_task(_client(FIRST_INDEX + i, stop, counts)) for i in range(streams)]
    while counts[1] < streams:  # every session playing before the window opens
        if any(t.done() for t in tasks):
            raise SystemExit(f"a client failed: {next(t.exception() for t in tasks if t.done())!r}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    setup_s = time.monotonic() - t_setup
    conn.send("start")
    start_bytes, t0 = counts[0], time.monotonic()
    await asyncio.sleep(seconds)
    conn.send("stop")
    delivered = (counts[0] - start_bytes) / (time.monotonic() - t0)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return delivered, setup_s


def run(
    streams: int,
    size: str,
    fps: float,
    kbps: int,
    seconds: float,
    label: str = "",
    root: str = "",
    loop: str = "asyncio",
) -> float:
    """One measurement; prints it and returns the server's ms of CPU per stream-second."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=_server, args=(child, streams, size, fps, kbps, root, loop), daemon=True
    )
    proc.start()
    _, idle_rss = parent.recv()
    delivered, setup_s = asyncio.run(_measure(streams, seconds, parent))
    cpu, rss, pps, dropped, lag = parent.recv()
    proc.join(10)
    wanted = streams * kbps * 1000 / 8
    print(
        f"{label or loop}: {streams:>5} streams {size:>9} @{fps:g} fps {kbps:>5} kbps | delivered "
        f"{delivered * 8 / 1e6:7.1f} Mbit/s = {100 * delivered / wanted:5.1f} % of configured | "
        f"{pps:8.0f} RTP pkt/s | dropped frames {dropped:>5} | server CPU {cpu:4.2f} cores, "
        f"loop lag p99 {lag * 1000:4.0f} ms | "
        f"RSS {idle_rss:5.1f} MB listening, {rss:5.1f} MB streaming | all playing in {setup_s:.1f} s"
    )
    # Load-independent efficiency: CPU per stream actually served, and what one core would serve.
    served = streams * min(1.0, delivered / wanted)
    per_stream_ms = cpu * 1000 / served if served else float("nan")
    print(
        f"      server cost {per_stream_ms:.2f} ms CPU per stream-second "
        f"=> ~{1000 / per_stream_ms:.0f} such streams per core (machine load {os.getloadavg()[0]:.1f})"
    )
    return per_stream_ms


def _export(rev: str, into: str) -> str:
    """``fleetctl/`` of git revision ``rev`` under ``into``: a root for sys.path."""
    repo = Path(__file__).resolve().parent.parent
    tar = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", rev, "fleetctl"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--kbps", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop", "both"),
        default="asyncio",
        help="the server's event loop (`fleetctl sim` uses uvloop when installed)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="first measure the simulator of this git revision (on asyncio)",
    )
    args = parser.parse_args()
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    with tempfile.TemporaryDirectory() as tmp:
        root = _export(args.baseline, tmp) if args.baseline else ""
        for n in args.streams:
            rows = []
            if root:
                label = f"baseline {args.baseline} (asyncio)"
                rows.append(
                    (label, run(n, args.size, args.fps, args.kbps, args.seconds, label, root))
                )
            for loop in loops:
                label = f"now, {loop}"
                rows.append(
                    (label, run(n, args.size, args.fps, args.kbps, args.seconds, label, "", loop))
                )
            if len(rows) > 1:
                print(
                    f"  server CPU per stream-second, {n} streams {args.size} @{args.fps:g} fps "
                    f"{args.kbps} kbps (lower is better):"
                )
                for label, ms in rows:
                    print(f"    {label:<32} {ms:5.2f} ms  ({ms / rows[0][1]:4.2f} x the first)")


if __name__ == "__main__":
    main()
