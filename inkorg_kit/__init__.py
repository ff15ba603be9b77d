"""inkorg-kit: plan, check, cut and follow up bulk messages to residents' 1177 inbox."""

import sys as _sys

if "IPython" in _sys.modules:  # a notebook kernel: polars frames as plain tables
    from inkorg_kit.tables import use_plain_tables

    use_plain_tables()
