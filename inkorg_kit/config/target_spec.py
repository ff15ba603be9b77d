"""The ``target:`` block of a campaign, typed: :class:`TargetSpec`, :class:`AgeRange` and
:class:`SqlSource`.

Why here, with the other typed settings: the campaign model holds a :class:`TargetSpec`, and
:mod:`inkorg_kit.target` applies it to an extract. The models only state and check the
filters (their order is the order of the funnel); they read nothing. Values people write
are normalised on the way in: sex words (:data:`inkorg_kit.vocab.SEX_WORDS`), ICD-10 codes
without dots, commas and spaces (:func:`icd_key`), HSA-ids stripped, dates as YYYY-MM-DD.

Extracts from care systems name their columns in Swedish: a column key that is not set takes
the first column whose name is one of :data:`COLUMN_NAMES` (case, spaces, hyphens and dots do
not count: ``Vårdenhetens HSA-id`` is ``vardenhetens_hsa_id``'s spelling); a key that is set
names its column exactly. List files are a path, or ``{path: …, column: …}`` (:class:`ListFile`)
when the personnummer column cannot be told by its name.

A database URL is never shown with its password (``user:password@``, ``password=``,
``PWD=``: :func:`~inkorg_kit.privacy.redact_secrets`), and a URL given as plain text is
refused: use an SQL block with ``url_env``. An SQL block that is wrong gives one line
(:func:`parse_sql_source`), not pydantic's union internals.

>>> spec = TargetSpec(sex="kvinnor", diagnosis_prefixes=["e11.9"], age={"min": 40})
>>> spec.sex, spec.diagnosis_prefixes, spec.age.min
('F', ['E119'], 40)
>>> SqlSource(url_env="INKORG_DB_URL", query="SELECT 1").describe()
'SQL via $INKORG_DB_URL'
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from inkorg_kit.privacy import redact_secrets
from inkorg_kit.vocab import SEX_WORDS

__all__ = [
    "COLUMN_NAMES",
    "LIST_FIELDS",
    "URL_AS_TEXT",
    "AgeRange",
    "ListFile",
    "SqlSource",
    "TargetSpec",
    "icd_key",
    "list_column",
    "list_path",
    "parse_sql_source",
]

_ICD_PREFIX = re.compile(r"^[A-Z][0-9A-Z]{0,6}$")
_HSA_LIKE = re.compile(r"^SE(?:16)?\d{10}-[A-Za-z0-9]+$")

URL_AS_TEXT = (
    "a database URL cannot be given as plain text (it would be shown and kept with the"
    " parameters); give an SQL block with the URL in an environment variable instead:"
    " source: {url_env: INKORG_DB_URL, query: 'SELECT … FROM …'}"
)


#: The column names each column key takes when it is not set, first match wins: the English
#: default, then Swedish spellings as Cosmic, TakeCare and other care systems write them.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "pnr_column": (
        "personnummer", "pnr", "personnr", "person_nr", "pers_nr", "patient_pnr",
        "patientens_personnummer", "patient_personnummer", "personnummer_samordningsnummer",
        "ssn",
    ),
    "unit_column": (
        "unit_hsa_id", "vårdenhetens_hsa_id", "vårdenhet_hsa_id", "enhetens_hsa_id",
        "enhet_hsa_id", "hsa_id", "vårdenhet", "enhet",
    ),
    "diagnosis_column": (
        "icd10", "icd_10", "diagnoskod", "diagnoskoder", "diagnos", "diagnoser", "huvuddiagnos",
    ),
    "contact_date_column": (
        "contact_date", "besöksdatum", "kontaktdatum", "vårdkontaktdatum", "besöksdag",
    ),
    "deceased_column": (
        "deceased", "avliden", "avliden_datum", "avlidendatum", "dödsdatum", "död",
    ),
    "protected_identity_column": (
        "protected_identity", "skyddad_identitet", "sekretessmarkering",
        "skyddad_folkbokföring", "skyddade_personuppgifter", "sekretess",
    ),
    "opted_out_column": (
        "opted_out", "avböjt", "avböjt_meddelanden", "avböjt_digitala_meddelanden",
        "avböjt_utskick", "reservation", "reserverad", "reservation_mot_utskick",
    ),
}  # fmt: skip

#: The keys that take list files.
LIST_FIELDS = (
    "include_lists",
    "exclude_lists",
    "deceased_lists",
    "protected_identity_lists",
    "opted_out_lists",
)


def _has_secret(url: str) -> bool:
    return redact_secrets(url) != url


class SqlSource(BaseModel):
    """A query against a database URL (SQLAlchemy style: sqlite:///…, postgresql://…).

    Give the URL in ``url_env`` (the name of an environment variable holding it) whenever the
    URL has a password: parameters and campaign files are kept and shown, the environment is
    not. ``url`` is refused if it holds a password in any form (``user:password@``,
    ``?password=``, ``PWD=`` in an ODBC connection string). Wherever a URL is shown (the
    funnel's source, errors), passwords are replaced by ``***``. The query runs in
    :func:`inkorg_kit.target.read_sql_source`.
    """

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # a URL may hold a secret

    url: str | None = Field(
        None,
        description="database URL without a password, e.g. sqlite:///out/demo/region.sqlite",
        examples=["sqlite:///region.sqlite"],
    )
    url_env: str | None = Field(
        None,
        description="name of an environment variable holding the database URL",
        examples=["INKORG_DB_URL"],
    )
    query: str = Field(
        description="SQL that returns one row per care contact",
        examples=["SELECT personnummer, unit_hsa_id, icd10, contact_date FROM contacts"],
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if _has_secret(value):
            raise ValueError(
                "the URL holds a password (user:password@, password=, pwd= or PWD=); put the"
                " whole URL in an environment variable and name it in url_env (e.g. url_env:"
                " INKORG_DB_URL) instead"
            )
        return value

    @model_validator(mode="after")
    def _one_url(self) -> SqlSource:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(
                "give exactly one of url (no password) or url_env (an environment variable)"
            )
        if not self.query.strip():
            raise ValueError("query is empty: give the SQL that returns the care contacts")
        return self

    def describe(self) -> str:
        """Where the rows come from, safe to show (no URL when it is read from the env)."""
        if self.url_env:
            return f"SQL via ${self.url_env}"
        return f"SQL via {redact_secrets(self.url or '')}"


_SQL_KEYS = ("url", "url_env", "query")


def parse_sql_source(value: Mapping[str, Any]) -> SqlSource:
    """An SQL block, or one plain :class:`ValueError` saying which forms are accepted and what
    was wrong (the one formatter of SQL-block errors: the spec's validator and
    :func:`inkorg_kit.target.select` both use it)."""
    try:
        return SqlSource.model_validate(dict(value))
    except ValidationError as exc:
        wrong = []
        for err in exc.errors(include_url=False):
            key = ".".join(str(part) for part in err["loc"] if isinstance(part, str))
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(key, _SQL_KEYS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                wrong.append(f"unknown key '{key}'{hint}")
            elif err["type"] == "missing":
                wrong.append(f"'{key}' is missing")
            else:
                message = str(err["msg"]).removeprefix("Value error, ")
                wrong.append(f"{key}: {message}" if key else message)
        raise ValueError(
            "an SQL source is a block with the keys url_env (or url, without a password) and"
            f" query; here: {'; '.join(wrong)}. A file source is a path, e.g."
            " out/demo/extract.csv"
        ) from None


def _as_date_value(value: object, what: str) -> object:
    """A YAML date or YYYY-MM-DD text as a date; anything else says what is expected."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            f"{what}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-01-01"
        ) from None


class AgeRange(BaseModel):
    """Age in whole years at ``at`` (default: the campaign's planned send date)."""

    model_config = ConfigDict(extra="forbid")

    min: int | None = Field(
        None, ge=0, le=130, description="lowest age in whole years, e.g. 40", examples=[40]
    )
    max: int | None = Field(
        None, ge=0, le=130, description="highest age in whole years, e.g. 74", examples=[74]
    )
    at: dt.date | None = Field(
        None,
        description="the date ages are counted at, YYYY-MM-DD (default: the send date)",
        examples=["2027-03-16"],
    )

    @model_validator(mode="before")
    @classmethod
    def _block(cls, value: object) -> object:
        if value is not None and not isinstance(value, Mapping | AgeRange):
            raise ValueError(
                "age is a block of min and/or max (whole years, 0-130) and optionally at"
                " (YYYY-MM-DD), e.g. age: {min: 40, max: 74}"
            )
        return value

    @field_validator("min", "max", mode="before")
    @classmethod
    def _years(cls, value: object, info: ValidationInfo) -> object:
        whole = isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
        if value is not None and (isinstance(value, bool) or not whole):
            raise ValueError(
                f"age {info.field_name} must be a whole number of years from 0 to 130, e.g."
                f" {40 if info.field_name == 'min' else 74}"
            )
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        return _as_date_value(value, "age.at")

    @model_validator(mode="after")
    def _order(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"age min {self.min} is above max {self.max}")
        return self


class ListFile(BaseModel):
    """A list file with its personnummer column named: ``{path: lists/x.xlsx, column: Pnr}``.

    A plain path takes the column named like a personnummer column (Personnummer, Pnr, …),
    or the only column."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the list file (csv/txt/xlsx/parquet)", examples=["lista.xlsx"])
    column: str | None = Field(
        None, description="the column holding personnummer", examples=["Personnummer"]
    )
    header_row: int | None = Field(
        None,
        ge=1,
        description="the row of the header, as Excel shows it (default: found by itself)",
        examples=[4],
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("path is empty: give the list file, e.g. lists/exclude.csv")
        return value.strip()


def list_path(entry: str | ListFile) -> str:
    """The file of a list entry (a plain path or a :class:`ListFile`)."""
    return entry.path if isinstance(entry, ListFile) else entry


def list_column(entry: str | ListFile) -> str | None:
    """The personnummer column of a list entry (None: found by its name)."""
    return entry.column if isinstance(entry, ListFile) else None


def icd_key(code: str) -> str:
    """ICD-10 codes compared without dots, commas and spaces, upper case: ``e11,9`` → ``E119``.

    >>> icd_key("e 11,9"), icd_key("E11.9")
    ('E119', 'E119')
    """
    return re.sub(r"[.,\s]", "", str(code)).upper()


class TargetSpec(BaseModel):
    """Declarative filters, applied in the order listed here; each becomes a funnel step."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # source may hold a URL

    source: str | SqlSource | None = Field(
        None,
        description=(
            "extract file (csv/txt/xlsx/parquet), or an SQL block {url_env: NAME, query: SQL}"
        ),
        examples=["extract.xlsx"],
    )
    header_row: int | None = Field(
        None,
        ge=1,
        description=(
            "the row of the extract's header as Excel or an editor numbers it (1 = the first);"
            " default: the first row naming a personnummer column, below any title rows"
        ),
        examples=[4],
    )
    pnr_column: str = Field(
        "personnummer",
        description="column holding personnummer (default: one named Personnummer, Pnr,"
        " Personnr, …)",
        examples=["Personnummer"],
    )
    unit_column: str = Field(
        "unit_hsa_id",
        description="column with the unit's HSA-id (default: unit_hsa_id, Vårdenhetens HSA-id,"
        " HSA-id, Vårdenhet, Enhet, …)",
        examples=["Vårdenhet HSA-id"],
    )
    diagnosis_column: str = Field(
        "icd10",
        description="column with ICD-10 codes (default: icd10, Diagnoskod, Diagnos, …)",
        examples=["Diagnoskod"],
    )
    contact_date_column: str = Field(
        "contact_date",
        description="column with contact dates (default: contact_date, Besöksdatum,"
        " Kontaktdatum, …)",
        examples=["Besöksdatum"],
    )
    age: AgeRange | None = Field(
        None, description="age range {min: 40, max: 74} in whole years (optionally at: a date)"
    )
    sex: str | None = Field(
        None,
        description="F (kvinnor/women) or M (män/men): legal sex from the personnummer",
        examples=["F"],
    )
    units: list[str] = Field(
        default_factory=list,
        description="HSA-ids of sending units",
        examples=[["SE2321000032-ABC123"]],
    )
    diagnosis_prefixes: list[str] = Field(
        default_factory=list, description="ICD-10 prefixes", examples=[["I10", "E11"]]
    )
    last_contact_within_days: int | None = Field(
        None,
        ge=1,
        description="days back from the send date to the latest contact, e.g. 540",
        examples=[540],
    )
    last_contact_between: tuple[dt.date, dt.date] | None = Field(
        None,
        description="two dates [first, last], e.g. ['2026-01-01', '2026-12-31']",
        examples=[["2026-01-01", "2026-12-31"]],
    )
    include_lists: list[str | ListFile] = Field(
        default_factory=list,
        description="files: keep only these (a path, or {path: …, column: …})",
        examples=[["lists/include.csv"]],
    )
    exclude_lists: list[str | ListFile] = Field(
        default_factory=list,
        description="files: drop these (a path, or {path: …, column: …})",
        examples=[["lists/exclude.csv"]],
    )
    exclude_deceased: bool = Field(
        True, description="drop deceased people (needs deceased_column or deceased_lists)"
    )
    exclude_protected_identity: bool = Field(
        True,
        description="drop people with protected identity (needs protected_identity_column or"
        " protected_identity_lists)",
    )
    exclude_opted_out: bool = Field(
        True, description="drop residents who opted out (needs opted_out_column or opted_out_lists)"
    )
    frequency_cap_days: int | None = Field(
        None,
        ge=1,
        description="drop anyone messaged by an earlier campaign within N days",
        examples=[90],
    )
    earlier_runs: str | None = Field(
        None,
        description="folder holding earlier campaigns' run folders (for the cap), e.g. out",
        examples=["out"],
    )
    # Where the exclusion flags come from: a column of the extract and/or list files.
    deceased_column: str = Field(
        "deceased",
        description="column flagging deceased people: yes/no or a date (default: deceased,"
        " Avliden, Avliden datum, …)",
        examples=["Avliden"],
    )
    protected_identity_column: str = Field(
        "protected_identity",
        description="column flagging protected identity (default: protected_identity,"
        " Skyddad identitet, Sekretessmarkering, Skyddad folkbokföring, …)",
        examples=["Skyddad identitet"],
    )
    opted_out_column: str = Field(
        "opted_out",
        description="column flagging residents who opted out of messages (default:"
        " opted_out, Avböjt, Reservation, …)",
        examples=["Avböjt meddelanden"],
    )
    deceased_lists: list[str | ListFile] = Field(
        default_factory=list, description="files: deceased", examples=[["lists/deceased.csv"]]
    )
    protected_identity_lists: list[str | ListFile] = Field(
        default_factory=list,
        description="files: people with protected identity",
        examples=[["lists/protected_identity.csv"]],
    )
    opted_out_lists: list[str | ListFile] = Field(
        default_factory=list,
        description="files: residents who opted out",
        examples=[["lists/opted_out.csv"]],
    )
    allow_samordningsnummer: bool = Field(
        True, description="accept samordningsnummer (coordination numbers) as recipients"
    )

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: object) -> object:
        if value is None or isinstance(value, SqlSource):
            return value
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if isinstance(value, str):
            text = value.strip()
            if "://" in text:
                raise ValueError(URL_AS_TEXT)
            return text or None
        if isinstance(value, Mapping):
            return parse_sql_source(value)
        raise ValueError(
            "source is a file path (e.g. out/demo/extract.csv) or an SQL block"
            " {url_env: INKORG_DB_URL, query: 'SELECT …'}"
        )

    @field_validator(*LIST_FIELDS, mode="before")
    @classmethod
    def _lists(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            return []
        if isinstance(value, str | os.PathLike | Mapping | ListFile):
            value = [value]  # one file written without the brackets
        if not isinstance(value, Sequence):
            raise ValueError(
                f"{info.field_name} is a list of files: paths, or {{path: …, column: …}} blocks,"
                f" e.g. [lists/a.csv, {{path: lists/b.xlsx, column: Personnummer}}]"
            )
        out: list[object] = []
        for entry in value:
            if isinstance(entry, os.PathLike):
                entry = os.fspath(entry)
            if isinstance(entry, Mapping):
                unknown = sorted(set(entry) - set(ListFile.model_fields))
                if unknown:
                    raise ValueError(
                        f"{info.field_name}: unknown key {', '.join(map(repr, unknown))} in a"
                        " list entry; an entry is a path or {path: …, column: …} (and"
                        " optionally header_row: …)"
                    )
                entry = ListFile.model_validate(dict(entry))
            out.append(entry)
        return out

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip().upper()
        if text not in SEX_WORDS:
            raise ValueError(
                f"sex {value!r} is not one of F (women: F, K, kvinna, kvinnor) or M (men: M,"
                " man, män)"
            )
        return SEX_WORDS[text]

    @field_validator("units")
    @classmethod
    def _units(cls, value: list[str]) -> list[str]:
        out = [v.strip() for v in value]
        bad = [v for v in out if not _HSA_LIKE.match(v)]
        if bad:
            raise ValueError(
                f"units {bad} are not HSA-ids: expected 'SE' + 10-digit organisation number "
                "+ '-' + letters/digits, e.g. 'SE2321000032-ABC123'"
            )
        return out

    @field_validator("diagnosis_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        out = [icd_key(v) for v in value]
        bad = [v for v, key in zip(value, out, strict=True) if not _ICD_PREFIX.match(key)]
        if bad:
            raise ValueError(
                f"diagnosis prefixes {bad} are not ICD-10 codes or prefixes: a letter and then "
                "digits, with or without the dot, e.g. 'I10', 'E11', 'E11.9', 'J4'"
            )
        return out

    @field_validator("last_contact_between", mode="before")
    @classmethod
    def _two_dates(cls, value: object) -> object:
        if value is None:
            return value
        if isinstance(value, str | dt.date) or not isinstance(value, Sequence):
            raise ValueError(
                "last_contact_between needs two dates [first, last], got one; e.g."
                " ['2026-01-01', '2026-12-31'] (or use last_contact_within_days)"
            )
        if len(value) != 2:
            raise ValueError(
                f"last_contact_between needs two dates [first, last], got {len(value)}; e.g."
                " ['2026-01-01', '2026-12-31']"
            )
        return tuple(_as_date_value(v, "last_contact_between") for v in value)

    @field_validator("last_contact_between")
    @classmethod
    def _between(cls, value: tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"last_contact_between starts {value[0]}, after it ends {value[1]}")
        return value

    @model_validator(mode="after")
    def _cap_needs_runs(self) -> TargetSpec:
        if self.frequency_cap_days is not None and not self.earlier_runs:
            raise ValueError(
                f"frequency_cap_days: {self.frequency_cap_days} needs earlier_runs: the folder"
                " holding earlier campaigns' run folders (e.g. earlier_runs: out); without it"
                " nobody would be capped"
            )
        if self.earlier_runs and self.frequency_cap_days is None:
            raise ValueError(
                "earlier_runs is set but frequency_cap_days is not: give frequency_cap_days"
                " (e.g. 90) or remove earlier_runs"
            )
        return self

    @property
    def has_contact_recency_filter(self) -> bool:
        """True when the spec demands recent ("ongoing") contact, as the guidelines require."""
        return self.last_contact_within_days is not None or self.last_contact_between is not None
