"""Build step: compile the gettext catalogues (``.po`` -> ``.mo``) into the package.

setuptools runs this ``build_py`` (``[tool.setuptools.cmdclass]`` in pyproject.toml) for every
kind of install: ``pip install .`` and wheels get the ``.mo`` files in the built package;
``pip install -e .`` writes them next to their ``.po`` in the source tree, which is where an
editable install reads the package from (``.gitignore`` keeps them out of git). After editing a
``.po`` in an editable checkout, ``python tools/i18n.py compile`` refreshes them;
tests/unit/test_i18n_catalogue.py fails while they are stale.

Babel comes from ``[build-system] requires``; plural forms come from each catalogue's header
(Vietnamese: ``nplurals=1; plural=0;``), never from Babel's locale data.
"""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

LOCALE = Path("fleetctl") / "locale"


def compile_catalogues(source_root: Path, target_root: Path) -> list[Path]:
    """Compile every ``fleetctl/locale/<lang>/LC_MESSAGES/*.po`` under ``source_root`` to the
    same relative path under ``target_root``; returns the ``.mo`` files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted((source_root / LOCALE).glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name, abort_invalid=True)
        out = target_root / po.relative_to(source_root).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(out)
    return written


class BuildPy(build_py):
    """setuptools' build_py, then the catalogues compiled into the package."""

    def run(self) -> None:
        super().run()
        root = Path.cwd()
        target = root if self.editable_mode else Path(self.build_lib)
        compile_catalogues(root, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:  # type: ignore[override]
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            root = Path.cwd()
            for po in (root / LOCALE).glob("*/LC_MESSAGES/*.po"):
                mo = str(Path(self.build_lib) / po.relative_to(root).with_suffix(".mo"))
                if mo not in outputs:
                    outputs.append(mo)
        return outputs
