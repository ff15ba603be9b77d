"""``inkorg-kit planner campaign.yaml``: the planner's page on localhost, served by Voilà.

The page is the kit's ``notebooks/planner.ipynb`` (:mod:`inkorg_kit.steps.planner`) rendered
by Voilà with no code shown: the step-03 panel, the send-time advice and "Spara plan". As
``inkorg-kit lab`` does, the server listens on 127.0.0.1 only, with a random token in the URL
it prints (handed to Voilà in ``JUPYTER_TOKEN``, not on its command line, which every user of
the machine can list), and works as root; the campaign and the run folder reach the page's kernel as
absolute paths in its environment (:data:`~inkorg_kit.steps.parameters.CAMPAIGN_ENV`,
:data:`~inkorg_kit.steps.planner.RUN_DIR_ENV`), because Voilà starts it in the kit's folder.

Why a template of our own (``jupyter/voila/templates/inkorg``): Voilà's lab template links font
stylesheets from a CDN; on a closed hospital network the page must load nothing but from the
local server, so that template is used without them (and MathJax, which Voilà would load from
a CDN, is pointed at nothing: the page has no formulas).

The run folder must hold what steps 01 and 02 wrote; without it the command stops before
starting anything, naming the step to run.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inkorg_kit.cli import runner
from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.errors import UsageError
from inkorg_kit.run import RunFolder
from inkorg_kit.steps.parameters import CAMPAIGN_ENV
from inkorg_kit.steps.planner import NOTEBOOK, RUN_DIR_ENV

__all__ = [
    "HOST",
    "TEMPLATE",
    "PlannerLaunch",
    "planner_command",
    "prepare_planner",
]

HOST = "127.0.0.1"
#: The Voilà template (under :data:`TEMPLATE_ROOT`): Voilà's lab template without CDN links.
TEMPLATE = "inkorg"
#: A Jupyter data folder holding ``voila/templates/inkorg``, put first on ``JUPYTER_PATH``.
TEMPLATE_ROOT = Path(__file__).resolve().parent / "jupyter"

# Messages, in Swedish as the planner reads them.
NO_CAMPAIGN_FILE = "kampanjfilen {path} finns inte; ange sökvägen till din campaign.yaml"
NO_RUN_FOLDER = (
    "körmappen {path} finns inte. Kör först steg 01 och 02 (målgrupp och mottagarfiler): "
    "inkorg-kit run {campaign} --steps 00_campaign_check,01_target_group,02_recipient_files"
    "{run_dir}"
)
NO_TARGET = (
    "körmappen {path} saknar målgruppen ({file}). Kör först steg 01 (01_target_group): "
    "inkorg-kit run {campaign} --steps 01_target_group,02_recipient_files{run_dir}"
)
NO_MANIFEST = (
    "körmappen {path} saknar mottagarfilerna ({file}). Kör först steg 02 "
    "(02_recipient_files): inkorg-kit run {campaign} --steps 02_recipient_files{run_dir}"
)
STARTING = (
    "Planeraren startar för {campaign}\n"
    "  körmapp: {run_dir}\n"
    "Öppna sidan i webbläsaren (bara på den här datorn):\n"
    "  {url}\n"
    "Inget sparas förrän du trycker på «Spara plan». Stäng med Ctrl-C."
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PlannerLaunch:
    """How Voilà is started for the planner: the page, options, environment and URL."""

    campaign: Path
    run_dir: Path
    notebook: Path
    port: int
    token: str = field(repr=False)
    arguments: tuple[str, ...] = field(repr=False, default=())
    environment: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def url(self) -> str:
        """The page's address with the token (what the planner opens)."""
        return f"http://{HOST}:{self.port}/?token={self.token}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "voila", *self.arguments]

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The server's environment: ``base`` (this process's) with the campaign, the run
        folder and the template folder first on ``JUPYTER_PATH``."""
        env = dict(os.environ if base is None else base)
        for name in (RUN_DIR_ENV, "JUPYTER_TOKEN_FILE"):
            env.pop(name, None)
        env.update(self.environment)
        paths = [str(TEMPLATE_ROOT), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
        env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
        return env


def _check_run_folder(campaign_arg: Path, run_dir: Path, given: bool) -> None:
    """Stop, naming the step to run, when the run folder lacks what steps 01 and 02 write."""
    words = {
        "campaign": campaign_arg,
        "path": run_dir,
        "run_dir": f" --run-dir {run_dir}" if given else "",
    }
    if not run_dir.is_dir():
        raise UsageError(NO_RUN_FOLDER.format(**words))
    folder = RunFolder(run_dir)
    if not folder.path("target_group").is_file():
        raise UsageError(NO_TARGET.format(file=folder.path("target_group").name, **words))
    if not folder.exists("manifest_json"):
        raise UsageError(NO_MANIFEST.format(file=folder.path("manifest_json").name, **words))


def prepare_planner(
    campaign: Path, *, run_dir: Path | None = None, port: int | None = None
) -> PlannerLaunch:
    """Check the campaign (it must load) and its run folder (steps 01 and 02 done), and say
    how Voilà is started; nothing is started or written here. Raises :class:`UsageError` (or
    the campaign's own error) with what to do.
    """
    runner.refuse_personnummer({"kampanjfilen": campaign, "körmappen": run_dir or ""})
    path = Path(campaign).expanduser().resolve()
    if not path.is_file():
        raise UsageError(NO_CAMPAIGN_FILE.format(path=campaign))
    loaded = load_campaign(path)
    folder = Path(run_dir).expanduser() if run_dir else loaded.run_folder()
    folder = folder.resolve()
    _check_run_folder(Path(campaign), folder, run_dir is not None)
    notebook = Path(runner.NOTEBOOK_DIR).resolve() / NOTEBOOK
    if not notebook.is_file():
        raise UsageError(f"kitets sida {notebook} saknas; installera om inkorg-kit")
    chosen_port = port or free_port()
    if not 0 < chosen_port < 65536:
        raise UsageError(f"--port {port} är ingen port (1-65535)")
    token = secrets.token_hex(24)
    arguments = (
        str(notebook),
        "--no-browser",
        f"--Voila.ip={HOST}",
        f"--port={chosen_port}",
        "--Voila.auto_token=True",  # the token: JUPYTER_TOKEN, kept out of the process list
        f"--template={TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--Voila.mathjax_url=",  # no formulas on the page; never MathJax from a CDN
    )
    environment = {CAMPAIGN_ENV: str(path), RUN_DIR_ENV: str(folder), "JUPYTER_TOKEN": token}
    return PlannerLaunch(path, folder, notebook, chosen_port, token, arguments, environment)


def planner_command(campaign: Path, *, run_dir: Path | None = None, port: int | None = None) -> int:
    """``inkorg-kit planner``: serve the page (see the module) until stopped; its exit code."""
    launch = prepare_planner(campaign, run_dir=run_dir, port=port)
    print(STARTING.format(campaign=launch.campaign, run_dir=launch.run_dir, url=launch.url))
    sys.stdout.flush()
    process = subprocess.Popen(launch.command(), cwd=launch.run_dir, env=launch.env())
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # Voilà got it too, and stops
