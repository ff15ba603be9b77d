"""Target groups: who, in a care-system extract, gets the message, and a funnel saying why.

The ``target:`` block of a campaign YAML is a :class:`TargetSpec`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SqlSource(BaseModel):
    """A query against a database URL (SQLAlchemy style: sqlite:///…, postgresql://…)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="database URL; never put a password here, use url_env")
    query: str = Field(description="SQL that returns one row per care contact")


class AgeRange(BaseModel):
    """Age in whole years at ``at`` (default: the campaign's planned send date)."""

    model_config = ConfigDict(extra="forbid")

    min: int | None = Field(None, ge=0, le=130)
    max: int | None = Field(None, ge=0, le=130)
    at: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"age min {self.min} is above max {self.max}")
        return self


class TargetSpec(BaseModel):
    """Declarative filters, applied in the order listed here; each becomes a funnel step."""

    model_config = ConfigDict(extra="forbid")

    source: str | SqlSource | None = Field(
        None, description="extract file (csv/txt/xlsx/parquet) or an SQL source"
    )
    pnr_column: str = Field("personnummer", description="column holding personnummer")
    unit_column: str = Field("unit_hsa_id", description="column with the unit's HSA-id")
    diagnosis_column: str = Field("icd10", description="column with ICD-10 codes")
    contact_date_column: str = Field("contact_date", description="column with contact dates")
    age: AgeRange | None = None
    sex: str | None = Field(None, description="'F' or 'M' (legal sex from the personnummer)")
    units: list[str] = Field(default_factory=list, description="HSA-ids of sending units")
    diagnosis_prefixes: list[str] = Field(default_factory=list, description="ICD-10 prefixes")
    last_contact_within_days: int | None = Field(None, ge=1)
    last_contact_between: tuple[dt.date, dt.date] | None = None
    include_lists: list[str] = Field(default_factory=list, description="files: keep only these")
    exclude_lists: list[str] = Field(default_factory=list, description="files: drop these")
    exclude_deceased: bool = True
    exclude_protected_identity: bool = True
    exclude_opted_out: bool = True
    frequency_cap_days: int | None = Field(
        None, ge=1, description="drop anyone messaged by an earlier campaign within N days"
    )
    earlier_runs: str | None = Field(
        None, description="folder holding earlier campaigns' run folders (for the cap)"
    )

    @property
    def has_contact_recency_filter(self) -> bool:
        """True when the spec demands recent ("ongoing") contact, as the guidelines require."""
        return self.last_contact_within_days is not None or self.last_contact_between is not None
