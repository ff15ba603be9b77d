"""The orderer's report from a follow-up to a checked file: the Swedish notes about the export,
the leak check, and the one atomic, owner-only write.

Why a module of its own: nothing leaves the kit unchecked. Before the file is written the whole
text is scanned with :func:`inkorg_kit.pnr.find_in_text` (a personnummer, even masked) and for
scripts or network links, and writing is refused (:class:`~inkorg_kit.errors.ReportLeakError`)
if anything is found. The analyst's English warnings stay in the notebook.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inkorg_kit._files import write_private_text
from inkorg_kit.errors import ReportLeakError
from inkorg_kit.followup import FollowupLists, Outcomes, Uptake
from inkorg_kit.pnr import find_in_text
from inkorg_kit.report.disclosure import MIN_GROUP_SIZE
from inkorg_kit.report.html import render_report
from inkorg_kit.report.published import Published, disclose
from inkorg_kit.report.tables import few_text
from inkorg_kit.run import RunFolder

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = ["check_html", "orderer_notes", "orderer_report", "report_path", "write_report"]

_EXTERNAL = re.compile(
    r"<script|<link|<iframe|<object|<embed|@import|url\(\s*['\"]?https?:|"
    r"(?:src|href)\s*=\s*['\"]?\s*(?:https?:|//)",
    re.IGNORECASE,
)


def orderer_notes(outcomes: Outcomes, min_group_size: int = MIN_GROUP_SIZE) -> list[str]:
    """Swedish notes for the orderer about the export itself (the analyst's English warnings
    in ``outcomes.warnings`` stay in the notebook)."""
    notes = []
    if not getattr(outcomes, "failures_listed", True):
        notes.append(
            "Listan över misslyckade utskick fanns inte med i statusexporten. De vars utskick"
            " misslyckades syns därför som att de saknas i statusexporten, och de finns på"
            " uppföljningslistan för dem."
        )
    summary = outcomes.export_summary
    rejected = int(summary.get("rejected", 0))
    if rejected:
        notes.append(
            f"{few_text(rejected, min_group_size)} rader i statusexporten saknade ett giltigt"
            " personnummer och kunde inte räknas med."
        )
    flawed = int(summary.get("with_problems", 0))
    if flawed:
        notes.append(
            f"{few_text(flawed, min_group_size)} rader i statusexporten hade felaktiga uppgifter"
            " (till exempel en okänd status eller en lästid före sändtiden). De räknas med, men"
            " inte i tiden till läsning, och den som har okänd lässtatus följs upp som oläst."
        )
    return notes


def check_html(text: str) -> list[str]:
    """What is wrong with a report text: masked personnummer found, scripts or network links."""
    problems = [f"personnummer {p}" for p in find_in_text(text)]
    for match in _EXTERNAL.finditer(text):
        problems.append(f"external or active content {match.group(0)!r}")
    return problems


def write_report(
    path: str | os.PathLike[str],
    html_text: str | None = None,
    *,
    published: Published | None = None,
    **parts: Any,
) -> Path:
    """Check, audit and write the report (atomic, owner-only; the owner shares it on purpose).

    Give the HTML text, or ``published`` (:func:`~inkorg_kit.report.disclose`) and the other
    keyword arguments of :func:`~inkorg_kit.report.html.render_report`. Raises
    :class:`ReportLeakError`, writing nothing, if the text holds a personnummer (shown masked),
    a script or a network link, or if ``published`` fails its audit
    (:meth:`~inkorg_kit.report.published.Published.audit`: a count from 1 to 4 shown, or one
    that can be worked out exactly from everything shown).
    """
    small = [] if published is None else published.audit().problems()
    text = html_text
    if text is None:
        if published is None:
            raise TypeError("write_report needs the HTML text or published=disclose(...)")
        text = render_report(published=published, **parts)
    problems = [f"small number: {p}" for p in small] + check_html(text)
    if problems:
        advice = (
            " (the small-number audit failed: nothing was written; try a larger"
            " min_group_size, and report the case to the kit's maintainers)"
            if small
            else ""
        )
        raise ReportLeakError(
            f"the report was not written to {path}: it holds {len(problems)} thing(s) that"
            f" must not leave the kit: {', '.join(problems[:5])}{advice}"
        )
    return write_private_text(path, text)


def report_path(report_dir: str | os.PathLike[str], campaign: Campaign | str) -> Path:
    """Where the report goes: ``<report_dir>/<campaign>_uppfoljning.html`` (the run-folder
    artefact ``report_html``, in ``report_dir``)."""
    name = getattr(campaign, "name", None) or str(campaign)
    return RunFolder(report_dir, name).path("report_html")


def orderer_report(
    report_dir: str | os.PathLike[str],
    campaign: Campaign,
    outcomes: Outcomes,
    lists: FollowupLists | None = None,
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    generated_at: dt.datetime | None = None,
    uptake: Uptake | None = None,
) -> Path:
    """Compute the report's figures from :class:`inkorg_kit.followup.Outcomes` (and the
    :class:`~inkorg_kit.followup.FollowupLists`), protected together
    (:func:`~inkorg_kit.report.disclose`), audit them, write the report to
    :func:`report_path` and return it. ``uptake``: the outcome follow-up, shown in its own
    section under the same protection."""
    return write_report(
        report_path(report_dir, campaign),
        published=disclose(outcomes, lists, min_group_size, uptake=uptake),
        campaign=campaign,
        exported_at=outcomes.exported_at,
        generated_at=generated_at,
        notes=orderer_notes(outcomes, min_group_size),
    )
