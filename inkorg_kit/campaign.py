"""Campaigns and their guideline check, under the import path notebooks and the README use.

A facade (nothing is defined here): the typed campaign and its loading live in
:mod:`inkorg_kit.config.campaign` (blocks and vocabularies in
:mod:`inkorg_kit.config.campaign_parts`), the rules, the check, its report and overrides in
:mod:`inkorg_kit.guidelines`. Notebooks keep writing ``from inkorg_kit import campaign as cp``,
``cp.load_campaign(...)``, ``cp.check(kampanj)``. Code inside the package imports from the
defining modules, never from here.

>>> is_hsa_id("SE2321000032-ABC123"), is_hsa_id("2321000032")
(True, False)
"""

from inkorg_kit.config.campaign import Campaign, load_campaign, parse_campaign
from inkorg_kit.config.campaign_parts import (
    CATEGORIES,
    HSA_ID_EXAMPLE,
    RELATION_LABELS,
    TEMPLATES,
    Category,
    Followup,
    Message,
    Orderer,
    Relation,
    RelationBasis,
    Sender,
    Sending,
    Unit,
    is_hsa_id,
)
from inkorg_kit.errors import CampaignError
from inkorg_kit.guidelines import (
    ATTACHMENT_SUFFIXES,
    DOMAIN,
    FORBIDDEN_CATEGORIES,
    MIN_REASON_CHARS,
    MIN_REASON_WORDS,
    NEEDS_OTHER_CHANNEL,
    REASON_EXAMPLE,
    REGION_WIDE_CATEGORIES,
    REPORT_FILES,
    RULES,
    CheckReport,
    Finding,
    Guideline,
    Override,
    Rule,
    Severity,
    check,
    ensure_sendable,
)

__all__ = [
    "ATTACHMENT_SUFFIXES",
    "CATEGORIES",
    "DOMAIN",
    "FORBIDDEN_CATEGORIES",
    "HSA_ID_EXAMPLE",
    "MIN_REASON_CHARS",
    "MIN_REASON_WORDS",
    "NEEDS_OTHER_CHANNEL",
    "REASON_EXAMPLE",
    "REGION_WIDE_CATEGORIES",
    "RELATION_LABELS",
    "REPORT_FILES",
    "RULES",
    "TEMPLATES",
    "Campaign",
    "CampaignError",
    "Category",
    "CheckReport",
    "Finding",
    "Followup",
    "Guideline",
    "Message",
    "Orderer",
    "Override",
    "Relation",
    "RelationBasis",
    "Rule",
    "Sender",
    "Sending",
    "Severity",
    "Unit",
    "check",
    "ensure_sendable",
    "is_hsa_id",
    "load_campaign",
    "parse_campaign",
]
