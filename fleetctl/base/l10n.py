"""Numbers, durations and dates in the chosen language, with Babel's locale data (CLDR).

    number(1234567.891, 2)        "1,234,567.89" en, "1.234.567,89" vi
    duration(7500)                "2h05m" en (the compact form fleetctl always printed),
                                  "2 giờ 5 phút" vi
    ago(7500)                     "2h05m ago" en, "2 giờ 5 phút trước" vi
    when(dt)                      "2026-12-07 07:00" en, "07/12/2026 07:00" vi (local time)
    clock(dt)                     "07:00:05" in both

English keeps the forms fleetctl's tables always had; Vietnamese follows CLDR's ``vi`` data,
except dates: CLDR's short ``vi`` pattern puts the time first ("07:00 7/12/26"), while
Vietnamese camera and NVR screens, and the forms people fill in, write the date first with a
four-digit year: ``dd/MM/yyyy HH:mm``.

Imports Babel (heavy-ish: ~40 ms): import this module only where something is formatted, never
from ``fleetctl --help``'s path.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal

from fleetctl.base.lang import DEFAULT, Duration, language, translations

_DATE_PATTERN = {"en": "yyyy-MM-dd HH:mm", "vi": "dd/MM/yyyy HH:mm"}


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse({"en": "en_US", "vi": "vi_VN"}.get(lang, lang))


def number(value: float, digits: int | None = None, lang: str | None = None) -> str:
    """``value`` with the locale's decimal and grouping marks; ``digits`` fixed decimals (None:
    up to three, trailing zeros dropped)."""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang or language()))


def duration(seconds: float, lang: str | None = None) -> str:
    """A length of time in two units at most (sign dropped): see the module docstring."""
    lang = lang or language()
    if lang == DEFAULT:
        return Duration(seconds).__str__()
    s = round(abs(seconds))
    if s < 90:
        parts = [(s, "second")]
    elif s < 3600:
        parts = [(s // 60, "minute"), (s % 60, "second")]
    elif s < 86400:
        parts = [(s // 3600, "hour"), (s % 3600 // 60, "minute")]
    else:
        parts = [(s // 86400, "day"), (s % 86400 // 3600, "hour")]
    return " ".join(_unit(n, unit, lang) for i, (n, unit) in enumerate(parts) if n or i == 0)


def _unit(n: int, unit: str, lang: str) -> str:
    # The unit words come from the catalogue, not CLDR: CLDR's Vietnamese hour is the spoken
    # "tiếng"; camera and NVR screens and written reports say "giờ".
    t = translations(lang)
    if unit == "second":
        text = t.ngettext("%(n)s second", "%(n)s seconds", n)
    elif unit == "minute":
        text = t.ngettext("%(n)s minute", "%(n)s minutes", n)
    elif unit == "hour":
        text = t.ngettext("%(n)s hour", "%(n)s hours", n)
    else:
        text = t.ngettext("%(n)s day", "%(n)s days", n)
    return text % {"n": number(n, 0, lang)}


def ago(seconds: float, lang: str | None = None) -> str:
    """How long ago: "2 giờ 5 phút trước"."""
    lang = lang or language()
    return translations(lang).gettext("%(duration)s ago") % {"duration": duration(seconds, lang)}


def when(dt: datetime, lang: str | None = None) -> str:
    """A date and time in local time, date first (see the module docstring)."""
    lang = lang or language()
    local = dt.astimezone() if dt.tzinfo is not None else dt
    return format_datetime(local, _DATE_PATTERN.get(lang, "short"), locale=_locale(lang))


def format_param(value: Any, spec: str, conv: str, lang: str) -> str:
    """One ``%(name)<spec><conv>`` placeholder of a message, for ``lang`` (``i18n.render``)."""
    if isinstance(value, Duration):
        return duration(value.seconds, lang)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ("%" + spec + conv) % (value,)
    if conv in "diu":
        return number(int(value), 0, lang)
    if conv in "fF":
        precision = spec.rpartition(".")[2]
        return number(value, int(precision) if "." in spec and precision.isdigit() else 6, lang)
    return number(value, None, lang)
