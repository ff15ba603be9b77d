"""Altair charts, one function per chart, each taking a library result (aggregates only).

Why aggregates only: an executed notebook stores every row behind every chart, so a chart fed
person-level rows would leak personnummer into the notebook file. One module per area: reach,
recipient files, send plan, follow-up, target group. Importing draws nothing and changes no
setting: the notebooks switch on the offline SVG renderer with
:func:`inkorg_kit.ui.display.use_notebook_display`.
"""

from inkorg_kit.ui.charts.followup import cumulative_reads, read_rates
from inkorg_kit.ui.charts.reach import reach_funnel, read_over_time
from inkorg_kit.ui.charts.recipients import recipient_funnel, recipient_parts
from inkorg_kit.ui.charts.send_plan import send_plan_gantt
from inkorg_kit.ui.charts.target import target_age_sex, target_funnel
from inkorg_kit.ui.charts.uptake import uptake_curves

__all__ = [
    "cumulative_reads",
    "reach_funnel",
    "read_over_time",
    "read_rates",
    "recipient_funnel",
    "recipient_parts",
    "send_plan_gantt",
    "target_age_sex",
    "target_funnel",
    "uptake_curves",
]
