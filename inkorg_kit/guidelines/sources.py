"""Where the guideline rules come from: the seed documents and the sentences quoted from them.

Why a module of its own: every finding the check reports quotes the sentence its rule rests on,
so the analyst can show the orderer *why*. The quotes are data, kept in one place and tested
against the seed texts (seeds 000 and 001 are OCR'd PDFs with lost diacritics; the quotes here
are in proper Swedish). :data:`DOMAIN` stands for the project's own rulebook, for the privacy
rules that bind the kit itself.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DOCUMENTS",
    "DOMAIN",
    "G000_COMMUNICATOR",
    "G000_FORBIDDEN",
    "G000_HANDLER",
    "G001_ALL_PATIENTS",
    "G001_CARE_RELATION",
    "G001_SURVEY_EXCEPTION",
    "G003_ACCESSIBLE",
    "G003_CONTENT",
    "G003_FORMS",
    "G003_INERA",
    "G003_NEEDLESS",
    "G003_REGION_SENDER",
    "G003_RELATION",
    "G003_TIMES",
    "G004_ACCESSIBLE_ATTACHMENTS",
    "G004_ATTACHMENTS",
    "G004_EVENINGS",
    "G004_FORMATS",
    "G004_OTHER_CHANNEL",
    "G_PERSONNUMMER",
    "Guideline",
]


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
#: The source documents by seed number (and DOMAIN.md).
DOCUMENTS = {
    "000": "Region Uppsala, Skicka ärende till invånare via 1177",
    "001": "Region Kalmar län, Riktlinje för omvänt ärendeflöde",
    "003": "Inera, Riktlinjer för nyttjande av tjänsten 1177 inkorg",
    "004": "Region Jönköpings län, Meddelandefunktion i 1177 (invånarärende)",
    DOMAIN: "inkorg-kit, Personnummer in brief (Skatteverket, GDPR, Patientdatalagen)",
}


def _g(seed: str, quote: str) -> Guideline:
    return Guideline(seed, DOCUMENTS[seed], quote)


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
