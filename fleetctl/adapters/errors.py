"""One error family for the adapters: what a conversation with a camera can fail with.

    AdapterError(failure, message)  base: ``failure`` (a core.probes.Failure) says what kind
    │                               of failure, ``str()`` says it in words with the camera's
    │                               address and never a credential
    ├── HttpError                   http: a request failed below HTTP semantics (refused,
    │                               silent, a broken reply); ``reason`` is the words without
    │                               the address, ``exchange_ms`` the time on the wire if sent
    ├── WireError                   onvif.transport: a reply failed at the HTTP or XML
    │                               boundary (status, cap, not XML); ``http_status`` if any
    ├── OnvifCallError              onvif.session: an ONVIF call failed; ``digest_rejected``
    │                               when HTTP Digest said no (a wrong password, whatever the
    │                               clock)
    ├── RtspFailure                 rtsp: the stream's RTSP conversation failed
    └── StorageApiError             storage.vendor_http: a vendor storage API answered with
                                    something we refuse (404, forbidden, oversized)

Library errors (``OSError``, lxml's, llhttp's) are translated where they are caught, with
``raise ... from err`` and the camera's address in the message. None of these leaves an adapter's
public function for one camera: each ends as a ``failure`` and an ``error`` in a probe record
(core.probes), which the verdicts read. The errors fleetctl raises to its user (a bad command
line, a broken inventory) are another tree: core.errors.
"""

from __future__ import annotations

from fleetctl.base.i18n import Msg
from fleetctl.core.probes import Failure

__all__ = [
    "AdapterError",
    "HttpError",
    "OnvifCallError",
    "RtspFailure",
    "StorageApiError",
    "WireError",
]


class AdapterError(Exception):
    """A camera (or the way to it) failed: ``failure`` is the kind, ``str()`` is safe to show."""

    # The camera offered only Basic (cleartext) authentication and policy forbids it: the
    # password was not sent. A ``security`` finding, not a wrong password.
    basic_only: bool = False
    # ``str()`` as a message, where the adapter said it in words a person reads (translated where
    # shown); ``str()`` stays the English text.
    msg: Msg | None = None

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class HttpError(AdapterError):
    """A request failed below HTTP semantics. ``reason`` is the words alone (no address, no
    secret); the message puts ``where`` ("host:port") in front when the client knows it."""

    def __init__(
        self, failure: Failure, reason: str, *, where: str = "", said: Msg | None = None
    ) -> None:
        super().__init__(failure, f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.said = said  # ``reason`` as a message, when it is one
        if said is not None:
            self.msg = (
                Msg("%(where)s: %(said)s", (("where", where), ("said", said))) if where else said
            )
        self.exchange_ms: float | None = None  # request on the wire to the failure, if sent


class WireError(AdapterError):
    """A reply failed at the HTTP or XML boundary of an ONVIF call."""

    def __init__(self, failure: Failure, message: str, *, http_status: int | None = None) -> None:
        super().__init__(failure, message)
        self.http_status = http_status


class OnvifCallError(AdapterError):
    """An ONVIF call failed (transport, SOAP fault, unreadable reply)."""

    def __init__(self, failure: Failure, message: str, *, digest_rejected: bool = False) -> None:
        super().__init__(failure, message)
        # HTTP Digest said no: a wrong password, whatever the clock (do not spend another try).
        self.digest_rejected = digest_rejected


class RtspFailure(AdapterError):
    """The camera's RTSP failed; the stream probe turns it into ``StreamProbe.failure``."""

    # A replay answered 457 Invalid Range: the camera holds nothing in the window asked (the
    # camera and its replay work; the footage is not there).
    nothing_recorded: bool = False


class StorageApiError(AdapterError):
    """A vendor storage API answered with something we refuse (the HTTP exchange itself worked)."""
