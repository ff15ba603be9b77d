"""How the kit's charts and tables are shown: switched on by one explicit call, never on import.

Why explicit: importing a library should not change global settings behind the caller's back.
Every notebook calls :func:`use_notebook_display` once, in its first code cell; nothing else
does. It switches Altair to the offline SVG renderer (vl-convert: Altair's default renderer
loads scripts from a CDN, blank on a closed hospital network, and JupyterLab 4's built-in
renderer does not show Vega-Lite 6; SVG also gives stable outputs for nbval) and shows polars
DataFrames as plain tables (:func:`inkorg_kit.ui.tables.to_html`) in the running kernel;
plain-text output (papermill logs, terminals) keeps polars' own view. :func:`chart_svg` gives a
chart as inline SVG text for a self-contained HTML file (the orderer's report).
"""

from __future__ import annotations

import re
import sys

import altair as alt
import polars as pl
import vl_convert as vlc

from inkorg_kit.ui.tables import to_html

__all__ = ["chart_svg", "use_notebook_display", "use_offline_renderer", "use_plain_tables"]

_XML_DECLARATION = re.compile(r"^<\?xml[^>]*>\s*")


def use_offline_renderer() -> None:
    """Render charts as inline SVG made locally by vl-convert: no network, no CDN."""
    alt.renderers.enable("svg")


def use_plain_tables() -> None:
    """Show polars DataFrames as :func:`~inkorg_kit.ui.tables.to_html` tables in the running
    IPython kernel, if any (outside a kernel: nothing)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    shell.display_formatter.formatters["text/html"].for_type(pl.DataFrame, to_html)


def use_notebook_display() -> None:
    """The notebooks' one display call: charts as offline SVG, polars frames as plain tables."""
    use_offline_renderer()
    use_plain_tables()


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """``chart`` as SVG text made locally by vl-convert, without the XML declaration (to go
    inline in an HTML file)."""
    return _XML_DECLARATION.sub("", vlc.vegalite_to_svg(chart.to_json()))
