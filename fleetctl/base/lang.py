"""The language this process speaks, and its gettext catalogue: chosen once, read everywhere.

Standard library only, and below both ``i18n`` (messages: ``_``, ``M_``) and ``l10n`` (numbers
and dates with Babel), so that those two do not import each other. Callers import ``i18n``, which
re-exports all of this (its docstring says how to mark a message).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DOMAIN = "fleetctl"
LANGUAGES = ("en", "vi")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current = DEFAULT


def pick(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: ``explicit`` (``--lang``), then ``FLEETCTL_LANG``, then the locale
    variables in gettext's order (``LANGUAGE`` may list several, ``vi:en``); ``vi_VN.UTF-8``
    means Vietnamese. Anything unknown, ``C`` or ``POSIX`` is English."""
    env = os.environ if environ is None else environ
    candidates = [explicit, env.get("FLEETCTL_LANG")]
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            candidates.extend(value.split(":"))
            break
    for raw in candidates:
        if not raw:
            continue
        code = raw.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (English: none, the msgids are English)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def set_language(lang: str | None = None) -> str:
    """Choose the language for this process (see ``pick``); returns the one chosen."""
    global _current
    _current = pick(lang)
    return _current


def language() -> str:
    return _current


@dataclass(frozen=True)
class Duration:
    """A length of time as a message parameter: "3h12m" in English (the JSON text), "3 giờ 12
    phút" in Vietnamese. Keeps the seconds, so each language formats them its own way."""

    seconds: float

    def __str__(self) -> str:
        return compact_duration(self.seconds)


def compact_duration(seconds: float) -> str:
    """3 -> "3s", 150 -> "2m30s", 11520 -> "3h12m", 200000 -> "2d7h" (sign dropped)."""
    s = round(abs(seconds))
    if s < 90:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"
