"""Unicast WS-Discovery sweep of a /20 (4,094 host addresses) with 1,000 simulated responders.

    python benchmarks/bench_discover.py                  # default: rates 1000 and 10000 pps
    python benchmarks/bench_discover.py --rates 20000 --cameras 2000

The responders (``fleetctl.sim.discovery.wsdiscovery.start_discovery``, one UDP socket per camera on
its own 127.16.x.y address, plus the multicast group on lo) run in a child process so the sweep's
figures are its own. Each contender runs in this process, one after the other:

- ``fleetctl``: ``adapters.discovery.sweep.unicast_sweep`` (one socket, paced, 2 rounds, 1 s late-reply
  wait), at each ``--rates``.
- ``fleetctl multicast``: ``wsdiscovery.multicast_probe`` on lo (2 rounds x 2 Probe kinds, 2 s
  wait, the CLI default): every camera answers each Probe after a random delay of up to 0.2 s.
- baseline ``naive``: what one scripts first with asyncio: a socket per address (512 at a time,
  the fd budget), send one Probe, wait up to 1 s for an answer. No pacing, no retry.

Printed per contender: wall time, Probes sent, achieved send rate, devices found of N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

from fleetctl.adapters.discovery import sweep, wsdiscovery
from fleetctl.sim.camera.model import address_for

RANGE = "127.16.16.0/20"  # indexes 4064..8127 of the address plan; other benches use 8192+
FIRST_INDEX = 16 * 254

SIM = r"""
import asyncio, sys
from fleetctl.sim.discovery.wsdiscovery import start_discovery
from fleetctl.sim.camera.model import SimCamera, Vendor, address_for
N, FIRST, STEP = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

async def main():
    cams = [SimCamera(index=i, name=f"b{i}", site="bench", host=address_for(FIRST + i * STEP),
                      vendor=Vendor.GENERIC, manufacturer="ACME", model="B1", firmware="1",
                      serial=f"S{i}", mac=f"02:00:00:01:{i >> 8:02x}:{i & 255:02x}",
                      endpoint=f"urn:uuid:00000000-0000-4000-8000-{i:012d}")
            for i in range(N)]
    t0 = asyncio.get_running_loop().time()
    service = await start_discovery(cams, multicast=True)
    took = asyncio.get_running_loop().time() - t0
    print(f"ready {service.sockets} {took:.3f}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
    service.close()
    await service.wait_closed()
    print(sum(c.counters.discovery_probes for c in cams), flush=True)

asyncio.run(main())
"""


async def naive(addresses: list[str], timeout: float = 1.0) -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(512)
    found = 0

    async def one(addr: str) -> None:
        nonlocal found
        async with gate:
            got: asyncio.Future[bytes] = loop.create_future()

            class P(asyncio.DatagramProtocol):
                def datagram_received(self, d: bytes, a: tuple[str | int, int]) -> None:
                    if not got.done():
                        got.set_result(d)

            mid = wsdiscovery.new_message_id()
            transport, _ = await loop.create_datagram_endpoint(P, remote_addr=(addr, 3702))
            try:
                transport.sendto(wsdiscovery.build_probe(mid))
                with contextlib.suppress(TimeoutError):
                    data = await asyncio.wait_for(got, timeout)
                    if wsdiscovery.parse_probe_matches(data, addr, {mid}):
                        found += 1
            finally:
                transport.close()

    await asyncio.gather(*(one(a) for a in addresses))
    return found, len(addresses)


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cameras", type=int, default=1000)
    ap.add_argument("--rates", type=float, nargs="+", default=[1000.0, 10000.0])
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    addresses = sweep.expand_ranges([RANGE])
    step = max(1, (len(addresses) - 30) // args.cameras)
    if address_for(FIRST_INDEX + (args.cameras - 1) * step) not in set(addresses):
        sys.exit("too many cameras for a /20")

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SIM,
        str(args.cameras),
        str(FIRST_INDEX),
        str(step),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = (await proc.stdout.readline()).decode().split()  # the ready signal
    if not line or line[0] != "ready":
        sys.exit("simulator failed to start")
    print(f"simulator: {line[1]} responder sockets bound in {float(line[2]):.2f} s")
    print(f"sweep of {RANGE}: {len(addresses)} addresses, {args.cameras} cameras\n")
    print(f"{'contender':<28}{'wall s':>8}{'probes':>8}{'send pps':>10}{'found':>12}")
    try:
        for rate in args.rates:
            t0 = time.perf_counter()
            result = await sweep.unicast_sweep(addresses, rate=rate, repeats=2, wait=1.0)
            wall = time.perf_counter() - t0
            found = len({m.endpoint for m in result.matches})
            pps = result.packets / result.send_s if result.send_s else 0.0
            print(
                f"{f'fleetctl rate={rate:g}':<28}{wall:>8.2f}{result.packets:>8}"
                f"{pps:>10.0f}{found:>7}/{args.cameras}"
            )
        ours = {address_for(FIRST_INDEX + i * step) for i in range(args.cameras)}
        t0 = time.perf_counter()
        matches = await wsdiscovery.multicast_probe(["127.0.0.1"], repeats=2, wait=2.0)
        wall = time.perf_counter() - t0
        found = len({m.endpoint for m in matches if m.address in ours})
        print(
            f"{'fleetctl multicast on lo':<28}{wall:>8.2f}{4:>8}{'-':>10}{found:>7}/{args.cameras}"
            f"   ({len(matches)} devices heard in all, other simulators on lo included)"
        )
        if not args.no_baseline:
            t0 = time.perf_counter()
            found, sent = await naive(addresses)
            wall = time.perf_counter() - t0
            print(
                f"{'baseline naive (socket/addr)':<28}{wall:>8.2f}{sent:>8}{sent / wall:>10.0f}"
                f"{found:>7}/{args.cameras}"
            )
    finally:
        proc.stdin.close()
        probes = (await proc.stdout.read()).decode().strip()
        await proc.wait()
    print(f"\nProbes the responders counted: {probes}")


if __name__ == "__main__":
    asyncio.run(main())
