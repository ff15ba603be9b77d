"""Old import path of the plain notebook tables, kept for the README: re-exports only.

The tables live in :mod:`inkorg_kit.ui.tables`. Importing :mod:`inkorg_kit` no longer
registers them: notebooks call :func:`inkorg_kit.ui.display.use_notebook_display`
(:func:`use_plain_tables` alone is still here).
"""

from inkorg_kit.ui.display import use_plain_tables
from inkorg_kit.ui.tables import MAX_ROWS, to_html, whole_number

__all__ = ["MAX_ROWS", "to_html", "use_plain_tables", "whole_number"]
