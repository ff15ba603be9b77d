"""inkorg_kit.followup and inkorg_kit.synth_status: status exports, read rates, time to read,
follow-up lists and the refit, tested against synthetic exports with a known reach model."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from conftest import REPO

from inkorg_kit import followup as fu
from inkorg_kit import pnr, reach, recipients, synth_status
from inkorg_kit.campaign import load_campaign

CAMPAIGN_FILE = REPO / "params" / "demo" / "campaign.yaml"
NAME = "blodtryck-solbacka-2027"
TZ = ZoneInfo("Europe/Stockholm")
UNITS = ("SE2321000032-VCSOLB", "SE2321000032-VCNORR")
BOM = "\ufeff"


# --------------------------------------------------------------------------- helpers


def test_numbers(count: int | None = None, *, at: str = "2027-03-16", seed: int = 0) -> pl.Series:
    """Skatteverket's test numbers for adults (16-99), shuffled with ``seed``."""
    raw = pl.read_csv(
        REPO / "inkorg_kit" / "data" / "testpersonnummer.csv",
        schema_overrides={"testpersonnummer": pl.String},
    )["testpersonnummer"]
    cleaned = pnr.clean(raw)["pnr"].drop_nulls()
    ages = pnr.age_at(cleaned, at)
    adults = cleaned.filter(ages.is_between(16, 99))
    order = np.random.default_rng(seed).permutation(adults.len())
    picked = adults.gather(order)
    return picked if count is None else picked.head(count)


test_numbers.__test__ = False  # a helper, not a test


def build_run(run_dir: Path, n: int = 2000, *, seed: int = 1, target: bool = True) -> pl.DataFrame:
    """A run folder as notebooks 01-02 leave it: target_group.parquet and recipient files."""
    numbers = test_numbers(n, seed=seed)
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"personnummer": numbers}).with_columns(
        pnr.age_at(pl.col("personnummer"), "2027-03-16").alias("age"),
        pnr.legal_sex(pl.col("personnummer")).alias("sex"),
        pl.Series("unit_hsa_id", rng.choice(UNITS, n)),
    )
    frame = frame.with_columns(reach.age_band("age"))
    run_dir.mkdir(parents=True, exist_ok=True)
    if target:
        frame.write_parquet(run_dir / "target_group.parquet")
    parts = recipients.split(recipients.prepare(frame, pnr_column="personnummer"))
    recipients.write(parts, run_dir, NAME)
    return frame


def write_export(path: Path, header: str, rows: list[str]) -> Path:
    """A hand-made export: UTF-8 with BOM, semicolons, CRLF (as Excel writes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((BOM + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return path


def flat_assumptions() -> reach.Assumptions:
    """The defaults with a flat daily rhythm: active hours are calendar hours."""
    data = reach.load_assumptions().model_dump()
    data["rhythm"]["hourly"] = [1.0] * 24
    data["rhythm"]["weekend_factor"]["value"] = 1.0
    data["rhythm"]["holidays_as_weekend"] = False
    return reach.load_assumptions(data)


def band_cdf(a: reach.Assumptions, band: str, hours: np.ndarray) -> np.ndarray:
    """True share of a band's delivered residents who read by ``hours`` active hours."""
    q = a.band(band).notification_share.mean
    timing = a.timing(band)
    return q * timing.notified.cdf(hours) + (1 - q) * timing.not_notified.cdf(hours)


def write_send_plan(run: Path, files_per_day: int = 1, first: str = "2027-03-16") -> pl.DataFrame:
    """A send plan (as notebook 03 writes it): ``files_per_day`` files a day, one an hour."""
    files = recipients.read_manifest(run)["files"]
    start = dt.datetime.fromisoformat(f"{first} 09:00").replace(tzinfo=TZ)
    starts = [
        start + dt.timedelta(days=i // files_per_day, hours=i % files_per_day)
        for i in range(len(files))
    ]
    plan = pl.DataFrame(
        {
            "file_name": [f["file_name"] for f in files],
            "rows": [f["rows"] for f in files],
            "handler": ["A"] * len(files),
            "start": [s.isoformat() for s in starts],
            "end": [(s + dt.timedelta(minutes=6)).isoformat() for s in starts],
        }
    )
    plan.write_csv(run / "send_plan.csv")
    return plan


@pytest.fixture(scope="module")
def campaign():
    return load_campaign(CAMPAIGN_FILE)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, campaign):
    """2000 residents, a synthetic export in the default layout (two files)."""
    run = tmp_path_factory.mktemp("small") / "run"
    build_run(run, 2000)
    synth_status.write_status_export(run, campaign, seed=3)
    return run


@pytest.fixture(scope="module")
def flat_run(tmp_path_factory, campaign):
    """8000 residents, a flat rhythm (active = calendar hours), export 14 days on."""
    run = tmp_path_factory.mktemp("flat") / "run"
    build_run(run, 8000, seed=2)
    write_send_plan(run, files_per_day=4)  # 32 files over 8 days: many censored early
    a = flat_assumptions()
    options = {"seed": 11, "assumptions": a, "exported_at": "2027-03-25 08:00"}
    export = synth_status.status_export(run, campaign, **options)
    synth_status.write_status_export(run, campaign, **options)
    return run, a, export


# --------------------------------------------------------------------------- reading


def test_default_layout_reads_and_every_resident_is_accounted_for(small_run, campaign):
    export = fu.load_status(None, campaign, run_dir=small_run)
    assert [p.name for p in export.paths] == ["skickade_arenden.csv", "misslyckade_utskick.csv"]
    outcomes = fu.reconcile(export, small_run)
    c = outcomes.counts()
    assert c["target"] == c["in_files"] == 2000
    assert c["attempted"] == 2000 and c["not_in_export"] == 0 and c["not_in_campaign"] == 0
    assert c["read"] + c["unread"] + c["failed"] == 2000
    assert c["failed"] == c["failed_no_login"] + c["failed_locked"] > 0
    assert c["failed_locked"] > 0  # "Kontot är spärrat" is recognised
    # the export's default time is its latest time; hours are never negative
    people = outcomes.people
    assert people.filter(pl.col("observed_hours") < 0).height == 0
    assert people.filter(pl.col("outcome") == "read")["read_at"].null_count() == 0


def test_synthetic_export_files_are_private_and_in_the_documented_layout(small_run):
    folder = small_run / "status_export"
    sent = (folder / "skickade_arenden.csv").read_bytes()
    failed = (folder / "misslyckade_utskick.csv").read_bytes()
    assert sent.startswith(BOM.encode()) and b"\r\n" in sent
    assert sent.decode("utf-8-sig").splitlines()[0] == "Personnummer;Skickat;Status;Läst"
    assert failed.decode("utf-8-sig").splitlines()[0] == "Personnummer;Orsak"
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


def test_mapping_maps_another_layout_without_code(tmp_path, campaign):
    """Other column names and labels, 10-digit numbers, XLSX, failures as rows."""
    run = tmp_path / "run"
    build_run(run, 6)
    people, _ = fu.campaign_recipients(run)
    numbers = people["pnr"].to_list()
    ten = [n[2:8] + "-" + n[9:] for n in numbers]  # YYMMDD-NNNN
    frame = pl.DataFrame(
        {
            "Invånare": ten,
            "Tid skickat": ["16/03/2027 09:10"] * 6,
            "Ärendestatus": [
                "Läst av invånare",
                "oläst av  invånare",
                "LÄST AV INVÅNARE",
                "Ej nådd",
                "Oläst av invånare",
                "Läst av invånare",
            ],
            "Tid läst": ["16/03/2027 10:00", None, "17/03/2027 08:00", None, None, None],
            "Fel": [None, None, None, "Spärrat konto", None, None],
        }
    )
    path = tmp_path / "export.xlsx"
    frame.write_excel(path)
    mapping = {
        "sent_file": "export.xlsx",
        "failed_file": None,
        "columns": {
            "pnr": "Invånare",
            "sent_at": "Tid skickat",
            "status": "Ärendestatus",
            "read_at": "Tid läst",
            "reason": "Fel",
        },
        "labels": {
            "read": ["Läst av invånare"],
            "unread": ["Oläst av invånare"],
            "failed": ["Ej nådd"],
        },
        "datetime_format": "%d/%m/%Y %H:%M",
    }
    export = fu.load_status(path, mapping, exported_at="2027-03-20 08:00")
    outcomes = fu.reconcile(export, run)
    c = outcomes.counts()
    assert (c["read"], c["unread"], c["failed"], c["failed_locked"]) == (3, 2, 1, 1)
    assert c["not_in_campaign"] == 0 and c["export_rows_rejected"] == 0
    got = outcomes.people.sort("pnr")
    read_one = got.filter(pl.col("pnr") == numbers[0])
    assert read_one["hours_to_read"].item() == pytest.approx(50 / 60)
    # the same mapping in a campaign works as well
    data = campaign.model_dump()
    data["followup"]["status_export"] = mapping
    from inkorg_kit.campaign import parse_campaign

    same = fu.load_status(path, parse_campaign(data), exported_at="2027-03-20 08:00")
    assert same.rows.equals(export.rows)


def test_unknown_label_stops_with_labels_mapping_and_rows_but_no_personnummer(tmp_path):
    numbers = test_numbers(4).to_list()
    path = write_export(
        tmp_path / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [
            f"{numbers[0]};2027-03-16 09:00;Läst;2027-03-16 10:00",
            f"{numbers[1]};2027-03-16 09:00;Skickad;",
            f"{numbers[2]};2027-03-16 09:00;Oläst;",
            f"{numbers[3]};2027-03-16 09:00;Skickad;",
        ],
    )
    with pytest.raises(fu.StatusExportError) as raised:
        fu.load_status(path)
    message = str(raised.value)
    assert "'Skickad' (2 rows)" in message
    assert "data rows 2, 4" in message
    assert "read: Läst, Läst av invånare" in message and "closed: Stängt" in message
    assert pnr.find_in_text(message) == []
    assert isinstance(raised.value, fu.InputError)


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"colums": {}}, "followup.status_export.colums: unknown key; accepted keys are"),
        ({"columns": {"personnummer": "X"}}, "followup.status_export.columns.personnummer"),
        ({"labels": {"read": ["Klar"], "unread": ["klar"]}}, "listed under both"),
        ({"closed_without_read_time": "read"}, "closed_without_read_time"),
        ({"timezone": "Europe/Stockhlom"}, "not a time zone"),
    ],
)
def test_bad_mappings_name_the_field(mapping, expected):
    with pytest.raises(fu.StatusExportError) as raised:
        fu.status_mapping(mapping)
    assert expected in str(raised.value)


def test_contradictions_and_bad_times_name_rows_without_personnummer(tmp_path):
    numbers = test_numbers(3).to_list()
    header = "Personnummer;Skickat;Status;Läst"
    cases = {
        "read times before the sent time": f"{numbers[0]};2027-03-16 09:00;Läst;2027-03-15 10:00",
        "status unread but a read time": f"{numbers[0]};2027-03-16 09:00;Oläst;2027-03-16 10:00",
        "are not times": f"{numbers[0]};igår;Läst;2027-03-16 10:00",
        "without a sent time": f"{numbers[0]};;Läst;2027-03-16 10:00",
    }
    for i, (expected, bad) in enumerate(cases.items()):
        path = write_export(
            tmp_path / f"e{i}.csv",
            header,
            [f"{numbers[1]};2027-03-16 09:00;Oläst;", bad],
        )
        with pytest.raises(fu.StatusExportError) as raised:
            fu.load_status(path)
        assert expected in str(raised.value)
        assert "data row 2" in str(raised.value)
        assert pnr.find_in_text(str(raised.value)) == []


def test_missing_export_and_missing_failed_file_are_explained(tmp_path, small_run):
    with pytest.raises(fu.StatusExportError, match="does not exist"):
        fu.load_status(tmp_path / "nowhere")
    folder = tmp_path / "only_sent"
    folder.mkdir()
    (folder / "skickade_arenden.csv").write_bytes(
        (small_run / "status_export" / "skickade_arenden.csv").read_bytes()
    )
    export = fu.load_status(folder)
    assert any("no failed-sends file" in w for w in export.warnings)
    outcomes = fu.reconcile(export, small_run)
    c = outcomes.counts()
    # the failed residents are not lost: they show as missing from the export
    assert c["not_in_export"] > 0 and c["failed"] == 0
    assert c["in_files"] == c["attempted"] + c["not_in_export"]
    with pytest.raises(fu.StatusExportError, match="has no sent-cases file"):
        fu.load_status(tmp_path)


def test_an_empty_failed_list_means_no_failures(tmp_path):
    numbers = test_numbers(2).to_list()
    folder = tmp_path / "export"
    write_export(
        folder / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [f"{n};2027-03-16 09:00;Oläst;" for n in numbers],
    )
    write_export(folder / "misslyckade_utskick.csv", "Personnummer;Orsak", [])
    export = fu.load_status(folder)
    assert export.rows.height == 2
    assert any("is empty: no failures" in w for w in export.warnings)


def test_duplicates_rejects_outsiders_and_missing_residents_are_counted(tmp_path):
    run = tmp_path / "run"
    build_run(run, 5)
    numbers = fu.campaign_recipients(run)[0]["pnr"].to_list()
    outsider = test_numbers(50, seed=9).filter(~test_numbers(50, seed=9).is_in(numbers))[0]
    rows = [
        f"{numbers[0]};2027-03-16 09:00;Oläst;",
        f"{numbers[0]};2027-03-17 09:00;Läst;2027-03-17 12:00",  # sent twice: read wins
        f"{numbers[1]};2027-03-16 09:00;Oläst;",
        f"{numbers[2]};2027-03-16 09:00;Läst;2027-03-16 09:30",
        f"{outsider};2027-03-16 09:00;Läst;2027-03-16 11:00",
        "19900101-0000;2027-03-16 09:00;Läst;2027-03-16 11:00",  # bad check digit
        ";2027-03-16 09:00;Oläst;",
    ]
    write_export(
        run / "status_export" / "skickade_arenden.csv", "Personnummer;Skickat;Status;Läst", rows
    )
    write_export(
        run / "status_export" / "misslyckade_utskick.csv",
        "Personnummer;Orsak",
        [
            f"{numbers[3]};Saknar inloggning",
            f"{numbers[2]};Saknar inloggning",  # delivered on another try: delivered wins
        ],
    )
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run), run)
    c = outcomes.counts()
    assert c["export_rows"] == 9
    assert c["export_rows_rejected"] == 2
    assert c["export_rows_duplicate"] == 2
    assert c["not_in_campaign"] == 1
    assert c["not_in_export"] == 1  # numbers[4]
    assert (c["read"], c["unread"], c["failed"]) == (2, 1, 1)
    first = outcomes.people.filter(pl.col("pnr") == numbers[0]).row(0, named=True)
    assert first["outcome"] == "read" and first["export_rows"] == 2
    assert first["hours_to_read"] == pytest.approx(3.0)  # from its own send, not the first
    assert any("no valid personnummer" in w for w in outcomes.warnings)
    missing = outcomes.missing_by_file()
    assert missing["not_in_export"].sum() == 1


# --------------------------------------------------------------------------- closed cases


def _closed_export(tmp_path: Path) -> tuple[Path, list[str]]:
    run = tmp_path / "run"
    build_run(run, 4)
    numbers = fu.campaign_recipients(run)[0]["pnr"].to_list()
    write_export(
        run / "status_export" / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [
            f"{numbers[0]};2027-03-16 09:00;Stängt;2027-03-16 09:45",
            f"{numbers[1]};2027-03-16 09:00;Stängt;",
            f"{numbers[2]};2027-03-16 09:00;Läst;2027-03-16 15:00",
            f"{numbers[3]};2027-03-16 09:00;Stängt;",
        ],
    )
    return run, numbers


def test_closed_cases_count_as_read_only_with_a_read_time(tmp_path, campaign):
    run, numbers = _closed_export(tmp_path)
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run, exported_at="2027-03-25 08:00"), run)
    c = outcomes.counts()
    assert (c["read"], c["unread"], c["unknown"], c["closed"]) == (2, 2, 0, 3)
    lists = fu.followup_lists(outcomes, campaign, unread_after_working_hours=24)
    assert sorted(lists.people["pnr"].to_list()) == sorted([numbers[1], numbers[3]])


def test_closed_without_read_time_can_be_kept_apart_as_unknown(tmp_path, campaign):
    run, _ = _closed_export(tmp_path)
    mapping = {"closed_without_read_time": "unknown"}
    export = fu.load_status(None, mapping, run_dir=run, exported_at="2027-03-25 08:00")
    outcomes = fu.reconcile(export, run)
    c = outcomes.counts()
    assert (c["read"], c["unread"], c["unknown"]) == (2, 0, 2)
    overall = fu.group_table(outcomes).filter(pl.col("dimension") == "overall").row(0, named=True)
    assert overall["n"] == 2 and overall["read_rate"] == 1.0  # unknown left out of the rate
    lists = fu.followup_lists(outcomes, campaign)
    assert lists.people.height == 2  # but still followed up
    assert all("Okänd lässtatus" in r for r in lists.people["reason"].to_list())


# --------------------------------------------------------------------------- censoring


def test_unread_are_censored_at_the_export(tmp_path):
    run = tmp_path / "run"
    build_run(run, 4)
    numbers = fu.campaign_recipients(run)[0]["pnr"].to_list()
    write_export(
        run / "status_export" / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [
            f"{numbers[0]};2027-03-16 08:00;Läst;2027-03-16 13:00",
            f"{numbers[1]};2027-03-16 08:00;Oläst;",
            f"{numbers[2]};2027-03-16 14:00;Oläst;",
            f"{numbers[3]};2027-03-16 08:00;Läst;",  # read, time not given
        ],
    )
    export = fu.load_status(None, run_dir=run, exported_at="2027-03-16 18:00")
    outcomes = fu.reconcile(export, run)
    people = outcomes.people.sort("pnr")
    by = {r["pnr"]: r for r in people.iter_rows(named=True)}
    assert by[numbers[0]]["event"] is True and by[numbers[0]]["observed_hours"] == 5.0
    assert by[numbers[1]]["event"] is False and by[numbers[1]]["observed_hours"] == 10.0
    assert by[numbers[2]]["observed_hours"] == 4.0
    assert by[numbers[3]]["event"] is None  # not in the time-to-read analysis
    assert outcomes.counts()["read_time_missing"] == 1
    curve = fu.read_curves(outcomes, None, hours=[4.5, 6.0, 11.0])
    # 3 observed: the event at 5 h removes 1 of the 2 still at risk after the censoring at 4 h
    assert curve["read_share"].to_list() == pytest.approx([0.0, 0.5, 0.5])
    assert curve["at_risk"].to_list() == [2, 1, 0]
    # the read rate still counts the read without a time
    overall = fu.group_table(outcomes).row(0, named=True)
    assert (overall["read"], overall["n"]) == (2, 4)
    within = fu.read_within(outcomes, (1, 6, 24), None)
    assert within["read_24h"].item() is None  # beyond the longest observed time


# --------------------------------------------------------------------------- known answers


def test_login_share_intervals_cover_the_truth(flat_run):
    run, a, _ = flat_run
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run), run)
    table = fu.group_table(outcomes, ["age_band"], alpha=0.01, overall=False).filter(
        pl.col("sent") >= 200
    )
    assert table.height >= 3
    for row in table.iter_rows(named=True):
        truth = a.band(row["group"]).login_share.mean
        failed_share = row["failed"] / row["sent"]
        low, high = fu._wilson(np.array([row["failed"]]), np.array([row["sent"]]), 0.01)
        assert low[0] <= 1 - truth <= high[0], (row["group"], failed_share, 1 - truth)


def test_read_rate_interval_covers_the_model_expectation(flat_run):
    run, a, _ = flat_run
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run), run)
    delivered = outcomes.campaign_people().filter(pl.col("outcome").is_in(["read", "unread"]))
    censor = (
        delivered.select(
            (pl.lit(outcomes.exported_at) - pl.col("sent_at")).dt.total_seconds() / 3600
        )
        .to_series()
        .to_numpy()
    )
    bands = delivered["age_band"].to_numpy()
    expected = np.mean(
        np.concatenate([band_cdf(a, b, censor[bands == b]) for b in np.unique(bands)])
    )
    overall = fu.group_table(outcomes, [], alpha=0.01).row(0, named=True)
    assert overall["low"] <= expected <= overall["high"], (overall, expected)


def test_kaplan_meier_covers_the_true_curve(flat_run):
    run, a, _ = flat_run
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run), run)
    hours = np.array([1.0, 24.0, 72.0, 168.0])
    curve = fu.read_curves(outcomes, None, hours=hours, alpha=0.01)
    delivered = outcomes.campaign_people().filter(pl.col("event").is_not_null())
    weights = delivered.group_by("age_band").len()
    truth = sum(n / delivered.height * band_cdf(a, b, hours) for b, n in weights.iter_rows())
    for h, low, high, t in zip(hours, curve["low"], curve["high"], truth, strict=True):
        assert low <= t <= high, (h, low, t, high)
    # active hours equal calendar hours under a flat rhythm
    active = fu.read_curves(outcomes, None, hours=hours, scale="active", assumptions=a)
    assert active["read_share"].to_list() == pytest.approx(curve["read_share"].to_list(), abs=1e-3)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, campaign):
    run = tmp_path_factory.mktemp("fit") / "run"
    build_run(run, 15000, seed=4)
    synth_status.write_status_export(run, campaign, seed=5, exported_at="2027-04-06 08:00")
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    return run, outcomes, fu.fit_reach(outcomes)


def test_refit_recovers_login_shares_and_reading_times(fitted):
    _, outcomes, fit = fitted
    truth = reach.load_assumptions()
    assert fit.fitted_from.campaign == NAME and fit.fitted_from.n == 15000
    sent = outcomes.campaign_people().group_by("age_band").len()
    checked = 0
    hours = np.array([1.0, 24.0, 72.0, 168.0])
    for band, n in sent.iter_rows():
        share = fit.band(band).login_share
        if n < 30:  # too few sends: the assumption is kept
            assert share == truth.band(band).login_share, band
            continue
        low, high = share.interval(0.0005, 0.9995)
        assert low <= truth.band(band).login_share.mean <= high, band
        assert share.strength == n + 1
        if fit.band(band).time_to_read is not None and n >= 2000:
            got = fit.timing(band).notified.cdf(hours)
            assert got == pytest.approx(band_cdf(truth, band, hours), abs=0.03), band
            checked += 1
    assert checked >= 2
    # the common timing is fitted too; notification shares stay as assumed
    assert "Fitted from the follow-up" in fit.time_to_read.notified.read_share.source
    assert fit.band("30-44").notification_share == truth.band("30-44").notification_share


def test_fitted_parameters_round_trip_in_the_reach_format(fitted, tmp_path):
    _, _, fit = fitted
    path = fu.write_fitted(fit, tmp_path)
    assert path.name == "fitted_reach.yaml" and path.stat().st_mode & 0o077 == 0
    again = reach.load_assumptions(path)
    assert again.fitted_from.campaign == NAME
    assert again.band("45-64").login_share.mean == pytest.approx(fit.band("45-64").login_share.mean)
    # notebook 03 can simulate from it
    result = reach.simulate(pl.DataFrame({"age_band": ["45-64"], "n": [100]}), again, draws=50)
    assert result.summary.height > 0
    table = fu.compare_reach(reach.load_assumptions(), fit)
    row = table.filter(pl.col("age_band") == "30-44").row(0, named=True)
    assert row["login_fitted"] is not None and row["read_24h_fitted"] is not None
    assert table.filter(pl.col("age_band") == "0-15")["login_fitted"].item() is None


def test_one_file_layout_gives_the_same_outcomes(tmp_path, campaign, small_run):
    run = tmp_path / "run"
    build_run(run, 2000)
    synth_status.write_status_export(run, campaign, seed=3, one_file=True)
    assert not (run / "status_export" / "misslyckade_utskick.csv").exists()
    mapping = {"failed_file": None, "columns": {"reason": "Orsak"}}
    one = fu.reconcile(fu.load_status(None, mapping, run_dir=run), run).counts()
    two = fu.reconcile(fu.load_status(None, campaign, run_dir=small_run), small_run).counts()
    assert one == two


def test_synthetic_export_follows_the_send_plan_and_can_leave_files_unsent(tmp_path, campaign):
    run = tmp_path / "run"
    build_run(run, 600)
    files = recipients.read_manifest(run)["files"]
    write_send_plan(run, files_per_day=1)
    export = synth_status.status_export(run, campaign, unsent_files=1, outsiders=3)
    sent_days = export.truth["sent_at"].dt.date().unique().sort().to_list()
    assert sent_days == [dt.date(2027, 3, 16), dt.date(2027, 3, 17)]
    synth_status.write_status_export(run, campaign, unsent_files=1, outsiders=3)
    c = fu.reconcile(fu.load_status(None, run_dir=run), run).counts()
    assert c["not_in_export"] == files[-1]["rows"]
    assert c["not_in_campaign"] == 3


# --------------------------------------------------------------------------- follow-up lists


def test_unread_after_working_hours_uses_the_send_windows(tmp_path, campaign):
    run = tmp_path / "run"
    build_run(run, 3)
    numbers = fu.campaign_recipients(run)[0]["pnr"].to_list()
    write_export(
        run / "status_export" / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [
            f"{numbers[0]};2027-03-19 16:00;Oläst;",  # Friday 16:00
            f"{numbers[1]};2027-03-15 09:00;Oläst;",  # Monday a week before
            f"{numbers[2]};2027-03-19 16:00;Läst;2027-03-19 18:00",
        ],
    )
    export = fu.load_status(None, run_dir=run, exported_at="2027-03-22 10:00")  # Monday
    outcomes = fu.reconcile(export, run)
    lists = fu.followup_lists(outcomes, campaign, unread_after_working_hours=3)
    # Friday 16-17 and Monday 08-10 are 3 working hours (window 08-17, lunch 12-13)
    assert sorted(lists.people["pnr"].to_list()) == sorted(numbers[:2])
    hours = dict(zip(lists.people["pnr"], lists.people["working_hours"], strict=True))
    assert hours[numbers[0]] == pytest.approx(3.0)
    later = fu.followup_lists(outcomes, campaign, unread_after_working_hours=3.5)
    assert later.people["pnr"].to_list() == [numbers[1]] and later.not_yet_due == 1


def test_followup_lists_are_written_like_recipient_files(small_run, campaign, tmp_path):
    run = tmp_path / "run"
    import shutil

    shutil.copytree(small_run, run)
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    lists = fu.followup_lists(outcomes, campaign, unread_after_working_hours=24)
    manifest = fu.write_followup_lists(lists, run, campaign=NAME)
    folder = run / "followup"
    c = outcomes.counts()
    assert manifest["lists"]["unread-after-24h"]["rows"] == c["unread"]
    assert manifest["lists"]["failed"]["rows"] == c["failed"]
    for name in ("unread-after-24h", "failed"):
        check = recipients.verify(folder / name)
        assert check.ok, check.failures
        files = sorted((folder / name / "recipients").glob("*.txt"))
        assert files and files[0].name.startswith(f"{name}_001-of-")
        for path in files:
            data = path.read_bytes()
            assert data.count(b"\r\n") <= 250
    letters = (folder / "followup_letters.csv").read_bytes()
    assert letters.startswith(BOM.encode())
    rows = letters.decode("utf-8-sig").splitlines()
    assert rows[0] == "personnummer;lista;orsak;skickat;fil;enhet"
    assert len(rows) - 1 == c["unread"] + c["failed"] == manifest["letters_csv"]["rows"]
    for path in folder.rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path
    text = (folder / "followup_manifest.json").read_text(encoding="utf-8")
    assert pnr.find_in_text(text) == []
    assert json.loads(text)["letters_csv"]["sha256"]
    # a later run with another deadline replaces the list, leaving no stale files behind
    fu.write_followup_lists(
        fu.followup_lists(outcomes, campaign, unread_after_working_hours=8), run, campaign=NAME
    )
    assert not (folder / "unread-after-24h").exists()
    assert (folder / "unread-after-8h" / "recipients" / "manifest.json").is_file()


def test_target_group_is_optional(tmp_path, campaign):
    run = tmp_path / "run"
    build_run(run, 300, target=False)
    synth_status.write_status_export(run, campaign, seed=1)
    outcomes = fu.reconcile(fu.load_status(None, run_dir=run), run)
    assert outcomes.counts()["target"] is None
    bands = set(outcomes.people["age_band"].to_list())
    assert bands <= {*reach.AGE_BANDS, reach.UNKNOWN_BAND} and bands
    assert set(outcomes.people["sex"].to_list()) <= {"F", "M"}


def test_group_table_has_every_dimension_and_adds_up(small_run, campaign):
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=small_run), small_run)
    table = fu.group_table(outcomes)
    total = table.filter(pl.col("dimension") == "overall").row(0, named=True)
    for dimension in ("file_name", "age_band", "sex", "unit"):
        part = table.filter(pl.col("dimension") == dimension)
        assert part["sent"].sum() == total["sent"], dimension
        assert part["read"].sum() == total["read"], dimension
    for dimension in ("send_weekday", "send_hour"):
        part = table.filter(pl.col("dimension") == dimension)
        assert part["n"].sum() == total["n"], dimension
    assert (
        table.filter(pl.col("n") > 0)
        .select(
            ((pl.col("low") <= pl.col("read_rate")) & (pl.col("read_rate") <= pl.col("high"))).all()
        )
        .item()
    )
    assert not math.isnan(total["read_rate"])
