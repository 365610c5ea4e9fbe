"""Crash-safe file replacement, shared by the inventory writer and the secrets writer.

A reader (another fleetctl, an editor, ``git``) sees either the old bytes or the new ones, never
a half-written file, and a power cut right after ``atomic_write`` returns cannot roll the change
back: the data is fsynced before the rename and the directory entry after it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator


def atomic_write(path: str, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically.

    ``mode``: permission bits of the result; ``None`` keeps the existing file's mode (0o644 for
    a new file, masked by nothing: callers writing secrets pass 0o600 explicitly). The temporary
    file is created in the same directory (a rename across filesystems is not atomic) with mode
    0o600 from the start, so secrets are never briefly world-readable.
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass  # some filesystems (and Windows) refuse fsync on a directory: nothing more to do
    finally:
        os.close(dfd)


@contextlib.contextmanager
def locked_dir(directory: str) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``directory`` for a read-modify-write.

    The lock is on the directory, not the file: ``os.replace`` swaps the file's inode, so two
    writers locking the file itself would each lock a different inode and lose an update.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; single-writer use is still safe
        yield
        return
    dfd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(dfd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(dfd)  # closing releases the lock
