"""The orderer's report: one self-contained HTML file, no personnummer, no small numbers.

Why: the orderer (seed 000: *beställare*) gets a follow-up after the sending. It goes out of
the locked folder, by e-mail or on a shared drive, and is opened on any computer, often in a
closed hospital network. So the report is one HTML file with everything inside: the charts are
inline SVG made locally by vl-convert, the styles are inline, there are no scripts and no links
to the network, and no code. It holds the campaign's facts, the counts (target group, sent,
failed, read, unread), the cumulative read curves, the read rates by group, and how many are to
be reached another way, but never a personnummer: before the file is written the whole text is
scanned with :func:`inkorg_kit.pnr.find_in_text`, and writing is refused if anything is found.
Its notes are Swedish and written for the orderer (:func:`orderer_notes`); the analyst's
warnings stay in the notebook.

The modules, in the order they build on each other:

* :mod:`~inkorg_kit.report.disclosure`: which counts to hide, table by table (the rules);
* :mod:`~inkorg_kit.report.audit`: whether anything 1-4 can be worked out from everything
  shown together (linear programs over the linked tables);
* :mod:`~inkorg_kit.report.tables`: the tables as people read them (Swedish numbers, "–");
* :mod:`~inkorg_kit.report.published`: everything published, protected in one pass and
  audited (:func:`disclose`; notebook 04 shows the same tables);
* :mod:`~inkorg_kit.report.html`: the page (:func:`render_report`);
* :mod:`~inkorg_kit.report.orderer`: notes, the leak check and the write (:func:`orderer_report`).
"""

from inkorg_kit.errors import ReportLeakError
from inkorg_kit.report.audit import Audit
from inkorg_kit.report.disclosure import (
    GROUP_COUNTS,
    HIDDEN,
    MIN_GROUP_SIZE,
    OVERALL,
    hidden_groups,
    protect_curves,
    protect_totals,
    suppress,
)
from inkorg_kit.report.html import TEMPLATE, render_report
from inkorg_kit.report.orderer import (
    check_html,
    orderer_notes,
    orderer_report,
    report_path,
    write_report,
)
from inkorg_kit.report.published import HORIZONS, Published, disclose
from inkorg_kit.report.tables import counts_display, group_display, within_display

__all__ = [
    "GROUP_COUNTS",
    "HIDDEN",
    "HORIZONS",
    "MIN_GROUP_SIZE",
    "OVERALL",
    "TEMPLATE",
    "Audit",
    "Published",
    "ReportLeakError",
    "check_html",
    "counts_display",
    "disclose",
    "group_display",
    "hidden_groups",
    "orderer_notes",
    "orderer_report",
    "protect_curves",
    "protect_totals",
    "render_report",
    "report_path",
    "suppress",
    "within_display",
    "write_report",
]
