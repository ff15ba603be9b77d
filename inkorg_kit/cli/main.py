"""The command line: arguments to runner calls, exit codes for schedulers."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from inkorg_kit.cli.console import print_result
from inkorg_kit.cli.executed import masked
from inkorg_kit.cli.purge import purge_command
from inkorg_kit.cli.runner import (
    STATUS_EXPORT_DIR,
    STEPS,
    TIME_FORMAT,
    StepFailed,
    chosen_steps,
    run_campaign,
    run_demo,
    run_report,
)
from inkorg_kit.errors import UsageError

__all__ = ["main"]

DESCRIPTION = "Run a campaign's notebooks through papermill, or the demo."


def _minute(text: str) -> str:
    """argparse type for ``--exported-at``: a local time to the minute, checked here."""
    try:
        dt.datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time as YYYY-MM-DD HH:MM (Swedish local time), e.g. "
            "'2027-03-23 06:30'"
        ) from None
    return text.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inkorg-kit", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a campaign's notebooks 00-04 into out/<campaign>/")
    run.add_argument("campaign", type=Path, help="the campaign YAML")
    run.add_argument(
        "--status-export",
        type=Path,
        help=f"Personalverktyget's status export; default: <run dir>/{STATUS_EXPORT_DIR}/",
    )
    run.add_argument("--run-dir", type=Path, help="default: out/<campaign name>")
    run.add_argument("--steps", help=f"comma-separated subset of: {', '.join(STEPS)}")
    run.add_argument(
        "--override-reason",
        default="",
        metavar="TEXT",
        help="a written reason to go ahead despite guideline errors (steps 00 and 02; recorded)",
    )
    report = sub.add_parser("report", help="run notebook 04 into a dated folder (for cron)")
    report.add_argument("campaign", type=Path)
    report.add_argument("--status-export", type=Path)
    report.add_argument("--run-dir", type=Path)
    for command in (run, report):
        command.add_argument(
            "--exported-at",
            type=_minute,
            metavar='"YYYY-MM-DD HH:MM"',
            help="when the status export was taken (local time); default: its latest time",
        )
        command.add_argument(
            "--timeout",
            type=_seconds,
            metavar="SECONDS",
            help="stop a cell that runs longer than this (for unattended runs); default: none",
        )
    sub.add_parser("demo", help="the whole campaign on the bundled synthetic region")
    purge = sub.add_parser(
        "purge",
        help="list (or with --yes delete) personal data in run folders past their retention",
    )
    purge.add_argument(
        "target",
        type=Path,
        nargs="?",
        help="a campaign YAML (its run folder) or a folder of run folders; default: out/",
    )
    purge.add_argument(
        "--yes", action="store_true", help="delete the files (default: only list them)"
    )
    purge.add_argument("--run-dir", type=Path, help="with a campaign YAML: its run folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            steps = STEPS
            if args.steps:
                steps = tuple(s.strip() for s in args.steps.split(",") if s.strip())
                try:
                    steps = chosen_steps(steps)
                except UsageError as error:
                    parser.error(str(error))
            print_result(
                run_campaign(
                    args.campaign,
                    run_dir=args.run_dir,
                    status_export=args.status_export,
                    steps=steps,
                    override_reason=args.override_reason,
                    exported_at=args.exported_at or "",
                    timeout=args.timeout,
                )
            )
        elif args.command == "report":
            path = run_report(
                args.campaign,
                status_export=args.status_export,
                run_dir=args.run_dir,
                exported_at=args.exported_at or "",
                timeout=args.timeout,
            )
            print(f"report: {path}")
        elif args.command == "purge":
            return purge_command(args.target, yes=args.yes, run_dir=args.run_dir)
        else:
            print_result(run_demo())
    except StepFailed as failure:
        print(f"inkorg-kit: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"inkorg-kit: {masked(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("inkorg-kit: interrupted", file=sys.stderr)
        return 130
    return 0
