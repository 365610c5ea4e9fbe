"""The TUI in Vietnamese through the pilot: Textual's own words, the filter in the operator's
words (either language, diacritics optional), and a screen scanned for English words."""

from __future__ import annotations

from dataclasses import replace

from support.english import english_words, svg_text
from support.tui import fleet
from textual.command import CommandInput, CommandList

from fleetctl.base.i18n import M_, Duration, set_language
from fleetctl.core.models import Problem, ProblemKind, Status
from fleetctl.tui.app import FleetApp
from fleetctl.tui.source import ScriptedSource

PROBLEMS = {
    "dt-cho-01": (
        Problem.of(
            ProblemKind.STORAGE,
            Status.CRIT,
            M_("%(media)s failed (replace the card or disk)", media="SD1"),
        ),
    ),
    "dt-truong-02": (
        Problem.of(
            ProblemKind.CLOCK, Status.WARN, M_("clock %(offset)s ahead", offset=Duration(45))
        ),
    ),
    "ht-den-02": (
        Problem.of(ProblemKind.OFFLINE, Status.CRIT, M_("offline: ONVIF does not answer")),
    ),
}


def make() -> FleetApp:
    cams, reps = fleet()
    reps = [replace(r, problems=PROBLEMS.get(r.name, ())) for r in reps]
    return FleetApp(cams, ScriptedSource(reps), interval=0)


async def test_command_palette_speaks_vietnamese() -> None:
    set_language("vi")
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.query_one(CommandInput).placeholder == "Tìm lệnh…"
        commands = app.screen.query_one(CommandList)
        for _ in range(100):  # the palette gathers its commands in a worker
            if commands.option_count >= 5:
                break
            await pilot.pause(0.05)
        prompts = " ".join(
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        )
        assert "Thoát" in prompts and "Chụp màn hình" in prompts, prompts
        assert "Quit" not in prompts and "Screenshot" not in prompts
        await pilot.press(*"zzqxw")
        for _ in range(100):  # "No matches found" appears after Textual's countdown
            texts = [
                str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
            ]
            if any("Không tìm thấy" in t for t in texts):
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError(f"no Vietnamese 'no matches' line: {texts}")


async def test_filter_finds_problem_words_in_either_language() -> None:
    set_language("vi")
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        model = app.model
        for typed, expected in [
            ("mat ket noi", ["ht-den-02"]),  # as shown, without diacritics
            ("mất kết nối", ["ht-den-02"]),  # as shown
            ("offline", ["ht-den-02"]),  # the English words
            ("the nho", ["dt-cho-01"]),
            ('"dong ho"', ["dt-truong-02"]),  # a quoted phrase: the words together
            ("clock ahead", ["dt-truong-02"]),
            ('!"the nho" site:dong-tien', ["dt-truong-02", "dt-cau-04", "dt-ubnd-03"]),
        ]:
            model.set_filter(typed)
            assert sorted(model.visible) == sorted(expected), typed


async def test_filter_finds_english_words_in_english() -> None:
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.model.set_filter("offline")
        assert app.model.visible == ["ht-den-02"]
        app.model.set_filter("mat ket noi")  # not shown in English: not found
        assert app.model.visible == []


async def test_screens_in_vietnamese_show_no_english_words() -> None:
    """Every main screen at 80x24 and 160x50, scanned for English words (see support.english)."""
    set_language("vi")
    screens: list[tuple[str, tuple[str, ...]]] = [
        ("fleet", ()),
        ("camera", ("enter",)),
        ("help", ("question_mark",)),
        ("sites", ("colon", *"sites", "enter")),
        ("confirm", ("space", "R")),
        ("actions", ("a",)),
        ("palette", ("ctrl+p",)),
    ]
    for size in ((80, 24), (160, 50)):
        for name, keys in screens:
            app = make()
            async with app.run_test(size=size) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                await pilot.press(*keys)
                await pilot.pause(0.3)
                text = svg_text(app.export_screenshot())
            assert english_words(text) == [], (name, size, english_words(text), text)


async def test_the_english_scan_sees_english() -> None:
    """The scan above can fail: the same screen in English is full of the words it looks for."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = svg_text(app.export_screenshot())
    assert {"crit", "unknown", "status", "ahead"} <= {w.lower() for w in english_words(text)}
