"""`fleetctl inventory trust HOST`: record a recorder's SSH host key before any login.

Pre-seeding the key is what lets `check` send a recorder its SSH password: a host never seen
gets none (a spoofed recorder on the address would collect it). The key is asked for without
authenticating; the person compares the printed fingerprint with the recorder's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Trusted:
    host: str
    port: int
    key_type: str
    fingerprint: str  # SHA256:... as `ssh-keygen -lf` prints it
    file: Path
    outcome: str  # added | present | changed (a different key is recorded: left alone)


async def trust_host(
    host: str, port: int, known_hosts_path: str | None, *, timeout_s: float = 10.0
) -> Trusted:
    """Fetch and record host:port's key. OSError/TimeoutError when it does not answer SSH."""
    from fleetctl.adapters.storage.ssh import fetch_host_key, key_fingerprint, record_host_key

    key = await fetch_host_key(host, port, timeout_s=timeout_s)
    path, outcome = record_host_key(known_hosts_path, host, port, key)
    return Trusted(host, port, key.split()[0], key_fingerprint(key), path, outcome)
