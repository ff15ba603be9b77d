"""inkorg_kit.tables: polars frames as plain tables in notebooks."""

from __future__ import annotations

import polars as pl
from IPython.core.interactiveshell import InteractiveShell

from inkorg_kit import tables


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
        tables.use_plain_tables()
        formatted, _ = shell.display_formatter.format(pl.DataFrame({"a": ["x"]}))
        assert formatted["text/html"].startswith('<table class="inkorg-table">')
        assert "text/plain" in formatted  # papermill logs and terminals keep polars' view
    finally:
        InteractiveShell.clear_instance()
