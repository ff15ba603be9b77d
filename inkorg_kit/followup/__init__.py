"""Follow-up after sending: status exports, read rates, time to read, follow-up lists.

Why: after sending, staff can take two lists out of Personalverktyget: the sent cases (who,
when, read or not) and the residents the send failed for. The orderer wants to know how many
were reached and read, and residents who did not read a kallelse must be reached another way
(paper letter, phone; seed 004). One module per concern:

- :mod:`~inkorg_kit.followup.export_rows` and :mod:`~inkorg_kit.followup.export`: reading the
  export through the campaign's ``followup.status_export`` mapping, rows with a problem kept
  with their reason, the analyst's fix list;
- :mod:`~inkorg_kit.followup.residents`: who was in the campaign (recipient files, target group);
- :mod:`~inkorg_kit.followup.reconcile`: what became of every resident, counts that add up;
- :mod:`~inkorg_kit.followup.rates`: read rates with Wilson intervals, by group;
- :mod:`~inkorg_kit.followup.timing`: time to read, Kaplan-Meier, censored at the export;
- :mod:`~inkorg_kit.followup.lists`: the follow-up lists, written like recipient files;
- :mod:`~inkorg_kit.followup.codes`: the closed vocabularies they share;
- :mod:`~inkorg_kit.followup.uptake` and :mod:`~inkorg_kit.followup.uptake_stats`: did residents
  do what the message asked (the outcome extract), by read status.

The next campaign's reach parameters fitted from the follow-up live with reach
(:func:`inkorg_kit.reach.fit_reach`). This package re-exports the public names, so ``from
inkorg_kit import followup as fu; fu.reconcile(...)`` keeps working.
"""

from inkorg_kit.config.status_export import StatusExportMapping
from inkorg_kit.followup.codes import (
    DIMENSIONS,
    FAILURE_LABELS,
    FAILURES,
    OUTCOME_LABELS,
    OUTCOMES,
    OVERALL,
    UNKNOWN,
)
from inkorg_kit.followup.export import StatusExport, load_status
from inkorg_kit.followup.export_rows import (
    PROBLEM_EFFECTS,
    PROBLEMS,
    StatusExportError,
    status_mapping,
)
from inkorg_kit.followup.lists import (
    FOLLOWUP_KEYS,
    FollowupLists,
    followup_lists,
    followup_reasons,
    unread_deadline,
    unread_list_name,
    write_followup_lists,
)
from inkorg_kit.followup.rates import group_table, read_rate, wilson
from inkorg_kit.followup.reconcile import Outcomes, age_band_and_sex, reconcile
from inkorg_kit.followup.residents import campaign_recipients, load_target
from inkorg_kit.followup.timing import read_curves, read_within, time_to_read_summary
from inkorg_kit.followup.uptake import (
    UPTAKE_GROUP_LABELS,
    UPTAKE_GROUPS,
    Uptake,
    UptakeError,
    load_uptake,
    uptake,
)
from inkorg_kit.followup.uptake_stats import (
    uptake_curves,
    uptake_difference,
    uptake_table,
    uptake_within,
)

__all__ = [
    "DIMENSIONS",
    "FAILURES",
    "FAILURE_LABELS",
    "FOLLOWUP_KEYS",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OVERALL",
    "PROBLEMS",
    "PROBLEM_EFFECTS",
    "UNKNOWN",
    "UPTAKE_GROUPS",
    "UPTAKE_GROUP_LABELS",
    "FollowupLists",
    "Outcomes",
    "StatusExport",
    "StatusExportError",
    "StatusExportMapping",
    "Uptake",
    "UptakeError",
    "age_band_and_sex",
    "campaign_recipients",
    "followup_lists",
    "followup_reasons",
    "group_table",
    "load_status",
    "load_target",
    "load_uptake",
    "read_curves",
    "read_rate",
    "read_within",
    "reconcile",
    "status_mapping",
    "time_to_read_summary",
    "unread_deadline",
    "unread_list_name",
    "uptake",
    "uptake_curves",
    "uptake_difference",
    "uptake_table",
    "uptake_within",
    "wilson",
    "write_followup_lists",
]
