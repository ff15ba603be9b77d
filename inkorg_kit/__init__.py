"""inkorg-kit: plan, check, cut and follow up bulk messages to residents' 1177 inbox."""

from inkorg_kit.tables import use_plain_tables

use_plain_tables()  # in a notebook kernel: polars frames as plain tables (see inkorg_kit.tables)
