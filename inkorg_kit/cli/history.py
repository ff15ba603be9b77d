"""``inkorg-kit history``: the region's campaign register as a Swedish table.

Why a command: the analyst should see which campaigns the next campaign's priors come from
without opening a notebook. It lists aggregates only (one line per campaign), the same
numbers the register keeps (:mod:`inkorg_kit.history`).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from inkorg_kit.history import REGISTER_ENV, load_register, register_path
from inkorg_kit.privacy import mask_in_text
from inkorg_kit.vocab import TIME_ZONE

__all__ = ["HEADERS", "history_command", "history_table"]

#: The table's columns, in Swedish.
HEADERS = (
    "Kampanj",
    "Kategori",
    "Utskick",
    "Skickade",
    "Läsandel",
    "Inloggningsandel",
    "Utfallsandel",
)
EMPTY = (
    "Kampanjregistret {path} är tomt: steg 04 (uppföljningen) registrerar varje avslutad"
    " kampanj där. Ett annat register: --register MAPP eller miljövariabeln {env}."
)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}".replace(",", " ")


def _day(value: dt.datetime | None) -> str:
    return "–" if value is None else f"{value.astimezone(TIME_ZONE):%Y-%m-%d}"


def history_table(register: str | Path) -> list[tuple[str, ...]]:
    """One row of text per campaign in the register (oldest first), as :data:`HEADERS`."""
    frame = load_register(register).campaigns()
    rows = []
    for c in frame.iter_rows(named=True):
        rows.append(
            (
                c["campaign"],
                c["category_label"] or c["category"] or "–",
                _day(c["first_send"] or c["planned_send_start"]),
                _count(c["sent"]),
                _percent(c["read_share"]),
                _percent(c["login_share"]),
                _percent(c["outcome_share"]),
            )
        )
    return rows


def _aligned(rows: list[tuple[str, ...]]) -> str:
    table = [HEADERS, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]
    numeric = {3, 4, 5, 6}
    lines = [
        "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def history_command(register: Path | None = None) -> int:
    """Print the register (``register``, else :func:`inkorg_kit.history.register_path`)."""
    path = register_path(given=register)
    rows = history_table(path)
    if not rows:
        print(EMPTY.format(path=path, env=REGISTER_ENV))
        return 0
    print(f"Kampanjregistret {path}: {len(rows)} kampanj{'er' if len(rows) != 1 else ''}")
    print(
        "Läsandel: lästa av lästa och olästa. Inloggningsandel: utskick som inte misslyckades."
        " Utfallsandel: gjorde det meddelandet bad om (om uppföljning av utfall fanns)."
    )
    print()
    print(mask_in_text(_aligned(rows)))
    sys.stdout.flush()
    return 0
