"""Old import path of the charts, kept for the notebooks and the README: re-exports only.

The charts live in :mod:`inkorg_kit.ui.charts`, one module per area. Importing this module no
longer switches the renderer: notebooks call :func:`inkorg_kit.ui.display.use_notebook_display`
(offline SVG via vl-convert; :func:`use_offline_renderer` alone is still here).
"""

from inkorg_kit.ui.charts import (
    cumulative_reads,
    reach_funnel,
    read_over_time,
    read_rates,
    recipient_funnel,
    recipient_parts,
    send_plan_gantt,
    target_age_sex,
    target_funnel,
)
from inkorg_kit.ui.display import use_offline_renderer

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
    "use_offline_renderer",
]
