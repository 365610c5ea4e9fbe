"""The report as one self-contained HTML page: inline CSS and SVG, no URL anywhere.

It opens offline in a control room, prints on A4 (the ``@media print`` / ``@page`` rules), and
WeasyPrint turns the same page into the PDF. Every word people read goes through ``_``; text
from history (camera names, messages) is escaped, stripped of control characters and bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from html import escape

from fleetctl import __version__
from fleetctl.base import l10n
from fleetctl.base.i18n import _, language, ngettext
from fleetctl.cli.render.report_charts import COLOURS, drift_chart, status_chart, trend_chart
from fleetctl.core.report.model import Episode, Report, Scope

ROWS_SHOWN = 50  # per table; JSON and CSV carry everything
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

CSS = (
    """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #222; margin: 24px;
       font-size: 14px; line-height: 1.35; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin-bottom: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card .n { font-size: 26px; font-weight: bold; }
.card .l { color: #555; font-size: 12px; }
.card.crit .n { color: %(crit)s; } .card.ok .n { color: %(ok)s; } .card.warn .n { color: %(warn)s; }
.chart { margin: 8px 0 16px; max-width: 900px; }
.chart svg { width: 100%%; height: auto; }
table { border-collapse: collapse; width: 100%%; font-size: 12px; margin: 6px 0 12px; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.fleet td { font-weight: bold; background: #fafafa; }
.crit { color: %(crit)s; } .warn { color: %(warn)s; } .muted { color: #777; }
.note { color: #555; font-size: 12px; }
@media print {
  body { margin: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .chart, tr, .card { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 7pt; }
  th, td { padding: 2px 3px; }
  th { overflow-wrap: anywhere; }
  .chart { max-width: 100%%; }
}
"""
    % COLOURS
)


def clean(text: object, limit: int = 200) -> str:
    """Text from history, safe to put in the page: no control characters, bounded, escaped."""
    s = _CONTROL.sub(" ", str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return escape(s)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{l10n.number(100 * x, 2)} %"


def _duration(seconds: float) -> str:
    return l10n.duration(seconds)


def _when(dt: datetime | None, tz: tzinfo) -> str:
    """Local time of the machine, as the rest of fleetctl shows it (``l10n.when``)."""
    return "—" if dt is None else l10n.when(dt.astimezone(tz))


def _table(
    head: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], cls: Sequence[str] = ()
) -> str:
    """``head``: (label, numeric); cells are HTML already (escaped by the caller)."""
    th = "".join(f'<th class="n">{h}</th>' if n else f"<th>{h}</th>" for h, n in head)
    body = []
    for i, row in enumerate(rows):
        tds = "".join(
            f'<td class="n">{c}</td>' if head[j][1] else f"<td>{c}</td>" for j, c in enumerate(row)
        )
        klass = f' class="{cls[i]}"' if i < len(cls) and cls[i] else ""
        body.append(f"<tr{klass}>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _h2(text: str) -> str:
    return "<h2>" + escape(text) + "</h2>"


def _muted(text: str) -> str:
    return '<p class="muted">' + escape(text) + "</p>"


def _more(total: int) -> str:
    if total <= ROWS_SHOWN:
        return ""
    left = total - ROWS_SHOWN
    return '<p class="note">%s</p>' % escape(
        ngettext(
            "… and %(n)d more (in the JSON and CSV)", "… and %(n)d more (in the JSON and CSV)", left
        )
        % {"n": left}
    )


def _site_rows(report: Report) -> tuple[list[list[str]], list[str]]:
    rows, classes = [], []
    for s in (*report.sites, report.fleet):
        name = clean(s.site) if s.site is not None else escape(_("Whole fleet"))
        rows.append(_scope_row(name, s))
        classes.append("" if s.site is not None else "fleet")
    return rows, classes


def _scope_row(name: str, s: Scope) -> list[str]:
    st = s.status
    crit = f'<span class="crit">{st["crit"]}</span>' if st["crit"] else "0"
    return [
        name,
        clean(s.location or ""),
        str(s.cameras),
        str(st["ok"]),
        str(st["warn"]),
        crit,
        str(st["unknown"]),
        str(st["not_checked"]),
        _pct(s.seconds.availability),
        _duration(s.seconds.down),
        _duration(s.seconds.unchecked),
        f"{s.opened} / {s.open} / {s.resolved}",
        str(s.storage_failed),
        str(s.recording_stopped),
        "—" if s.footage_days is None else l10n.number(s.footage_days, 1),
    ]


def _problem_rows(
    items: Sequence[tuple[Episode, str]], tz: tzinfo, *, resolved: bool
) -> list[list[str]]:
    rows = []
    for e, site in items[:ROWS_SHOWN]:
        sev = f'<span class="{clean(e.severity)}">{clean(e.severity)}</span>'
        row = [clean(e.camera, 80), clean(site, 80), clean(e.kind, 20), sev, clean(e.message),
               escape(_when(e.first_seen, tz))]  # fmt: skip
        if resolved:
            row.append(escape(_when(e.resolved, tz)))
        rows.append(row)
    return rows


def render_html(report: Report, tz: tzinfo) -> str:
    """The whole page. ``tz``: the zone times are shown in (the machine's local time)."""
    f = report.fleet
    daily = report.end - report.start > timedelta(days=2)
    cards = [
        ("", str(f.cameras), _("cameras")),
        ("ok", _pct(f.seconds.availability), _("availability")),
        ("crit" if f.status["crit"] else "", str(f.status["crit"]), _("critical now")),
        ("warn" if f.open else "", str(f.open), _("problems open")),
        ("", str(f.opened), _("problems opened")),
        ("", str(f.resolved), _("problems resolved")),
        ("crit" if f.storage_failed else "", str(f.storage_failed), _("cards or disks to replace")),
        ("crit" if f.recording_stopped else "", str(f.recording_stopped), _("recording stopped")),
    ]
    site_rows, site_classes = _site_rows(report)
    title = _("Camera fleet report")
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(language())}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>" + escape(title) + f"</title><style>{CSS}</style></head><body>",
        "<h1>" + escape(title) + "</h1>",
        '<p class="meta">%s</p>'
        % escape(
            _("From %(from)s to %(to)s · generated %(at)s · fleetctl %(version)s")
            % {
                "from": _when(report.start, tz),
                "to": _when(report.end, tz),
                "at": _when(report.generated, tz),
                "version": __version__,
            }
        ),
        '<div class="cards">'
        + "".join(
            f'<div class="card {k}"><div class="n">{escape(n)}</div><div class="l">{escape(label)}</div></div>'
            for k, n, label in cards
        )
        + "</div>",
        _h2(_("Availability")),
        f'<div class="chart">{trend_chart(report.trend, tz, daily)}</div>',
        _h2(_("Sites")),
        f'<div class="chart">{status_chart(report.sites)}</div>',
        _table(
            [
                (escape(_("Site")), False),
                (escape(_("Location")), False),
                (escape(_("Cameras")), True),
                (escape(_("ok")), True),
                (escape(_("warning")), True),
                (escape(_("critical")), True),
                (escape(_("unknown")), True),
                (escape(_("not checked")), True),
                (escape(_("Availability")), True),
                (escape(_("Down")), True),
                (escape(_("Not checked")), True),
                (escape(_("Problems opened / open / resolved")), True),
                (escape(_("Storage failed")), True),
                (escape(_("Recording stopped")), True),
                (escape(_("Days of footage")), True),
            ],
            site_rows,
            site_classes,
        ),
    ]
    prob_head = [
        (escape(_("Camera")), False),
        (escape(_("Site")), False),
        (escape(_("Kind")), False),
        (escape(_("Severity")), False),
        (escape(_("Problem")), False),
        (escape(_("Since")), False),
    ]
    parts.append(_h2(_("Problems still open")))
    if report.open_problems:
        parts.append(_table(prob_head, _problem_rows(report.open_problems, tz, resolved=False)))
        parts.append(_more(len(report.open_problems)))
    else:
        parts.append(_muted(_("None.")))
    parts.append(_h2(_("Problems resolved in the period")))
    if report.resolved_problems:
        head = [*prob_head, (escape(_("Resolved")), False)]
        parts.append(_table(head, _problem_rows(report.resolved_problems, tz, resolved=True)))
        parts.append(_more(len(report.resolved_problems)))
    else:
        parts.append(_muted(_("None.")))
    parts.append(_h2(_("Longest outages")))
    if report.outages:
        parts.append(
            _table(
                [
                    (escape(_("Camera")), False),
                    (escape(_("Site")), False),
                    (escape(_("From")), False),
                    (escape(_("To")), False),
                    (escape(_("Duration")), True),
                ],
                [
                    [
                        clean(o.camera, 80),
                        clean(o.site, 80),
                        escape(_when(o.start, tz)),
                        escape(_("still down")) if o.ongoing else escape(_when(o.end, tz)),
                        escape(_duration(o.duration_s)),
                    ]
                    for o in report.outages
                ],
            )
        )
    else:
        parts.append(_muted(_("No camera was down in the period.")))
    parts.append(_h2(_("Clocks")))
    parts.append(f'<div class="chart">{drift_chart(report.drift, report.drift_unknown)}</div>')
    if report.drift_median_s is not None and report.drift_max_s is not None:
        parts.append(
            '<p class="note">%s</p>'
            % escape(
                _("Median drift %(median).1f s, largest %(max).1f s.")
                % {"median": report.drift_median_s, "max": report.drift_max_s}
            )
        )
    parts.append(_h2(_("Storage: visits needed")))
    if report.storage_visits:
        why = {"failed": _("card or disk failed"), "recording_stopped": _("recording stopped")}
        parts.append(
            _table(
                [
                    (escape(_("Camera")), False),
                    (escape(_("Site")), False),
                    (escape(_("Why")), False),
                ],
                [
                    [clean(c, 80), clean(s, 80), escape(why[w])]
                    for c, s, w in report.storage_visits[:ROWS_SHOWN]
                ],
            )
        )
        parts.append(_more(len(report.storage_visits)))
    else:
        parts.append(_muted(_("No failed card or disk, no stopped recording known.")))
    parts.append(_h2(_("Firmware")))
    if report.firmware:
        parts.append(
            _table(
                [
                    (escape(_("Manufacturer")), False),
                    (escape(_("Model")), False),
                    (escape(_("Firmware")), False),
                    (escape(_("Cameras")), True),
                ],
                [
                    [
                        clean(r.manufacturer or "—", 60),
                        clean(r.model or "—", 60),
                        clean(r.firmware or "—", 60),
                        str(r.count),
                    ]
                    for r in report.firmware[:ROWS_SHOWN]
                ],
            )
        )
        parts.append(_more(len(report.firmware)))
    else:
        parts.append(_muted(_("Not known yet.")))
    parts.append(
        '<p class="note">%s</p>'
        % escape(
            _(
                "Availability is the share of time a camera was ok or warning. A check's result "
                "holds until the next check, for at most %(hold)s; time with no check that recent "
                "is shown as not checked and never counted as available. Time before a camera's "
                "first check is not counted."
            )
            % {"hold": _duration(report.hold_s)}
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)
