"""The rule registry: every guideline rule with its id, Swedish label, severity, source and test,
in report order.

Why one list: the check, the report, the manifest and the tests all go by it, so a rule is
named and ordered once. Errors stop the recipient files unless a person writes down why they
go ahead (an override); warnings are shown. The kit can only check what is stated for the
review-type rules (accessibility, answer form, approval), so those are warnings; what it can
see for itself is checked.

* errors: ``forbidden_category`` (marketing, general information, broad surveys, research
  recruitment; a survey passes with a stated patient agreement, seed 001), ``unit_named``,
  ``unit_hsa_id``, ``purpose_stated``, ``answer_use_stated``, ``contact_stated`` (seed 003),
  ``relation_basis`` (established relation and ongoing contact, or the screening / vaccination
  / region-wide exemption matching the category), ``region_wide_inera_approval``,
  ``region_wide_not_answerable``, ``region_sender`` (a region-wide message is sent by the
  region, not a unit, to the region's residents, not a unit's patients), ``attachment_types``
  (pdf, jpg, png only), ``no_personnummer_in_text`` (a message to many must not name one
  person, and reports must not show a personnummer: DOMAIN.md's privacy rule);
* warnings: ``attachments_discouraged``, ``accessibility``, ``ongoing_contact_filter`` (no
  contact-recency filter: "all patients of a unit"), ``send_time`` (night, evening, weekend,
  early morning, holiday, against both the campaign's windows and the default weekday 08-17
  window), ``not_needlessly`` (the deceased or those who opted out are not excluded),
  ``survey_agreement``, ``data_collection_form``, ``unit_in_target``, ``other_channel``
  (calls need a plan for the unread), ``case_handlers``, ``communicator_approval``.

>>> [r.id for r in RULES][:3], sum(r.severity == "error" for r in RULES)
(['forbidden_category', 'unit_named', 'unit_hsa_id'], 12)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.guidelines import content_checks as content
from inkorg_kit.guidelines import relation_checks as relation
from inkorg_kit.guidelines import sending_checks as sending
from inkorg_kit.guidelines.findings import Finding, Outcome, Severity
from inkorg_kit.guidelines.sources import (
    G000_COMMUNICATOR,
    G000_FORBIDDEN,
    G000_HANDLER,
    G001_ALL_PATIENTS,
    G001_CARE_RELATION,
    G001_SURVEY_EXCEPTION,
    G003_ACCESSIBLE,
    G003_CONTENT,
    G003_FORMS,
    G003_INERA,
    G003_NEEDLESS,
    G003_REGION_SENDER,
    G003_RELATION,
    G004_ATTACHMENTS,
    G004_EVENINGS,
    G004_FORMATS,
    G004_OTHER_CHANNEL,
    G_PERSONNUMMER,
    Guideline,
)
from inkorg_kit.privacy import mask_in_text

__all__ = ["RULES", "Rule"]


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


#: Every rule, in report order: the errors, then the warnings.
RULES: list[Rule] = [
    # ---- errors
    Rule(
        "forbidden_category",
        "Tillåten typ av utskick",
        "error",
        G000_FORBIDDEN,
        content.forbidden_category,
    ),
    Rule(
        "unit_named",
        "Avsändande mottagning/enhet angiven",
        "error",
        G003_CONTENT,
        content.unit_named,
    ),
    Rule(
        "unit_hsa_id",
        "Avsändande enhets HSA-id angivet",
        "error",
        G003_CONTENT,
        content.unit_hsa_id,
    ),
    Rule(
        "purpose_stated",
        "Syftet med meddelandet angivet",
        "error",
        G003_CONTENT,
        content.purpose_stated,
    ),
    Rule(
        "answer_use_stated",
        "Hur eventuella svar används angivet",
        "error",
        G003_CONTENT,
        content.answer_use_stated,
    ),
    Rule(
        "contact_stated",
        "Vart man vänder sig med frågor angivet",
        "error",
        G003_CONTENT,
        content.contact_stated,
    ),
    Rule(
        "relation_basis",
        "Etablerad relation och pågående kontakt, eller undantag",
        "error",
        G003_RELATION,
        relation.relation_basis,
    ),
    Rule(
        "region_wide_inera_approval",
        "Regionövergripande utskick anmält till och godkänt av Inera",
        "error",
        G003_INERA,
        relation.region_wide_inera_approval,
    ),
    Rule(
        "region_wide_not_answerable",
        "Regionövergripande utskick går inte att besvara",
        "error",
        G003_REGION_SENDER,
        relation.region_wide_not_answerable,
    ),
    Rule(
        "region_sender",
        "Regionen är avsändare av regionövergripande utskick",
        "error",
        G003_REGION_SENDER,
        relation.region_sender,
    ),
    Rule(
        "attachment_types",
        "Bilagor i tillåtet format (pdf, jpg, png)",
        "error",
        G004_FORMATS,
        content.attachment_types,
    ),
    Rule(
        "no_personnummer_in_text",
        "Inga personnummer i kampanjens texter",
        "error",
        G_PERSONNUMMER,
        content.no_personnummer_in_text,
    ),
    # ---- warnings
    Rule(
        "attachments_discouraged",
        "Inga bilagor (avråds)",
        "warning",
        G004_ATTACHMENTS,
        content.attachments_discouraged,
    ),
    Rule(
        "accessibility",
        "Text och bilagor uppfyller lagkrav på tillgänglighet",
        "warning",
        G003_ACCESSIBLE,
        content.accessibility,
    ),
    Rule(
        "ongoing_contact_filter",
        "Urvalet kräver pågående kontakt",
        "warning",
        G001_ALL_PATIENTS,
        relation.ongoing_contact_filter,
    ),
    Rule(
        "send_time",
        "Utskick under passande tider",
        "warning",
        G004_EVENINGS,
        sending.send_time,
    ),
    Rule(
        "not_needlessly",
        "Inga onödiga meddelanden",
        "warning",
        G003_NEEDLESS,
        relation.not_needlessly,
    ),
    Rule(
        "survey_agreement",
        "Överenskommelse med patienten vid enkät",
        "warning",
        G001_SURVEY_EXCEPTION,
        content.survey_agreement,
    ),
    Rule(
        "data_collection_form",
        "Svar samlas in med formulär som uppfyller lagkrav",
        "warning",
        G003_FORMS,
        content.data_collection_form,
    ),
    Rule(
        "unit_in_target",
        "Mottagarna har vårdrelation till avsändande enhet",
        "warning",
        G001_CARE_RELATION,
        relation.unit_in_target,
    ),
    Rule(
        "other_channel",
        "Annan kanal för den som inte läser",
        "warning",
        G004_OTHER_CHANNEL,
        sending.other_channel,
    ),
    Rule(
        "case_handlers",
        "Ärendehanterare utsedda",
        "warning",
        G000_HANDLER,
        sending.case_handlers,
    ),
    Rule(
        "communicator_approval",
        "Rubrik och text godkända av kommunikatör",
        "warning",
        G000_COMMUNICATOR,
        content.communicator_approval,
    ),
]
