"""The command that writes the demo region's files: ``python -m inkorg_kit.synth out/demo``.

Why a command: the demo, the notebooks' examples and the benchmarks all start from the same
region on disk. It uses Skatteverket's test numbers only, unless ``--generated`` is given for a
benchmark-sized region: then the numbers may be real people's, a warning says so, and the
folder must not be in the checkout outside ``out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from inkorg_kit.demo.numbers import REFERENCE_DATE, max_people_from_test_numbers
from inkorg_kit.demo.region import region

__all__ = ["GENERATED_WARNING", "main"]


GENERATED_WARNING = (
    "Warning: --generated makes check-digit-valid personnummer at run time. They are not"
    " Skatteverket's test numbers and may belong to real residents: keep the files under out/"
    " (git-ignored) or a temporary folder, and never commit, share or import them."
)


def _inside_repo_outside_out(folder: Path) -> bool:
    """True for a folder in this checkout but not under its ``out/`` (where files get committed)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():  # an installed package: no checkout to protect
        return False
    target = folder.resolve()
    return target.is_relative_to(root) and not target.is_relative_to(root / "out")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inkorg_kit.synth out/demo``: write the demo region's files.

    Test numbers only, unless ``--generated`` is given (for benchmark-sized regions): then the
    numbers may be real people's, a warning says so, and the folder must not be in the checkout
    outside ``out/``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m inkorg_kit.synth", description="Write a synthetic region's files."
    )
    parser.add_argument(
        "folder", help="output folder, e.g. out/demo (never inside the repo's code)"
    )
    capacity = max_people_from_test_numbers()
    parser.add_argument(
        "--people",
        type=int,
        default=30_000,
        help=f"number of people (at most {capacity:,} with test numbers)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument("--reference-date", default=REFERENCE_DATE, help="YYYY-MM-DD")
    parser.add_argument("--xlsx", action="store_true", help="also write extract.xlsx")
    parser.add_argument(
        "--generated",
        action="store_true",
        help="use generated check-digit-valid numbers (any size; they may be real people's)",
    )
    args = parser.parse_args(argv)
    if args.generated:
        print(GENERATED_WARNING, file=sys.stderr)
        if _inside_repo_outside_out(Path(args.folder)):
            parser.error(
                f"{args.folder}: generated numbers may be real people's; write them under out/"
                " (git-ignored) or a temporary folder, not elsewhere in the repository"
            )
    numbers: Literal["test", "generated"] = "generated" if args.generated else "test"
    try:
        if numbers == "test" and args.people > max_people_from_test_numbers(args.reference_date):
            parser.error(
                f"--people {args.people}: Skatteverket's test numbers give at most"
                f" {max_people_from_test_numbers(args.reference_date):,} people at"
                f" {args.reference_date}; ask for fewer, or add --generated for a larger region"
                " of generated numbers (they may belong to real people)"
            )
        made = region(
            args.people, seed=args.seed, reference_date=args.reference_date, numbers=numbers
        )
    except ValueError as exc:
        parser.error(str(exc))
    paths = made.write(args.folder, xlsx=args.xlsx)
    print(
        f"{made.people.height} people, {made.contacts.height} contact rows "
        f"({made.numbers} numbers) written to {args.folder}: "
        + ", ".join(path.name for path in paths.values())
    )
    return 0
