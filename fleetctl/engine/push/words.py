"""A push's outcome in the chosen language, as both front-ends (CLI, TUI) say it."""

from __future__ import annotations

from collections.abc import Mapping

from fleetctl.base.i18n import N_, _, word

# Outcome keywords (JSON ``result``) as a person reads them. "push|failed": a push that did not
# work out is "thất bại" in Vietnamese, never a broken card's "hỏng" (docs/glossary.md).
RESULT_WORDS = {
    "changed": N_("changed"),
    "unchanged": N_("unchanged"),
    "failed": N_("push|failed"),
    "restored": N_("restored"),
    "unreachable": N_("unreachable"),
    "not-restorable": N_("not-restorable"),
    "skipped": N_("skipped"),
    "pending": N_("pending"),
    "not pushed": N_("not pushed"),
}


def result_word(result: str) -> str:
    msgid = RESULT_WORDS.get(result)
    return word(msgid) if msgid else result


def push_summary(summary: Mapping[str, int]) -> str:
    """``changed 3 · unchanged 10 · failed 0 · restored 0 · unreachable 1``."""
    return _(
        "changed %(changed)d · unchanged %(unchanged)d · failed %(failed)d · "
        "restored %(restored)d · unreachable %(unreachable)d"
    ) % dict(summary)
