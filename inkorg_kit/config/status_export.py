"""The status-export mapping: how Personalverktyget's export of a campaign maps onto our terms.

Why: regions export sent cases and failed sends with their own column names, labels and time
formats. The campaign's ``followup.status_export`` says how, and is typed when the campaign
loads (not when step 04 runs), so a wrong key is found before anything is sent.

>>> m = StatusExportMapping()
>>> m.columns.pnr, m.label_map()["läst av invånare"], m.reason_map()["saknar inloggning"]
('Personnummer', 'read', 'no_login')
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inkorg_kit.vocab import TIME_ZONE_NAME

__all__ = [
    "ExportColumns",
    "ExportLabels",
    "FailedColumns",
    "FailureReasons",
    "StatusExportMapping",
    "normalise_label",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportColumns(_Model):
    """Column names in the sent-cases file."""

    pnr: str = Field("Personnummer", description="the resident's personnummer")
    sent_at: str = Field("Skickat", description="when the case was sent")
    status: str = Field("Status", description="the case status label (see labels)")
    read_at: str | None = Field("Läst", description="when the resident read it; null: none")
    reason: str | None = Field(
        None, description="failure reason, if failures are rows here", examples=["Orsak"]
    )


class FailedColumns(_Model):
    """Column names in the failed-sends file."""

    pnr: str = Field("Personnummer", description="the resident's personnummer")
    reason: str | None = Field("Orsak", description="why the send failed; null: not given")
    sent_at: str | None = Field(
        None, description="when the send was tried; null: not given", examples=["Försökt"]
    )


class ExportLabels(_Model):
    """Status labels of the sent-cases file, by meaning."""

    read: tuple[str, ...] = Field(
        ("Läst", "Läst av invånare"), description="labels of cases the resident has read"
    )
    unread: tuple[str, ...] = Field(
        ("Oläst", "Oläst av invånare"), description="labels of cases not read yet"
    )
    closed: tuple[str, ...] = Field(
        ("Stängt", "Stängd"), description="labels of cases closed (read time tells if read)"
    )
    failed: tuple[str, ...] = Field(
        ("Misslyckades", "Misslyckat"), description="labels of sends that failed"
    )


class FailureReasons(_Model):
    """Failure reason texts by meaning; any other text counts as ``other``."""

    no_login: tuple[str, ...] = Field(
        ("Saknar inloggning", "Saknar aktiv inloggning"),
        description="reasons meaning the resident has no 1177 login",
    )
    locked: tuple[str, ...] = Field(
        ("Kontot är spärrat", "Spärrat konto"),
        description="reasons meaning the resident's account is locked",
    )


def normalise_label(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class StatusExportMapping(_Model):
    """How a status export maps onto the default layout (``followup.status_export``)."""

    sent_file: str = Field("skickade_arenden.csv", description="sent cases, CSV or XLSX")
    failed_file: str | None = Field(
        "misslyckade_utskick.csv", description="failed sends; null: failures are sent-file rows"
    )
    columns: ExportColumns = Field(
        default_factory=ExportColumns, description="column names in the sent-cases file"
    )
    failed_columns: FailedColumns = Field(
        default_factory=FailedColumns, description="column names in the failed-sends file"
    )
    labels: ExportLabels = Field(
        default_factory=ExportLabels, description="status labels of the sent-cases file, by meaning"
    )
    failure_reasons: FailureReasons = Field(
        default_factory=FailureReasons,
        description="failure reason texts by meaning; any other text counts as other",
    )
    closed_without_read_time: Literal["unread", "unknown"] = Field(
        "unread", description="a closed case with no read time: unread (default) or unknown"
    )
    datetime_format: str | None = Field(
        None,
        description="strftime format of the times; null: ISO-like, e.g. 2027-03-16 09:12",
        examples=["%d.%m.%Y %H:%M"],
    )
    timezone: str = Field(TIME_ZONE_NAME, description="time zone of times without offset")
    sheet: str | int | None = Field(
        None, description="Excel sheet (name or 0-based position)", examples=["Ärenden"]
    )
    encoding: str = Field("auto", description="text encoding of CSV files; auto-detected")
    delimiter: str | None = Field(None, description="CSV delimiter; auto-detected", examples=[";"])

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"{value!r} is not a time zone like Europe/Stockholm") from None
        return value

    @model_validator(mode="after")
    def _labels_distinct(self) -> StatusExportMapping:
        for kind, groups in (
            ("labels", self.labels.model_dump()),
            ("failure_reasons", self.failure_reasons.model_dump()),
        ):
            seen: dict[str, str] = {}
            for meaning, labels in groups.items():
                for label in labels:
                    key = normalise_label(label)
                    if key in seen and seen[key] != meaning:
                        raise ValueError(
                            f"{kind}: the label {label!r} is listed under both"
                            f" {seen[key]!r} and {meaning!r}; give it one meaning"
                        )
                    seen[key] = meaning
        return self

    def label_map(self) -> dict[str, str]:
        """Normalised status label -> category (read, unread, closed, failed)."""
        return {
            normalise_label(lab): cat
            for cat, labs in self.labels.model_dump().items()
            for lab in labs
        }

    def reason_map(self) -> dict[str, str]:
        """Normalised reason text -> failure code (no_login, locked)."""
        return {
            normalise_label(lab): code
            for code, labs in self.failure_reasons.model_dump().items()
            for lab in labs
        }

    def describe_labels(self) -> str:
        return "; ".join(
            f"{cat}: {', '.join(labs) or '(none)'}"
            for cat, labs in self.labels.model_dump().items()
        )
