"""What people see in the notebooks: charts, plain tables, and the one call that switches the
notebook display on (:func:`use_notebook_display`).

Why a layer of its own: the domain packages compute aggregates; ``ui`` only draws and formats
them (Swedish labels, Swedish numbers), so the notebooks stay thin and no chart ever sees a
person row. Nothing here changes a global setting on import.
"""

from inkorg_kit.ui import charts
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
from inkorg_kit.ui.display import (
    chart_svg,
    use_notebook_display,
    use_offline_renderer,
    use_plain_tables,
)
from inkorg_kit.ui.tables import MAX_ROWS, to_html, whole_number

__all__ = [
    "MAX_ROWS",
    "chart_svg",
    "charts",
    "cumulative_reads",
    "reach_funnel",
    "read_over_time",
    "read_rates",
    "recipient_funnel",
    "recipient_parts",
    "send_plan_gantt",
    "target_age_sex",
    "target_funnel",
    "to_html",
    "use_notebook_display",
    "use_offline_renderer",
    "use_plain_tables",
    "whole_number",
]
