"""The translation workflow (docs/i18n.md), with Babel's pybabel underneath.

    python tools/i18n.py update     extract every marked message into fleetctl/locale/fleetctl.pot
                                    and merge it into each fleetctl.po (new entries empty; no
                                    fuzzy guesses: a guessed translation is worse than none)
    python tools/i18n.py compile    .po -> .mo next to it (an editable install reads these; a
                                    normal build compiles them itself: fleetctl_build.py)
    python tools/i18n.py missing    list entries still untranslated or fuzzy (exit 1 if any)

Keywords: ``_``, ``N_``, ``ngettext`` (Babel's defaults) and ``M_`` (``fleetctl.base.i18n``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "fleetctl" / "locale"
POT = LOCALE / "fleetctl.pot"
KEYWORDS = ["M_"]


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


def update() -> None:
    kw = [a for k in KEYWORDS for a in ("-k", k)]
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *kw,
        "--project=fleetctl",
        "--copyright-holder=the fleetctl authors",
        "--msgid-bugs-address=https://github.com/fleetctl/fleetctl/issues",
        # Sorted, without file:line comments: engineers adding messages at the same time then
        # touch different lines of the catalogue, and a move of code changes nothing.
        "--sort-output",
        "--no-location",
        "-o",
        str(POT),
        str(ROOT),  # babel.cfg picks fleetctl/**.py
    )
    # Paths in the template relative to the repository, whatever directory this ran from.
    _steady_header(POT)
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/fleetctl.po")):
        lang = po.parent.parent.name
        _pybabel(
            "update",
            "-i",
            str(POT),
            "-d",
            str(LOCALE),
            "-D",
            "fleetctl",
            "-l",
            lang,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
            "--init-missing",
        )
        _steady_header(po)


def _steady_header(path: Path) -> None:
    """Dates in the header change on every run: fixed, so they never conflict between branches."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        for key in ("POT-Creation-Date", "PO-Revision-Date"):
            if line.startswith(f'"{key}: '):
                lines[i] = f'"{key}: 2026-12-07 00:00+0000\\n"\n'
        if line.startswith('"Generated-By: '):
            lines[i] = '"Generated-By: Babel\\n"\n'
    path.write_text("".join(lines), encoding="utf-8")


def compile_() -> None:
    sys.path.insert(0, str(ROOT))
    from fleetctl_build import compile_catalogues

    for mo in compile_catalogues(ROOT, ROOT):
        print(mo.relative_to(ROOT))


def missing() -> int:
    from babel.messages.pofile import read_po

    bad = 0
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/fleetctl.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        for msg in catalog:
            if not msg.id:
                continue
            strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
            if msg.fuzzy or not all(strings):
                bad += 1
                print(f"{po.relative_to(ROOT)}: {msg.id!r}")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("update", "compile", "missing"))
    args, _ = parser.parse_known_args()
    if args.action == "update":
        update()
    elif args.action == "compile":
        compile_()
    else:
        return missing()
    return 0


if __name__ == "__main__":
    sys.exit(main())
