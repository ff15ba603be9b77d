"""Campaigns: a clinic's order as a typed YAML file, and the guideline checks it must pass.

Why: a bulk message to residents' 1177 inbox is allowed only for some purposes, only between a
unit and residents who have an ongoing care relation, and it must say who sends it, why, how
answers are used and where to turn (seeds 000, 001, 003, 004; DOMAIN.md "What may be sent").
The campaign YAML (one per campaign under ``params/``) records what the order form asks to
decide (seed 000 "Definiera behov"; seed 002's checklist: purpose, target group, timing, who is
responsible). :func:`check` turns every rule into a named finding with a severity and the
guideline sentence it comes from, so the analyst can show the orderer *why* before a single
recipient file is cut; :meth:`CheckReport.require_ok` stops later steps on errors unless a
person writes down why they go ahead anyway (an :class:`Override`, recorded in the manifest).

Loading is strict about shape, lenient about content: a key the order form must answer
(``unit.name``, ``unit.hsa_id``, ``message.purpose``, ``message.answer_use``,
``message.contact``, ``relation.basis``) must be present, but may be left empty (``null``)
while undecided; :func:`check` then reports it as an error. Forbidden categories load too, so
the report can show them.

The rules (:data:`RULES`, in report order; each finding quotes its seed sentence):

* errors: ``forbidden_category`` (marketing, general information, broad surveys, research
  recruitment; a survey passes with a stated patient agreement, seed 001), ``unit_named``,
  ``unit_hsa_id``, ``purpose_stated``, ``answer_use_stated``, ``contact_stated`` (seed 003),
  ``relation_basis`` (established relation and ongoing contact, or the screening / vaccination
  / region-wide exemption matching the category), ``region_wide_inera_approval``,
  ``region_wide_not_answerable``, ``region_sender`` (a region-wide message is sent by the
  region, not a unit, to the region's residents, not a unit's patients: an error, as the same
  seed 003 sentence makes "cannot be answered" one), ``attachment_types`` (pdf, jpg, png
  only), ``no_personnummer_in_text`` (a message to many must not name one person, and
  reports must not show a personnummer: DOMAIN.md's privacy rule);
* warnings: ``attachments_discouraged``, ``accessibility`` (text and attachments reviewed
  against accessibility law: ``message.accessibility_checked``), ``ongoing_contact_filter``
  (no contact-recency filter: "all patients of a unit"), ``send_time`` (night, evening,
  weekend, early morning, holiday: :func:`inkorg_kit.schedule.outside_windows`, against both
  the campaign's windows and the default weekday 08-17 window), ``not_needlessly`` (the
  deceased or those who opted out are not excluded), ``survey_agreement`` (PROM/PREM without
  a stated agreement), ``data_collection_form`` (a question template names the form that meets
  the law on sensitive personal data: ``message.answer_form``), ``unit_in_target``,
  ``other_channel`` (calls need a plan for the unread), ``case_handlers``,
  ``communicator_approval`` (seed 000's order form).

The kit can only check what is stated for the review-type rules (accessibility, answer form,
approval), so those are warnings; what it can see for itself is checked.

Every finding's message and every fact is passed through :func:`inkorg_kit.pnr.mask_in_text`.
The YAML is read with a safe loader that refuses a key given twice. An override needs a reason
of substance (who decided and why) and covers exactly the errors it was given for.

HSA-id shape, as Inera's Katalogtjänst HSA defines it (quoted in the openEHR Sweden guide
"HSA-identitet och Organisationsnummer", openehr.atlassian.net/wiki/spaces/healthmod/pages/
1922990156): ``SE`` + the catalogue owner's organisation number (10 digits, no hyphen) + ``-``
+ at least one letter A-Z/a-z or digit 0-9 (no å, ä, ö, @), at most 31 characters in all. Some
catalogue owners write the organisation number with the ``16`` prefix (12 digits, e.g.
``SE162321000255-O12345``, seen in Region Skåne's ids); that is accepted too. Only the shape is
checked, not that the unit exists in HSA.

>>> is_hsa_id("SE2321000032-ABC123"), is_hsa_id("SE162321000255-O12345"), is_hsa_id("2321000032")
(True, True, False)
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import polars as pl
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from inkorg_kit._files import ensure_private_dir, write_private_text
from inkorg_kit.config.validation import problems as validation_problems
from inkorg_kit.config.yaml import parse_yaml
from inkorg_kit.errors import CampaignError
from inkorg_kit.pnr import find_in_text, mask_in_text
from inkorg_kit.schedule import SendWindows
from inkorg_kit.target import TargetSpec

__all__ = [
    "CATEGORIES",
    "FORBIDDEN_CATEGORIES",
    "RULES",
    "Campaign",
    "CampaignError",
    "CheckReport",
    "Finding",
    "Guideline",
    "Override",
    "check",
    "ensure_sendable",
    "is_hsa_id",
    "load_campaign",
    "parse_campaign",
]

# --------------------------------------------------------------------------- vocabularies

HSA_ID_RE = re.compile(r"^SE(?:16)?\d{10}-[A-Za-z0-9]+$")
HSA_ID_MAX_LENGTH = 31
HSA_ID_EXAMPLE = "SE2321000032-ABC123"
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_EXAMPLE = "blodtryck-solbacka-2027"
MAX_PART_SIZE = 250  # Personalverktyget imports at most 250 personnummer per file (seed 004)

Category = Literal[
    "kallelse",
    "rebooking",
    "cancellation",
    "test_result",
    "before_visit",
    "self_booking",
    "screening",
    "vaccination",
    "prom_prem",
    "public_health",
    "crisis_information",
    "marketing",
    "general_information",
    "survey",
    "research_recruitment",
]

#: Every category code with the Swedish label analysts and orderers see.
CATEGORIES: dict[str, str] = {
    "kallelse": "Kallelse till besök",
    "rebooking": "Av- eller ombokning med kort varsel",
    "cancellation": "Inställt besök",
    "test_result": "Provsvar",
    "before_visit": "Information inför besök",
    "self_booking": "Inbjudan att själv boka tid",
    "screening": "Kallelse till screening",
    "vaccination": "Kallelse till vaccination",
    "prom_prem": "Patientrapporterade mått (PROM/PREM)",
    "public_health": "Regionövergripande information för att främja hälsa",
    "crisis_information": "Samhällsviktig information eller information vid kris",
    "marketing": "Marknadsföring",
    "general_information": "Allmän information eller massutskick",
    "survey": "Enkät eller utvärdering",
    "research_recruitment": "Rekrytering till läkemedels- eller forskningsstudie",
}
FORBIDDEN_CATEGORIES = frozenset(
    {"marketing", "general_information", "survey", "research_recruitment"}
)
REGION_WIDE_CATEGORIES = frozenset({"public_health", "crisis_information"})
# Calls and similar: unread ones must reach the resident another way (seed 004).
NEEDS_OTHER_CHANNEL = frozenset(
    {"kallelse", "rebooking", "cancellation", "screening", "vaccination"}
)
ATTACHMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")

TEMPLATES = {
    "information": "informationsmall, kan inte besvaras",
    "questions": "mall med frågor, kan besvaras",
}
RelationBasis = Literal["established_contact", "screening", "vaccination", "region_wide", "none"]
RELATION_LABELS = {
    "established_contact": "etablerad relation och pågående kontakt",
    "screening": "kallelse till screening (undantag)",
    "vaccination": "kallelse till vaccination (undantag)",
    "region_wide": "regionövergripande utskick (undantag, kräver Ineras godkännande)",
    "none": "ingen etablerad relation",
}

_WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def _one_of(choices: Mapping[str, str] | Iterable[str], what: str) -> Callable[[object], object]:
    """A before-validator for a closed vocabulary: an unknown value gets a "did you mean" and
    the list of valid choices (with their Swedish labels where there are some)."""
    labels = dict(choices) if isinstance(choices, Mapping) else dict.fromkeys(choices, "")

    def check(value: object) -> object:
        if value is None or not isinstance(value, str) or value in labels:
            return value
        text = value.strip()
        if text in labels:
            return text
        if text.lower() in labels:
            return text.lower()
        close = difflib.get_close_matches(text.lower(), list(labels), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        listed = ", ".join(f"{k!r} ({v})" if v else repr(k) for k, v in labels.items())
        raise ValueError(f"{value!r} is not a {what}; {hint}choose one of: {listed}")

    return check


# --------------------------------------------------------------------------- errors


# --------------------------------------------------------------------------- the model


def _blank_to_none(value: object) -> object:
    """Empty or whitespace-only text means "not decided yet": the check reports it."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _agreement(value: object) -> object:
    """``patient_agreement: true`` is accepted as a bare yes; ``false`` as not stated."""
    if value is True:
        return "ja"
    if value is False:
        return None
    return _blank_to_none(value)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Orderer(_Block):
    """Who ordered the campaign and answers questions about it (seed 000: "beställare")."""

    name: Text = Field(description="the orderer's / contact person's name")
    email: OptText = Field(None, description="the orderer's e-mail address")
    phone: OptText = Field(None, description="the orderer's phone number")

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"{value!r} is not an e-mail address, e.g. 'karin.lind@region.se'")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Orderer:
        if self.email is None and self.phone is None:
            raise ValueError("give the orderer's email or phone (or both)")
        return self


class Sender(_Block):
    """The person responsible for the message (seed 000: "ansvarig avsändare")."""

    name: Text = Field(description="name of the responsible sender")
    title: Text = Field(description="the responsible sender's title, e.g. 'Verksamhetschef'")
    organisation: Text = Field(description="the responsible sender's organisation")


class Unit(_Block):
    """The unit the message is sent from; residents see it as the sender (seed 003)."""

    name: OptText = Field(description="name of the sending unit (mottagning/vårdenhet)")
    hsa_id: OptText = Field(
        description=(
            f"the sending unit's HSA-id: SE + 10-digit organisation number + '-' + letters/digits,"
            f" e.g. {HSA_ID_EXAMPLE}"
        )
    )

    @field_validator("hsa_id")
    @classmethod
    def _hsa_shape(cls, value: str | None) -> str | None:
        if value is not None and not is_hsa_id(value):
            raise ValueError(
                f"{value!r} is not an HSA-id: expected 'SE' + the 10-digit organisation number"
                " (optionally with the 16 prefix) + '-' + letters A-Z/a-z or digits, at most"
                f" {HSA_ID_MAX_LENGTH} characters, e.g. {HSA_ID_EXAMPLE!r}"
            )
        return value


class Message(_Block):
    """What the resident reads: the four things every message must state (seed 003)."""

    title: Text = Field(description="the message title residents see in their inbox")
    purpose: OptText = Field(description="say why the message is sent")
    answer_use: OptText = Field(
        description="say how any answers will be used (or that the message cannot be answered)"
    )
    contact: OptText = Field(description="say where residents turn with questions")
    template: Annotated[
        Literal["information", "questions"],
        BeforeValidator(_one_of(TEMPLATES, "message template")),
    ] = Field(description="'information' (cannot be answered) or 'questions' (can be answered)")
    close_after_days: int | None = Field(
        None, ge=1, le=365, description="days before unanswered cases close (question templates)"
    )
    approved_by: OptText = Field(
        None, description="the communicator who approved title and text (seed 000)"
    )
    answer_form: OptText = Field(
        None,
        description=(
            "for question templates: the form that collects the answers, one that meets the law"
            " on sensitive personal data, e.g. 'Personalverktygets mall med frågor' (seed 003)"
        ),
    )
    accessibility_checked: OptText = Field(
        None,
        description=(
            "who checked that the text (and any attachments) meet accessibility law, e.g."
            " 'Maria Sjöberg, kommunikatör, mot 1177:s skrivregler' (seed 003)"
        ),
    )

    @model_validator(mode="after")
    def _closing(self) -> Message:
        if self.template == "questions" and self.close_after_days is None:
            raise ValueError(
                "a 'questions' template needs close_after_days: the days residents have to answer"
                " before an unanswered case closes (shown to them), e.g. 14"
            )
        if self.template == "information" and self.close_after_days is not None:
            raise ValueError(
                "close_after_days applies to 'questions' templates only: an information message"
                " is closed the second it is sent; remove close_after_days or use 'questions'"
            )
        return self


class Relation(_Block):
    """Why this unit may message these residents (seed 003: relation or an exemption)."""

    basis: Annotated[
        RelationBasis | None, BeforeValidator(_one_of(RELATION_LABELS, "relation basis"))
    ] = Field(
        description=(
            "established_contact, screening, vaccination, region_wide, or none"
            " (the relation between unit and residents, or the exemption that applies)"
        )
    )
    inera_approval_ref: OptText = Field(
        None, description="Inera's approval reference (required for region_wide)"
    )
    patient_agreement: Annotated[str | None, BeforeValidator(_agreement)] = Field(
        None, description="how patients agreed to take part (for surveys and PROM/PREM)"
    )


class Sending(_Block):
    """Handler capacity: used by the send plan (schedule) and the recipient files."""

    handlers: int = Field(1, ge=1, le=100, description="case handlers sending in parallel")
    minutes_per_file: float = Field(
        5.0, gt=0, le=240, description="minutes to import, check and send one file"
    )
    max_messages_per_day: int | None = Field(
        None, ge=1, description="cap on messages a day, so the unit can take the replies"
    )
    part_size: int = Field(
        MAX_PART_SIZE,
        ge=1,
        le=MAX_PART_SIZE,
        description=f"personnummer per import file, at most {MAX_PART_SIZE} (seed 004)",
    )


class Followup(BaseModel):
    """After sending: how unread residents are reached, and the status-export mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    other_channel: OptText = Field(
        None, description="how residents who do not read are reached instead (letter, phone)"
    )
    unread_after_working_hours: float = Field(
        24,
        gt=0,
        description="a message still unread this many working hours (inside the send windows) "
        "after it was sent needs another channel; reach (notebook 03) and follow-up (04) both "
        "count it so",
    )
    status_export: dict[str, Any] = Field(
        default_factory=dict, description="column/label mapping of the status export"
    )


RUNS_DIR = "out"  # run folders live under out/ (git-ignored)


class Campaign(BaseModel):
    """One campaign: the order (seed 000), the message, the target group and the sending."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        description=(
            f"slug used in file names: lowercase a-z, 0-9 and hyphens, e.g. {NAME_EXAMPLE!r}"
        )
    )
    title: Text = Field(description="a short human title for the campaign")
    orderer: Orderer = Field(description="orderer / contact person: name and email or phone")
    sender: Sender = Field(description="responsible sender: name, title, organisation")
    unit: Unit = Field(description="sending unit: name and HSA-id")
    case_handlers: list[Text] = Field(
        default_factory=list, description="names of the case handlers (ärendehanterare)"
    )
    message: Message = Field(
        description="title, purpose, answer_use, contact, template (and close_after_days),"
        " approved_by, answer_form, accessibility_checked"
    )
    category: Annotated[Category, BeforeValidator(_one_of(CATEGORIES, "category"))] = Field(
        description="what kind of message this is (closed vocabulary)"
    )
    relation: Relation = Field(description="basis of the relation (and Inera approval reference)")
    attachments: list[Text] = Field(default_factory=list, description="attached file names")
    planned_send_start: dt.datetime = Field(
        description="planned first send, local time, e.g. '2027-03-16 09:00'"
    )
    send_windows: SendWindows = Field(
        default_factory=SendWindows, description="when messages may go out"
    )
    target: TargetSpec = Field(description="the target group: source and filters")
    sending: Sending = Field(default_factory=Sending, description="handler capacity")
    followup: Followup = Field(default_factory=Followup, description="after sending")

    _source: str | None = PrivateAttr(None)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if find_in_text(value):
            raise ValueError(
                "the name holds a personnummer; it goes into file names and reports: use words,"
                f" e.g. {NAME_EXAMPLE!r}"
            )
        if not NAME_RE.fullmatch(value) or len(value) > 64:
            raise ValueError(
                f"{value!r} is not a valid name: use lowercase a-z, 0-9 and single hyphens"
                f" (no spaces, å/ä/ö or capitals), at most 64 characters, e.g. {NAME_EXAMPLE!r}"
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

    @property
    def source(self) -> str | None:
        """The file this campaign was loaded from, if any."""
        return self._source

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    def run_folder(self, run_dir: str | os.PathLike[str] | None = None) -> Path:
        """The campaign's run folder: ``run_dir`` if given, else ``out/<name>``.

        One default for the notebooks, ``inkorg-kit run`` and ``make lab``, so each step finds
        what the one before wrote however it was started.
        """
        return Path(run_dir) if run_dir else Path(RUNS_DIR) / self.name

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
            "Planerad start": f"{_WEEKDAYS_SV[self.planned_send_start.weekday()]}"
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


def is_hsa_id(value: object) -> bool:
    """True when ``value`` has the shape of an HSA-id (see the module docstring)."""
    return (
        isinstance(value, str)
        and len(value) <= HSA_ID_MAX_LENGTH
        and HSA_ID_RE.fullmatch(value) is not None
    )


# --------------------------------------------------------------------------- loading


def parse_campaign(data: Mapping[str, Any], source: str = "<dict>") -> Campaign:
    """Validate a campaign mapping; errors become one :class:`CampaignError` naming ``source``."""
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
    campaign._source = source
    return campaign


def load_campaign(path: str | os.PathLike[str]) -> Campaign:
    """Read and validate a campaign YAML file; every error names the file and the field."""
    path = Path(path)

    def error(message: str) -> CampaignError:
        return CampaignError(message, source=str(path))

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: campaign file not found (working directory {Path.cwd()})") from None
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    data = parse_yaml(text, str(path), error)
    if data is None:
        raise error(f"{path}: the campaign file is empty")
    return parse_campaign(data, source=str(path))


# --------------------------------------------------------------------------- guidelines


@dataclass(frozen=True)
class Guideline:
    """Where a rule comes from: a seed document (or the project's DOMAIN.md, for the privacy
    rules that bind the kit itself) and a sentence quoted from it."""

    seed: str
    document: str
    quote: str

    @property
    def where(self) -> str:
        """``seed 003`` for a guideline document, else the source's own name (``DOMAIN.md``)."""
        return f"seed {self.seed}" if self.seed.isdigit() else self.seed

    def cite(self) -> str:
        return f'{self.where} ({self.document}): "{self.quote}"'


DOMAIN = "DOMAIN.md"
_DOCS = {
    "000": "Region Uppsala, Skicka ärende till invånare via 1177",
    "001": "Region Kalmar län, Riktlinje för omvänt ärendeflöde",
    "003": "Inera, Riktlinjer för nyttjande av tjänsten 1177 inkorg",
    "004": "Region Jönköpings län, Meddelandefunktion i 1177 (invånarärende)",
    DOMAIN: "inkorg-kit, Personnummer in brief (Skatteverket, GDPR, Patientdatalagen)",
}


def _g(seed: str, quote: str) -> Guideline:
    return Guideline(seed, _DOCS[seed], quote)


# Quotes in proper Swedish; seeds 000 and 001 are OCR'd text with lost diacritics.
G000_FORBIDDEN = _g(
    "000",
    "Funktionen får inte användas för allmänna informationsutskick, enkäter, marknadsföring"
    " eller för utskick om forskningsstudier.",
)
G000_HANDLER = _g("000", "Vem ska skicka informationen (ärendehanterare)?")
G000_COMMUNICATOR = _g(
    "000", "Rubrik och innehåll för utskick definieras och godkänns av kommunikatör"
)
G001_SURVEY_EXCEPTION = _g(
    "001",
    "utvärderingar eller enkätutskick till patienter, till exempel gällande upplevelse av"
    " vårdbesök. Undantag kan göras om överenskommelse har gjorts med patienten om deltagande.",
)
G001_ALL_PATIENTS = _g(
    "001",
    "Till exempel information om öppet hus eller information som vänder sig till mottagningens"
    " samtliga patienter.",
)
G001_CARE_RELATION = _g(
    "001",
    "Alla meddelanden som skickas till invånare via omvänt ärendeflöde ska komma från en"
    " mottagning/enhet som invånaren har en vårdrelation till",
)
G003_CONTENT = _g(
    "003",
    "Varje meddelande måste innehålla tydlig information om vilken mottagning/vårdenhet"
    " (HSA-id krävs) som är avsändare, vad syftet med meddelandet är, hur eventuella svar ska"
    " användas och var man vänder sig med eventuella frågor.",
)
G003_RELATION = _g(
    "003",
    "1177 inkorg får endast användas då mottagningen och patienten/invånaren har en etablerad"
    " relation och en pågående kontakt",
)
G003_INERA = _g(
    "003",
    "I dessa fall ska utskick anmälas till Inera på förhand via detta formulär och får endast"
    " skickas efter godkännande.",
)
G003_REGION_SENDER = _g(
    "003", "I detta fall är regionen avsändare och meddelandet går inte att svara på."
)
G003_TIMES = _g("003", "Meddelanden ska även skickas under passande tider (ej nattetid).")
G004_FORMATS = _g(
    "004",
    "Filen måste vara i format pdf, jpg eller png och finnas sparad så att du når den via"
    " utforskaren.",
)
G004_ATTACHMENTS = _g(
    "004",
    "Det går (men rekommenderas ej!) att bifoga olika typer av bilagor när du skickar ett"
    " meddelande via 1177.",
)
G004_EVENINGS = _g(
    "004", "undvik därför att skicka meddelanden på kvällar, helger eller tidiga morgnar."
)
G004_OTHER_CHANNEL = _g(
    "004", "Är det en kallelse eller liknande så behöver ni kontakta invånaren på annat sätt."
)
G003_FORMS = _g(
    "003",
    "Insamling av uppgifter via 1177 inkorg får enbart ske med hjälp av formulär som uppfyller"
    " lagkrav på hantering av känsliga personuppgifter.",
)
G003_ACCESSIBLE = _g(
    "003", "Meddelanden som skickas via 1177 inkorg ska uppfylla lagkrav på tillgänglighet."
)
G004_ACCESSIBLE_ATTACHMENTS = _g(
    "004",
    "även bifogade filer måste uppfylla gällande lagkrav på tillgänglighet, det är alltså inte"
    " tillåtet att bifoga en pdf-fil om den inte är tillgänglig.",
)
G003_NEEDLESS = _g(
    "003",
    "Meddelanden genererar ofta aviseringar för invånaren, meddelanden ska därför inte skickas i"
    " onödan.",
)
G_PERSONNUMMER = _g(
    DOMAIN,
    "Personnummer are sensitive personal data (GDPR, Patientdatalagen): never show them in full"
    " in notebook outputs, logs, error messages or reports.",
)


# --------------------------------------------------------------------------- findings

Severity = Literal["error", "warning"]
_STATUS = {"ok": "OK", "warning": "VARNING", "error": "FEL"}


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


Outcome = tuple[bool, str] | tuple[bool, str, Guideline]


@dataclass(frozen=True)
class Rule:
    """A named guideline rule: its severity, its source, and the test it applies."""

    id: str
    label: str
    severity: Severity
    guideline: Guideline
    test: Callable[[Campaign], Outcome]

    def apply(self, campaign: Campaign) -> Finding:
        outcome = self.test(campaign)
        guideline = outcome[2] if len(outcome) == 3 else self.guideline
        message = mask_in_text(outcome[1])  # a message quotes the campaign's own texts
        return Finding(self.id, self.label, self.severity, outcome[0], message, guideline)


RULES: list[Rule] = []


def _rule(
    id: str, label: str, severity: Severity, guideline: Guideline
) -> Callable[[Callable[[Campaign], Outcome]], Callable[[Campaign], Outcome]]:
    def register(test: Callable[[Campaign], Outcome]) -> Callable[[Campaign], Outcome]:
        RULES.append(Rule(id, label, severity, guideline, test))
        return test

    return register


def _exempt(c: Campaign) -> bool:
    """Screening, vaccination and region-wide messages need no ongoing contact (seed 003)."""
    return c.relation.basis in ("screening", "vaccination", "region_wide")


# ---- errors


@_rule("forbidden_category", "Tillåten typ av utskick", "error", G000_FORBIDDEN)
def _forbidden_category(c: Campaign) -> Outcome:
    label = f"'{c.category}' ({c.category_label})"
    if c.category not in FORBIDDEN_CATEGORIES:
        return True, f"Kategorin {label} är tillåten."
    if c.category == "survey" and c.relation.patient_agreement:
        return (
            True,
            f"Enkät, men med överenskommelse med patienterna om deltagande"
            f" ({c.relation.patient_agreement}): undantaget gäller.",
            G001_SURVEY_EXCEPTION,
        )
    extra = {
        "survey": " Undantag bara om överenskommelse gjorts med patienten"
        " (ange relation.patient_agreement).",
        "research_recruitment": " En mottagning kan söka deltagare bland sina egna patienter"
        " (seed 004), men Ineras riktlinje (seed 003) tillåter det inte: kräver override med skäl.",
        "general_information": " Allmän information och massutskick hör hemma på 1177.se.",
        "marketing": "",
    }[c.category]
    return False, f"Kategorin {label} får inte skickas via 1177 inkorg.{extra}"


def _stated(value: str | None, what: str, key: str) -> Outcome:
    if value:
        return True, f"{what}: {_short_text(value)}"
    return False, f"{what} saknas: fyll i {key} (varje meddelande måste ange det)."


def _short_text(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@_rule("unit_named", "Avsändande mottagning/enhet angiven", "error", G003_CONTENT)
def _unit_named(c: Campaign) -> Outcome:
    return _stated(c.unit.name, "Avsändande enhet", "unit.name")


@_rule("unit_hsa_id", "Avsändande enhets HSA-id angivet", "error", G003_CONTENT)
def _unit_hsa_id(c: Campaign) -> Outcome:
    if c.unit.hsa_id:
        return True, f"HSA-id {c.unit.hsa_id} är angivet och har rätt form."
    return False, f"HSA-id för avsändande enhet saknas: fyll i unit.hsa_id, t.ex. {HSA_ID_EXAMPLE}."


@_rule("purpose_stated", "Syftet med meddelandet angivet", "error", G003_CONTENT)
def _purpose(c: Campaign) -> Outcome:
    return _stated(c.message.purpose, "Syftet", "message.purpose")


@_rule("answer_use_stated", "Hur eventuella svar används angivet", "error", G003_CONTENT)
def _answer_use(c: Campaign) -> Outcome:
    outcome = _stated(c.message.answer_use, "Hur eventuella svar används", "message.answer_use")
    if not outcome[0] and c.message.template == "information":
        return False, outcome[
            1
        ] + " För en informationsmall: skriv att meddelandet inte kan besvaras."
    return outcome


@_rule("contact_stated", "Vart man vänder sig med frågor angivet", "error", G003_CONTENT)
def _contact(c: Campaign) -> Outcome:
    return _stated(c.message.contact, "Vart man vänder sig med frågor", "message.contact")


@_rule(
    "relation_basis",
    "Etablerad relation och pågående kontakt, eller undantag",
    "error",
    G003_RELATION,
)
def _relation(c: Campaign) -> Outcome:
    basis, cat = c.relation.basis, c.category
    if basis == "established_contact":
        return True, "Grund: etablerad relation och pågående kontakt mellan enhet och mottagare."
    if basis in ("screening", "vaccination"):
        if cat == basis:
            return True, f"Grund: {RELATION_LABELS[basis]}."
        return (
            False,
            f"Undantaget för {basis} gäller bara kallelser till {basis} (category: {basis}),"
            f" inte kategorin '{cat}'.",
        )
    if basis == "region_wide":
        if cat in REGION_WIDE_CATEGORIES:
            return True, f"Grund: {RELATION_LABELS[basis]}."
        return (
            False,
            "Undantaget för regionövergripande utskick gäller bara information som främjar hälsa"
            f" eller vid kris (category: public_health eller crisis_information), inte '{cat}'.",
        )
    return (
        False,
        "Ingen etablerad relation och inget undantag (relation.basis saknas eller är 'none'):"
        " ange established_contact, screening, vaccination eller region_wide.",
    )


@_rule(
    "region_wide_inera_approval",
    "Regionövergripande utskick anmält till och godkänt av Inera",
    "error",
    G003_INERA,
)
def _inera(c: Campaign) -> Outcome:
    if c.relation.basis != "region_wide":
        return True, "Ej tillämpligt: inte ett regionövergripande utskick."
    if c.relation.inera_approval_ref:
        return True, f"Ineras godkännande: {c.relation.inera_approval_ref}."
    return (
        False,
        "Regionövergripande utskick utan Ineras godkännande: anmäl på förhand och ange"
        " relation.inera_approval_ref.",
    )


@_rule(
    "region_wide_not_answerable",
    "Regionövergripande utskick går inte att besvara",
    "error",
    G003_REGION_SENDER,
)
def _region_template(c: Campaign) -> Outcome:
    if c.relation.basis != "region_wide":
        return True, "Ej tillämpligt: inte ett regionövergripande utskick."
    if c.message.template == "information":
        return True, "Informationsmall: meddelandet går inte att besvara."
    return (
        False,
        "Regionövergripande utskick får inte gå att besvara: använd message.template: information.",
    )


# Words that name a care unit rather than the region (a region-wide message is the region's).
_UNIT_WORDS = re.compile(
    r"(?i)vårdcentral|hälsocentral|mottagning|klinik|avdelning|barnavårdscentral|\bbvc\b"
    r"|\bmvc\b|sjukhus|tandvård"
)
_REGION_WORDS = re.compile(r"(?i)region|landsting")


@_rule(
    "region_sender",
    "Regionen är avsändare av regionövergripande utskick",
    "error",
    G003_REGION_SENDER,
)
def _region_sender(c: Campaign) -> Outcome:
    if c.relation.basis != "region_wide" and c.category not in REGION_WIDE_CATEGORIES:
        return True, "Ej tillämpligt: inte ett regionövergripande utskick."
    problems = []
    name = c.unit.name or ""
    if not _REGION_WORDS.search(name) or _UNIT_WORDS.search(name):
        problems.append(
            f"avsändaren '{name or 'ej angiven'}' är inte regionen: ange regionen (t.ex."
            " 'Region Exempel') i unit.name och dess HSA-id i unit.hsa_id"
        )
    if c.target.units:
        problems.append(
            f"urvalet är begränsat till enheten {', '.join(c.target.units)}: ett"
            " regionövergripande utskick går till (delar av) regionens befolkning, inte till en"
            " enhets patienter; ta bort target.units, eller välj en annan kategori och grund"
        )
    if problems:
        return False, "Regionövergripande utskick: " + "; ".join(problems) + "."
    return True, f"Regionen är avsändare: {name}."


@_rule("attachment_types", "Bilagor i tillåtet format (pdf, jpg, png)", "error", G004_FORMATS)
def _attachment_types(c: Campaign) -> Outcome:
    if not c.attachments:
        return True, "Inga bilagor."
    bad = [a for a in c.attachments if not a.lower().endswith(ATTACHMENT_SUFFIXES)]
    if bad:
        return False, f"Bilagor i otillåtet format: {', '.join(bad)} (bara pdf, jpg eller png)."
    return True, f"Alla bilagor är pdf, jpg eller png: {', '.join(c.attachments)}."


def _texts(value: object, path: str = "") -> Iterable[tuple[str, str]]:
    """Every text of a campaign with its field path (``message.purpose``, ``case_handlers[1]``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


@_rule(
    "no_personnummer_in_text",
    "Inga personnummer i kampanjens texter",
    "error",
    G_PERSONNUMMER,
)
def _no_personnummer(c: Campaign) -> Outcome:
    found = [
        f"{path} ({', '.join(numbers)})"
        for path, text in _texts(c.model_dump(mode="json", exclude={"planned_send_start"}))
        if (numbers := find_in_text(text))
    ]
    if not found:
        return True, "Inga personnummer i rubrik, texter, kontaktuppgifter eller andra fält."
    return (
        False,
        f"Personnummer i {'; '.join(found)}: ett meddelande till många får inte nämna en enskild"
        " person, och personnummer får inte stå i rapporter. Ta bort numret (är det ett"
        " telefonnummer: skriv det med mellanslag, t.ex. 070-123 45 67).",
    )


# ---- warnings


@_rule("attachments_discouraged", "Inga bilagor (avråds)", "warning", G004_ATTACHMENTS)
def _attachments(c: Campaign) -> Outcome:
    if not c.attachments:
        return True, "Inga bilagor."
    return (
        False,
        f"{len(c.attachments)} bilaga/bilagor: avråds. De måste vara tillgänglighetsanpassade"
        " (skannade dokument är det aldrig) och är svåra att läsa i mobilen; länka hellre till"
        " 1177.se eller skriv in texten i meddelandet.",
    )


@_rule(
    "accessibility",
    "Text och bilagor uppfyller lagkrav på tillgänglighet",
    "warning",
    G003_ACCESSIBLE,
)
def _accessibility(c: Campaign) -> Outcome:
    checked = c.message.accessibility_checked
    attached = (
        f" {len(c.attachments)} bilaga/bilagor ingår: även de måste vara tillgängliga (skannade"
        " dokument är det aldrig)."
        if c.attachments
        else ""
    )
    guideline = G004_ACCESSIBLE_ATTACHMENTS if c.attachments else G003_ACCESSIBLE
    if checked:
        return True, f"Tillgänglighet granskad: {_short_text(checked)}.{attached}", guideline
    return (
        False,
        "Ingen har angett att texten granskats mot lagkraven på tillgänglighet (1177:s"
        f" skrivregler): ange message.accessibility_checked (vem, mot vad).{attached}",
        guideline,
    )


@_rule(
    "ongoing_contact_filter",
    "Urvalet kräver pågående kontakt",
    "warning",
    G001_ALL_PATIENTS,
)
def _ongoing_contact(c: Campaign) -> Outcome:
    t = c.target
    if _exempt(c):
        return (
            True,
            f"Ej tillämpligt: {RELATION_LABELS[c.relation.basis]} kräver inte pågående kontakt.",
        )
    if t.last_contact_within_days is not None:
        return True, f"Urvalet kräver kontakt de senaste {t.last_contact_within_days} dagarna."
    if t.last_contact_between is not None:
        first, last = t.last_contact_between
        return True, f"Urvalet kräver kontakt mellan {first} och {last}."
    if t.include_lists:
        return (
            True,
            "Urvalet bygger på listor (target.include_lists): se till att de bara har patienter"
            " med pågående kontakt.",
        )
    if not t.diagnosis_prefixes:
        return (
            False,
            "Urvalet saknar filter på senaste kontakt och på diagnos: det liknar 'mottagningens"
            " samtliga patienter'. Lägg till target.last_contact_within_days.",
        )
    return (
        False,
        "Urvalet saknar filter på senaste kontakt: pågående kontakt krävs. Lägg till"
        " target.last_contact_within_days eller target.last_contact_between.",
    )


@_rule("send_time", "Utskick under passande tider", "warning", G004_EVENINGS)
def _send_time(c: Campaign) -> Outcome:
    from inkorg_kit.schedule import outside_window_codes, outside_windows

    when = c.planned_send_start
    shown = f"{_WEEKDAYS_SV[when.weekday()]} {when:%Y-%m-%d %H:%M}"
    windows = c.send_windows
    reason = outside_windows([when], windows)[0]
    if reason is not None:
        code = outside_window_codes([when], windows)[0]
        return (
            False,
            f"Planerad start {shown} ligger utanför sändfönstret: {reason}"
            f" (sändfönster {windows.describe()})."
            " Aviseringar plingar i mottagarnas telefoner.",
            G003_TIMES if code == "night" else G004_EVENINGS,
        )
    # The configured window may be wider than the guideline allows (evenings, weekends).
    fitting = SendWindows(timezone=windows.timezone)
    reason = outside_windows([when], fitting)[0]
    if reason is not None:
        code = outside_window_codes([when], fitting)[0]
        return (
            False,
            f"Planerad start {shown} ligger inom det inställda sändfönstret men utanför passande"
            f" tider: {reason} (passande: {fitting.describe()}).",
            G003_TIMES if code == "night" else G004_EVENINGS,
        )
    return True, f"Planerad start {shown} ligger inom sändfönstret: {windows.describe()}."


@_rule(
    "not_needlessly",
    "Inga onödiga meddelanden",
    "warning",
    G003_NEEDLESS,
)
def _not_needlessly(c: Campaign) -> Outcome:
    t = c.target
    off = [
        label
        for on, label in (
            (t.exclude_deceased, "avlidna (target.exclude_deceased)"),
            (t.exclude_opted_out, "de som avböjt meddelanden (target.exclude_opted_out)"),
        )
        if not on
    ]
    if off:
        return (
            False,
            f"Urvalet räknar inte bort {' och '.join(off)}: meddelanden till dem är onödiga och"
            " ger aviseringar i onödan.",
        )
    if t.frequency_cap_days is not None:
        cap = f"den som fått ett meddelande de senaste {t.frequency_cap_days} dagarna räknas bort"
    else:
        cap = "ingen frekvensgräns (target.frequency_cap_days) mot tidigare utskick"
    return True, f"Avlidna och de som avböjt räknas bort; {cap}."


@_rule(
    "survey_agreement",
    "Överenskommelse med patienten vid enkät",
    "warning",
    G001_SURVEY_EXCEPTION,
)
def _survey_agreement(c: Campaign) -> Outcome:
    if c.category not in ("prom_prem", "survey"):
        return True, "Ej tillämpligt: inte en enkät."
    if c.relation.patient_agreement:
        return True, f"Överenskommelse med patienterna: {c.relation.patient_agreement}."
    if c.category == "survey":
        return False, "Enkät utan angiven överenskommelse med patienterna (se även felet ovan)."
    return (
        False,
        "PROM/PREM är tillåtet (seed 003), men enkäter om upplevelse av vårdbesök bör bygga på"
        " en överenskommelse med patienten: ange relation.patient_agreement.",
    )


@_rule(
    "data_collection_form",
    "Svar samlas in med formulär som uppfyller lagkrav",
    "warning",
    G003_FORMS,
)
def _data_collection_form(c: Campaign) -> Outcome:
    if c.message.template != "questions":
        return True, "Ej tillämpligt: informationsmallen samlar inte in några svar."
    if c.message.answer_form:
        return True, f"Svaren samlas in med: {_short_text(c.message.answer_form)}."
    return (
        False,
        "Frågemallen samlar in uppgifter: ange i message.answer_form vilket formulär som tar emot"
        " svaren (t.ex. 'Personalverktygets mall med frågor' eller '1177 formulärtjänst'); det"
        " måste uppfylla lagkraven på hantering av känsliga personuppgifter.",
    )


@_rule(
    "unit_in_target",
    "Mottagarna har vårdrelation till avsändande enhet",
    "warning",
    G001_CARE_RELATION,
)
def _unit_in_target(c: Campaign) -> Outcome:
    if _exempt(c):
        return True, f"Ej tillämpligt: {RELATION_LABELS[c.relation.basis]}."
    if not c.unit.hsa_id:
        return True, "Kan inte jämföras: unit.hsa_id saknas (se felet ovan)."
    if not c.target.units:
        return (
            False,
            "Urvalet är inte begränsat till avsändande enhet (target.units är tomt): mottagarna"
            f" ska ha vårdrelation till {c.unit.hsa_id}.",
        )
    if c.unit.hsa_id not in c.target.units:
        return (
            False,
            f"Avsändande enhet {c.unit.hsa_id} finns inte bland urvalets enheter"
            f" ({', '.join(c.target.units)}).",
        )
    return True, f"Urvalet gäller patienter vid avsändande enhet {c.unit.hsa_id}."


@_rule("other_channel", "Annan kanal för den som inte läser", "warning", G004_OTHER_CHANNEL)
def _other_channel(c: Campaign) -> Outcome:
    if c.followup.other_channel:
        return True, f"Annan kanal: {_short_text(c.followup.other_channel)}"
    if c.category not in NEEDS_OTHER_CHANNEL:
        return True, "Ej tillämpligt: inte en kallelse eller liknande."
    return (
        False,
        f"{c.category_label}: bestäm hur den som inte läser (eller saknar inloggning) nås på annat"
        " sätt; ange followup.other_channel.",
    )


@_rule("case_handlers", "Ärendehanterare utsedda", "warning", G000_HANDLER)
def _handlers(c: Campaign) -> Outcome:
    if c.case_handlers:
        return True, f"Ärendehanterare: {', '.join(c.case_handlers)}."
    return False, "Inga ärendehanterare angivna: vem skickar? Ange case_handlers."


@_rule(
    "communicator_approval",
    "Rubrik och text godkända av kommunikatör",
    "warning",
    G000_COMMUNICATOR,
)
def _communicator(c: Campaign) -> Outcome:
    if c.message.approved_by:
        return True, f"Godkänt av {c.message.approved_by}."
    return False, "Ingen kommunikatör har godkänt rubrik och text: ange message.approved_by."


# --------------------------------------------------------------------------- the report


def _now() -> str:
    return dt.datetime.now(ZoneInfo("Europe/Stockholm")).isoformat(timespec="seconds")


#: An override reason must say who decided and why: at least this many words and characters.
MIN_REASON_WORDS = 3
MIN_REASON_CHARS = 15
REASON_EXAMPLE = "Beslut av verksamhetschef Johan Ekström 2027-02-01, dnr 123"


def _reason_text(reason: str | None) -> str:
    """The reason on one line, personnummer masked (it goes into reports and the manifest)."""
    return mask_in_text(" ".join((reason or "").split()))


def _reason_problem(reason: str) -> str | None:
    """Why a reason is too thin to go ahead on, or None when it will do."""
    if len(reason.split()) >= MIN_REASON_WORDS and len(reason) >= MIN_REASON_CHARS:
        return None
    return (
        f"override_reason {reason!r} is too short to go ahead on: write who decided and why, at"
        f" least {MIN_REASON_WORDS} words and {MIN_REASON_CHARS} characters, e.g."
        f" {REASON_EXAMPLE!r}"
    )


def _error_keys(findings: Iterable[Finding]) -> set[tuple[str, str]]:
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
        return _error_keys(errors) <= given

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


REPORT_FILES = {
    "json": "campaign_check.json",
    "markdown": "campaign_check.md",
    "csv": "campaign_check.csv",
}


@dataclass
class CheckReport:
    """Every rule applied to one campaign; the checklist notebook 00 shows and later steps read."""

    campaign: str
    title: str
    findings: tuple[Finding, ...]
    checked_at: str = field(default_factory=_now)
    override: Override | None = None
    # an override found in the run folder for other errors: named when require_ok refuses
    _earlier: Override | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "warning"]

    @property
    def passed(self) -> list[Finding]:
        return [f for f in self.findings if f.passed]

    @property
    def ok(self) -> bool:
        """True when no rule of severity error is broken (warnings allowed)."""
        return not self.errors

    def finding(self, check_id: str) -> Finding:
        for f in self.findings:
            if f.check == check_id:
                return f
        raise KeyError(f"no check {check_id!r}; known: {', '.join(f.check for f in self.findings)}")

    def summary(self) -> str:
        """One Swedish line: how many passed, warnings, errors."""
        text = (
            f"{len(self.passed)} av {len(self.findings)} kontroller godkända,"
            f" {len(self.warnings)} varning(ar), {len(self.errors)} fel."
        )
        if self.errors and self.override is not None and self.override.covers(self.errors):
            text += f" Felen är åsidosatta: {self.override.reason}"
        return text

    def to_frame(self) -> pl.DataFrame:
        """One row per check; errors first, then warnings, then passed."""
        order = {"error": 0, "warning": 1, "ok": 2}
        rows = sorted((f.to_dict() for f in self.findings), key=lambda row: order[row["status"]])
        schema = {
            "check": pl.String,
            "label": pl.String,
            "severity": pl.String,
            "passed": pl.Boolean,
            "status": pl.String,
            "message": pl.String,
            "seed": pl.String,
            "document": pl.String,
            "quote": pl.String,
        }
        return pl.DataFrame(rows, schema=schema, orient="row")

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "title": self.title,
            "checked_at": self.checked_at,
            "ok": self.ok,
            "counts": {
                "checks": len(self.findings),
                "passed": len(self.passed),
                "warnings": len(self.warnings),
                "errors": len(self.errors),
            },
            "override": self.override.to_dict() if self.override else None,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON (atomically); later notebooks read it with from_json."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return write_private_text(path, text)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CheckReport:
        """Read a report written by :meth:`to_json` (e.g. by notebook 00 into the run folder)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CampaignError(
                f"{path}: no campaign check report; run notebook 00_campaign_check first",
                source=str(path),
            ) from None
        override = data.get("override")
        return cls(
            campaign=data["campaign"],
            title=data["title"],
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
            checked_at=data["checked_at"],
            override=Override.from_dict(override) if override else None,
        )

    def to_markdown(self) -> str:
        """The checklist for people: a heading, the summary, a table with the guidelines."""

        def cell(text: str) -> str:
            return " ".join(str(text).split()).replace("|", "\\|")

        lines = [
            f"## Kontroll mot riktlinjerna: {cell(self.title)} (`{self.campaign}`)",
            "",
            self.summary(),
            "",
        ]
        if self.override is not None:
            lines += [
                f"**Åsidosatt** {self.override.overridden_at}:"
                f" {cell(self.override.reason)} (fel: {', '.join(self.override.errors)})",
                "",
            ]
        lines += ["| Resultat | Kontroll | Meddelande | Riktlinje |", "| --- | --- | --- | --- |"]
        for row in self.to_frame().iter_rows(named=True):
            where = Guideline(row["seed"], row["document"], row["quote"]).where
            source = f'{where}: "{row["quote"]}"'
            lines.append(
                f"| {_STATUS[row['status']]} | {cell(row['label'])} (`{row['check']}`)"
                f" | {cell(row['message'])} | {cell(source)} |"
            )
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """The table as CSV (UTF-8 with BOM, so Excel shows å, ä, ö)."""
        buffer = self.to_frame().write_csv()
        return write_private_text(path, "\ufeff" + buffer)

    def write(
        self, run_dir: str | os.PathLike[str], *, override_reason: str | None = None
    ) -> dict[str, Path]:
        """Write JSON, Markdown and CSV into ``run_dir`` (private: folder 0700, files 0600).

        With errors: a reason of substance is recorded as an override; without a new reason,
        an override already in ``run_dir``'s report for this campaign is kept when it covers
        the same errors (so re-running notebook 00 does not wipe it out). Writing never raises
        on guideline errors or a thin reason: the analyst gets the checklist either way. Call
        :meth:`require_ok` afterwards to stop the run.
        """
        folder = ensure_private_dir(run_dir)
        reason = _reason_text(override_reason)
        if self.errors and reason and _reason_problem(reason) is None:
            self._record_override(reason)
        elif self.errors and not reason and self.override is None:
            stored = _stored_override(folder / REPORT_FILES["json"], self)
            if stored is not None and stored.covers(self.errors):
                self.override = stored
            else:
                self._earlier = stored
        return {
            "json": self.to_json(folder / REPORT_FILES["json"]),
            "markdown": write_private_text(folder / REPORT_FILES["markdown"], self.to_markdown()),
            "csv": self.to_csv(folder / REPORT_FILES["csv"]),
        }

    def _record_override(self, reason: str) -> Override:
        reason = _reason_text(reason)
        errors = self.errors
        current = self.override
        if current is not None and current.reason == reason and current.covers(errors):
            return current
        self.override = Override(
            campaign=self.campaign,
            reason=reason,
            errors=tuple(f.check for f in errors),
            messages=tuple(f.message for f in errors),
            overridden_at=_now(),
        )
        return self.override

    def require_ok(self, override_reason: str | None = None) -> Override | None:
        """Go/no-go for steps that write recipient files.

        No errors: returns None. Errors and an ``override_reason`` of substance (at least
        :data:`MIN_REASON_WORDS` words, :data:`MIN_REASON_CHARS` characters): returns (and
        records) an :class:`Override` for the manifest. Errors, no reason, but an override
        already recorded in this report that covers exactly these errors (e.g. given to
        notebook 00): returns that. Otherwise raises :class:`CampaignError` listing each
        error with its guideline.
        """
        errors = self.errors
        if not errors:
            return None
        reason = _reason_text(override_reason)
        if reason:
            problem = _reason_problem(reason)
            if problem is not None:
                raise CampaignError(
                    f"campaign {self.campaign!r}: {problem}",
                    [f"{f.check}: {f.message}" for f in errors],
                )
            return self._record_override(reason)
        if self.override is not None and self.override.covers(errors):
            return self.override
        problems = [f"{f.check}: {f.message} — {f.guideline.cite()}" for f in errors]
        stale = ""
        earlier = self.override or self._earlier
        if earlier is not None:
            stale = (
                " (the override recorded earlier was given for other errors: "
                f"{', '.join(earlier.errors)}; these need a reason of their own)"
            )
        raise CampaignError(
            f"campaign {self.campaign!r} breaks {len(errors)} guideline rule(s){stale}; fix the"
            " campaign, or give override_reason with a written reason to go ahead anyway (who"
            " decided and why; it is recorded in the manifest)",
            problems,
        )


def _stored_override(path: Path, report: CheckReport) -> Override | None:
    """The override in an earlier report at ``path`` for this campaign, if any (whether it
    covers the report's errors is for the caller to ask)."""
    if not path.is_file():
        return None
    try:
        stored = CheckReport.from_json(path)
    except (CampaignError, ValueError, KeyError, TypeError):
        return None  # an unreadable old report is replaced, its override not carried over
    return stored.override if stored.campaign == report.campaign else None


def check(campaign: Campaign) -> CheckReport:
    """Apply every rule in :data:`RULES` to the campaign; never raises on a broken rule."""
    findings = tuple(rule.apply(campaign) for rule in RULES)
    return CheckReport(
        campaign=campaign.name, title=mask_in_text(campaign.title), findings=findings
    )


def ensure_sendable(
    source: Campaign | CheckReport | str | os.PathLike[str],
    override_reason: str | None = None,
) -> Override | None:
    """Refuse to go on with a campaign that has errors, unless a written reason is given.

    ``source`` is a campaign, a report, a campaign YAML or a ``campaign_check.json``. Returns
    None when there are no errors, else the :class:`Override` to record in the manifest.
    """
    if isinstance(source, Campaign):
        report = check(source)
    elif isinstance(source, CheckReport):
        report = source
    else:
        path = Path(source)
        report = (
            CheckReport.from_json(path)
            if path.suffix.lower() == ".json"
            else check(load_campaign(path))
        )
    return report.require_ok(override_reason)
