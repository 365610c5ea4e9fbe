"""Hikvision activation cost: the newer V3 flow (RSA-3072, AES-CBC) vs the documented one
(RSA-1024, AES-128-ECB), each on the inactive Hikvisions of a simulated box, all at once.

    python benchmarks/bench_activation.py               # 40 fresh cameras: 4 of each flow
    python benchmarks/bench_activation.py --cameras 80

Baseline: the documented flow in the same run. Each contender: a fresh simulated box, every
inactive Hikvision activated concurrently over real HTTP on loopback (the client's half:
``activation()`` then ``activate()``); the simulator shares the process and event loop, so its
decryption counts against both alike. Printed: wall time, per-device time, and the worst stall
of the event loop (a 10 ms ticker), which is what would push the other devices of an onboarding
run past their deadlines. The V3 client makes its RSA-3072 key once per process in a worker
thread (its first device pays for it here); a third row shows the naive way, a new key per
device made on the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from fleetctl.adapters.provision import hikvision, hikvision_v3
from fleetctl.core.secret import Secret
from fleetctl.sim.fleet import SimFleet

PASSWORD = "Gd7kPq2mXr9tBn4w"


async def _ticker(stop: asyncio.Event) -> float:
    worst, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        worst, last = max(worst, now - last - 0.01), now
    return worst


async def _inline_key() -> object:
    return hikvision_v3.new_key()  # the naive way: a new key per device, on the event loop


async def one_run(cameras: int, v3: bool, seed: int) -> tuple[int, float, float]:
    async with SimFleet(cameras=cameras, fresh=cameras, seed=seed, rtsp=False) as fleet:
        cams = [
            c
            for c in fleet.cameras
            if c.factory is not None
            and c.factory.kind == "hikvision"
            and c.factory.activate_v3 is v3
        ]

        async def activate(host: str, port: int) -> None:
            async with hikvision.connect(host, port, timeout_s=60.0) as isapi:
                state = await isapi.activation()
                assert state is not None and state.v3 is v3
                await isapi.activate(Secret(PASSWORD), v3=state.v3)

        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticker(stop))
        t0 = time.perf_counter()
        await asyncio.gather(*(activate(c.host, c.onvif_port) for c in cams))
        wall = time.perf_counter() - t0
        stop.set()
        stall = await ticker
        assert all(c.factory is not None and c.factory.activated for c in cams)
        return len(cams), wall, stall


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{'flow':<34} {'devices':>7} {'wall s':>7} {'ms/device':>9} {'worst stall ms':>14}")
    shared = hikvision_v3.shared_key
    rows = (
        ("documented (baseline)", False, shared),
        ("V3, one key per process", True, shared),
        ("V3, new key per device, inline", True, _inline_key),
    )
    for label, v3, key in rows:
        hikvision_v3._shared = None  # the first V3 device of a run makes the key
        hikvision_v3.shared_key = key  # type: ignore[assignment]
        try:
            n, wall, stall = await one_run(args.cameras, v3, args.seed)
        finally:
            hikvision_v3.shared_key = shared  # type: ignore[assignment]
        per = wall / n * 1000 if n else 0.0
        print(f"{label:<34} {n:>7} {wall:>7.2f} {per:>9.0f} {stall * 1000:>14.0f}")


if __name__ == "__main__":
    asyncio.run(main())
