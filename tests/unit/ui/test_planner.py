"""The planner's page without a server: it builds from a run folder, writes nothing until "Spara
plan", then writes step 03's files and lists them; "Använd" makes the advised start the plan's;
a failing save is shown, not raised."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import DEMO_CAMPAIGN, build_run_for_reach_plan

from inkorg_kit.steps import planner
from inkorg_kit.ui.panel import ReachPanel
from inkorg_kit.ui.planner import INTRO, SAVE_LABEL, USE_LABEL, PlannerPage
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _texts(widget) -> str:
    """Every text a widget tree shows (HTML values, descriptions)."""
    parts = [str(getattr(widget, "value", "") or ""), str(getattr(widget, "description", ""))]
    for child in getattr(widget, "children", ()):
        parts.append(_texts(child))
    return "\n".join(p for p in parts if isinstance(p, str))


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run_for_reach_plan(tmp_path / "run")


def test_the_page_builds_and_writes_nothing_before_save(run_dir: Path) -> None:
    before = _files(run_dir)
    page = planner.page(DEMO_CAMPAIGN, run_dir)
    assert isinstance(page, PlannerPage) and isinstance(page.panel, ReachPanel)
    shown = _texts(page)
    assert "Planera utskicket" in shown and INTRO in shown.replace("&lt;", "<")
    assert page.save_button.description == SAVE_LABEL
    assert page.use_button.description == USE_LABEL and not page.use_button.disabled
    assert "Bäst:" in page.advice_text.value and page.advice is not None
    assert page.saved is None
    page.use_advice()
    assert _files(run_dir) == before, "the page wrote before Save"


def test_save_writes_step_03s_files_and_lists_them(run_dir: Path) -> None:
    page = planner.page(DEMO_CAMPAIGN, run_dir)
    assert not (run_dir / "send_plan.csv").exists()
    written = page.save()
    assert written is not None and page.saved is written
    assert (run_dir / "send_plan.csv").is_file() and (run_dir / "reach_summary.csv").is_file()
    status = page.save_status.value
    assert status.startswith("<b>Sparat") and "send_plan.csv" in status
    for path in written.values():
        if isinstance(path, Path):
            assert path.is_relative_to(run_dir), path


def test_use_makes_the_advised_start_the_plans_start(run_dir: Path) -> None:
    page = planner.page(DEMO_CAMPAIGN, run_dir)
    best = page.advice.best
    page.use_advice()
    assert page.panel.current_state.earliest_start == best
    assert page.panel.outcome.plan is not None
    assert page.panel.outcome.plan.files["start"].min() >= best
    day = WEEKDAYS_SHORT_SV[best.weekday()]
    assert f"Vald start {day} {best:%Y-%m-%d %H:%M}" in page.advice_text.value


def test_a_failing_save_is_shown_not_raised(run_dir: Path) -> None:
    state = planner.page(DEMO_CAMPAIGN, run_dir).panel.base_state

    def refuse(outcome):
        raise PermissionError("körmappen är skrivskyddad")

    page = PlannerPage(state, save=refuse, run_dir=run_dir)
    assert page.save() is None and page.saved is None
    assert "Kunde inte spara" in page.save_status.value
    assert "skrivskyddad" in page.save_status.value
