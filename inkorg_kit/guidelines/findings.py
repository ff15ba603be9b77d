"""Findings: one guideline rule applied to one campaign, passed or not, in words for analysts.

Why apart: the checks produce :data:`Outcome` tuples, the rules turn them into
:class:`Finding` objects, and the report, the manifest and the orderer's HTML read findings
(also back from ``campaign_check.json``). The shape they share lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from inkorg_kit.guidelines.sources import Guideline

__all__ = ["STATUS_LABELS", "Finding", "Outcome", "Severity", "short_text"]

Severity = Literal["error", "warning"]
#: A finding's status as people see it (Swedish).
STATUS_LABELS = {"ok": "OK", "warning": "VARNING", "error": "FEL"}

#: What a check returns: passed or not, the message, and (optionally) the guideline that
#: applies instead of the rule's own (e.g. the survey exception).
Outcome = tuple[bool, str] | tuple[bool, str, Guideline]


def short_text(text: str, limit: int = 80) -> str:
    """A campaign text on one line, cut to ``limit`` characters (for a finding's message)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Finding:
    """One rule applied to one campaign: passed or not, and why, in words for analysts."""

    check: str
    label: str
    severity: Severity
    passed: bool
    message: str
    guideline: Guideline

    @property
    def status(self) -> str:
        """'ok', 'warning' or 'error' (the severity, when the rule is broken)."""
        return "ok" if self.passed else self.severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "label": self.label,
            "severity": self.severity,
            "passed": self.passed,
            "status": self.status,
            "message": self.message,
            "seed": self.guideline.seed,
            "document": self.guideline.document,
            "quote": self.guideline.quote,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        guideline = Guideline(str(data["seed"]), str(data["document"]), str(data["quote"]))
        return cls(
            check=str(data["check"]),
            label=str(data["label"]),
            severity=data["severity"],
            passed=bool(data["passed"]),
            message=str(data["message"]),
            guideline=guideline,
        )
