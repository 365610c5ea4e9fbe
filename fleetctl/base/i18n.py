"""The language people read: gettext catalogues shipped inside the package, chosen once.

How to mark a message (every human-facing string goes through here; docs/i18n.md has the
workflow and docs/glossary.md the Vietnamese terms):

    _("Camera offline")              translated now, in the chosen language (marked for Babel)
    ngettext("%(n)d camera", "%(n)d cameras", n) % {"n": n}
    N_("Camera offline")             marked only: a constant translated where it is shown, _(c)
    M_("clock %(offset)s ahead", offset=Duration(75))
                                     a message with its parameters kept as values: ``.en()`` is
                                     the English text (JSON, history), ``.text()`` the chosen
                                     language, numbers and durations formatted for it
    Problem.of(kind, severity, M_(...)), CheckStep.of(...)   problems and check details
    set_language("vi" | "en" | None) None: FLEETCTL_LANG, then LANGUAGE, LC_ALL, LC_MESSAGES, LANG
    language() -> "vi" | "en"

Rules: one whole sentence per msgid with named placeholders (``%(name)s``, never positional, never
concatenated pieces: word order differs); a constant defined at import time is ``N_`` and is
translated with ``_()`` where it is shown; after adding messages run ``tools/i18n.py update``
and translate the new entries in ``fleetctl/locale/vi/LC_MESSAGES/fleetctl.po``
(tests/unit/test_i18n_catalogue.py fails on any untranslated or fuzzy entry).

Only what people read goes through here. JSON, CSV headers, metric names, problem kinds and exit
codes are the contract for scripts and never change with the language.

Catalogues live at ``fleetctl/locale/<lang>/LC_MESSAGES/fleetctl.mo``, compiled from the ``.po``
when the package is built (``fleetctl_build.py``). A missing catalogue falls back to English (the
msgids), never to an error: a broken install still speaks. Standard library only: ``fleetctl
--help`` imports this; Babel (``l10n``) is imported only when a number or date is formatted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Union

from fleetctl.base.lang import (
    DEFAULT,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    Duration,
    compact_duration,
    language,
    pick,
    set_language,
    translations,
)


def _(message: str) -> str:
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here."""
    return message


def word(message: str) -> str:
    """A short word whose msgid names its context, ``"coverage|full"`` (English "full" is also
    a full card, another word in Vietnamese): translated, then the context dropped."""
    return _(message).rpartition("|")[2]


# --------------------------------------------------------------------------- messages with values


@dataclass(frozen=True)
class Word:
    """A keyword as a message parameter (a storage state: "full"): English as it is, translated
    (as a msgid) in other languages. Use only for words the catalogue has."""

    text: str

    def __str__(self) -> str:
        return self.text


# A Msg as a parameter is a nested message: English in ``en()``, translated in ``text()``.
Param = Union[str, int, float, Duration, Word, "Msg"]  # Union: "Msg" is defined below
Params = tuple[tuple[str, Param], ...]

# %% or %(name)<flags><width><.precision><conversion>: the python-format gettext checks.
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)([#0\- +]*\d*(?:\.\d+)?)([diouxXeEfFgGrsa])")


@dataclass(frozen=True)
class Msg:
    """A message template (a msgid) and its parameters, kept as values until shown.

    ``en()`` is the English text exactly as the template says (what JSON and the history store);
    ``text()`` is the chosen language's. ``tail`` holds further sentences appended to this one
    (each translated on its own), e.g. flap damping's "(pending 1/3 checks)".
    """

    template: str
    params: Params = ()
    tail: tuple[Msg, ...] = ()

    def en(self) -> str:
        return render(self.template, self.params, "en") + "".join(t.en() for t in self.tail)

    def text(self, lang: str | None = None) -> str:
        lang = lang or language()
        return render(self.template, self.params, lang) + "".join(t.text(lang) for t in self.tail)

    def plus(self, more: Msg) -> Msg:
        return Msg(self.template, self.params, (*self.tail, more))

    def __str__(self) -> str:
        return self.text()


def M_(template: str, /, **params: Param) -> Msg:
    """Mark ``template`` for extraction and keep ``params`` as values (see ``Msg``)."""
    return Msg(template, tuple(params.items()))


def render(template: str, params: Params | Mapping[str, Param], lang: str | None = None) -> str:
    """``template`` translated to ``lang`` (default: the chosen one) with ``params`` filled in.

    English is plain printf (``%(fps).1f``): the text scripts and the history have always seen.
    Other languages format numbers and durations with the locale's conventions (``12,5``).
    A translation whose placeholders do not fit the values falls back to English, never raises.
    """
    lang = lang or language()
    values = dict(params)
    text = template if lang == DEFAULT else translations(lang).gettext(template)
    try:
        return _fill(text, values, lang)
    except (KeyError, ValueError, TypeError):
        return _fill(template, values, DEFAULT)


def _fill(text: str, values: Mapping[str, Param], lang: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        value = values[m.group(1)]
        spec, conv = m.group(2), m.group(3)
        if isinstance(value, Msg):
            return ("%" + spec + conv) % (value.text(lang),)
        if isinstance(value, Word):
            word = value.text if lang == DEFAULT else translations(lang).gettext(value.text)
            return ("%" + spec + conv) % (word,)
        if lang == DEFAULT or (conv in "rsa" and not isinstance(value, Duration | float)):
            return ("%" + spec + conv) % (value,)
        from fleetctl.base import l10n  # Babel: only when a number is shown in another language

        return l10n.format_param(value, spec, conv, lang)

    return _PLACEHOLDER.sub(one, text)


# --------------------------------------------------------------------------- stored English text

_COMPACT = re.compile(r"^(\d+)(?:s|m(\d\d)s|h(\d\d)m|d(\d+)h)$")


def from_english(text: str, lang: str | None = None) -> str:
    """English text stored before (the history keeps a problem's ``message``) in ``lang``.

    A message that is a msgid is translated; one that fits a template of the catalogue
    ("clock 2h05m ahead") is translated with the values read back from the English (durations
    and numbers reformatted for the language). Anything else is shown as it is.
    """
    lang = lang or language()
    if lang == DEFAULT or not text:
        return text
    catalog: dict[object, str] = getattr(translations(lang), "_catalog", {})
    if text in catalog:
        return catalog[text]
    for template, pattern, names in _patterns(lang):
        m = pattern.match(text)
        if m:
            values: dict[str, Param] = {n: _value(m.group(n), conv) for n, conv in names}
            return render(template, values, lang)
    return text


def _value(text: str, conv: str) -> Param:
    m = _COMPACT.match(text)
    if m and conv in "rsa":
        n, mins, hours, days = m.groups()
        if mins is not None:
            return Duration(int(n) * 60 + int(mins))
        if hours is not None:
            return Duration(int(n) * 3600 + int(hours) * 60)
        if days is not None:
            return Duration(int(n) * 86400 + int(days) * 3600)
        return Duration(int(n))
    try:
        return int(text) if conv in "diu" else float(text) if conv in "fFeEgG" else text
    except ValueError:
        return text


@cache
def _patterns(lang: str) -> list[tuple[str, re.Pattern[str], list[tuple[str, str]]]]:
    catalog: dict[object, str] = getattr(translations(lang), "_catalog", {})
    out = []
    for msgid in catalog:
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        names: list[tuple[str, str]] = []
        parts: list[str] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[pos : m.start()]))
            pos = m.end()
            if m.group(0) == "%%":
                parts.append("%")
            elif m.group(1) in {n for n, _ in names}:
                parts.append(f"(?P={m.group(1)})")
            else:
                names.append((m.group(1), m.group(3)))
                parts.append(f"(?P<{m.group(1)}>.+?)")
        parts.append(re.escape(msgid[pos:]))
        out.append((msgid, re.compile("^" + "".join(parts) + "$", re.S), names))
    # Most specific first: the template with the most literal text wins.
    out.sort(key=lambda t: -len(_PLACEHOLDER.sub("", t[0])))
    return out


__all__ = [
    "DEFAULT",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "M_",
    "N_",
    "Duration",
    "Msg",
    "Param",
    "Params",
    "Word",
    "_",
    "compact_duration",
    "from_english",
    "language",
    "ngettext",
    "pick",
    "render",
    "set_language",
    "translations",
]
