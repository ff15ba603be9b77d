"""The ``followup.outcome`` block of a campaign, typed: :class:`OutcomeSpec`.

Why: the orderer wants to know whether residents did what the message asked (booked the
blood-pressure check, came to the screening, got vaccinated, answered), not only whether they
read it. That comes from a later extract (a file or an SQL query, read like the target
extract: :mod:`inkorg_kit.target.extract`) with one row per event: the resident's personnummer,
the event's date and optionally its kind. This block says where it is and how its columns are
named; :mod:`inkorg_kit.followup.uptake` reads it. The model reads nothing.

A column key that is not set takes the first column named one of :data:`OUTCOME_COLUMN_NAMES`
(case, spaces, hyphens and dots do not count), as the target extract's keys do.

>>> spec = OutcomeSpec(source="bokningar.csv", event="bokat blodtryckskontroll")
>>> spec.date_column, horizon_days(spec, "kallelse"), horizon_days(spec, "vaccination")
('event_date', 30, 60)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inkorg_kit.config.target_spec import (
    COLUMN_NAMES,
    URL_AS_TEXT,
    SqlSource,
    parse_sql_source,
)

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "FALLBACK_HORIZON_DAYS",
    "OUTCOME_COLUMN_NAMES",
    "OutcomeSpec",
    "horizon_days",
]

#: Days after the message within which the event counts, by the campaign's category, when
#: ``horizon_days`` is not set. Assumption: a kallelse or an invitation to book is acted on
#: within a month (most bookings follow within days of reading; 1177 closes unanswered cases
#: after 14 days by default, and reminders go out within 1-2 weeks); screening and
#: vaccination appointments are often given weeks ahead, so their visit falls within two
#: months; answers to a survey or PROM come within two weeks or not at all.
DEFAULT_HORIZON_DAYS: dict[str, int] = {
    "kallelse": 30,
    "self_booking": 30,
    "rebooking": 30,
    "before_visit": 30,
    "screening": 60,
    "vaccination": 60,
    "survey": 14,
    "prom_prem": 14,
    "research_recruitment": 30,
}
#: The horizon of any other category. Assumption: as a kallelse (a month).
FALLBACK_HORIZON_DAYS = 30

#: The column names each column key takes when it is not set, first match wins.
OUTCOME_COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "pnr_column": COLUMN_NAMES["pnr_column"],
    "date_column": (
        "event_date", "datum", "händelsedatum", "bokningsdatum", "bokad_datum", "besöksdatum",
        "vaccinationsdatum", "svarsdatum", "date",
    ),
    "kind_column": (
        "kind", "event_kind", "händelse", "händelsetyp", "typ", "åtgärd", "kategori",
    ),
}  # fmt: skip


class OutcomeSpec(BaseModel):
    """Where the outcome extract is and how it is read (one row per event)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    source: str | SqlSource = Field(
        description=(
            "outcome extract (csv/txt/xlsx/parquet, relative to the campaign file), or an SQL"
            " block {url_env: NAME, query: SQL}"
        ),
        examples=["bokningar.xlsx"],
    )
    event: str = Field(
        description="what residents were asked to do, in Swedish, as the report says it",
        examples=["bokat blodtryckskontroll"],
    )
    horizon_days: int | None = Field(
        None,
        ge=1,
        le=365,
        description=(
            "days after the message within which the event counts; default from the category"
            " (kallelse 30, screening and vaccination 60, survey 14, else 30)"
        ),
        examples=[30],
    )
    kinds: list[str] = Field(
        default_factory=list,
        description="count only events of these kinds (values of kind_column); empty: all",
        examples=[["Blodtryckskontroll"]],
    )
    header_row: int | None = Field(
        None,
        ge=1,
        description="the row of the header as Excel or an editor numbers it (default: found)",
        examples=[1],
    )
    pnr_column: str = Field(
        "personnummer",
        description="column holding personnummer (default: Personnummer, Pnr, Personnr, …)",
        examples=["Personnummer"],
    )
    date_column: str = Field(
        "event_date",
        description="column with the event's date (default: event_date, Datum,"
        " Bokningsdatum, Besöksdatum, Vaccinationsdatum, …)",
        examples=["Bokningsdatum"],
    )
    kind_column: str | None = Field(
        None,
        description="column with the event's kind (needed for kinds; default: kind,"
        " Händelse, Typ, Åtgärd, …)",
        examples=["Åtgärd"],
    )
    date_format: str | None = Field(
        None,
        description="strftime format of the dates, e.g. %d/%m/%Y (default: YYYY-MM-DD,"
        " optionally with a time)",
        examples=["%Y-%m-%d"],
    )
    extracted_on: dt.date | None = Field(
        None,
        description="the day the extract was taken, YYYY-MM-DD: residents are followed up to"
        " it (default: the latest event date in the extract)",
        examples=["2027-05-10"],
    )

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: object) -> object:
        if isinstance(value, SqlSource):
            return value
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if isinstance(value, str):
            text = value.strip()
            if "://" in text:
                raise ValueError(URL_AS_TEXT)
            if not text:
                raise ValueError("source is empty: give the outcome extract's file or SQL block")
            return text
        if isinstance(value, Mapping):
            return parse_sql_source(value)
        raise ValueError(
            "source is a file path (e.g. bokningar.csv, relative to the campaign file) or an"
            " SQL block {url_env: INKORG_DB_URL, query: 'SELECT …'}"
        )

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        text = " ".join(value.split())
        if not text:
            raise ValueError(
                "event is empty: say what residents were asked to do, e.g. 'bokat"
                " blodtryckskontroll'"
            )
        return text

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        kinds = [" ".join(str(k).split()) for k in value]
        if any(not k for k in kinds):
            raise ValueError("kinds holds an empty value; list the kinds to count, or leave it")
        return list(dict.fromkeys(kinds))

    @field_validator("date_format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(
                f"date_format {value!r} is not a strftime format; write e.g. %Y-%m-%d or %d/%m/%Y"
            )
        return value

    @field_validator("extracted_on", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if value is None or isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"extracted_on: {value!r} is not a date; write YYYY-MM-DD") from None

    def describe(self) -> str:
        """Where the rows come from, safe to show (no URL password)."""
        return self.source.describe() if isinstance(self.source, SqlSource) else str(self.source)


def horizon_days(spec: OutcomeSpec, category: str | None) -> int:
    """The spec's horizon, else the default of the campaign's category."""
    if spec.horizon_days is not None:
        return spec.horizon_days
    return DEFAULT_HORIZON_DAYS.get(str(category or ""), FALLBACK_HORIZON_DAYS)
