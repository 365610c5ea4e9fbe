"""Files only their owner may read: the history store and the push journal.

Both hold camera names, addresses, settings and the fleet's operational history; the journal
also says which cameras carry a staged password. They are created ``0600`` in a directory
created ``0700``. An existing directory the user chose (``--journal /srv/x.sqlite``) keeps its
mode: we tighten only directories we create and the per-user data directory itself; an existing
file of ours is tightened to ``0600`` (older fleetctl versions created them ``0644``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, tighten: bool = False) -> None:
    """Create ``path`` (and missing parents) ``0700``; ``tighten``: chmod it 0700 if it exists."""
    missing = []
    cur = path
    while not cur.exists() and cur != cur.parent:
        missing.append(cur)
        cur = cur.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=DIR_MODE)
        os.chmod(d, DIR_MODE)  # mkdir's mode is masked by the umask
    if tighten and not missing:
        with contextlib.suppress(OSError):  # not ours: leave it, the file is still 0600
            os.chmod(path, DIR_MODE)


def private_file(path: str, *, tighten_dir: bool = False) -> None:
    """Make sure ``path`` exists as a ``0600`` file in a private directory, before a library
    (SQLite) creates it with the umask's mode. ``:memory:`` is left alone."""
    if path == ":memory:" or path.startswith("file:"):
        return
    p = Path(path)
    private_dir(p.parent, tighten=tighten_dir)
    fd = os.open(p, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        with contextlib.suppress(OSError):  # a file owned by someone else: SQLite will say so
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
