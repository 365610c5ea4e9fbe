"""The language machinery: choosing it, messages with values, locale formatting (pure)."""

from __future__ import annotations

import gettext
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from support.ids import cell

from fleetctl.base import i18n, l10n
from fleetctl.base.i18n import M_, Duration, _, pick, render, set_language
from fleetctl.cli.main import lang_from_argv
from fleetctl.cli.render.check import camera_json
from fleetctl.core.damping import DampState, damp_report
from fleetctl.core.models import CameraReport, Policy, Problem, ProblemKind, Status
from fleetctl.core.probes import Failure, ReachProbe
from fleetctl.core.verdicts.rules import clock_problems, reach_problems


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "vi_VN.UTF-8"}, "vi"),
        (None, {"LANG": "C.UTF-8"}, "en"),
        (None, {"LC_ALL": "vi_VN", "LANG": "en_US.UTF-8"}, "vi"),
        (None, {"LANGUAGE": "fr:vi", "LANG": "en_US.UTF-8"}, "vi"),
        (None, {"FLEETCTL_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
        (None, {"FLEETCTL_LANG": "vi"}, "vi"),
        ("vi", {"FLEETCTL_LANG": "en"}, "vi"),
        ("en", {"LANG": "vi_VN.UTF-8"}, "en"),
        (None, {"LANG": "POSIX"}, "en"),
    ],
    ids=cell,
)
def test_pick(explicit: str | None, env: dict[str, str], expected: str) -> None:
    assert pick(explicit, env) == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--lang", "vi", "check"], "vi"),
        (["check", "--lang", "vi", "-s", "x"], "vi"),
        (["check", "--lang=vi"], "vi"),
        (["check"], None),
        (["check", "--", "--lang", "vi"], None),
    ],
    ids=cell,
)
def test_lang_from_argv(argv: list[str], expected: str | None) -> None:
    assert lang_from_argv(argv) == expected


def test_message_english_is_printf_exactly() -> None:
    msg = M_(
        "low frame rate: %(fps).1f fps (configured %(configured)g)", fps=12.04, configured=25.0
    )
    assert msg.en() == "low frame rate: 12.0 fps (configured 25)"
    set_language("vi")
    assert msg.en() == "low frame rate: 12.0 fps (configured 25)"  # English whatever is chosen
    assert msg.text() == "tốc độ khung hình thấp: 12,0 fps (cấu hình 25)"
    assert msg.text("en") == msg.en()


def test_message_numbers_and_durations_in_vietnamese() -> None:
    set_language("vi")
    assert M_("clock %(offset)s ahead", offset=Duration(7500)).text() == (
        "đồng hồ chạy nhanh 2 giờ 5 phút"
    )
    rate = M_(
        "low bitrate: %(rate).0f kbit/s (configured %(configured)g)", rate=1500, configured=4096
    )
    assert rate.text() == "tốc độ bit thấp: 1.500 kbit/s (cấu hình 4.096)"


def test_untranslated_or_broken_translation_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_language("vi")
    assert render("nobody translated %(n)d of these", {"n": 3}) == "nobody translated 3 of these"

    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "mất kết nối: %(eror)s"  # a misspelt placeholder in a catalogue

    monkeypatch.setattr(i18n, "translations", lambda lang: Broken())
    assert render("offline: %(error)s", {"error": "x"}) == "offline: x"


def test_problem_json_message_is_english_in_every_language() -> None:
    [problem] = reach_problems(
        ReachProbe(port=80, ok=False, latency_ms=None, failure=Failure.REFUSED)
    )
    report = CameraReport("a", "s", "127.0.0.1", Status.CRIT, (problem,))
    english = camera_json(report)
    set_language("vi")
    assert camera_json(report) == english
    assert english["problems"][0]["message"] == "offline: connection refused on port 80 (ONVIF)"
    assert problem.text() == "mất kết nối: cổng 80 từ chối kết nối (ONVIF)"  # a port: no "8.0"


def test_damping_suffix_is_translated_on_its_own() -> None:
    [clock] = clock_problems(-400, Policy())
    report = CameraReport("a", "s", "h", Status.CRIT, (clock,))
    _state, damped, _t = damp_report(DampState(), report, 3)
    [p] = damped.problems
    assert p.message == "clock 6m40s behind (pending 1/3 checks)"
    assert p.text("vi") == "đồng hồ chạy chậm 6 phút 40 giây (chờ xác nhận 1/3 lần kiểm tra)"


def test_problem_without_template_shows_its_translated_constant() -> None:
    p = Problem(ProblemKind.AUTH, Status.CRIT, "the camera rejects the fleet's credentials")
    set_language("vi")
    assert p.text() == _("the camera rejects the fleet's credentials") != p.message
    assert replace(p, message="something new").text() == "something new"


def test_locale_formatting() -> None:
    at = datetime(2026, 12, 7, 0, 0, tzinfo=UTC).astimezone()
    assert l10n.when(at, "vi") == at.strftime("%d/%m/%Y %H:%M")
    assert l10n.when(at, "en") == at.strftime("%Y-%m-%d %H:%M")
    assert l10n.number(1234567.891, 2, "vi") == "1.234.567,89"
    assert l10n.number(1234567.891, 2, "en") == "1,234,567.89"
    assert l10n.ago(7500, "vi") == "2 giờ 5 phút trước"
    assert l10n.ago(7500, "en") == "2h05m ago"
    assert l10n.duration(45, "vi") == "45 giây"
    assert l10n.duration(3 * 86400 + 3600, "vi") == "3 ngày 1 giờ"
    assert l10n.duration(3600, "vi") == "1 giờ"
