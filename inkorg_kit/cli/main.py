"""The command line: arguments to runner calls, exit codes for schedulers."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from inkorg_kit.cli.console import print_result
from inkorg_kit.cli.executed import masked
from inkorg_kit.cli.history import history_command
from inkorg_kit.cli.init import init_campaign, schema
from inkorg_kit.cli.lab import lab_command
from inkorg_kit.cli.planner import planner_command
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

DESCRIPTION = "Kör en kampanjs notebooks (00-04), demot, eller hjälpkommandona runt dem."


def _minute(text: str) -> str:
    """argparse type for ``--exported-at``: a local time to the minute, checked here."""
    try:
        dt.datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} är ingen tid som ÅÅÅÅ-MM-DD TT:MM (svensk tid), t.ex. '2027-03-23 06:30'"
        ) from None
    return text.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} är inget antal sekunder över 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inkorg-kit", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="kör kampanjens notebooks 00-04 in i out/<kampanj>/")
    run.add_argument("campaign", type=Path, help="kampanjens YAML-fil")
    run.add_argument(
        "--status-export",
        type=Path,
        help=f"Personalverktygets statusexport; standard: <körmapp>/{STATUS_EXPORT_DIR}/",
    )
    run.add_argument("--run-dir", type=Path, help="körmappen; standard: out/<kampanjens namn>")
    run.add_argument("--steps", help=f"kommaseparerat urval av: {', '.join(STEPS)}")
    run.add_argument(
        "--override-reason",
        default="",
        metavar="TEXT",
        help="skriftligt skäl att gå vidare trots fel mot riktlinjerna (steg 00 och 02; sparas)",
    )
    report = sub.add_parser("report", help="kör notebook 04 in i en daterad mapp (för cron)")
    report.add_argument("campaign", type=Path)
    report.add_argument("--status-export", type=Path)
    report.add_argument("--run-dir", type=Path)
    for command in (run, report):
        command.add_argument(
            "--exported-at",
            type=_minute,
            metavar='"YYYY-MM-DD HH:MM"',
            help="när statusexporten togs (svensk tid); standard: dess senaste tid",
        )
        command.add_argument(
            "--timeout",
            type=_seconds,
            metavar="SECONDS",
            help="stoppa en cell som kör längre (för obevakade körningar); standard: ingen gräns",
        )
    sub.add_parser("demo", help="hela kampanjen på den medföljande syntetiska regionen")
    init = sub.add_parser(
        "init",
        help="skapa en kampanjmapp: campaign.yaml (varje nyckel förklarad) och LÄSMIG.md",
    )
    init.add_argument("folder", type=Path, help="den nya kampanjens mapp, t.ex. influensa-2027")
    sub.add_parser("schema", help="skriv ut varje kampanjnyckel: betydelse, standardvärde, exempel")
    lab = sub.add_parser(
        "lab", help="JupyterLab på en kampanj: varje notebook förinställd på den, filerna bredvid"
    )
    lab.add_argument("campaign", type=Path, nargs="?", help="kampanjens YAML-fil; standard: demot")
    planner = sub.add_parser(
        "planner",
        help="planeringssidan i webbläsaren (utan kod): räckvidd, brev, bästa starttid, spara plan",
    )
    planner.add_argument("campaign", type=Path, help="kampanjens YAML-fil")
    planner.add_argument(
        "--run-dir", type=Path, help="körmappen (steg 01 och 02 körda); standard: out/<kampanj>"
    )
    planner.add_argument("--port", type=int, help="porten på 127.0.0.1; standard: en ledig port")
    history = sub.add_parser(
        "history", help="lista regionens kampanjregister (bara sammanräknade tal per kampanj)"
    )
    history.add_argument(
        "--register",
        type=Path,
        metavar="MAPP",
        help="kampanjregistret; standard: miljövariabeln INKORG_REGISTER, annars out/register/",
    )
    purge = sub.add_parser(
        "purge",
        help="lista (eller med --yes radera) personuppgifter i körmappar efter gallringstiden",
    )
    purge.add_argument(
        "target",
        type=Path,
        nargs="?",
        help="en kampanjfil (dess körmapp) eller en mapp med körmappar; standard: out/",
    )
    purge.add_argument(
        "--yes", action="store_true", help="radera filerna (standard: bara lista dem)"
    )
    purge.add_argument("--run-dir", type=Path, help="med en kampanjfil: dess körmapp")
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
            print(f"rapport: {path}")
        elif args.command == "init":
            made = init_campaign(args.folder)
            print(f"Skrev {made.campaign} och {made.readme}.")
            print(f"Nästa steg: fyll i {made.campaign} och läs {made.readme}.")
        elif args.command == "schema":
            sys.stdout.write(schema())
        elif args.command == "lab":
            return lab_command(args.campaign)
        elif args.command == "planner":
            return planner_command(args.campaign, run_dir=args.run_dir, port=args.port)
        elif args.command == "history":
            return history_command(args.register)
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
        print("inkorg-kit: avbruten", file=sys.stderr)
        return 130
    return 0
