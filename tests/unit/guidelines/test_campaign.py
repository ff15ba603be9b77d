"""The campaign definition and the guideline checks (inkorg_kit.campaign)."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import re
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support import REPO, SKATTEVERKET_PNR_CSV, assert_no_personnummer

from inkorg_kit import campaign as cp
from inkorg_kit.campaign import (
    Campaign,
    CampaignError,
    CheckReport,
    Guideline,
    check,
    ensure_sendable,
    is_hsa_id,
    load_campaign,
    parse_campaign,
)
from inkorg_kit.config.status_export import StatusExportMapping

DEMO = REPO / "params" / "demo" / "campaign.yaml"
# The guideline texts are not ours to publish: only the quote tests read them, from ../shared/
# beside the repository, and they skip when it is not there.
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
OCR_SEEDS = {"000", "001"}  # scanned PDFs: OCR lost or mangled many diacritics


@pytest.fixture(scope="module")
def demo_data() -> dict[str, Any]:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def mutated(data: dict[str, Any], mutate: Callable[[dict[str, Any]], None]) -> Campaign:
    changed = copy.deepcopy(data)
    mutate(changed)
    return parse_campaign(changed, source="mutated-demo.yaml")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting ``a.b.c`` to ``value``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _all(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        for m in mutations:
            m(data)

    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node.pop(last)

    return mutate


# --------------------------------------------------------------------------- the demo


def test_demo_loads_and_passes_every_check() -> None:
    campaign = load_campaign(DEMO)
    assert campaign.name == "blodtryck-solbacka-2027"
    assert campaign.source == str(DEMO)
    assert campaign.target.has_contact_recency_filter
    assert campaign.target.source == "out/demo/extract.csv"
    assert campaign.sending.part_size == 250
    start = campaign.planned_send_start
    assert (start.weekday(), start.hour, start.year) == (1, 9, 2027)
    assert start.utcoffset() == dt.timedelta(hours=1)  # CET in March before the DST switch
    report = check(campaign)
    assert report.ok
    assert [f.check for f in report.findings if not f.passed] == []
    assert [f.check for f in report.findings] == [r.id for r in cp.RULES]
    assert len({r.id for r in cp.RULES}) == len(cp.RULES)


def test_category_vocabulary_is_one_list() -> None:
    assert set(get_args(cp.Category)) == set(cp.CATEGORIES)
    assert {
        "marketing",
        "general_information",
        "survey",
        "research_recruitment",
    } == cp.FORBIDDEN_CATEGORIES


# --------------------------------------------------------------------------- rules: errors

REGION_WIDE = _all(
    _set("category", "public_health"),
    _set("relation.basis", "region_wide"),
    _set("message.template", "information"),
    _set("message.close_after_days", None),
    _set("message.answer_use", "Meddelandet går inte att besvara."),
    _set("unit.name", "Region Exempel"),
    _set("target.units", []),
)
REGION_WIDE_APPROVED = _all(REGION_WIDE, _set("relation.inera_approval_ref", "Inera 2027-0042"))
# Skatteverket's test numbers (inkorg_kit/data), in shapes people type into a text.
TEST_NUMBER = "19900101-2385"
TEST_NUMBER_SHORT = "900101-2385"

ERROR_CASES = {
    "marketing": (_set("category", "marketing"), "forbidden_category"),
    "general_information": (_set("category", "general_information"), "forbidden_category"),
    "broad_survey": (_set("category", "survey"), "forbidden_category"),
    "research": (_set("category", "research_recruitment"), "forbidden_category"),
    "no_unit_name": (_set("unit.name", None), "unit_named"),
    "blank_unit_name": (_set("unit.name", "   "), "unit_named"),
    "no_hsa_id": (_set("unit.hsa_id", None), "unit_hsa_id"),
    "no_purpose": (_set("message.purpose", ""), "purpose_stated"),
    "no_answer_use": (_set("message.answer_use", None), "answer_use_stated"),
    "no_contact": (_set("message.contact", " \n "), "contact_stated"),
    "no_relation": (_set("relation.basis", "none"), "relation_basis"),
    "relation_null": (_set("relation.basis", None), "relation_basis"),
    "screening_exemption_misused": (_set("relation.basis", "screening"), "relation_basis"),
    "vaccination_exemption_misused": (_set("relation.basis", "vaccination"), "relation_basis"),
    "region_wide_for_kallelse": (
        _all(REGION_WIDE, _set("category", "kallelse"), _set("relation.inera_approval_ref", "X")),
        "relation_basis",
    ),
    "region_wide_without_inera": (REGION_WIDE, "region_wide_inera_approval"),
    "region_wide_with_questions": (
        _all(
            REGION_WIDE,
            _set("relation.inera_approval_ref", "Inera 2027-0042"),
            _set("message.template", "questions"),
            _set("message.close_after_days", 14),
        ),
        "region_wide_not_answerable",
    ),
    "docx_attachment": (_set("attachments", ["broschyr.docx"]), "attachment_types"),
    "gif_attachment": (_set("attachments", ["karta.png", "bild.gif"]), "attachment_types"),
    "region_wide_from_a_health_centre": (
        _all(REGION_WIDE_APPROVED, _set("unit.name", "Vårdcentralen Solbacka")),
        "region_sender",
    ),
    "region_wide_from_a_regions_clinic": (
        _all(REGION_WIDE_APPROVED, _set("unit.name", "Region Exempel, Hjärtmottagningen")),
        "region_sender",
    ),
    "region_wide_to_one_units_patients": (
        _all(REGION_WIDE_APPROVED, _set("target.units", ["SE2321000032-VCSOLB"])),
        "region_sender",
    ),
    "public_health_from_a_unit": (_set("category", "public_health"), "region_sender"),
    "personnummer_in_purpose": (
        _set("message.purpose", f"Gäller till exempel {TEST_NUMBER} och andra."),
        "no_personnummer_in_text",
    ),
    "personnummer_in_title": (
        _set("message.title", f"Kallelse {TEST_NUMBER_SHORT}"),
        "no_personnummer_in_text",
    ),
    "personnummer_in_other_channel": (
        _set("followup.other_channel", f"Brev, utom till {TEST_NUMBER.replace('-', '')}"),
        "no_personnummer_in_text",
    ),
    "personnummer_in_answer_use": (
        _set("message.answer_use", f"Svaren läses av {TEST_NUMBER} Lena"),
        "no_personnummer_in_text",
    ),
    "personnummer_in_contact": (
        _set("message.contact", f"Ring oss, ange {TEST_NUMBER}"),
        "no_personnummer_in_text",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_each_error_triggers_on_a_minimal_mutation(demo_data: dict, case: str) -> None:
    mutate, expected = ERROR_CASES[case]
    report = check(mutated(demo_data, mutate))
    assert not report.ok
    assert [f.check for f in report.errors] == [expected]
    finding = report.finding(expected)
    assert finding.severity == "error" and not finding.passed and finding.status == "error"
    assert finding.message.strip()
    with pytest.raises(CampaignError) as raised:
        report.require_ok(None)
    assert expected in str(raised.value)
    assert finding.guideline.where in str(raised.value)
    assert_no_personnummer(str(raised.value), "CampaignError")
    for f in report.findings:
        assert_no_personnummer(f.message, f.check)


def test_missing_content_error_names_the_field_to_fill(demo_data: dict) -> None:
    report = check(mutated(demo_data, _set("message.purpose", None)))
    assert "message.purpose" in report.finding("purpose_stated").message
    report = check(mutated(demo_data, _set("unit.hsa_id", None)))
    assert "unit.hsa_id" in report.finding("unit_hsa_id").message


# --------------------------------------------------------------------------- rules: warnings

WARNING_CASES = {
    "pdf_attachment": (_set("attachments", ["karta.pdf"]), "attachments_discouraged"),
    "no_recency_filter": (_set("target.last_contact_within_days", None), "ongoing_contact_filter"),
    "all_patients_of_unit": (
        _all(_set("target.last_contact_within_days", None), _set("target.diagnosis_prefixes", [])),
        "ongoing_contact_filter",
    ),
    "evening": (_set("planned_send_start", "2027-03-16 19:30"), "send_time"),
    "night": (_set("planned_send_start", "2027-03-16 02:15"), "send_time"),
    "early_morning": (_set("planned_send_start", "2027-03-16 06:45"), "send_time"),
    "saturday": (_set("planned_send_start", "2027-03-20 10:00"), "send_time"),
    "julafton": (_set("planned_send_start", "2027-12-24 10:00"), "send_time"),
    "wide_window_weekend": (
        _all(
            _set("send_windows.weekdays", [0, 1, 2, 3, 4, 5, 6]),
            _set("send_windows.start", "06:00"),
            _set("send_windows.end", "22:00"),
            _set("planned_send_start", "2027-03-20 10:00"),
        ),
        "send_time",
    ),
    "prom_without_agreement": (_set("category", "prom_prem"), "survey_agreement"),
    "other_unit_targeted": (_set("target.units", ["SE2321000032-ANNAN1"]), "unit_in_target"),
    "no_unit_filter": (_set("target.units", []), "unit_in_target"),
    "no_other_channel": (_set("followup.other_channel", None), "other_channel"),
    "no_case_handlers": (_set("case_handlers", []), "case_handlers"),
    "not_approved": (_set("message.approved_by", None), "communicator_approval"),
    "questions_without_a_form": (_set("message.answer_form", None), "data_collection_form"),
    "accessibility_not_checked": (
        _set("message.accessibility_checked", " "),
        "accessibility",
    ),
    "deceased_not_excluded": (_set("target.exclude_deceased", False), "not_needlessly"),
    "opted_out_not_excluded": (_set("target.exclude_opted_out", False), "not_needlessly"),
}


@pytest.mark.parametrize("case", list(WARNING_CASES), ids=list(WARNING_CASES))
def test_each_warning_triggers_on_a_minimal_mutation(demo_data: dict, case: str) -> None:
    mutate, expected = WARNING_CASES[case]
    report = check(mutated(demo_data, mutate))
    assert report.ok, [f.message for f in report.errors]
    assert [f.check for f in report.warnings] == [expected]
    assert report.finding(expected).severity == "warning"
    assert report.require_ok(None) is None  # warnings never stop a run


def test_all_patients_message_says_so(demo_data: dict) -> None:
    mutate, _ = WARNING_CASES["all_patients_of_unit"]
    assert (
        "samtliga patienter"
        in check(mutated(demo_data, mutate)).finding("ongoing_contact_filter").message
    )


@pytest.mark.parametrize(
    ("case", "word", "seed"),
    [
        ("evening", "kväll", "004"),
        ("night", "natt", "003"),
        ("early_morning", "tidig morgon", "004"),
        ("saturday", "helg", "004"),
        ("julafton", "Julafton", "004"),
        ("wide_window_weekend", "helg", "004"),
    ],
)
def test_send_time_warning_says_why(demo_data: dict, case: str, word: str, seed: str) -> None:
    finding = check(mutated(demo_data, WARNING_CASES[case][0])).finding("send_time")
    assert word in finding.message
    assert finding.guideline.seed == seed


def test_survey_is_a_warning_and_an_error_without_agreement(demo_data: dict) -> None:
    report = check(mutated(demo_data, _set("category", "survey")))
    assert [f.check for f in report.errors] == ["forbidden_category"]
    assert "survey_agreement" in [f.check for f in report.warnings]


# --------------------------------------------------------------------------- exemptions pass

NO_RECENCY = _set("target.last_contact_within_days", None)
PASSING_CASES = {
    "screening": _all(
        _set("category", "screening"), _set("relation.basis", "screening"), NO_RECENCY
    ),
    "vaccination": _all(
        _set("category", "vaccination"), _set("relation.basis", "vaccination"), NO_RECENCY
    ),
    "region_wide_approved": _all(
        REGION_WIDE,
        _set("category", "crisis_information"),
        _set("relation.inera_approval_ref", "Inera ärende 2027-0042"),
        NO_RECENCY,
    ),
    "survey_with_agreement": _all(
        _set("category", "survey"),
        _set("relation.patient_agreement", "Patienterna tackade ja vid inskrivningen"),
    ),
    "prom_with_agreement": _all(
        _set("category", "prom_prem"), _set("relation.patient_agreement", True)
    ),
    "allowed_attachments_formats": _all(
        _set("attachments", ["a.PDF", "b.jpg", "c.jpeg", "d.png"]),
    ),
    "include_list_instead_of_recency": _all(
        NO_RECENCY, _set("target.include_lists", ["out/demo/bokade.csv"])
    ),
    "contact_between_dates": _all(
        NO_RECENCY, _set("target.last_contact_between", ["2026-01-01", "2027-03-01"])
    ),
    "test_result_without_other_channel": _all(
        _set("category", "test_result"), _set("followup.other_channel", None)
    ),
    "information_template_needs_no_form": _all(
        _set("message.template", "information"),
        _set("message.close_after_days", None),
        _set("message.answer_form", None),
    ),
    "protected_identity_kept_is_not_needless": _set("target.exclude_protected_identity", False),
    "phone_numbers_are_not_personnummer": _set(
        "message.contact", "Ring 070-123 45 67 eller 08-465 004 20, vardagar 08–16."
    ),
}


@pytest.mark.parametrize("case", list(PASSING_CASES), ids=list(PASSING_CASES))
def test_exemptions_and_allowed_variants_pass(demo_data: dict, case: str) -> None:
    report = check(mutated(demo_data, PASSING_CASES[case]))
    assert report.ok, [f.message for f in report.errors]
    allowed = {"attachments_discouraged"} if case == "allowed_attachments_formats" else set()
    assert {f.check for f in report.warnings} == allowed


# --------------------------------------------------------------------------- guidelines


def _normalise(text: str) -> str:
    """Lowercase, no diacritics, no soft line-break hyphens, single spaces, plain quotes."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u201d", '"').replace("\u201c", '"').replace("\u2019", "'")
    return " ".join(text.lower().split())


def _seed_text(seed: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"the guideline texts (seeds) are not beside the repository: no {SEEDS}")
    if seed == cp.DOMAIN:  # the project's own rulebook (privacy rules that bind the kit)
        return _normalise((SHARED / "DOMAIN.md").read_text(encoding="utf-8"))
    files = sorted(SEEDS.glob(f"{seed}_*.txt"))
    assert len(files) == 1, f"seed {seed} not found under {SEEDS}"
    return _normalise(files[0].read_text(encoding="utf-8"))


def _occurs(quote: str, seed: str) -> bool:
    """Exact after normalising; seeds 000/001 (OCR'd) also allow a ≥ 90 % similar span."""
    text, q = _seed_text(seed), _normalise(quote)
    if q in text:
        return True
    if seed not in OCR_SEEDS:
        return False
    matcher = difflib.SequenceMatcher(None, text, q, autojunk=False)
    block = matcher.find_longest_match(0, len(text), 0, len(q))
    start = max(0, block.a - block.b)
    window = text[start : start + len(q)]
    return difflib.SequenceMatcher(None, window, q, autojunk=False).ratio() >= 0.9


def _all_guidelines() -> list[Guideline]:
    found = {v for v in vars(cp).values() if isinstance(v, Guideline)}
    found |= {r.guideline for r in cp.RULES}
    return sorted(found, key=lambda g: (g.seed, g.quote))


@pytest.mark.parametrize("guideline", _all_guidelines(), ids=lambda g: f"{g.seed}:{g.quote[:30]}")
def test_every_guideline_quote_occurs_in_its_seed(guideline: Guideline) -> None:
    assert guideline.seed in {"000", "001", "002", "003", "004", cp.DOMAIN}
    assert len(guideline.quote.split()) >= 5
    assert guideline.document
    assert _occurs(guideline.quote, guideline.seed), guideline.cite()


def test_quote_matcher_rejects_invented_text() -> None:
    assert not _occurs("Funktionen får användas för marknadsföring till alla invånare.", "000")
    assert not _occurs("Meddelanden får skickas nattetid om det är bråttom.", "003")
    assert not _occurs("Varje meddelande måste innehålla ett personnummer.", "001")


@pytest.mark.parametrize("case", [*ERROR_CASES, *WARNING_CASES], ids=[*ERROR_CASES, *WARNING_CASES])
def test_every_finding_cites_a_seed_sentence(demo_data: dict, case: str) -> None:
    mutate = {**ERROR_CASES, **WARNING_CASES}[case][0]
    for finding in check(mutated(demo_data, mutate)).findings:
        g = finding.guideline
        assert g.seed and g.quote.strip()
        assert _occurs(g.quote, g.seed), (finding.check, g.cite())


# --------------------------------------------------------------------------- loading errors

GOOD_HSA = ["SE2321000032-ABC123", "SE162321000255-O12345", "SE2321000016-15D8", "SE2321000131-P1"]
BAD_HSA = [
    "SE232100003-ABC123",  # 9 digits
    "SE2321000032ABC123",  # no hyphen
    "SE2321000032-",  # nothing after the hyphen
    "DK2321000032-ABC123",  # not SE
    "se2321000032-abc123",  # lowercase country code
    "SE2321000032-ÅÄÖ1",  # å, ä, ö are not allowed
    "SE2321000032-AB@C",  # nor @
    "SE2321000032-AB C",  # nor spaces
    "SE232100-0032-ABC",  # hyphen in the organisation number
    "SE2321000032-" + "A" * 19,  # 32 characters: over 31
    "2321000032",
]


@pytest.mark.parametrize("value", GOOD_HSA)
def test_good_hsa_ids_load(demo_data: dict, value: str) -> None:
    campaign = mutated(demo_data, _set("unit.hsa_id", value))
    assert campaign.unit.hsa_id == value


@pytest.mark.parametrize("value", BAD_HSA)
def test_bad_hsa_ids_name_the_field_and_an_example(demo_data: dict, value: str) -> None:
    assert not is_hsa_id(value)
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("unit.hsa_id", value))
    text = str(raised.value)
    assert "unit.hsa_id" in text
    assert "SE2321000032-ABC123" in text
    assert "mutated-demo.yaml" in text


@given(
    org=st.from_regex(r"\A(16)?[0-9]{10}\Z"),
    suffix=st.from_regex(r"\A[A-Za-z0-9]{1,17}\Z"),
)
def test_hsa_shape_accepts_the_grammar(org: str, suffix: str) -> None:
    value = f"SE{org}-{suffix}"
    assert is_hsa_id(value) == (len(value) <= 31)


@given(text=st.text(max_size=40))
def test_hsa_shape_on_junk_text(text: str) -> None:
    expected = re.fullmatch(r"SE(16)?[0-9]{10}-[A-Za-z0-9]+", text) is not None
    assert is_hsa_id(text) == (expected and len(text) <= 31)


@pytest.mark.parametrize(
    "value",
    [
        "Blodtryck-2027",
        "blod tryck",
        "blodtryck_2027",
        "-blodtryck",
        "blod--tryck",
        "blodtryck-",
        "blodtryck-solbäcka",
        "",
        "a" * 65,
    ],
)
def test_bad_names_name_the_field_and_an_example(demo_data: dict, value: str) -> None:
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("name", value))
    text = str(raised.value)
    assert "name:" in text and "blodtryck-solbacka-2027" in text


@pytest.mark.parametrize(
    ("where", "known"),
    [
        ("", "orderer, sender, unit"),
        ("message", "title, purpose, answer_use, contact, template"),
        ("relation", "basis, inera_approval_ref, patient_agreement"),
        ("sending", "handlers, minutes_per_file, max_messages_per_day, part_size"),
        ("target", "source, header_row, pnr_column"),
        ("send_windows", "timezone, weekdays"),
    ],
)
def test_unknown_keys_are_rejected_with_the_known_keys(
    demo_data: dict, where: str, known: str
) -> None:
    def add(data: dict) -> None:
        (data[where] if where else data)["colour"] = "red"

    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, add)
    text = str(raised.value)
    path = f"{where}.colour" if where else "colour"
    assert f"{path}: unknown key" in text
    assert known in text


def test_the_status_export_mapping_is_typed_when_the_campaign_loads(demo_data: dict) -> None:
    campaign = mutated(demo_data, _set("followup.status_export", {"columns": {"pnr": "PNR"}}))
    mapping = campaign.followup.status_export
    assert isinstance(mapping, StatusExportMapping) and mapping.columns.pnr == "PNR"
    with pytest.raises(CampaignError) as raised:  # before anything is sent, not in step 04
        mutated(demo_data, _set("followup.status_export", {"colums": {}}))
    assert "followup.status_export.colums: unknown key" in str(raised.value)
    assert "sent_file, failed_file, columns" in str(raised.value)


def test_missing_key_says_what_is_expected(demo_data: dict) -> None:
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _drop("message.purpose"))
    assert "message.purpose: field required — say why the message is sent" in str(raised.value)
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _drop("unit.hsa_id"))
    assert "unit.hsa_id: field required" in str(raised.value)


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (_set("sending.part_size", 251), "sending.part_size", "250"),
        (_set("category", "spam"), "category", "'kallelse'"),
        (_set("message.template", "form"), "message.template", "'questions'"),
        (_drop("message.close_after_days"), "message", "close_after_days"),
        (_set("message.template", "information"), "message", "close_after_days"),
        (_set("relation.basis", "friendship"), "relation.basis", "'established_contact'"),
        (_set("planned_send_start", "next tuesday"), "planned_send_start", "2027-03-16 09:00"),
        (_set("planned_send_start", "2027-03-16"), "planned_send_start", "time of day"),
        (_set("planned_send_start", "20270316"), "planned_send_start", "time of day"),
        (_set("orderer", {"name": "Karin"}), "orderer", "email or phone"),
        (_set("orderer.email", "karin-at-region"), "orderer.email", "e-mail"),
        (_set("sender.title", ""), "sender.title", "title"),
        (_set("case_handlers", [""]), "case_handlers[0]", "case handlers"),
    ],
)
def test_invalid_values_name_the_field(
    demo_data: dict, mutate: Callable, field: str, words: str
) -> None:
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, mutate)
    error = raised.value
    assert any(p.startswith(f"{field}:") for p in error.problems), error.problems
    assert words in str(error)


def test_load_errors_name_the_file(tmp_path: Path, demo_data: dict) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CampaignError, match=r"nope\.yaml: campaign file not found"):
        load_campaign(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(CampaignError, match=r"broken.yaml: not valid YAML at line \d+"):
        load_campaign(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(CampaignError, match=r"empty\.yaml: the campaign file is empty"):
        load_campaign(empty)
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(demo_data)
    data["unit"]["hsa_id"] = "SE12"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CampaignError) as raised:
        load_campaign(bad)
    assert str(bad) in str(raised.value) and raised.value.source == str(bad)


def test_planned_start_is_local_time_with_daylight_saving(demo_data: dict) -> None:
    summer = mutated(demo_data, _set("planned_send_start", "2027-07-06 09:00"))
    assert summer.planned_send_start.utcoffset() == dt.timedelta(hours=2)
    utc = mutated(demo_data, _set("planned_send_start", "2027-07-06T07:00:00+00:00"))
    assert (utc.planned_send_start.hour, utc.planned_send_start.utcoffset()) == (
        9,
        dt.timedelta(hours=2),
    )
    as_datetime = mutated(demo_data, _set("planned_send_start", dt.datetime(2027, 3, 16, 9)))
    assert as_datetime.planned_send_start == summer.planned_send_start.replace(month=3, day=16)


# --------------------------------------------------------------------------- override


@pytest.fixture()
def forbidden(demo_data: dict) -> Campaign:
    return mutated(demo_data, _set("category", "marketing"))


def test_require_ok_refuses_errors_without_a_reason(forbidden: Campaign) -> None:
    report = check(forbidden)
    for reason in (None, "", "   \n"):
        with pytest.raises(CampaignError) as raised:
            report.require_ok(reason)
        text = str(raised.value)
        assert "forbidden_category" in text and "override_reason" in text
        assert "marknadsföring" in text  # the guideline sentence is quoted
    assert report.override is None


def test_require_ok_accepts_a_written_reason_and_records_it(
    forbidden: Campaign, tmp_path: Path
) -> None:
    report = check(forbidden)
    override = report.require_ok("  Godkänt av verksamhetschef\nefter samråd med Inera ")
    assert override is not None
    assert override.reason == "Godkänt av verksamhetschef efter samråd med Inera"
    assert override.errors == ("forbidden_category",)
    assert override.campaign == forbidden.name
    assert dt.datetime.fromisoformat(override.overridden_at).tzinfo is not None
    assert report.override == override
    record = override.to_dict()
    assert record["reason"] == override.reason and record["errors"] == ["forbidden_category"]
    # written into the report, read back by later steps, honoured without a new reason
    paths = report.write(tmp_path)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["override"]["reason"] == override.reason and data["ok"] is False
    again = CheckReport.from_json(paths["json"])
    assert again.override == override
    assert ensure_sendable(paths["json"]) == override
    assert "Åsidosatt" in paths["markdown"].read_text(encoding="utf-8")


def test_ensure_sendable(demo_data: dict, forbidden: Campaign, tmp_path: Path) -> None:
    assert ensure_sendable(load_campaign(DEMO)) is None
    assert ensure_sendable(DEMO) is None
    with pytest.raises(CampaignError, match="forbidden_category"):
        ensure_sendable(forbidden)
    override = ensure_sendable(forbidden, override_reason="Beslut av regiondirektör 2027-02-01")
    assert override is not None and override.errors == ("forbidden_category",)
    # a report written without an override still refuses
    paths = check(forbidden).write(tmp_path)
    with pytest.raises(CampaignError):
        ensure_sendable(paths["json"])
    with pytest.raises(CampaignError, match="run notebook 00_campaign_check first"):
        ensure_sendable(tmp_path / "missing" / "campaign_check.json")


def test_write_records_an_override_only_when_there_are_errors(tmp_path: Path) -> None:
    report = check(load_campaign(DEMO))
    report.write(tmp_path, override_reason="ingen anledning")
    assert report.override is None
    data = json.loads((tmp_path / "campaign_check.json").read_text(encoding="utf-8"))
    assert data["override"] is None and data["ok"] is True


# --------------------------------------------------------------------------- the report


def test_report_outputs(forbidden: Campaign, tmp_path: Path) -> None:
    report = check(forbidden)
    frame = report.to_frame()
    assert frame.height == len(cp.RULES)
    assert frame.columns == [
        "check",
        "label",
        "severity",
        "passed",
        "status",
        "message",
        "seed",
        "document",
        "quote",
    ]
    assert frame["status"][0] == "error"  # errors first
    assert (frame["quote"].str.len_chars() > 0).all()
    markdown = report.to_markdown()
    for rule in cp.RULES:
        assert rule.label in markdown
    assert "| FEL |" in markdown and "seed 000" in markdown
    assert "1 fel" in report.summary()
    paths = report.write(tmp_path / "run")
    assert {p.name for p in paths.values()} == set(cp.REPORT_FILES.values())
    csv_text = paths["csv"].read_text(encoding="utf-8-sig")
    assert csv_text.startswith("check;label;severity")  # for Swedish Excel
    back = CheckReport.from_json(paths["json"])
    assert back.findings == report.findings and back.campaign == report.campaign
    for path in paths.values():
        assert_no_personnummer(path.read_text(encoding="utf-8"), str(path))


def test_facts_for_the_orderer() -> None:
    facts = load_campaign(DEMO).facts()
    assert facts["Avsändande enhet"] == "Vårdcentralen Solbacka (SE2321000032-VCSOLB)"
    assert facts["Kategori"] == "Kallelse till besök"
    assert "14 dagar" in facts["Mall"]
    assert facts["Planerad start"] == "tisdag 2027-03-16 09:00"
    markdown = load_campaign(DEMO).facts_markdown()
    assert markdown.startswith("| Uppgift | Värde |")
    assert "| Avsändande enhet | Vårdcentralen Solbacka (SE2321000032-VCSOLB) |" in markdown


def test_load_errors_never_echo_a_personnummer(demo_data: dict) -> None:
    lines = SKATTEVERKET_PNR_CSV.read_text().split()
    number = f"{lines[500][:8]}-{lines[500][8:]}"  # a published test number, 12 digits
    for mutate in (
        _set("unit.hsa_id", number),
        _set("orderer.email", number),
        _set("sending.part_size", number),
        _set("planned_send_start", number),
        _set(number, "x"),
    ):
        with pytest.raises(CampaignError) as raised:
            mutated(demo_data, mutate)
        assert_no_personnummer(str(raised.value), "CampaignError")
        assert "personnummer (not shown)" in str(raised.value)


def test_errors_never_echo_a_database_password(demo_data: dict) -> None:
    data = copy.deepcopy(demo_data)
    data["target"]["source"] = {"url": "postgresql://analyst:hemligt-losen@db.example/vard", "q": 1}
    with pytest.raises(CampaignError) as caught:
        parse_campaign(data, "kampanj.yaml")
    assert "hemligt-losen" not in str(caught.value)
    assert "hemligt-losen" not in "\n".join(caught.value.problems)


def test_run_folder_defaults_to_out_and_the_campaign_name(demo_data: dict) -> None:
    demo = parse_campaign(demo_data, "kampanj.yaml")
    assert demo.run_folder() == Path("out") / "blodtryck-solbacka-2027"
    assert demo.run_folder("") == Path("out") / "blodtryck-solbacka-2027"
    assert demo.run_folder("out/annan") == Path("out/annan")


# --------------------------------------------------------------------------- audit fixes


def test_duplicate_keys_are_refused_with_their_lines(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8").replace(
        "category: kallelse", "category: marketing\ncategory: kallelse"
    )
    path = tmp_path / "dubbel.yaml"
    path.write_text(text, encoding="utf-8")
    first = text.splitlines().index("category: marketing") + 1
    with pytest.raises(CampaignError) as raised:
        load_campaign(path)
    message = str(raised.value)
    assert "dubbel.yaml" in message and "'category' is given twice" in message
    assert f"lines {first} and {first + 1}" in message
    nested = DEMO.read_text(encoding="utf-8").replace(
        "  template: questions", "  template: information\n  template: questions"
    )
    path.write_text(nested, encoding="utf-8")
    with pytest.raises(CampaignError, match="'template' is given twice"):
        load_campaign(path)


@pytest.mark.parametrize(
    ("path", "value", "hint"),
    [
        ("category", "kalelse", "did you mean 'kallelse'?"),
        ("category", "Vaccination", None),  # accepted: case does not matter
        ("message.template", "question", "did you mean 'questions'?"),
        ("relation.basis", "established", "did you mean 'established_contact'?"),
    ],
)
def test_closed_vocabularies_suggest_the_closest_value(
    demo_data: dict, path: str, value: str, hint: str | None
) -> None:
    if hint is None:
        assert mutated(demo_data, _set(path, value)).category == value.lower()
        return
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set(path, value))
    problem = next(p for p in raised.value.problems if p.startswith(f"{path}:"))
    assert hint in problem and "choose one of:" in problem


def test_sql_source_errors_are_one_clear_line(demo_data: dict) -> None:
    typo = {"url": "sqlite:///out/demo/region.sqlite", "qeury": "SELECT 1"}
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("target.source", typo))
    assert len(raised.value.problems) == 1
    problem = raised.value.problems[0]
    assert problem.startswith("target.source: an SQL source is a block with the keys url_env")
    assert "did you mean 'query'?" in problem and "function-after" not in problem
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("target.last_contact_between", ["2026-01-01"]))
    assert "needs two dates" in str(raised.value)
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("target.age.min", "fyrtio"))
    assert "target.age.min: age min must be a whole number of years" in str(raised.value)
    assert mutated(demo_data, _set("target.sex", "män")).target.sex == "M"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://db.example/vard?password=hemligt-losen",
        "mssql+pyodbc://db.example/vard?driver=ODBC+Driver+18&UID=an&PWD=hemligt-losen",
        "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BUID%3Dan%3BPWD%3Dhemligt-losen",
    ],
)
def test_password_parameters_are_refused_and_never_echoed(demo_data: dict, url: str) -> None:
    for source in ({"url": url, "query": "SELECT 1"}, url):
        with pytest.raises(CampaignError) as raised:
            mutated(demo_data, _set("target.source", source))
        assert "hemligt-losen" not in str(raised.value)
        assert "url_env" in str(raised.value)


def test_the_name_may_not_be_a_personnummer(demo_data: dict) -> None:
    with pytest.raises(CampaignError) as raised:
        mutated(demo_data, _set("name", TEST_NUMBER))
    assert "name: the name holds a personnummer" in str(raised.value)
    assert_no_personnummer(str(raised.value), "CampaignError")


def test_a_personnummer_in_a_text_is_an_error_and_masked_everywhere(
    demo_data: dict, tmp_path: Path
) -> None:
    campaign = mutated(
        demo_data,
        _all(
            _set("title", f"Kallelse för {TEST_NUMBER}"),
            _set("message.purpose", f"Du ({TEST_NUMBER_SHORT}) har högt blodtryck."),
            _set("followup.other_channel", f"Brev till {TEST_NUMBER}"),
        ),
    )
    report = check(campaign)
    finding = report.finding("no_personnummer_in_text")
    assert finding.status == "error" and finding.guideline.seed == cp.DOMAIN
    for field in ("title", "message.purpose", "followup.other_channel"):
        assert field in finding.message
    assert "19900101-****" in finding.message
    paths = report.write(tmp_path, override_reason="Testfall med flera ord i skälet")
    for path in paths.values():
        assert_no_personnummer(path.read_text(encoding="utf-8-sig"), str(path))
    assert_no_personnummer(campaign.facts_markdown(), "facts")
    assert_no_personnummer(report.summary(), "summary")
    with pytest.raises(CampaignError) as raised:
        check(campaign).require_ok(None)
    assert_no_personnummer(str(raised.value), "CampaignError")


def test_report_files_are_private(forbidden: Campaign, tmp_path: Path) -> None:
    run = tmp_path / "out" / "kampanj"
    paths = check(forbidden).write(run)
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    assert stat.S_IMODE(run.parent.stat().st_mode) == 0o700  # created here, so private too
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left


REASON = "Beslut av verksamhetschef Johan Ekström 2027-02-01, dnr 123"


def test_rewriting_the_report_keeps_an_override_for_the_same_errors(
    forbidden: Campaign, tmp_path: Path
) -> None:
    first = check(forbidden)
    first.write(tmp_path, override_reason=REASON)
    recorded = first.require_ok(None)
    assert recorded is not None and recorded.reason == REASON
    # notebook 00 run again without a reason: the checklist is rewritten, the override stays
    again = check(forbidden)
    paths = again.write(tmp_path)
    assert again.require_ok(None) == recorded
    stored = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert stored["override"]["reason"] == REASON
    assert ensure_sendable(paths["json"]) == recorded
    # a new reason replaces it
    newer = check(forbidden)
    newer.write(tmp_path, override_reason="Nytt beslut av regiondirektören 2027-02-03")
    assert newer.override is not None and newer.override.reason.startswith("Nytt beslut")


def test_an_override_covers_exactly_the_errors_it_was_given_for(
    demo_data: dict, forbidden: Campaign, tmp_path: Path
) -> None:
    check(forbidden).write(tmp_path, override_reason=REASON)
    # the same check, another error: research recruitment instead of marketing
    research = check(mutated(demo_data, _set("category", "research_recruitment")))
    research.write(tmp_path)
    assert research.override is None
    with pytest.raises(CampaignError, match="breaks 1 guideline rule"):
        research.require_ok(None)
    # an extra error beside the overridden one
    check(forbidden).write(tmp_path, override_reason=REASON)
    both = check(mutated(demo_data, _all(_set("category", "marketing"), _set("unit.hsa_id", None))))
    both.write(tmp_path)
    assert both.override is None
    # an override handed over from elsewhere for other errors does not count either
    stale = check(forbidden)
    stale.require_ok(REASON)
    both.override = stale.override
    with pytest.raises(CampaignError, match="given for other errors: forbidden_category"):
        both.require_ok(None)
    assert both.require_ok(REASON).errors == ("forbidden_category", "unit_hsa_id")


@pytest.mark.parametrize("reason", ["ok", "kör ändå", "x" * 30, "ja ja ja"])
def test_an_override_reason_needs_substance(forbidden: Campaign, reason: str) -> None:
    report = check(forbidden)
    with pytest.raises(CampaignError) as raised:
        report.require_ok(reason)
    assert "too short" in str(raised.value) and "who decided and why" in str(raised.value)
    assert report.override is None


def test_an_override_reason_is_masked(forbidden: Campaign) -> None:
    override = check(forbidden).require_ok(f"Beslut om patient {TEST_NUMBER} av chefen")
    assert override is not None
    assert_no_personnummer(override.reason, "reason")
    assert "19900101-****" in override.reason
