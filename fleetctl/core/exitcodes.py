"""Exit codes are API (docs/commands.md): scripts and Nagios read them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # check: every camera ok
    WARN = 1  # check: worst camera is warn
    CRIT = 2  # check: worst camera is crit
    UNKNOWN = 3  # check: worst camera is unknown
    USAGE = 64  # EX_USAGE: bad command line
    INVENTORY = 65  # EX_DATAERR: broken inventory
    NOINPUT = 66  # EX_NOINPUT: a named file does not exist
    UNAVAILABLE = 69  # EX_UNAVAILABLE: a host to ask (inventory trust) does not answer
    SOFTWARE = 70  # EX_SOFTWARE: a bug in fleetctl
    IOERR = 74  # EX_IOERR: history store or output cannot be written
    TEMPFAIL = 75  # EX_TEMPFAIL: another push holds the journal (push, push --resume)
    CONFIG = 78  # EX_CONFIG: secrets missing or unsafe
    INTERRUPTED = 130  # Ctrl-C
