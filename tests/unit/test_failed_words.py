"""Which Vietnamese word "failed" is (docs/glossary.md): an action that did not work out is
"thất bại"; "hỏng" is only a broken card or disk (pure)."""

from __future__ import annotations

from fleetctl.base.i18n import set_language
from fleetctl.engine.push.words import push_summary, result_word
from fleetctl.tui.cells import state_word


def test_a_failed_push_reads_that_bai_and_a_failed_card_hong() -> None:
    set_language("vi")
    assert result_word("failed") == "thất bại"
    assert state_word("failed") == "hỏng"  # the storage state column: the card is broken
    assert "thất bại 1" in push_summary(
        {"changed": 0, "unchanged": 0, "failed": 1, "restored": 0, "unreachable": 0}
    )
    set_language("en")
    assert result_word("failed") == "failed" and state_word("failed") == "failed"
