"""Between the screens and the app shell: what a screen reads, and the messages it posts up.

The app (``tui.app``) imports its screens; a screen never imports the app. It reads the
shared fleet through ``FleetHost`` (the part of ``FleetApp`` screens may see) and asks for
anything that acts (a check, a bulk action, another view, the next push's setup) by posting
one of the messages below: they bubble from the screen to the app, whose ``on_*`` handlers
do the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.signal import Signal

from fleetctl.tui.firmware import FirmwareContext
from fleetctl.tui.push_view import PushSetup
from fleetctl.tui.state import FleetModel
from fleetctl.tui.widgets.header import SweepProgress

if TYPE_CHECKING:
    from fleetctl.core.report.model import Report
    from fleetctl.engine.history import TimelineEntry

Timeline = Callable[[str], "Sequence[TimelineEntry]"]
ReportMaker = Callable[[], "Report | None"]  # the last 24 h from history (called in a thread)


class FleetHost(Protocol):
    """What screens read from the app: the fleet, the sweep's progress, the mode, news."""

    @property
    def model(self) -> FleetModel: ...
    @property
    def progress(self) -> SweepProgress: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def timeline(self) -> Timeline | None: ...
    @property
    def fleet_changed(self) -> Signal[None]: ...
    @property
    def report(self) -> ReportMaker | None: ...
    @property
    def firmware(self) -> FirmwareContext: ...


def host(node: DOMNode) -> FleetHost:
    """The app ``node`` runs in, as the screens see it."""
    return cast("FleetHost", node.app)


@dataclass
class BulkRequested(Message):
    """``action`` on ``names`` (``hidden`` of them not shown by the filter): check at once,
    open the push screen, or confirm then run a mutating action."""

    action: str
    names: list[str]
    hidden: int = 0


@dataclass
class CheckRequested(Message):
    """Check these cameras now, alongside any running sweep (quietly: no notification)."""

    names: list[str]


@dataclass
class ViewRequested(Message):
    """The `:` command line's text: ``sites``, ``cameras``, ``firmware``, ``help``, ``q``."""

    view: str


@dataclass
class PushSetupChanged(Message):
    """After a password rotation: the setup the next push (and the app's checks) start from."""

    setup: PushSetup
