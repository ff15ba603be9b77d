"""Overrides: a person's written decision to go ahead despite guideline errors.

Why: some campaigns go out although a rule is broken (a research recruitment the region has
decided on, say). That is a decision, and it is recorded: who decided and why (a reason of
substance, personnummer masked), for exactly which errors (each check with its message), and
when. An override that covers other errors, even of the same check, does not count.

>>> reason_problem("ok") is None, reason_problem(REASON_EXAMPLE) is None
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from inkorg_kit.guidelines.findings import Finding
from inkorg_kit.privacy import mask_in_text

__all__ = [
    "MIN_REASON_CHARS",
    "MIN_REASON_WORDS",
    "REASON_EXAMPLE",
    "Override",
    "error_keys",
    "reason_problem",
    "reason_text",
]

#: An override reason must say who decided and why: at least this many words and characters.
MIN_REASON_WORDS = 3
MIN_REASON_CHARS = 15
REASON_EXAMPLE = "Beslut av verksamhetschef Johan Ekström 2027-02-01, dnr 123"


def reason_text(reason: str | None) -> str:
    """The reason on one line, personnummer masked (it goes into reports and the manifest)."""
    return mask_in_text(" ".join((reason or "").split()))


def reason_problem(reason: str) -> str | None:
    """Why a reason is too thin to go ahead on, or None when it will do."""
    if len(reason.split()) >= MIN_REASON_WORDS and len(reason) >= MIN_REASON_CHARS:
        return None
    return (
        f"override_reason {reason!r} is too short to go ahead on: write who decided and why, at"
        f" least {MIN_REASON_WORDS} words and {MIN_REASON_CHARS} characters, e.g."
        f" {REASON_EXAMPLE!r}"
    )


def error_keys(findings: Iterable[Finding]) -> set[tuple[str, str]]:
    """Each finding as (check, message): what an override is given for."""
    return {(f.check, f.message) for f in findings}


@dataclass(frozen=True)
class Override:
    """A person's written decision to go ahead despite errors; goes into the manifest.

    It covers exactly the errors it was given for (each check with its message): an error it
    does not list, even of the same check, needs a new override (:meth:`covers`).
    """

    campaign: str
    reason: str
    errors: tuple[str, ...]
    messages: tuple[str, ...]
    overridden_at: str

    def covers(self, errors: Iterable[Finding]) -> bool:
        """True when every one of ``errors`` (findings) is one this override was given for."""
        given = set(zip(self.errors, self.messages, strict=False))
        return error_keys(errors) <= given

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "reason": self.reason,
            "errors": list(self.errors),
            "messages": list(self.messages),
            "overridden_at": self.overridden_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Override:
        return cls(
            campaign=str(data["campaign"]),
            reason=str(data["reason"]),
            errors=tuple(data["errors"]),
            messages=tuple(data.get("messages", ())),
            overridden_at=str(data["overridden_at"]),
        )
