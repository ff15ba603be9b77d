"""Helpers for the browser test: JupyterLab on localhost, Debian's Chromium through Playwright.

Why a module of its own: starting and stopping the two processes is where browser tests hang or
leak. Every wait here has a deadline, every failure says what did not start and shows its log,
and every process started here is stopped by its own id. The test itself then reads as what the
analyst does: open a notebook, run it, move a slider, look at the chart.

Why "offline" means routing, not ``context.set_offline``: JupyterLab itself is on 127.0.0.1, so
the browser must reach that one origin and nothing else. :class:`NetworkGuard` aborts every
other request the page makes and keeps a list of them; Chromium is also told to resolve no host
name but localhost, to send every connection but those to 127.0.0.1 to a proxy that is not
there (which stops what routing does not see, such as a WebSocket to an IP address), and to
skip its own calls home, as on a closed hospital network.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .paths import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

SCREENSHOT_DIR = REPO / "out" / "screenshots"
DOCS_SCREENSHOT_DIR = REPO / "docs" / "screenshots"
UPDATE_SCREENSHOTS_ENV = "INKORG_UPDATE_SCREENSHOTS"

# Debian's Chromium (`make install` adds it with apt); never a browser downloaded by Playwright.
CHROMIUM = Path(os.environ.get("INKORG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",  # Chromium refuses to start as root with its sandbox on
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    # Resolve no host name but localhost: a stray CDN <script> cannot even find its server.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    # Every connection goes to a proxy where nothing listens (port 9, discard), so none leaves
    # the machine, a WebSocket to an IP address included (page routing does not see those) ...
    "--proxy-server=127.0.0.1:9",
    # ... but those to JupyterLab's address; <-loopback> ends Chromium's implicit bypass of the
    # other loopback addresses (127.0.0.2 …), so the one server is all the page can reach.
    "--proxy-bypass-list=<-loopback>;127.0.0.1;localhost",
)
VIEWPORT = {"width": 1400, "height": 1000}

# JupyterLab settings for the test's own settings folder: no news or update toast over the
# screenshots, and no request from the page to anything but the server.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class BrowserTestError(RuntimeError):
    """JupyterLab or Chromium did not start or did not answer in time; the message says which."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (bind to port 0, read it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


# --------------------------------------------------------------------------- JupyterLab


@dataclass
class JupyterLab:
    """A JupyterLab server this test started, on 127.0.0.1 with a token."""

    process: subprocess.Popen[bytes]
    port: int
    token: str
    cwd: Path  # where it was started (what it serves is up to its arguments)
    log_path: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        """A URL on the server that logs the browser in with the token."""
        return f"{self.origin}/{path.lstrip('/')}?token={self.token}"

    def notebook_url(self, relative: str) -> str:
        return self.url(f"lab/tree/{quote(relative)}")

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def api(self, path: str, *, method: str = "GET", timeout: float = 5) -> Any:
        request = urllib.request.Request(
            f"{self.origin}/api/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop(self, timeout: float = 15) -> None:
        """Shut the server down (its kernels with it); then signal its process group if needed."""
        if self.process.poll() is None:
            try:
                self.api("shutdown", method="POST")
            except (OSError, urllib.error.URLError, ValueError):
                _signal_group(self.process, signal.SIGTERM)  # not answering: still starting
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGTERM)
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    _signal_group(self.process, signal.SIGKILL)
                    self.process.wait(5)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    # The server was started in a session of its own, so its group id is its pid.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def lab_environment(state_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a JupyterLab isolated from the user's: config, settings and workspaces
    in ``state_dir`` (so no saved layout or setting changes what the test sees); kernels and
    lab extensions still come from this Python's prefix (the project's venv)."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime", "settings", "workspaces"):
        (state_dir / name).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTER_DATA_DIR=str(state_dir / "data"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state_dir / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_TOKEN", None)
    for relative, values in LAB_SETTINGS.items():
        path = state_dir / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env.update(extra or {})
    return env


def start_jupyterlab(
    root_dir: Path,
    state_dir: Path,
    *,
    arguments: Sequence[str] | None = None,
    timeout: float = 60,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> JupyterLab:
    """Start ``jupyter lab`` headless on 127.0.0.1 in ``root_dir``; wait until it answers.

    ``arguments`` are the options an analyst's command line gives (``make lab``'s, which decide
    the served folder and so the kernels' working directory); without them ``root_dir`` is
    served. The test's own options (address, port, token) come after them. Raises
    :class:`BrowserTestError` with the server's log if it exits or does not answer within
    ``timeout`` seconds.
    """
    port = port or free_port()
    token = secrets.token_hex(24)
    log_path = state_dir / "jupyterlab.log"
    state_dir.mkdir(parents=True, exist_ok=True)
    served = [f"--ServerApp.root_dir={root_dir}"] if arguments is None else list(arguments)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        *served,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True",  # harmless when not root; required when root
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    shown = " ".join(word for word in command if "token" not in word)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=root_dir,
            env=lab_environment(state_dir, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = JupyterLab(process, port, token, root_dir, log_path)
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise BrowserTestError(
                f"JupyterLab exited with code {code} before answering on {lab.origin}.\n"
                f"command: {shown}\nits log ({log_path}):\n{lab.log_tail()}"
            )
        try:
            lab.api("status", timeout=2)
            return lab
        except (OSError, urllib.error.URLError, ValueError) as error:
            last_error = str(error)
            time.sleep(0.3)
    lab.stop()
    raise BrowserTestError(
        f"JupyterLab did not answer on {lab.origin} within {timeout:.0f} s "
        f"(last error: {last_error}).\nits log ({log_path}):\n{lab.log_tail()}"
    )


@contextlib.contextmanager
def running_jupyterlab(root_dir: Path, state_dir: Path, **kwargs: Any) -> Iterator[JupyterLab]:
    """:func:`start_jupyterlab` that always stops the server afterwards."""
    lab = start_jupyterlab(root_dir, state_dir, **kwargs)
    try:
        yield lab
    finally:
        lab.stop()


# --------------------------------------------------------------------------- Chromium


def launch_chromium(
    playwright: Playwright,
    *,
    executable: Path = CHROMIUM,
    timeout: float = 30,
    args: Sequence[str] = CHROMIUM_ARGS,
) -> Browser:
    """Debian's Chromium, headless, as Playwright's browser; a clear error if it cannot start.

    Playwright makes a fresh temporary profile (user-data-dir) for each launch and removes it.
    ``args``: the command-line switches (the test of the network switches varies them).
    """
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        raise BrowserTestError(
            f"Chromium not found at {executable}: install Debian's package "
            "(`apt-get install chromium`, which `make install` does) or point INKORG_CHROMIUM "
            "at a Chromium binary. Downloading a browser with `playwright install` is not an "
            "option on the closed network."
        )
    from playwright.sync_api import Error as PlaywrightError

    try:
        return playwright.chromium.launch(
            executable_path=str(executable),
            headless=True,
            args=list(args),
            timeout=timeout * 1000,
        )
    except PlaywrightError as error:
        raise BrowserTestError(
            f"Chromium at {executable} did not start within {timeout:.0f} s: "
            f"{str(error).strip()[:2000]}"
        ) from None


@dataclass
class NetworkGuard:
    """Lets the page reach one origin (the JupyterLab server) and aborts everything else.

    ``blocked`` lists every aborted request URL, so the test can show what would have needed
    the internet (a CDN script, a font, a news feed).
    """

    allowed_origin: str
    blocked: list[str] = field(default_factory=list)

    def _allowed(self, url: str) -> bool:
        if url.startswith(("data:", "blob:", "about:")):
            return True
        parts, allowed = urlsplit(url), urlsplit(self.allowed_origin)
        return parts.scheme == "http" and parts.netloc == allowed.netloc

    def _handle(self, route: Route) -> None:
        url = route.request.url
        if self._allowed(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def attach(self, context: BrowserContext) -> None:
        context.route("**/*", self._handle)


def offline_context(browser: Browser, lab: JupyterLab) -> tuple[BrowserContext, NetworkGuard]:
    """A browser context that can reach only ``lab``; every other request is aborted."""
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE", timezone_id="Europe/Stockholm")
    guard = NetworkGuard(lab.origin)
    guard.attach(context)
    return context, guard


# --------------------------------------------------------------------------- JupyterLab pages

_CURRENT = "window.jupyterapp.shell.currentWidget"

_KERNEL_IDLE = f"""(path) => {{
  const w = {_CURRENT};
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return false;
  const s = w.sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle' && w.content.widgets.length > 0);
}}"""

_START_RUN_ALL = f"""() => {{
  window.__inkorgRun = null;
  const w = {_CURRENT};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (ok) => {{ window.__inkorgRun = {{ ok: ok !== false }}; }},
    (e) => {{ window.__inkorgRun = {{ ok: false, error: String(e) }}; }});
}}"""

_RUN_FINISHED = f"""() => {{
  if (window.__inkorgRun === null) return false;
  const s = {_CURRENT}.sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle');
}}"""

_DIALOG = ".jp-Dialog"


@dataclass
class CellError:
    index: int
    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"cell {self.index}: {self.ename}: {self.evalue}"


@dataclass
class RunOutcome:
    """What "Run All" left in the notebook: the cells that ran, did not run, or failed."""

    ok: bool
    code_cells: int
    executed: int
    errors: list[CellError]

    def describe(self) -> str:
        lines = [f"{self.executed}/{self.code_cells} code cells ran"]
        lines += [str(e) for e in self.errors]
        return "; ".join(lines)


class LabPage:
    """One browser tab on a JupyterLab server, driven the way the analyst would."""

    def __init__(self, page: Page, lab: JupyterLab) -> None:
        self.page = page
        self.lab = lab

    def _fail(self, what: str) -> BrowserTestError:
        dialogs = self.page.locator(_DIALOG)
        dialog = ""
        if dialogs.count():
            dialog = f"\nan open dialog says: {dialogs.first.inner_text()[:500]!r}"
        return BrowserTestError(
            f"{what}{dialog}\nJupyterLab log ({self.lab.log_path}):\n{self.lab.log_tail(25)}"
        )

    def open_notebook(self, relative: str, *, timeout: float = 60) -> None:
        """Open a notebook by its path under the server root and wait for an idle kernel."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        if self.page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell)"):
            # Already in JupyterLab: open it as File > Open would, without reloading the page.
            self.page.evaluate(
                "(path) => { window.jupyterapp.commands.execute("
                "'docmanager:open', {path: path, factory: 'Notebook'}); }",
                relative,
            )
        else:
            self.page.goto(self.lab.notebook_url(relative), timeout=timeout * 1000)
        try:
            self.page.wait_for_function(
                "() => !!(window.jupyterapp && window.jupyterapp.shell)",
                timeout=timeout * 1000,
            )
        except PlaywrightTimeout:
            raise self._fail(
                f"JupyterLab's page at {self.lab.origin} did not load within {timeout:.0f} s"
            ) from None
        try:
            self.page.wait_for_function(_KERNEL_IDLE, arg=relative, timeout=timeout * 1000)
        except PlaywrightTimeout:
            raise self._fail(
                f"notebook {relative} did not open with an idle kernel within {timeout:.0f} s "
                "(a 'Select Kernel' dialog means the notebook has no kernelspec)"
            ) from None

    def run_all(self, *, timeout: float = 100) -> RunOutcome:
        """Run > Run All Cells, and wait until the kernel is idle again."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.page.evaluate(_START_RUN_ALL)
        try:
            self.page.wait_for_function(_RUN_FINISHED, timeout=timeout * 1000, polling=250)
        except PlaywrightTimeout:
            raise self._fail(f"Run All did not finish within {timeout:.0f} s") from None
        result = self.page.evaluate("() => window.__inkorgRun")
        outcome = self.outcome()
        outcome.ok = bool(result.get("ok")) and not outcome.errors
        return outcome

    def outcome(self) -> RunOutcome:
        """Read the notebook model in the page: which code cells ran and which failed."""
        nb = self.page.evaluate(f"() => {_CURRENT}.content.model.toJSON()")
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        errors = [
            CellError(i, out.get("ename", "?"), out.get("evalue", ""))
            for i, cell in enumerate(nb["cells"])
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        executed = sum(1 for c in code if c.get("execution_count") is not None)
        return RunOutcome(True, len(code), executed, errors)

    def wait_until_idle(self, *, timeout: float = 60, settle: float = 0.3) -> None:
        """Wait for the kernel to finish what a widget change started."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        check = f"""() => {{
          const s = {_CURRENT}.sessionContext.session;
          return !!(s && s.kernel && s.kernel.status === 'idle');
        }}"""
        # A widget change reaches the kernel after a short debounce; let it start first.
        self.page.wait_for_timeout(settle * 1000)
        try:
            self.page.wait_for_function(check, timeout=timeout * 1000, polling=100)
        except PlaywrightTimeout:
            raise self._fail(f"the kernel stayed busy for more than {timeout:.0f} s") from None

    def tidy_for_screenshot(self) -> None:
        """Hide the file browser so the notebook gets the width, and close the Launcher tab
        that JupyterLab opens when the last notebook closes."""
        self.page.evaluate(
            """() => {
              const s = window.jupyterapp.shell;
              if (!s.leftCollapsed) s.collapseLeft();
              for (const w of Array.from(s.widgets('main'))) {
                if (w.id.startsWith('launcher')) w.dispose();
              }
            }"""
        )
        self.page.wait_for_timeout(300)

    def close_notebook(self) -> None:
        """Shut the notebook's kernel down and close its tab without a "save?" dialog."""
        self.page.evaluate(
            f"""async () => {{
              const w = {_CURRENT};
              if (!w || !w.sessionContext) return;
              await w.sessionContext.shutdown();
              w.context.model.dirty = false;
              w.dispose();
            }}"""
        )


# --------------------------------------------------------------------------- screenshots


def save_screenshot(page: Page, name: str, *, publish: bool = True) -> Path:
    """Screenshot into ``out/screenshots/<name>.png``; also into ``docs/screenshots/`` when
    ``INKORG_UPDATE_SCREENSHOTS=1`` and ``publish`` (the README shows those, so they change
    only on purpose, and never to a picture of a failure)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path))
    if publish and os.environ.get(UPDATE_SCREENSHOTS_ENV) == "1":
        DOCS_SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOT_DIR / path.name)
    return path
