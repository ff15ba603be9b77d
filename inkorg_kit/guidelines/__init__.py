"""The guidelines of 1177 inkorg: the rules a campaign must follow, the check, its report, and
the gate that lets recipient files go out.

Why: a bulk message to residents' 1177 inbox is allowed only for some purposes, only between a
unit and residents who have an ongoing care relation, and it must say who sends it, why, how
answers are used and where to turn (seeds 000, 001, 003, 004; DOMAIN.md "What may be sent").
:func:`check` turns every rule (:data:`RULES`) into a named :class:`Finding` with a severity
and the guideline sentence it comes from; :meth:`CheckReport.require_ok` stops later steps on
errors unless a person writes down why they go ahead anyway (an :class:`Override`, recorded in
the manifest); :func:`sendable` is notebook 02's gate. Every finding's message is masked.

The modules: ``sources`` (the seed quotes), ``findings``, ``content_checks``,
``relation_checks``, ``sending_checks``, ``rules`` (the registry), ``override``, ``report``,
``gate``.
"""

from inkorg_kit.guidelines.content_checks import ATTACHMENT_SUFFIXES, FORBIDDEN_CATEGORIES
from inkorg_kit.guidelines.findings import STATUS_LABELS, Finding, Outcome, Severity
from inkorg_kit.guidelines.gate import (
    check,
    ensure_sendable,
    guideline_check,
    override_dict,
    recorded_overrides,
    sendable,
)
from inkorg_kit.guidelines.override import (
    MIN_REASON_CHARS,
    MIN_REASON_WORDS,
    REASON_EXAMPLE,
    Override,
    error_keys,
    reason_problem,
    reason_text,
)
from inkorg_kit.guidelines.relation_checks import REGION_WIDE_CATEGORIES
from inkorg_kit.guidelines.report import REPORT_FILES, CheckReport, stored_override
from inkorg_kit.guidelines.rules import RULES, Rule
from inkorg_kit.guidelines.sending_checks import NEEDS_OTHER_CHANNEL
from inkorg_kit.guidelines.sources import DOCUMENTS, DOMAIN, Guideline

__all__ = [
    "ATTACHMENT_SUFFIXES",
    "DOCUMENTS",
    "DOMAIN",
    "FORBIDDEN_CATEGORIES",
    "MIN_REASON_CHARS",
    "MIN_REASON_WORDS",
    "NEEDS_OTHER_CHANNEL",
    "REASON_EXAMPLE",
    "REGION_WIDE_CATEGORIES",
    "REPORT_FILES",
    "RULES",
    "STATUS_LABELS",
    "CheckReport",
    "Finding",
    "Guideline",
    "Outcome",
    "Override",
    "Rule",
    "Severity",
    "check",
    "ensure_sendable",
    "error_keys",
    "guideline_check",
    "override_dict",
    "reason_problem",
    "reason_text",
    "recorded_overrides",
    "sendable",
    "stored_override",
]
