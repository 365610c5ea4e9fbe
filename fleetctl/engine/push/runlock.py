"""One push per journal at a time: an exclusive ``fcntl`` lock on ``<journal>.lock``.

Two pushes writing the same cameras at once would each snapshot the other's half-written
settings and "restore" them; a ``--resume`` taking over a push that is still running would
replay its cameras under it, without its canary, batches and abort threshold. The journal takes
this lock before it starts a run or hands an interrupted run to ``--resume``, and holds it until
it is closed. The kernel drops the lock when the process dies (kill -9 included), so a crashed
push never blocks the next one; the owner (pid, host, start) is recorded with the run so the
refusal can say who holds it.
"""

from __future__ import annotations

import contextlib
import os
import platform

from fleetctl.core.errors import HistoryError


class PushBusy(HistoryError):
    """Another process holds this journal's push lock (a push is running)."""


class RunLock:
    """The push lock of one journal file; ``acquire`` is idempotent, ``release`` on close."""

    def __init__(self, journal_path: str) -> None:
        self.path = journal_path + ".lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another process holds it."""
        if self._fd is not None:
            return True
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def this_host() -> str:
    return platform.node()


def owner_alive(pid: int | None, host: str | None) -> bool:
    """Whether the recorded owner of a run is a live process on this host (pid reuse aside)."""
    if pid is None or host != this_host():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return pid != os.getpid()
