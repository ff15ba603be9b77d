"""The follow-up's closed vocabularies: outcomes, failure reasons, status categories, groupings.

Why one place: the export reader, the reconciliation, the rates, the time-to-read curves and
the follow-up lists all speak of the same few outcomes and reasons, and the report shows their
Swedish labels. A code spelt in two modules drifts; these are the only spellings.

>>> OUTCOMES[-1], FAILURE_LABELS["locked"], DIMENSIONS["age_band"]
('not_in_export', 'Kontot är spärrat', 'Åldersgrupp')
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "CATEGORIES",
    "CATEGORY",
    "DIMENSIONS",
    "FAILURE",
    "FAILURES",
    "FAILURE_LABELS",
    "OUTCOME",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OVERALL",
    "SOURCES",
    "UNKNOWN",
]

#: What became of each campaign resident.
OUTCOMES = ("read", "unread", "unknown", "failed", "not_in_export")
OUTCOME = pl.Enum(OUTCOMES)
OUTCOME_LABELS = {
    "read": "Läst",
    "unread": "Oläst",
    "unknown": "Okänd lässtatus (stängt ärende utan lästid, eller felaktig rad)",
    "failed": "Utskicket misslyckades",
    "not_in_export": "Saknas i statusexporten",
}
#: Why a send failed, as a closed vocabulary (the export's own text is kept beside it).
FAILURES = ("no_login", "locked", "other")
FAILURE = pl.Enum(FAILURES)
FAILURE_LABELS = {
    "no_login": "Saknar inloggning på 1177",
    "locked": "Kontot är spärrat",
    "other": "Misslyckades av annan orsak",
}
#: What a status label means (the mapping's ``labels`` keys).
CATEGORIES = ("read", "unread", "closed", "failed")
CATEGORY = pl.Enum(CATEGORIES)
#: Which file of the export a row came from.
SOURCES = pl.Enum(("sent", "failed"))
#: A group value that is not known (unit, sex), as the tables show it.
UNKNOWN = "okänd"
#: The group of everyone, in tables and curves.
OVERALL = "Alla"
#: Grouping columns of :func:`~inkorg_kit.followup.rates.group_table` with the Swedish names
#: the reports show.
DIMENSIONS = {
    "file_name": "Fil",
    "age_band": "Åldersgrupp",
    "sex": "Kön",
    "unit": "Enhet",
    "send_weekday": "Veckodag för utskick",
    "send_hour": "Timme för utskick",
}
