"""What ``inkorg-kit run`` prints when it ends, in Swedish: the guideline warnings (how many, the
three most important with their check, where the whole checklist is), the target funnel with
rejected values (masked, with the row to find them on), and what was written, the checklist
included.

The run folder is written here as the steps leave it (``campaign_check.json`` and ``.md``, the
funnel and the rejected values); ``run_step`` is replaced, so no kernel runs.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from support import DEMO_CAMPAIGN, REPO, assert_no_personnummer

from inkorg_kit import cli
from inkorg_kit.cli.console import print_checks, print_funnel
from inkorg_kit.run import RunFolder, save_frame, save_json

TEST_PNR = "19850101-2382"  # Skatteverket test number


def _finding(check: str, status: str, message: str) -> dict[str, object]:
    return {
        "check": check,
        "label": f"etikett för {check}",
        "severity": "error" if status == "error" else "warning",
        "passed": status == "ok",
        "status": status,
        "message": message,
        "seed": "003",
        "document": "Inera, Riktlinjer",
        "quote": "citat",
    }


def _write_check(run_dir: Path, statuses: list[tuple[str, str]]) -> RunFolder:
    """``campaign_check.json`` and ``.md`` with one finding per (check, status)."""
    run = RunFolder(run_dir)
    findings = [_finding(check, status, f"meddelande {check}") for check, status in statuses]
    errors = [check for check, status in statuses if status == "error"]
    save_json(
        run,
        "campaign_check_json",
        {
            "campaign": "kampanj",
            "title": "Kallelse",
            "checked_at": "2027-03-01T10:00:00+01:00",
            "ok": not errors,
            "counts": {
                "checks": len(findings),
                "passed": sum(s == "ok" for _, s in statuses),
                "warnings": sum(s == "warning" for _, s in statuses),
                "errors": len(errors),
            },
            "override": {
                "campaign": "kampanj",
                "reason": "beslut av verksamhetschefen",
                "errors": errors,
                "overridden_at": "2027-03-01T10:00:00+01:00",
            }
            if errors
            else None,
            "findings": findings,
        },
    )
    run.path("campaign_check_md").write_text("# Kampanjkontroll\n", encoding="utf-8")
    return run


def test_the_warnings_are_counted_the_three_most_important_shown_and_the_checklist_named(
    tmp_path: Path, capsys
) -> None:
    run = _write_check(
        tmp_path,
        [
            ("unit_named", "ok"),
            ("send_window", "warning"),
            ("reply_time", "warning"),
            ("forbidden_category", "error"),  # overridden: shown first
            ("frequency", "warning"),
            ("length", "warning"),
        ],
    )
    print_checks(tmp_path)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "Kampanjkontroll: 4 varningar, 1 åsidosatt fel (6 kontroller).",
        "  FEL (åsidosatt)  forbidden_category (etikett för forbidden_category):"
        " meddelande forbidden_category",
        "  VARNING  send_window (etikett för send_window): meddelande send_window",
        "  VARNING  reply_time (etikett för reply_time): meddelande reply_time",
        "  … och 2 till.",
        f"  Hela checklistan: {run.path('campaign_check_md')}",
    ]


def test_no_warnings_is_said_too(tmp_path: Path, capsys) -> None:
    _write_check(tmp_path, [("unit_named", "ok"), ("send_window", "ok")])
    print_checks(tmp_path)
    out = capsys.readouterr().out
    assert "Kampanjkontroll: inga varningar (2 kontroller)." in out
    assert "Hela checklistan:" in out


def test_a_warning_quoting_a_personnummer_is_masked(tmp_path: Path, capsys) -> None:
    run = RunFolder(tmp_path)
    _write_check(tmp_path, [("purpose", "warning")])
    data = run.path("campaign_check_json").read_text(encoding="utf-8")
    run.path("campaign_check_json").write_text(
        data.replace("meddelande purpose", f"texten nämner {TEST_PNR}"), encoding="utf-8"
    )
    print_checks(tmp_path)
    out = capsys.readouterr().out
    assert "texten nämner 19850101-****" in out
    assert_no_personnummer(out, "the console")


def test_the_funnel_is_in_swedish_with_the_row_to_find_a_rejected_value_on(
    tmp_path: Path, capsys
) -> None:
    run = RunFolder(tmp_path)
    save_frame(
        run,
        "target_funnel_csv",
        pl.DataFrame(
            {
                "step": ["rows_in", "rejected_bad_checksum", "age", "target_group"],
                "label": [
                    "rader in",
                    "ogiltigt personnummer: fel kontrollsiffra",
                    "ålder",
                    "målgrupp",
                ],
                "removed": [0, 2, 1200, 0],
                "remaining": [12_345, 12_343, 11_143, 11_143],
                "note": pl.Series([None] * 4, dtype=pl.String),
            }
        ),
    )
    save_frame(
        run,
        "target_rejected_csv",
        pl.DataFrame(
            {
                "first_row": [1_017, 2_001],
                "rows": [1, 1],
                "reason": ["bad_checksum", "empty"],
                "value_masked": ["19850101-****", ""],
            }
        ),
    )
    print_funnel(tmp_path)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Målgruppens tratt:"
    assert lines[1].split() == ["rader", "in", "12", "345"]
    assert lines[3].split()[-2:] == ["-1", "200"]
    assert lines[4].split() == ["målgrupp", "11", "143"]
    assert lines[5:] == [
        "  t.ex. rad 1 017: '19850101-****' (fel kontrollsiffra)",
        "  t.ex. rad 2 001: (tomt) (tomt värde)",
    ]


@pytest.fixture
def check_written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """run_step replaced: step 00 writes a check with two warnings, the others nothing."""
    steps: list[str] = []

    def fake_run_step(step, run_dir, parameters, **kwargs):
        steps.append(step)
        if step == cli.STEPS[0]:
            _write_check(Path(run_dir), [("send_window", "warning"), ("length", "warning")])
        executed = Path(run_dir) / "notebooks" / f"{step}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text("{}", encoding="utf-8")
        return executed

    monkeypatch.setattr(cli.runner, "run_step", fake_run_step)
    monkeypatch.chdir(REPO)
    return steps


def test_run_prints_the_warnings_and_lists_the_checklist_among_what_was_written(
    tmp_path: Path, check_written, capsys
) -> None:
    code = cli.main(
        ["run", str(DEMO_CAMPAIGN), "--run-dir", str(tmp_path), "--steps", "00_campaign_check"]
    )
    out = capsys.readouterr().out
    assert code == 0 and check_written == [cli.STEPS[0]]
    assert "Kampanjkontroll: 2 varningar (2 kontroller)." in out
    assert "  VARNING  send_window (etikett för send_window): meddelande send_window" in out
    listing = out.split("\nkörmapp:", 1)[1].splitlines()[1:]
    assert listing == [f"  {'kampanjkontroll':20s} {RunFolder(tmp_path).path('campaign_check_md')}"]
