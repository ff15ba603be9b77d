"""The campaign: a clinic's order as one typed YAML file, read strictly.

Why: a bulk message to residents' 1177 inbox is allowed only for some purposes, only between a
unit and residents who have an ongoing care relation, and it must say who sends it, why, how
answers are used and where to turn (seeds 000, 001, 003, 004). The campaign YAML (one per
campaign under ``params/``) records what the order form asks to decide; every later step reads
it. This module types it (:class:`Campaign`, built from the blocks in
:mod:`inkorg_kit.config.campaign_parts`) and loads it (:func:`load_campaign`,
:func:`parse_campaign`); whether it follows the guidelines is for :mod:`inkorg_kit.guidelines`.

Loading is strict about shape, lenient about content: a key the order form must answer
(``unit.name``, ``unit.hsa_id``, ``message.purpose``, ``message.answer_use``,
``message.contact``, ``relation.basis``) must be present, but may be left empty (``null``)
while undecided; the guideline check then reports it as an error. Forbidden categories load
too, so the report can show them. The YAML is read with the kit's strict loader, which refuses
a key given twice; every error names the file and the field.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from inkorg_kit._files import secure_dir
from inkorg_kit.config.assumptions import Assumptions, Costs
from inkorg_kit.config.campaign_parts import (
    CAMPAIGN_NAME_EXAMPLE,
    CATEGORIES,
    RELATION_LABELS,
    Category,
    Followup,
    Message,
    Orderer,
    Relation,
    Sender,
    Sending,
    Text,
    Unit,
    one_of,
)
from inkorg_kit.config.planning import CostOverrides, Deadlines, resolve_costs, resolve_deadlines
from inkorg_kit.config.target_spec import LIST_FIELDS, ListFile, SqlSource, TargetSpec
from inkorg_kit.config.validation import problems as validation_problems
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.config.yaml import parse_yaml, read_yaml_text
from inkorg_kit.errors import CampaignError
from inkorg_kit.privacy import find_in_text, mask_in_text
from inkorg_kit.vocab import MAX_NAME_LENGTH, RUNS_DIR, WEEKDAYS_SV, is_name

__all__ = [
    "Campaign",
    "CampaignError",
    "load_campaign",
    "parse_campaign",
    "relative_to_folder",
    "resolve_paths",
    "sql_source_in_folder",
]


class Campaign(BaseModel):
    """One campaign: the order (seed 000), the message, the target group and the sending."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        description=(
            "slug used in file names: lowercase a-z, 0-9 and hyphens,"
            f" e.g. {CAMPAIGN_NAME_EXAMPLE!r}"
        ),
        examples=[CAMPAIGN_NAME_EXAMPLE],
    )
    title: Text = Field(
        description="a short human title for the campaign",
        examples=["Kallelse till blodtryckskontroll, Vårdcentralen Solbacka"],
    )
    orderer: Orderer = Field(description="orderer / contact person: name and email or phone")
    sender: Sender = Field(description="responsible sender: name, title, organisation")
    unit: Unit = Field(description="sending unit: name and HSA-id")
    case_handlers: list[Text] = Field(
        default_factory=list,
        description="names of the case handlers (ärendehanterare)",
        examples=[["Lena Holm", "Amir Haddad"]],
    )
    message: Message = Field(
        description="title, purpose, answer_use, contact, template (and close_after_days),"
        " approved_by, answer_form, accessibility_checked"
    )
    category: Annotated[Category, BeforeValidator(one_of(CATEGORIES, "category"))] = Field(
        description="what kind of message this is (closed vocabulary)", examples=["kallelse"]
    )
    relation: Relation = Field(description="basis of the relation (and Inera approval reference)")
    attachments: list[Text] = Field(
        default_factory=list, description="attached file names", examples=[["inbjudan.pdf"]]
    )
    planned_send_start: dt.datetime = Field(
        description="planned first send, local time, e.g. '2027-03-16 09:00'",
        examples=["2027-03-16 09:00"],
    )
    send_windows: SendWindows = Field(
        default_factory=SendWindows, description="when messages may go out"
    )
    target: TargetSpec = Field(description="the target group: source and filters")
    sending: Sending = Field(default_factory=Sending, description="handler capacity")
    followup: Followup = Field(default_factory=Followup, description="after sending")
    costs: CostOverrides | None = Field(
        None,
        description="the region's own prices (SEK) for the follow-up strategies; an empty key"
        " takes the default of params/reach_defaults.yaml (costs:)",
    )

    _source: str | None = PrivateAttr(None)
    _folder: Path | None = PrivateAttr(None)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if find_in_text(value):
            raise ValueError(
                "the name holds a personnummer; it goes into file names and reports: use words,"
                f" e.g. {CAMPAIGN_NAME_EXAMPLE!r}"
            )
        if not is_name(value):
            raise ValueError(
                f"{value!r} is not a valid name: use lowercase a-z, 0-9 and single hyphens"
                f" (no spaces, å/ä/ö or capitals), at most {MAX_NAME_LENGTH} characters, e.g."
                f" {CAMPAIGN_NAME_EXAMPLE!r}"
            )
        return value

    @field_validator("planned_send_start", mode="before")
    @classmethod
    def _when(cls, value: object) -> object:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            raise ValueError(f"{value} has no time of day; write e.g. '{value} 09:00'")
        if isinstance(value, str):
            text = value.strip()
            if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text):
                raise ValueError(f"{value!r} has no time of day; write e.g. '{text} 09:00'")
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a date and time; write e.g. '2027-03-16 09:00'"
                ) from None
        return value

    @model_validator(mode="after")
    def _localise(self) -> Campaign:
        """A naive planned start is local time in the send windows' time zone."""
        zone = self.send_windows.zone
        start = self.planned_send_start
        local = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
        object.__setattr__(self, "planned_send_start", local)
        return self

    @model_validator(mode="after")
    def _fill_deadlines(self) -> Campaign:
        """Empty follow-up deadlines take the category's defaults (``deadlines:`` of the reach
        defaults), so every reader of ``followup.unread_after_working_hours`` gets a number;
        the keys the file gave stay marked as given (:meth:`deadlines`)."""
        f = self.followup
        given = f.model_fields_set
        try:
            d = resolve_deadlines(
                self.category,
                f.unread_after_working_hours if "unread_after_working_hours" in given else None,
                f.reminder_after_working_hours if "reminder_after_working_hours" in given else None,
            )
        except ValueError as exc:
            raise ValueError(f"followup: {exc}") from None
        values = {
            **dict(f),
            "unread_after_working_hours": d.unread_after_working_hours,
            "reminder_after_working_hours": d.reminder_after_working_hours,
        }
        filled = Followup.model_construct(_fields_set=set(given), **values)
        object.__setattr__(self, "followup", filled)
        return self

    def deadlines(self, assumptions: Assumptions | None = None) -> Deadlines:
        """N and R as this campaign counts them: its own ``followup`` keys where it gave them,
        else the category's defaults (of ``assumptions`` if given, else the reach defaults)."""
        f, given = self.followup, self.followup.model_fields_set
        return resolve_deadlines(
            self.category,
            f.unread_after_working_hours if "unread_after_working_hours" in given else None,
            f.reminder_after_working_hours if "reminder_after_working_hours" in given else None,
            assumptions,
        )

    def strategy_costs(self, assumptions: Assumptions | None = None) -> Costs:
        """The costs of the follow-up strategies: the reach defaults with this campaign's own
        ``costs:``."""
        return resolve_costs(assumptions, self.costs)

    @property
    def source(self) -> str | None:
        """The file this campaign was loaded from, if any."""
        return self._source

    @property
    def folder(self) -> Path | None:
        """The folder of the file this campaign was loaded from (absolute), if any: its
        relative paths count from here (:func:`load_campaign`)."""
        return self._folder

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    def run_folder(self, run_dir: str | os.PathLike[str] | None = None) -> Path:
        """The campaign's run folder: ``run_dir`` if given, else ``out/<name>``.

        One default for the notebooks, ``inkorg-kit run`` and ``make lab``, so each step finds
        what the one before wrote however it was started. It will hold personnummer, so if it
        exists it must be a real folder (not a symbolic link) of the user's own, and it is made
        owner-only (0700) here, before any step writes to it; else
        :class:`~inkorg_kit._files.UnsafeFolderError`. A folder that does not exist yet is
        created owner-only by the step that first writes to it.
        """
        folder = Path(run_dir) if run_dir else Path(RUNS_DIR) / self.name
        return secure_dir(folder) if os.path.lexists(folder) else folder

    def facts_markdown(self) -> str:
        """:meth:`facts` as a two-column Markdown table (nothing truncated, unlike a frame)."""
        rows = [
            f"| {key} | {' '.join(value.split()).replace('|', '/')} |"
            for key, value in self.facts().items()
        ]  # facts() are masked already
        return "\n".join(["| Uppgift | Värde |", "| --- | --- |", *rows]) + "\n"

    def facts(self) -> dict[str, str]:
        """The order at a glance, with Swedish labels: for notebooks and the orderer's report.

        Any personnummer typed into a text is masked (the check reports it as an error).
        """
        return {key: mask_in_text(value) for key, value in self._facts().items()}

    def _facts(self) -> dict[str, str]:
        o, m, s = self.orderer, self.message, self.sending
        template = "information (kan inte besvaras)"
        if m.template == "questions":
            template = f"frågor (obesvarade stängs efter {m.close_after_days} dagar)"
        basis = RELATION_LABELS.get(self.relation.basis or "none", "ej angiven")
        return {
            "Kampanj": f"{self.title} ({self.name})",
            "Beställare": ", ".join(x for x in (o.name, o.email, o.phone) if x),
            "Ansvarig avsändare": f"{self.sender.name}, {self.sender.title},"
            f" {self.sender.organisation}",
            "Avsändande enhet": f"{self.unit.name or 'ej angiven'}"
            f" ({self.unit.hsa_id or 'HSA-id saknas'})",
            "Ärendehanterare": ", ".join(self.case_handlers) or "ej angivna",
            "Rubrik": m.title,
            "Kategori": self.category_label,
            "Mall": template,
            "Grund för relationen": basis,
            "Bilagor": ", ".join(self.attachments) or "inga",
            "Planerad start": f"{WEEKDAYS_SV[self.planned_send_start.weekday()]}"
            f" {self.planned_send_start:%Y-%m-%d %H:%M}",
            "Sändfönster": self.send_windows.describe(),
            "Utskick": f"{s.handlers} ärendehanterare, {s.minutes_per_file:g} min per fil,"
            f" högst {s.part_size} per fil"
            + (
                f", högst {s.max_messages_per_day} meddelanden per dag"
                if s.max_messages_per_day
                else ""
            ),
        }


# --------------------------------------------------------------------------- loading


def parse_campaign(
    data: Mapping[str, Any],
    source: str = "<dict>",
    *,
    folder: str | os.PathLike[str] | None = None,
) -> Campaign:
    """Validate a campaign mapping; errors become one :class:`CampaignError` naming ``source``.

    ``folder``: the folder the campaign's relative paths count from (:func:`resolve_paths`);
    None leaves them as written (relative to the working folder where they are read).
    """
    if not isinstance(data, Mapping):
        raise CampaignError(
            f"{source}: a campaign must be a mapping of keys (name:, title:, …), got"
            f" {type(data).__name__}",
            source=source,
        )
    try:
        campaign = Campaign.model_validate(dict(data))
    except ValidationError as exc:
        problems = validation_problems(exc, Campaign)
        raise CampaignError(
            f"{source}: the campaign has {len(problems)} problem(s)", problems, source=source
        ) from None
    if folder is not None:
        base = Path(folder).resolve()
        campaign = campaign.model_copy(update={"target": resolve_paths(campaign.target, base)})
        campaign._folder = base
    campaign._source = source
    return campaign


def load_campaign(path: str | os.PathLike[str]) -> Campaign:
    """Read and validate a campaign YAML file; every error names the file and the field.

    Every relative path in it (``target.source``, the list files, ``target.earlier_runs``, a
    relative SQLite database) counts from the file's folder, wherever the command runs
    (:func:`resolve_paths`); run folders stay under the working folder's ``out/``.
    """
    path = Path(path)

    def error(message: str) -> CampaignError:
        return CampaignError(message, source=str(path))

    data = parse_yaml(read_yaml_text(path, error, "campaign file"), str(path), error)
    if data is None:
        raise error(f"{path}: the campaign file is empty")
    return parse_campaign(data, source=str(path), folder=path.parent)


# --------------------------------------------------------------------------- relative paths

_SQLITE = "sqlite:///"


def relative_to_folder(path: str, folder: Path) -> str:
    """``path`` as written in a campaign file in ``folder`` (absolute), made to count from the
    working folder: relative to it when inside it, else absolute; an absolute path (or one
    starting with ``~``) is kept as written.

    Why relative when inside: the path is shown (the funnel's source, the notebooks) and
    ``uttag.xlsx`` says more than ``/home/…/uttag.xlsx``. ``..`` is taken after the folder's
    own links are followed, as the file system does.

    >>> relative_to_folder("/data/x.csv", Path("/tmp/kampanj"))
    '/data/x.csv'
    >>> relative_to_folder("../lists/x.csv", Path("/nowhere/kampanj"))
    '/nowhere/lists/x.csv'
    """
    written = Path(path)
    if written.is_absolute() or path.startswith("~"):
        return path
    full = Path(os.path.normpath(folder / written))
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working folder was removed
        return str(full)
    return str(full.relative_to(here)) if full.is_relative_to(here) else str(full)


def sql_source_in_folder(source: SqlSource, folder: Path) -> SqlSource:
    """A SQLite URL's relative database file counts from ``folder`` too."""
    url = source.url
    if not url or not url.startswith(_SQLITE):
        return source
    database, _, query = url[len(_SQLITE) :].partition("?")
    if not database or database.startswith((":memory:", "/", "~")):
        return source
    absolute = os.path.normpath(folder / database)
    return source.model_copy(update={"url": _SQLITE + absolute + (f"?{query}" if query else "")})


def resolve_paths(target: TargetSpec, folder: Path) -> TargetSpec:
    """``target`` with its relative paths counting from ``folder`` (the campaign file's):
    the source (a file, or a SQLite database in an SQL block), every list file and
    ``earlier_runs`` (:func:`relative_to_folder`)."""
    update: dict[str, Any] = {}
    if isinstance(target.source, str):
        update["source"] = relative_to_folder(target.source, folder)
    elif isinstance(target.source, SqlSource):
        update["source"] = sql_source_in_folder(target.source, folder)
    for key in LIST_FIELDS:
        update[key] = [
            entry.model_copy(update={"path": relative_to_folder(entry.path, folder)})
            if isinstance(entry, ListFile)
            else relative_to_folder(entry, folder)
            for entry in getattr(target, key)
        ]
    if target.earlier_runs:
        update["earlier_runs"] = relative_to_folder(target.earlier_runs, folder)
    return target.model_copy(update=update)
