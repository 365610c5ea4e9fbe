"""Writing a whole document to stdout, whatever state the descriptor was left in.

A check's JSON is written once, at the end, after event loops and forked workers have run. A
consumer that reads late (``fleetctl check -f json | slow-script``, a cron job piping into
``ssh``) found it cut at 64 KiB, the size of a pipe, with no error: the write returned short
(the descriptor non-blocking, or the write interrupted by a signal after part of it went out)
and the rest was never written. Scripts parse this output, so ``write_all`` writes every byte:
short writes are continued, ``EAGAIN`` waits until the pipe can take more, a closed pipe is
``BrokenPipeError`` as usual.
"""

from __future__ import annotations

import errno
import os
import select
import sys


def write_all(text: str) -> None:
    """Write ``text`` (UTF-8) to stdout completely, then return."""
    sys.stdout.flush()  # what was printed before goes first
    data = memoryview(text.encode("utf-8"))
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a test's StringIO: no descriptor
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    while data:
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        except InterruptedError:
            continue
        except OSError as err:
            if err.errno == errno.EAGAIN:
                select.select([], [fd], [])
                continue
            raise
        data = data[n:]
