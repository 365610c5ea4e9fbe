"""serve's overrun message: once, again only on a material change, with what to do."""

from __future__ import annotations

import pytest

from fleetctl.engine.check.runner import CheckOptions
from fleetctl.engine.serve.monitor import MonitorOptions, OverrunNotice


def test_said_once_for_the_same_figure_and_again_when_it_changes() -> None:
    notice = OverrunNotice(10.0)
    said = [notice.update(s) for s in (12.6, 12.6, 12.9, 12.4, 13.1)]
    assert said[0] is not None and said[1:] == [None, None, None, None]
    assert "12.6 s" in said[0] and "10 s interval" in said[0]
    assert "--interval" in said[0] and "--timeout" in said[0]  # what to do
    again = notice.update(19.0)  # half as long again: worth saying, with the new figure
    assert again is not None and "19.0 s" in again
    assert notice.update(19.5) is None
    back = notice.update(8.0)
    assert back is not None and "fit the 10 s interval again" in back
    assert notice.update(8.0) is None  # fitting is the normal case: said once, then silence
    assert notice.update(12.6) is not None  # a new episode is news again


def test_no_message_while_cycles_fit() -> None:
    notice = OverrunNotice(60.0)
    assert [notice.update(s) for s in (10.0, 59.9, 60.0)] == [None, None, None]


@pytest.mark.parametrize(
    ("interval", "timeout", "spread", "note"),
    [
        (60.0, 10.0, 50.0, False),  # the last start still has its whole deadline
        (300.0, 10.0, 270.0, False),  # never more than 90 % of the interval
        (30.0, 10.0, 20.0, False),
        (10.0, 10.0, 5.0, True),  # a hung camera makes this a 15 s cycle: say so at start
        (15.0, 10.0, 7.5, True),
    ],
)
def test_spread_and_the_start_note(
    interval: float, timeout: float, spread: float, note: bool
) -> None:
    opts = MonitorOptions(interval_s=interval, check=CheckOptions(timeout_s=timeout))
    assert opts.spread_s == pytest.approx(spread)
    said = opts.interval_note()
    assert (said is not None) == note
    if said is not None:
        worst = spread + timeout
        assert f"{worst:.1f} s" in said and f"--interval {2 * timeout:g}" in said
