"""The checks of whom a campaign may reach: the care relation or the exemption that applies,
region-wide messages, and a target group that asks for ongoing contact and spares the
deceased and those who opted out.

Why: 1177 inkorg may be used only when unit and resident have an established relation and
ongoing contact, or under the screening, vaccination or region-wide exemptions (seed 003),
never for "all patients of a unit" (seed 001), and never needlessly (seed 003). Each check
takes a campaign and returns an :data:`Outcome`; :mod:`inkorg_kit.guidelines.rules` names them.
"""

from __future__ import annotations

import re

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.config.campaign_parts import RELATION_LABELS
from inkorg_kit.guidelines.findings import Outcome

__all__ = [
    "REGION_WIDE_CATEGORIES",
    "exempt",
    "not_needlessly",
    "ongoing_contact_filter",
    "region_sender",
    "region_wide_inera_approval",
    "region_wide_not_answerable",
    "relation_basis",
    "unit_in_target",
]

REGION_WIDE_CATEGORIES = frozenset({"public_health", "crisis_information"})

# Words that name a care unit rather than the region (a region-wide message is the region's).
_UNIT_WORDS = re.compile(
    r"(?i)vårdcentral|hälsocentral|mottagning|klinik|avdelning|barnavårdscentral|\bbvc\b"
    r"|\bmvc\b|sjukhus|tandvård"
)
_REGION_WORDS = re.compile(r"(?i)region|landsting")


def exempt(c: Campaign) -> bool:
    """Screening, vaccination and region-wide messages need no ongoing contact (seed 003)."""
    return c.relation.basis in ("screening", "vaccination", "region_wide")


def relation_basis(c: Campaign) -> Outcome:
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


def region_wide_inera_approval(c: Campaign) -> Outcome:
    if c.relation.basis != "region_wide":
        return True, "Ej tillämpligt: inte ett regionövergripande utskick."
    if c.relation.inera_approval_ref:
        return True, f"Ineras godkännande: {c.relation.inera_approval_ref}."
    return (
        False,
        "Regionövergripande utskick utan Ineras godkännande: anmäl på förhand och ange"
        " relation.inera_approval_ref.",
    )


def region_wide_not_answerable(c: Campaign) -> Outcome:
    if c.relation.basis != "region_wide":
        return True, "Ej tillämpligt: inte ett regionövergripande utskick."
    if c.message.template == "information":
        return True, "Informationsmall: meddelandet går inte att besvara."
    return (
        False,
        "Regionövergripande utskick får inte gå att besvara: använd message.template: information.",
    )


def region_sender(c: Campaign) -> Outcome:
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


def ongoing_contact_filter(c: Campaign) -> Outcome:
    t = c.target
    if exempt(c):
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


def not_needlessly(c: Campaign) -> Outcome:
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


def unit_in_target(c: Campaign) -> Outcome:
    if exempt(c):
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
