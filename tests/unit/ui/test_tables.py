"""inkorg_kit.ui.tables and ui.display: polars frames as plain tables in notebooks, switched on by
one explicit call (importing the kit changes no display setting)."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
from IPython.core.interactiveshell import InteractiveShell

from inkorg_kit import tables as old_tables
from inkorg_kit.ui import display, tables


def test_cells_are_plain_text_numbers_in_swedish_form_and_escaped():
    frame = pl.DataFrame(
        {"namn": ["<b>Åsa</b>", None], "antal": [1234567, 5], "andel": [0.12345, None]}
    )
    html = tables.to_html(frame)
    assert "<th>namn</th><th>antal</th><th>andel</th>" in html
    assert "&lt;b&gt;Åsa&lt;/b&gt;" in html and "<b>" not in html  # text, never markup
    assert "1\u00a0234\u00a0567" in html and "0,123" in html
    assert "&quot;" not in html and "str" not in html and "shape" not in html


def test_long_frames_show_their_first_rows_and_say_how_many_more():
    html = tables.to_html(pl.DataFrame({"n": range(100)}), max_rows=10)
    assert html.count("<tr>") == 11  # the header and ten rows
    assert "… och 90 rader till (100 i allt)." in html


def test_registered_as_the_html_view_of_polars_frames_in_a_kernel():
    shell = InteractiveShell.instance()
    try:
        display.use_plain_tables()
        formatted, _ = shell.display_formatter.format(pl.DataFrame({"a": ["x"]}))
        assert formatted["text/html"].startswith('<table class="inkorg-table">')
        assert "text/plain" in formatted  # papermill logs and terminals keep polars' view
    finally:
        InteractiveShell.clear_instance()


def test_the_old_import_path_still_works():
    assert old_tables.to_html is tables.to_html
    assert old_tables.use_plain_tables is display.use_plain_tables
    assert old_tables.whole_number(119716) == "119\u00a0716"


def test_importing_the_kit_changes_no_display_setting():
    """In a shell (as in a kernel): importing inkorg_kit, its charts and its report leaves
    Altair's renderer and polars' HTML view alone; the one explicit call switches both."""
    code = """
import altair as alt
import polars as pl
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
html = shell.display_formatter.formatters["text/html"]
import inkorg_kit, inkorg_kit.charts, inkorg_kit.tables, inkorg_kit.report  # noqa: E401
assert alt.renderers.active == "default", alt.renderers.active
assert pl.DataFrame not in html.type_printers
from inkorg_kit.ui.display import use_notebook_display
use_notebook_display()
assert alt.renderers.active == "svg", alt.renderers.active
assert html.type_printers[pl.DataFrame] is inkorg_kit.tables.to_html
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
