"""The blocks of a campaign YAML (orderer, sender, unit, message, relation, sending, follow-up)
and the closed vocabularies they use (categories, templates, relation bases, the HSA-id shape).

Why apart from :mod:`inkorg_kit.config.campaign`: each block is one question of the order form
(seed 000 "Definiera behov"; seed 002's checklist), typed on its own; the campaign puts them
together. Loading is strict about shape, lenient about content: a key the order form must
answer may be left empty (``null``) while undecided, and the guideline check reports it.

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
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from inkorg_kit.config.outcome_spec import OutcomeSpec
from inkorg_kit.config.status_export import StatusExportMapping
from inkorg_kit.vocab import MAX_PART_SIZE

__all__ = [
    "CAMPAIGN_NAME_EXAMPLE",
    "CATEGORIES",
    "DEFAULT_RETENTION_DAYS",
    "FOLLOWUP_STRATEGIES",
    "HSA_ID_EXAMPLE",
    "HSA_ID_MAX_LENGTH",
    "HSA_ID_RE",
    "MAX_RETENTION_DAYS",
    "RELATION_LABELS",
    "TEMPLATES",
    "Category",
    "Followup",
    "FollowupStrategy",
    "Message",
    "OptText",
    "Orderer",
    "Relation",
    "RelationBasis",
    "Sender",
    "Sending",
    "Text",
    "Unit",
    "blank_to_none",
    "is_hsa_id",
    "one_of",
]

# --------------------------------------------------------------------------- vocabularies

HSA_ID_RE = re.compile(r"^SE(?:16)?\d{10}-[A-Za-z0-9]+$")
HSA_ID_MAX_LENGTH = 31
HSA_ID_EXAMPLE = "SE2321000032-ABC123"
#: The example of a campaign name that error messages give.
CAMPAIGN_NAME_EXAMPLE = "blodtryck-solbacka-2027"
#: Days a run folder keeps personal data after the last follow-up unless the campaign says
#: otherwise (``followup.retention_days``): time for letters and calls to the unread and for
#: the orderer's questions, then the personnummer go (``inkorg-kit purge``).
DEFAULT_RETENTION_DAYS = 90
#: The longest retention a campaign may ask for: ten years is beyond any follow-up.
MAX_RETENTION_DAYS = 3650

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

FollowupStrategy = Literal["letter", "reminder", "letter_first"]
#: The follow-up strategies (``followup.strategy``), code -> what it means (Swedish).
FOLLOWUP_STRATEGIES = {
    "letter": "brev till olästa efter N arbetstimmar",
    "reminder": "påminnelse i 1177 efter R arbetstimmar, sedan brev",
    "letter_first": "brev direkt till dem utan inloggning, brev till olästa efter N",
}

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


def is_hsa_id(value: object) -> bool:
    """True when ``value`` has the shape of an HSA-id (see the module docstring)."""
    return (
        isinstance(value, str)
        and len(value) <= HSA_ID_MAX_LENGTH
        and HSA_ID_RE.fullmatch(value) is not None
    )


def one_of(choices: Mapping[str, str] | Iterable[str], what: str) -> Callable[[object], object]:
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


def blank_to_none(value: object) -> object:
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
    return blank_to_none(value)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptText = Annotated[str | None, BeforeValidator(blank_to_none)]


# --------------------------------------------------------------------------- the blocks


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Orderer(_Block):
    """Who ordered the campaign and answers questions about it (seed 000: "beställare")."""

    name: Text = Field(
        description="the orderer's / contact person's name", examples=["Karin Lindqvist"]
    )
    email: OptText = Field(
        None,
        description="the orderer's e-mail address",
        examples=["karin.lindqvist@solbacka.example"],
    )
    phone: OptText = Field(
        None, description="the orderer's phone number", examples=["08-465 004 21"]
    )

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

    name: Text = Field(description="name of the responsible sender", examples=["Johan Ekström"])
    title: Text = Field(
        description="the responsible sender's title, e.g. 'Verksamhetschef'",
        examples=["Verksamhetschef"],
    )
    organisation: Text = Field(
        description="the responsible sender's organisation",
        examples=["Vårdcentralen Solbacka, Region Exempel"],
    )


class Unit(_Block):
    """The unit the message is sent from; residents see it as the sender (seed 003)."""

    name: OptText = Field(
        description="name of the sending unit (mottagning/vårdenhet)",
        examples=["Vårdcentralen Solbacka"],
    )
    hsa_id: OptText = Field(
        description=(
            f"the sending unit's HSA-id: SE + 10-digit organisation number + '-' + letters/digits,"
            f" e.g. {HSA_ID_EXAMPLE}"
        ),
        examples=[HSA_ID_EXAMPLE],
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

    title: Text = Field(
        description="the message title residents see in their inbox",
        examples=["Dags för blodtryckskontroll"],
    )
    purpose: OptText = Field(
        description="say why the message is sent",
        examples=[
            "Du har en diagnos för högt blodtryck och har varit hos oss det senaste året."
            " Vi erbjuder dig en kontroll av blodtrycket hos distriktssköterskan."
        ],
    )
    answer_use: OptText = Field(
        description="say how any answers will be used (or that the message cannot be answered)",
        examples=[
            "Svara med vilka dagar som passar dig. Ditt svar läses bara av vårdcentralens"
            " personal och används för att boka din tid."
        ],
    )
    contact: OptText = Field(
        description="say where residents turn with questions",
        examples=["Vårdcentralen Solbacka, telefon 08-465 004 20, vardagar 08.00–16.00."],
    )
    template: Annotated[
        Literal["information", "questions"],
        BeforeValidator(one_of(TEMPLATES, "message template")),
    ] = Field(
        description="'information' (cannot be answered) or 'questions' (can be answered)",
        examples=["questions"],
    )
    close_after_days: int | None = Field(
        None,
        ge=1,
        le=365,
        description="days before unanswered cases close (question templates)",
        examples=[14],
    )
    approved_by: OptText = Field(
        None,
        description="the communicator who approved title and text (seed 000)",
        examples=["Maria Sjöberg, kommunikatör"],
    )
    answer_form: OptText = Field(
        None,
        description=(
            "for question templates: the form that collects the answers, one that meets the law"
            " on sensitive personal data, e.g. 'Personalverktygets mall med frågor' (seed 003)"
        ),
        examples=["Personalverktygets mall med frågor"],
    )
    accessibility_checked: OptText = Field(
        None,
        description=(
            "who checked that the text (and any attachments) meet accessibility law, e.g."
            " 'Maria Sjöberg, kommunikatör, mot 1177:s skrivregler' (seed 003)"
        ),
        examples=["Maria Sjöberg, kommunikatör, mot 1177:s skrivregler"],
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
        RelationBasis | None, BeforeValidator(one_of(RELATION_LABELS, "relation basis"))
    ] = Field(
        description=(
            "established_contact, screening, vaccination, region_wide, or none"
            " (the relation between unit and residents, or the exemption that applies)"
        ),
        examples=["established_contact"],
    )
    inera_approval_ref: OptText = Field(
        None,
        description="Inera's approval reference (required for region_wide)",
        examples=["Inera 2027-0042"],
    )
    patient_agreement: Annotated[str | None, BeforeValidator(_agreement)] = Field(
        None,
        description="how patients agreed to take part (for surveys and PROM/PREM)",
        examples=["Tackade ja till enkäten vid besöket"],
    )


class Sending(_Block):
    """Handler capacity: used by the send plan (schedule) and the recipient files."""

    handlers: int = Field(1, ge=1, le=100, description="case handlers sending in parallel")
    minutes_per_file: float = Field(
        5.0, gt=0, le=240, description="minutes to import, check and send one file"
    )
    max_messages_per_day: int | None = Field(
        None,
        ge=1,
        description="cap on messages a day, so the unit can take the replies",
        examples=[1500],
    )
    part_size: int = Field(
        MAX_PART_SIZE,
        ge=1,
        le=MAX_PART_SIZE,
        description=f"personnummer per import file, at most {MAX_PART_SIZE} (seed 004)",
    )
    finish_by: dt.date | None = Field(
        None,
        description="the date the unit needs all messages sent by (the reminder wave"
        " included); the plan warns when the handlers cannot finish by then, and says how many"
        " it would take",
        examples=["2027-03-26"],
    )


class Followup(_Block):
    """After sending: how unread residents are reached, and the status-export mapping (typed
    here, when the campaign loads, so a wrong key is found before anything is sent)."""

    other_channel: OptText = Field(
        None,
        description="how residents who do not read are reached instead (letter, phone)",
        examples=["Den som inte har läst meddelandet inom 7 dagar får en kallelse per brev."],
    )
    unread_after_working_hours: float | None = Field(
        None,
        gt=0,
        description="a message still unread this many working hours (inside the send windows) "
        "after it was sent needs another channel; reach (notebook 03) and follow-up (04) both "
        "count it so. Empty: the category's default (deadlines: in params/reach_defaults.yaml;"
        " kallelse 24), filled in when the campaign loads",
        examples=[24],
    )
    strategy: Annotated[
        FollowupStrategy,
        BeforeValidator(one_of(FOLLOWUP_STRATEGIES, "follow-up strategy")),
    ] = Field(
        "letter",
        description="how the unread are followed up: 'letter' (a letter to the unread after"
        " unread_after_working_hours), 'reminder' (a 1177 reminder after"
        " reminder_after_working_hours, then the letter) or 'letter_first' (a letter at once to"
        " those without an active login, whose send fails, and 'letter' for the rest)",
        examples=["reminder"],
    )
    reminder_after_working_hours: float | None = Field(
        None,
        gt=0,
        description="for strategy 'reminder': working hours after the message when the still"
        " unread get a 1177 reminder; below unread_after_working_hours. Empty: the category's"
        " default, filled in when the campaign loads",
        examples=[9],
    )
    status_export: StatusExportMapping = Field(
        default_factory=StatusExportMapping,
        description="column/label mapping of the status export",
    )
    outcome: OutcomeSpec | None = Field(
        None,
        description="the later extract of what residents did (booked, came, got vaccinated,"
        " answered) and its columns, for the outcome follow-up by read status",
    )
    register_folder: OptText = Field(
        None,
        description="the region's campaign register (a folder of Parquet files, aggregates"
        " only): step 04 records this campaign there and step 03 takes its priors from it."
        " Counts from the campaign's folder; empty: the environment variable INKORG_REGISTER,"
        " else register/ beside the run folders (out/register/)",
        examples=["../register"],
    )
    retention_days: Annotated[int, Field(strict=True)] = Field(
        DEFAULT_RETENTION_DAYS,
        ge=1,
        le=MAX_RETENTION_DAYS,
        description=(
            "days the run folder keeps personal data after the last follow-up (GDPR storage"
            " limitation); then `inkorg-kit purge` deletes the target group, the recipient files"
            " and archive, the status export, the follow-up lists and letters and the executed"
            " notebooks, and keeps the report, manifests, funnel, check and send plan. Counted"
            " from the newest status export behind a follow-up (`exported_at` in"
            " followup/followup_manifest.json), because the lists of whom to reach by letter or"
            " phone are made then and used in the weeks after; with no follow-up yet, from the"
            " planned send start"
        ),
    )
