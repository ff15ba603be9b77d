"""Step 04 with strategy ``reminder``: a status export with the first message and the reminder
told apart, every export row accounted for, and the follow-up lists of each strategy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import build_run_for_followup, write_excel_export

from inkorg_kit import followup as fu
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.followup.reconcile import export_waves
from inkorg_kit.hours.working import working_hours_between
from inkorg_kit.run.io import load_json

HEADER = "Personnummer;Skickat;Status;Läst"
W = SendWindows()  # weekdays 08-17: R = 9 working hours is the next working day, same time
R, N = 9.0, 24.0


def _two_wave_run(tmp_path: Path) -> tuple[Path, list[str]]:
    run = tmp_path / "run"
    build_run_for_followup(run, 9)
    p = fu.campaign_recipients(run)[0]["pnr"].to_list()
    rows = [
        # 0: first unread, reminder read -> read via the reminder
        f"{p[0]};2027-03-16 09:00;Oläst;",
        f"{p[0]};2027-03-17 09:30;Läst;2027-03-17 10:00",
        # 1: first read before the reminder: read via the first message
        f"{p[1]};2027-03-16 09:00;Läst;2027-03-16 12:00",
        # 2: first unread, reminder unread -> the letter when N is due
        f"{p[2]};2027-03-16 09:00;Oläst;",
        f"{p[2]};2027-03-17 09:00;Oläst;",
        # 3: unread, no reminder yet, R passed -> reminder list
        f"{p[3]};2027-03-18 09:00;Oläst;",
        # 4: a second case 1 hour after the first: a duplicate with a reason, not a reminder
        f"{p[4]};2027-03-16 09:00;Oläst;",
        f"{p[4]};2027-03-16 10:00;Oläst;",
        # 5: first, reminder, and a third case: the third is a duplicate with a reason
        f"{p[5]};2027-03-16 09:00;Oläst;",
        f"{p[5]};2027-03-17 09:00;Oläst;",
        f"{p[5]};2027-03-18 09:00;Oläst;",
        # 6: unread, sent 2 working hours before the export: waiting
        f"{p[6]};2027-03-19 15:00;Oläst;",
        # 7: read the first message late, after the reminder was sent: still read via first
        f"{p[7]};2027-03-16 09:00;Läst;2027-03-18 08:00",
        f"{p[7]};2027-03-17 09:00;Oläst;",
    ]
    write_excel_export(run / "status_export" / "skickade_arenden.csv", HEADER, rows)
    write_excel_export(
        run / "status_export" / "misslyckade_utskick.csv",
        "Personnummer;Orsak",
        [f"{p[8]};Saknar inloggning"],
    )
    return run, p


def _outcomes(run: Path, reminder: float | None = R) -> fu.Outcomes:
    export = fu.load_status(None, run_dir=run, exported_at="2027-03-19 17:00")
    return fu.reconcile(export, run, reminder_after_working_hours=reminder, windows=W)


def test_first_message_and_reminder_are_told_apart_and_every_row_counts(tmp_path):
    run, p = _two_wave_run(tmp_path)
    outcomes = _outcomes(run)
    c = outcomes.counts()
    assert c["export_rows"] == 15
    assert c["export_rows_reminder"] == 4  # p0, p2, p5, p7
    assert c["export_rows_duplicate"] == 2  # p4's second case, p5's third
    assert c["export_rows_wave_problem"] == 2
    assert outcomes.export_summary["wave_problems"] == {
        "before_reminder_due": 1,
        "extra_case": 1,
    }
    assert c["attempted"] == 9 and c["failed"] == 1
    assert (c["read"], c["read_first"], c["reminder_read"]) == (3, 2, 1)
    assert c["reminder_sent"] == 4
    people = {r["pnr"]: r for r in outcomes.people.iter_rows(named=True)}
    via = people[p[0]]
    assert via["outcome"] == "read" and via["read_via"] == "reminder"
    assert via["hours_to_read"] is None  # not a read time of the first message
    assert via["event"] is False and via["observed_hours"] == pytest.approx(24.5)
    assert people[p[1]]["read_via"] == "first" and people[p[1]]["hours_to_read"] == 3.0
    assert people[p[7]]["read_via"] == "first"
    assert people[p[0]]["export_rows"] == 2 and people[p[5]]["export_rows"] == 3
    assert sorted(outcomes.reminded().to_list()) == sorted([p[0], p[2], p[5], p[7]])
    assert any("third case" in w for w in outcomes.warnings)


def test_without_a_reminder_the_export_reads_as_before(tmp_path):
    run, _ = _two_wave_run(tmp_path)
    outcomes = _outcomes(run, reminder=None)
    c = outcomes.counts()
    assert c["export_rows_reminder"] == 0 and c["export_rows_duplicate"] == 6
    assert c["reminder_read"] == 0 and c["read"] == 3  # p0 read its second case: merged
    assert outcomes.reminded().is_empty()


def test_lists_follow_each_strategy(tmp_path):
    run, p = _two_wave_run(tmp_path)
    outcomes = _outcomes(run)
    lists = fu.followup_lists(
        outcomes,
        W,
        unread_after_working_hours=N,
        strategy="reminder",
        reminder_after_working_hours=R,
    )
    by = {r["pnr"]: r for r in lists.people.iter_rows(named=True)}
    assert by[p[3]]["list"] == "reminder-after-9h" and by[p[3]]["key"] == "reminder_due"
    assert by[p[2]]["list"] == "unread-after-24h"  # reminded, still unread after N
    assert p[0] not in by and p[1] not in by and p[7] not in by  # read (p0 via the reminder)
    assert by[p[8]]["list"] == "failed"
    assert lists.waiting["unread"] == 1  # p6
    written = fu.write_followup_lists(lists, run, campaign="x")
    assert written["strategy"] == "reminder" and written["reminder_after_working_hours"] == R
    assert written["lists"]["reminder-after-9h"]["rows"] == 1
    assert load_json(run, "followup_manifest").strategy == "reminder"
    letters = (run / "followup" / "followup_letters.csv").read_text(encoding="utf-8-sig")
    assert p[3] not in letters and p[2] in letters  # the reminder goes by 1177, not by letter

    first = fu.followup_lists(outcomes, W, unread_after_working_hours=N, strategy="letter_first")
    row = first.people.filter(pl.col("pnr") == p[8]).row(0, named=True)
    assert row["list"] == "unread-after-24h" and "brev direkt" in row["reason"]
    assert first.people.filter(pl.col("key") == "reminder_due").is_empty()
    plain = fu.followup_lists(outcomes, W, unread_after_working_hours=N)
    assert plain.people.filter(pl.col("pnr") == p[8])["list"].item() == "failed"
    fu.write_followup_lists(first, run, campaign="x")  # the reminder list of before is removed
    assert not (run / "followup" / "reminder-after-9h").exists()
    with pytest.raises(ValueError, match="needs reminder_after_working_hours"):
        fu.followup_lists(outcomes, W, strategy="reminder")


_TIMES = [
    "2027-03-15 08:00",
    "2027-03-15 16:30",
    "2027-03-16 09:00",
    "2027-03-17 13:00",
    "2027-03-18 08:00",
    "2027-03-19 16:00",
    "2027-03-22 10:00",
]


@settings(max_examples=60, deadline=None)
@given(
    cases=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(_TIMES), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    hours=st.sampled_from([1.0, 9.0, 20.0]),
)
def test_wave_rules_hold_for_any_export(cases, hours):
    """Per resident: one first message (the earliest), at most one reminder, and only one at
    least R working hours after the first; every row is first, reminder or a duplicate."""
    frame = pl.DataFrame(
        {
            "pnr": [f"p{k}" for k, _, _ in cases],
            "sent_at": [t for _, t, _ in cases],
            "outcome": ["read" if r else "unread" for _, _, r in cases],
        }
    ).with_columns(pl.col("sent_at").str.to_datetime(time_zone="Europe/Stockholm"))
    waves = export_waves(frame, hours, W)
    assert waves.height == frame.height
    for _, part in waves.group_by("pnr"):
        firsts = part.filter(pl.col("wave") == "first")
        assert firsts.height == 1 and firsts["sent_at"].item() == part["sent_at"].min()
        reminders = part.filter(pl.col("wave") == "reminder")
        assert reminders.height <= 1
        worked = working_hours_between(firsts["sent_at"].item(), part["sent_at"], W)
        if reminders.height:
            assert (
                working_hours_between(firsts["sent_at"].item(), reminders["sent_at"].item(), W)
                >= hours - 1e-9
            )
        else:  # no later case is R working hours after the first
            assert all(w < hours - 1e-9 for w in worked.to_list())
        rest = part.filter(pl.col("wave").is_null())
        assert rest["wave_problem"].null_count() == 0  # every other case has a reason
        assert firsts.height + reminders.height + rest.height == part.height
