"""What a source says about one camera's footage, and the answer `fleetctl footage` gives.

``FootageReading`` is on the camera's clock (as the camera answered); ``CameraFootage`` is on
true UTC, after the clock offset was taken out. Where the answer came from is ``source``:

    onvif-events    Profile G recording-history events (gaps known) and the recording summary
    hikvision-isapi Hikvision's content search (ISAPI): the recorded segments (gaps known)
    dahua-cgi       Dahua's media file finding (mediaFileFind.cgi): the recorded files (gaps known)
    onvif-summary   the recording summary alone (range only: gaps inside it are not known)
    none            the camera could not be asked (``reason`` says why; coverage ``unknown``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fleetctl.base.i18n import DEFAULT, Msg, language
from fleetctl.core.footage.coverage import Coverage, Span
from fleetctl.core.probes import Failure

SOURCE_EVENTS = "onvif-events"
SOURCE_SUMMARY = "onvif-summary"
SOURCE_HIKVISION = "hikvision-isapi"
SOURCE_DAHUA = "dahua-cgi"
SOURCE_NONE = "none"


@dataclass(frozen=True)
class FootageReading:
    """One camera's answer, on its own clock. ``failure`` set: it could not be asked."""

    source: str
    earliest: datetime | None = None  # DataFrom of the recording summary
    latest: datetime | None = None  # DataUntil
    events: tuple[tuple[datetime, bool], ...] | None = None  # (instant, data present)
    # Recorded segments (a vendor search): (start, end) on the camera's clock, UTC.
    spans: tuple[tuple[datetime, datetime], ...] | None = None
    clock_offset_s: float | None = None  # camera minus true time, measured before the search
    failure: Failure | None = None
    error: str | None = None
    # ``error`` as a message, when the source said it in words of its own (the table's language);
    # ``error`` stays the English text.
    error_msg: Msg | None = field(default=None, compare=False)
    searches_ended: int = 0  # search sessions opened and ended (never left open)


@dataclass(frozen=True)
class CameraFootage:
    """One camera's line in `fleetctl footage` (docs/json.md), on true UTC."""

    name: str
    site: str
    coverage: Coverage
    covered_s: float | None
    gaps: tuple[Span, ...]
    earliest: datetime | None
    latest: datetime | None
    source: str
    reason: str | None = None  # English, the same in every language (JSON, CSV)
    clock_offset_s: float | None = None
    gaps_known: bool = True
    why: Msg | None = field(default=None, compare=False)  # ``reason`` as a message

    def reason_text(self, lang: str | None = None) -> str | None:
        """The reason as a person reads it in ``lang`` (default: the chosen language); English
        is ``reason`` itself. A camera's own words inside it are shown as they came."""
        lang = lang or language()
        if self.why is None or lang == DEFAULT:
            return self.reason
        return self.why.text(lang)
