"""What arrives after the demo campaign is sent, for one test's own run folder: the synthetic
status export and the bookings extract the demo's ``followup.outcome`` names.

Why a campaign file of its own: the demo campaign names ``out/demo/outcomes.csv`` in the
repository, which ``inkorg-kit demo`` writes for its own run folder. Tests that build run
folders of their own (in parallel, each with other recipients) must not share that one file,
so each gets a copy of the demo campaign whose outcome extract lies beside its run folder.
"""

from __future__ import annotations

from pathlib import Path

from inkorg_kit.config.campaign import Campaign, load_campaign
from inkorg_kit.demo.outcomes import write_outcome_extract
from inkorg_kit.demo.status_export import write_status_export

from .paths import DEMO_CAMPAIGN

__all__ = ["DEMO_OUTCOME_SOURCE", "demo_campaign_beside", "write_after_sending"]

#: The demo campaign's outcome source, as its YAML says it.
DEMO_OUTCOME_SOURCE = "../../out/demo/outcomes.csv"


def demo_campaign_beside(run: Path) -> Path:
    """A copy of the demo campaign beside ``run`` (``<run>.campaign.yaml``): the same campaign,
    with its extract paths absolute and its outcome extract at ``<run>.outcomes.csv``."""
    text = DEMO_CAMPAIGN.read_text(encoding="utf-8")
    assert f"source: {DEMO_OUTCOME_SOURCE}" in text, "the demo's outcome source moved"
    extract = (DEMO_CAMPAIGN.parent / "../../out/demo/extract.csv").resolve()
    text = text.replace(f"source: {DEMO_OUTCOME_SOURCE}", f"source: {run}.outcomes.csv")
    text = text.replace("source: ../../out/demo/extract.csv", f"source: {extract}")
    path = Path(f"{run}.campaign.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_after_sending(run: Path, *, seed: int = 0, **options: object) -> Campaign:
    """The status export into ``run`` and the bookings beside it; returns the campaign whose
    ``followup.outcome`` reads them (its file: :func:`demo_campaign_beside`)."""
    campaign = load_campaign(demo_campaign_beside(run))
    write_status_export(run, campaign, seed=seed, **options)
    write_outcome_extract(run, campaign, seed=seed)
    return campaign
