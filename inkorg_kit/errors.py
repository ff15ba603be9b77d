"""The kit's errors: one base, :class:`InkorgError`, that every error the kit raises derives from.

Why one base: a notebook, a scheduled run or a caller can catch "anything the kit refused"
with one ``except InkorgError`` and let real bugs through. It derives from ``ValueError``
because nearly every refusal is a value the user gave (a file, a key, a setting); errors that
are also something else (a missing file, a failed check) derive from that too, so existing
``except FileNotFoundError`` or ``except AssertionError`` keep working.

Errors with structure (where in a file, which problems) carry it in fields, and their message
says what was wrong, where, and what to do, listing the accepted choices.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AssumptionsError",
    "CampaignError",
    "InkorgError",
    "ParameterError",
    "PasswordError",
    "ReportLeakError",
    "RunFolderError",
    "ScheduleError",
    "TargetError",
    "UsageError",
    "VerificationError",
]


class InkorgError(ValueError):
    """Something the kit refused to do; the message says what, where and what to do."""


class CampaignError(InkorgError):
    """A campaign that cannot be loaded, or that breaks guideline rules and is not overridden.

    ``problems`` holds one line per problem (field path or check id first), ``source`` the file.
    """

    def __init__(
        self, message: str, problems: Sequence[str] = (), source: str | None = None
    ) -> None:
        self.message = message
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


class TargetError(InkorgError):
    """A target group that cannot be selected or simulated: the column, the values, the fix."""


class AssumptionsError(InkorgError):
    """Reach assumptions that cannot be used; the message names the file and field."""


class ScheduleError(InkorgError):
    """Send windows, times or a send plan that cannot be used; the message says which."""


class PasswordError(InkorgError, RuntimeError):
    """No usable archive password: where it was looked for and how to give one."""


class VerificationError(InkorgError, AssertionError):
    """A delivery whose files, manifest or archive do not hold what they should."""


class ReportLeakError(InkorgError):
    """A report would publish a personnummer or a count that must stay hidden."""


class RunFolderError(InkorgError, FileNotFoundError):
    """A run folder lacks what an earlier step writes: which file, and which step to run."""


class ParameterError(InkorgError):
    """A notebook parameter with a value the step cannot use; names it and the accepted ones."""


class UsageError(InkorgError):
    """Nothing was run: an argument, a password or an input is missing; the message says which."""
