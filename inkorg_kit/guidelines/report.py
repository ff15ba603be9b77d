"""The check report: every rule applied to one campaign, as the checklist notebook 00 shows and
writes (JSON for later steps, Markdown for people, CSV for Excel), and the go/no-go on it.

Why: the analyst shows the orderer *why* before a single recipient file is cut, and later
steps read the same verdict from the run folder. :meth:`CheckReport.require_ok` stops on
errors unless a person writes down why they go ahead anyway (an
:class:`~inkorg_kit.guidelines.override.Override`, kept in the report and the manifest);
re-running the check keeps an override recorded for the same errors.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import polars as pl

from inkorg_kit._files import ensure_private_dir, write_private_text
from inkorg_kit.errors import CampaignError
from inkorg_kit.guidelines.findings import STATUS_LABELS, Finding
from inkorg_kit.guidelines.override import Override, reason_problem, reason_text
from inkorg_kit.guidelines.sources import Guideline
from inkorg_kit.io.people_csv import write_people_csv
from inkorg_kit.run import ARTEFACTS, RunFolder
from inkorg_kit.run.io import load_json_file
from inkorg_kit.run.schemas import FRAME_SCHEMAS, CampaignCheckRecord
from inkorg_kit.vocab import TIME_ZONE

__all__ = ["REPORT_FILES", "CheckReport", "now", "stored_override"]

#: The report's files in the run folder, by format (the run-folder artefacts of step 00).
REPORT_FILES = {
    "json": ARTEFACTS["campaign_check_json"].path,
    "markdown": ARTEFACTS["campaign_check_md"].path,
    "csv": ARTEFACTS["campaign_check_csv"].path,
}


def now() -> str:
    """The current Swedish time, to the second, as ISO text (for checks and overrides)."""
    return dt.datetime.now(TIME_ZONE).isoformat(timespec="seconds")


@dataclass
class CheckReport:
    """Every rule applied to one campaign; the checklist notebook 00 shows and later steps read."""

    campaign: str
    title: str
    findings: tuple[Finding, ...]
    checked_at: str = field(default_factory=now)
    override: Override | None = None
    # an override found in the run folder for other errors: named when require_ok refuses
    _earlier: Override | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "warning"]

    @property
    def passed(self) -> list[Finding]:
        return [f for f in self.findings if f.passed]

    @property
    def ok(self) -> bool:
        """True when no rule of severity error is broken (warnings allowed)."""
        return not self.errors

    def finding(self, check_id: str) -> Finding:
        for f in self.findings:
            if f.check == check_id:
                return f
        raise KeyError(f"no check {check_id!r}; known: {', '.join(f.check for f in self.findings)}")

    def summary(self) -> str:
        """One Swedish line: how many passed, warnings, errors."""
        text = (
            f"{len(self.passed)} av {len(self.findings)} kontroller godkända,"
            f" {len(self.warnings)} varning(ar), {len(self.errors)} fel."
        )
        if self.errors and self.override is not None and self.override.covers(self.errors):
            text += f" Felen är åsidosatta: {self.override.reason}"
        return text

    def to_frame(self) -> pl.DataFrame:
        """One row per check; errors first, then warnings, then passed."""
        order = {"error": 0, "warning": 1, "ok": 2}
        rows = sorted((f.to_dict() for f in self.findings), key=lambda row: order[row["status"]])
        schema = FRAME_SCHEMAS["campaign_check_csv"].columns  # the run-folder contract's
        return pl.DataFrame(rows, schema=schema, orient="row")

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "title": self.title,
            "checked_at": self.checked_at,
            "ok": self.ok,
            "counts": {
                "checks": len(self.findings),
                "passed": len(self.passed),
                "warnings": len(self.warnings),
                "errors": len(self.errors),
            },
            "override": self.override.to_dict() if self.override else None,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON (atomically); later notebooks read it with from_json."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return write_private_text(path, text)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CheckReport:
        """Read a report written by :meth:`to_json` (e.g. by notebook 00 into the run folder)."""
        path = Path(path)
        if not path.is_file():
            raise CampaignError(
                f"{path}: no campaign check report; run notebook 00_campaign_check first",
                source=str(path),
            )
        # validated (CampaignCheckRecord): a report that is not what step 00 writes is an
        # InkorgError naming the file and the key
        record = cast(CampaignCheckRecord, load_json_file(path, "campaign_check_json"))
        override = record.override
        return cls(
            campaign=record.campaign,
            title=record.title,
            findings=tuple(Finding.from_dict(f.model_dump()) for f in record.findings),
            checked_at=record.checked_at,
            override=Override.from_dict(override.model_dump()) if override else None,
        )

    def to_markdown(self) -> str:
        """The checklist for people: a heading, the summary, a table with the guidelines."""

        def cell(text: str) -> str:
            return " ".join(str(text).split()).replace("|", "\\|")

        lines = [
            f"## Kontroll mot riktlinjerna: {cell(self.title)} (`{self.campaign}`)",
            "",
            self.summary(),
            "",
        ]
        if self.override is not None:
            lines += [
                f"**Åsidosatt** {self.override.overridden_at}:"
                f" {cell(self.override.reason)} (fel: {', '.join(self.override.errors)})",
                "",
            ]
        lines += ["| Resultat | Kontroll | Meddelande | Riktlinje |", "| --- | --- | --- | --- |"]
        for row in self.to_frame().iter_rows(named=True):
            where = Guideline(row["seed"], row["document"], row["quote"]).where
            source = f'{where}: "{row["quote"]}"'
            lines.append(
                f"| {STATUS_LABELS[row['status']]} | {cell(row['label'])} (`{row['check']}`)"
                f" | {cell(row['message'])} | {cell(source)} |"
            )
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """The table as CSV for Swedish Excel (:func:`~inkorg_kit.io.people_csv.write_people_csv`:
        UTF-8 with BOM, ``;``, CRLF)."""
        return write_people_csv(self.to_frame(), path)

    def write(
        self, run_dir: str | os.PathLike[str], *, override_reason: str | None = None
    ) -> dict[str, Path]:
        """Write JSON, Markdown and CSV into ``run_dir`` (private: folder 0700, files 0600).

        With errors: a reason of substance is recorded as an override; without a new reason,
        an override already in ``run_dir``'s report for this campaign is kept when it covers
        the same errors (so re-running notebook 00 does not wipe it out). Writing never raises
        on guideline errors or a thin reason: the analyst gets the checklist either way. Call
        :meth:`require_ok` afterwards to stop the run.
        """
        run = RunFolder(ensure_private_dir(run_dir, tighten=True), self.campaign)
        reason = reason_text(override_reason)
        if self.errors and reason and reason_problem(reason) is None:
            self._record_override(reason)
        elif self.errors and not reason and self.override is None:
            stored = stored_override(run.path("campaign_check_json"), self)
            if stored is not None and stored.covers(self.errors):
                self.override = stored
            else:
                self._earlier = stored
        return {
            "json": self.to_json(run.path("campaign_check_json")),
            "markdown": write_private_text(run.path("campaign_check_md"), self.to_markdown()),
            "csv": self.to_csv(run.path("campaign_check_csv")),
        }

    def _record_override(self, reason: str) -> Override:
        reason = reason_text(reason)
        errors = self.errors
        current = self.override
        if current is not None and current.reason == reason and current.covers(errors):
            return current
        self.override = Override(
            campaign=self.campaign,
            reason=reason,
            errors=tuple(f.check for f in errors),
            messages=tuple(f.message for f in errors),
            overridden_at=now(),
        )
        return self.override

    def require_ok(self, override_reason: str | None = None) -> Override | None:
        """Go/no-go for steps that write recipient files.

        No errors: returns None. Errors and an ``override_reason`` of substance (at least
        :data:`~inkorg_kit.guidelines.override.MIN_REASON_WORDS` words,
        :data:`~inkorg_kit.guidelines.override.MIN_REASON_CHARS` characters): returns (and
        records) an :class:`Override` for the manifest. Errors, no reason, but an override
        already recorded in this report that covers exactly these errors (e.g. given to
        notebook 00): returns that. Otherwise raises :class:`CampaignError` listing each
        error with its guideline.
        """
        errors = self.errors
        if not errors:
            return None
        reason = reason_text(override_reason)
        if reason:
            problem = reason_problem(reason)
            if problem is not None:
                raise CampaignError(
                    f"campaign {self.campaign!r}: {problem}",
                    [f"{f.check}: {f.message}" for f in errors],
                )
            return self._record_override(reason)
        if self.override is not None and self.override.covers(errors):
            return self.override
        problems = [f"{f.check}: {f.message} — {f.guideline.cite()}" for f in errors]
        stale = ""
        earlier = self.override or self._earlier
        if earlier is not None:
            stale = (
                " (the override recorded earlier was given for other errors: "
                f"{', '.join(earlier.errors)}; these need a reason of their own)"
            )
        raise CampaignError(
            f"campaign {self.campaign!r} breaks {len(errors)} guideline rule(s){stale}; fix the"
            " campaign, or give override_reason with a written reason to go ahead anyway (who"
            " decided and why; it is recorded in the manifest)",
            problems,
        )


def stored_override(path: Path, report: CheckReport) -> Override | None:
    """The override in an earlier report at ``path`` for this campaign, if any (whether it
    covers the report's errors is for the caller to ask)."""
    if not path.is_file():
        return None
    try:
        stored = CheckReport.from_json(path)
    except (CampaignError, ValueError, KeyError, TypeError):
        return None  # an unreadable old report is replaced, its override not carried over
    return stored.override if stored.campaign == report.campaign else None
