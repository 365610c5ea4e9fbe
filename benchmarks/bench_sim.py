"""The simulator at district scale: startup, memory and ONVIF throughput. Prints figures.

    /tmp/venv/bin/python benchmarks/bench_sim.py                  # 2,000 cameras
    /tmp/venv/bin/python benchmarks/bench_sim.py --cameras 500 --seconds 3

The fleet runs in this process (what `fleetctl sim` does). The load comes from a child process
(so client and server each have a core): ``--workers`` concurrent keep-alive connections spread
over all WS-Security cameras, 8 requests per camera, first the unauthenticated GetSystemDateAndTime, then GetDeviceInformation with
a fresh WS-UsernameToken PasswordDigest per request (what every real client sends).

Targets (issue 3): all listening within 10 s, under 500 MB RSS. Named baseline for throughput:
"hundreds of requests/s" from the brief; a real camera's SoC serves ~20-50 ONVIF requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from datetime import UTC, datetime

BODY = ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/'
        'soap-envelope"><s:Header>{header}</s:Header><s:Body>{call}</s:Body></s:Envelope>')
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
PER_CAMERA = 8  # requests per camera before moving on (what one health check makes)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used: the simulator's cost, load-independent."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def wsse(user: str, password: str) -> str:
    nonce = os.urandom(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest())
    return (
        '<Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
        'secext-1.0.xsd"><UsernameToken><Username>' + user + '</Username><Password Type="http:'
        '//docs.oasis-open.org/wss/2004/01/oasis-200401-username-token-profile-1.0#Password'
        'Digest">' + digest.decode() + "</Password><Nonce>" + base64.b64encode(nonce).decode()
        + '</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-utility-1.0.xsd">' + created + "</Created></UsernameToken></Security>"
    )


async def load(targets: list[tuple[str, int]], user: str, password: str, auth: bool,
               workers: int, seconds: float) -> tuple[int, dict[str, int]]:
    from collections import Counter

    import aiohttp

    ok = 0
    errors: Counter[str] = Counter()
    stop = time.monotonic() + seconds
    call = f'<GetDeviceInformation xmlns="{DEVICE_NS}"/>' if auth else \
        f'<GetSystemDateAndTime xmlns="{DEVICE_NS}"/>'

    async def worker(k: int, session: aiohttp.ClientSession) -> None:
        nonlocal ok
        camera = k
        while time.monotonic() < stop:
            # A check makes a handful of calls per camera on one keep-alive connection.
            host, port = targets[camera % len(targets)]
            camera += workers
            for _ in range(PER_CAMERA):
                body = BODY.format(header=wsse(user, password) if auth else "", call=call)
                try:
                    async with session.post(f"http://{host}:{port}/onvif/device_service",
                                            data=body.encode(),
                                            headers={"Content-Type": "application/soap+xml"}) as r:
                        await r.read()
                        ok += r.status == 200
                        if r.status != 200:
                            errors[f"HTTP {r.status}"] += 1
                except aiohttp.ClientError as err:
                    errors[type(err).__name__] += 1

    conn = aiohttp.TCPConnector(limit=workers, limit_per_host=4)
    async with aiohttp.ClientSession(connector=conn) as session:
        await asyncio.gather(*(worker(k, session) for k in range(workers)))
    return ok, errors


def client(targets: list[tuple[str, int]], user: str, password: str, workers: int,
           seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    for auth in (False, True):
        out.put(("start", auth))
        started = time.monotonic()
        ok, errors = asyncio.run(load(targets, user, password, auth, workers, seconds))
        out.put((auth, ok, errors, time.monotonic() - started))


async def main(args: argparse.Namespace) -> None:
    from fleetctl.sim.fleet import SimFleet

    base = rss_mb()
    started = time.perf_counter()
    fleet = SimFleet(cameras=args.cameras, faults="none", seed=1, recorders=0,
                     discovery=not args.no_discovery, rtsp=not args.no_rtsp)
    built = time.perf_counter() - started
    async with fleet:
        listening = time.perf_counter() - started
        rss = rss_mb()
        print(f"cameras            {args.cameras} (rtsp={not args.no_rtsp}, "
              f"discovery={not args.no_discovery})")
        print(f"built state        {built:.2f} s")
        print(f"all listening      {listening:.2f} s   (target < 10 s)")
        print(f"RSS                {rss:.0f} MB, {rss - base:.0f} MB for the fleet   "
              f"(target < 500 MB)")
        user, password = fleet.credentials
        # WS-Security cameras only: the HTTP Digest ones (15 %) need a challenge round trip.
        targets = [(c.host, c.onvif_port) for c in fleet.cameras if c.auth_mode == "wsse"]
        out: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
        proc = mp.get_context("spawn").Process(
            target=client, args=(targets, user, password, args.workers, args.seconds, out))
        proc.start()
        figures: dict[str, int] = {}
        cpu_at_start = 0.0
        while len(figures) < 2:
            msg = await asyncio.to_thread(out.get)
            if msg[0] == "start":
                cpu_at_start = cpu_s()
                continue
            auth, ok, errors, took = msg
            cpu_per_req = (cpu_s() - cpu_at_start) / max(ok, 1)
            name = "GetDeviceInformation (WSSE)" if auth else "GetSystemDateAndTime"
            figures[name] = round(ok / took)
            print(f"{name:<28} {ok / took:6.0f} req/s  ({ok} ok, errors {dict(errors)}, "
                  f"{args.workers} connections, {took:.1f} s); simulator CPU "
                  f"{cpu_per_req * 1e6:.0f} us/request = {1 / cpu_per_req:.0f} req/s per core")
        proc.join()
        print(f"RSS after load     {rss_mb():.0f} MB")
        total = sum(sum(c.counters.requests.values()) for c in fleet.cameras)
        print(f"requests counted   {total} on the cameras' own counters")
        if args.json:
            print(json.dumps({"cameras": args.cameras, "listening_s": round(listening, 2),
                              "rss_mb": round(rss), **figures}))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cameras", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=5.0, help="load per phase")
    p.add_argument("--workers", type=int, default=64, help="concurrent client connections")
    p.add_argument("--no-rtsp", action="store_true")
    p.add_argument("--no-discovery", action="store_true")
    p.add_argument("--json", action="store_true")
    sys.exit(asyncio.run(main(p.parse_args())))
