"""The catalogues: complete, current, well-formed, and what the installed package loads.

- every message marked in the code is in ``fleetctl.pot`` and in the Vietnamese ``.po``
  (run ``python tools/i18n.py update`` after adding messages);
- every Vietnamese entry is translated, none is fuzzy, placeholders match (Babel's checkers);
- the ``.mo`` the package loads says what the ``.po`` says (an editable install whose ``.mo`` is
  stale fails here: ``python tools/i18n.py compile``).
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from fleetctl.base import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "fleetctl" / "locale"
VI_PO = LOCALE / "vi" / "LC_MESSAGES" / "fleetctl.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "M_": None,
}


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="vi" if path.suffix == ".po" else None)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def vi() -> Catalog:
    return _read(VI_PO)


def test_every_marked_message_is_in_the_catalogues(vi: Catalog) -> None:
    marked = {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, *_ in extract_from_dir(
            str(ROOT / "fleetctl"), method_map=[("**.py", "python")], keywords=KEYWORDS
        )
    }
    template = _ids(_read(LOCALE / "fleetctl.pot"))
    assert not marked - template, "run `python tools/i18n.py update`"
    assert not marked - _ids(vi), "run `python tools/i18n.py update`"


def test_every_message_has_a_vietnamese_translation(vi: Catalog) -> None:
    untranslated = [
        m.id
        for m in vi
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []


def test_placeholders_and_plural_forms_are_right(vi: Catalog) -> None:
    # The catalogue's own rule: Vietnamese has one form ("1 camera", "5 camera").
    assert vi.num_plurals == 1
    assert vi.plural_expr == "0"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in vi.check() if errors]
    assert problems == []


def test_no_translation_is_said_twice_over(vi: Catalog) -> None:
    """A translation written into an entry whose msgstr was wrapped over lines lands in front of
    the old one: "X" becomes "XX" (placeholders alike, so the check above cannot see it)."""

    def repeated(text: str) -> bool:
        return any(
            len(text) % k == 0 and text == text[:k] * (len(text) // k)
            for k in range(8, len(text) // 2 + 1)
        )

    doubled = [m.id for m in vi if m.id and isinstance(m.string, str) and repeated(m.string)]
    assert doubled == []


def test_the_package_loads_what_the_po_says(vi: Catalog) -> None:
    buf = io.BytesIO()
    write_mo(buf, vi, use_fuzzy=False)
    buf.seek(0)
    expected = gettext.GNUTranslations(buf)
    loaded = i18n.translations("vi")
    assert isinstance(loaded, gettext.GNUTranslations), "no compiled catalogue in the package"
    for m in vi:
        if not m.id:
            continue
        if isinstance(m.id, str):
            assert loaded.gettext(m.id) == expected.gettext(m.id), m.id
        else:
            for n in (1, 2, 5):
                assert loaded.ngettext(m.id[0], m.id[1], n) == expected.ngettext(
                    m.id[0], m.id[1], n
                ), m.id
