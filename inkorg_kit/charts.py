"""Altair charts, one function per chart, each taking a library result (aggregates only).

Why aggregates only: an executed notebook stores every row behind every chart, so a chart fed
person-level rows would leak personnummer into the notebook file. Why SVG: Altair's default
renderer loads scripts from a CDN (blank on a closed hospital network) and JupyterLab 4's
built-in renderer does not show Vega-Lite 6. Importing this module switches every notebook to
the offline SVG renderer (vl-convert), which also gives stable outputs for nbval.
"""

from __future__ import annotations

import altair as alt


def use_offline_renderer() -> None:
    """Render charts as inline SVG made locally by vl-convert: no network, no CDN."""
    alt.renderers.enable("svg")


use_offline_renderer()
