"""The language people read: gettext catalogues shipped inside the package, chosen once.

    _("Camera offline")              translated now, in the chosen language (marked for Babel)
    ngettext("%(n)d camera", "%(n)d cameras", n) % {"n": n}
    N_("Camera offline")             marked only: a constant translated where it is shown
    set_language("vi" | "en" | None) None: FLEETCTL_LANG, then LANGUAGE, LC_ALL, LC_MESSAGES, LANG
    language() -> "vi" | "en"

Only what people read goes through here. JSON, CSV headers, metric names, problem kinds and exit
codes are the contract for scripts and never change with the language.

Catalogues live at ``fleetctl/locale/<lang>/LC_MESSAGES/fleetctl.mo``. A missing catalogue falls
back to English (the msgids), never to an error: a broken install still speaks.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

DOMAIN = "fleetctl"
LANGUAGES = ("en", "vi")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current = DEFAULT


def pick(explicit: str | None = None, environ: dict[str, str] | None = None) -> str:
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
def _translations(lang: str) -> gettext.NullTranslations:
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


def _(message: str) -> str:
    return _translations(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here."""
    return message
