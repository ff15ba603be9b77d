"""The checks of what a campaign sends: its category, the four things every message must say,
attachments, accessibility, how answers are collected, approval, and no personnummer.

Why: seed 003 lists what every message must state (sender unit with HSA-id, purpose, how
answers are used, where to turn), seed 000 what may not be sent at all, seed 004 which
attachments are allowed. Each check takes a campaign and returns an :data:`Outcome`; the rules
in :mod:`inkorg_kit.guidelines.rules` name them and give their severity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.config.campaign_parts import HSA_ID_EXAMPLE
from inkorg_kit.guidelines.findings import Outcome, short_text
from inkorg_kit.guidelines.sources import (
    G001_SURVEY_EXCEPTION,
    G003_ACCESSIBLE,
    G004_ACCESSIBLE_ATTACHMENTS,
)
from inkorg_kit.privacy import find_in_text

__all__ = [
    "ATTACHMENT_SUFFIXES",
    "FORBIDDEN_CATEGORIES",
    "accessibility",
    "answer_use_stated",
    "attachment_types",
    "attachments_discouraged",
    "communicator_approval",
    "contact_stated",
    "data_collection_form",
    "forbidden_category",
    "no_personnummer_in_text",
    "purpose_stated",
    "survey_agreement",
    "unit_hsa_id",
    "unit_named",
]

FORBIDDEN_CATEGORIES = frozenset(
    {"marketing", "general_information", "survey", "research_recruitment"}
)
ATTACHMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")


def forbidden_category(c: Campaign) -> Outcome:
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
        return True, f"{what}: {short_text(value)}"
    return False, f"{what} saknas: fyll i {key} (varje meddelande måste ange det)."


def unit_named(c: Campaign) -> Outcome:
    return _stated(c.unit.name, "Avsändande enhet", "unit.name")


def unit_hsa_id(c: Campaign) -> Outcome:
    if c.unit.hsa_id:
        return True, f"HSA-id {c.unit.hsa_id} är angivet och har rätt form."
    return False, f"HSA-id för avsändande enhet saknas: fyll i unit.hsa_id, t.ex. {HSA_ID_EXAMPLE}."


def purpose_stated(c: Campaign) -> Outcome:
    return _stated(c.message.purpose, "Syftet", "message.purpose")


def answer_use_stated(c: Campaign) -> Outcome:
    outcome = _stated(c.message.answer_use, "Hur eventuella svar används", "message.answer_use")
    if not outcome[0] and c.message.template == "information":
        return False, outcome[
            1
        ] + " För en informationsmall: skriv att meddelandet inte kan besvaras."
    return outcome


def contact_stated(c: Campaign) -> Outcome:
    return _stated(c.message.contact, "Vart man vänder sig med frågor", "message.contact")


def attachment_types(c: Campaign) -> Outcome:
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


def no_personnummer_in_text(c: Campaign) -> Outcome:
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


def attachments_discouraged(c: Campaign) -> Outcome:
    if not c.attachments:
        return True, "Inga bilagor."
    return (
        False,
        f"{len(c.attachments)} bilaga/bilagor: avråds. De måste vara tillgänglighetsanpassade"
        " (skannade dokument är det aldrig) och är svåra att läsa i mobilen; länka hellre till"
        " 1177.se eller skriv in texten i meddelandet.",
    )


def accessibility(c: Campaign) -> Outcome:
    checked = c.message.accessibility_checked
    attached = (
        f" {len(c.attachments)} bilaga/bilagor ingår: även de måste vara tillgängliga (skannade"
        " dokument är det aldrig)."
        if c.attachments
        else ""
    )
    guideline = G004_ACCESSIBLE_ATTACHMENTS if c.attachments else G003_ACCESSIBLE
    if checked:
        return True, f"Tillgänglighet granskad: {short_text(checked)}.{attached}", guideline
    return (
        False,
        "Ingen har angett att texten granskats mot lagkraven på tillgänglighet (1177:s"
        f" skrivregler): ange message.accessibility_checked (vem, mot vad).{attached}",
        guideline,
    )


def survey_agreement(c: Campaign) -> Outcome:
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


def data_collection_form(c: Campaign) -> Outcome:
    if c.message.template != "questions":
        return True, "Ej tillämpligt: informationsmallen samlar inte in några svar."
    if c.message.answer_form:
        return True, f"Svaren samlas in med: {short_text(c.message.answer_form)}."
    return (
        False,
        "Frågemallen samlar in uppgifter: ange i message.answer_form vilket formulär som tar emot"
        " svaren (t.ex. 'Personalverktygets mall med frågor' eller '1177 formulärtjänst'); det"
        " måste uppfylla lagkraven på hantering av känsliga personuppgifter.",
    )


def communicator_approval(c: Campaign) -> Outcome:
    if c.message.approved_by:
        return True, f"Godkänt av {c.message.approved_by}."
    return False, "Ingen kommunikatör har godkänt rubrik och text: ange message.approved_by."
