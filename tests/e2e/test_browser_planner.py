"""The planner's page in a real browser, started as the README's "För planerare" says, with the
network off.

``inkorg-kit planner`` is started with the README's line in a copy of the demo's folder (what
``inkorg-kit demo`` leaves: ``out/demo/campaign.yaml`` and the run folder). Debian's Chromium
(Playwright, never a downloaded browser) may reach only that server; every request and
WebSocket the page makes is recorded, and each must go to 127.0.0.1 (a closed hospital
network). The test waits for the page, checks that nothing was written to the run folder,
applies the send-time advice ("Använd"), drags a login-share slider, picks strategy (b) when
the panel has the picker, sees the letters (and the cost) change, presses "Spara plan" and
finds the reminder wave in ``send_plan.csv``. Screenshots go to ``out/screenshots/planner*.png``
(and to ``docs/screenshots/`` for the README when ``INKORG_UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO, TCP_KERNELS, DemoRun
from support.browser import (
    SCREENSHOT_DIR,
    UPDATE_SCREENSHOTS_ENV,
    VIEWPORT,
    NetworkGuard,
    launch_chromium,
)
from support.demo import BIN, user_env

pytestmark = [pytest.mark.browser, pytest.mark.slow, TCP_KERNELS]

SECTION = "## För planerare"
DOCS_IMG = REPO / "docs" / "screenshots"
SLIDER_LABEL = "Inloggade 65–74"
LETTERS = "other_channel_total"  # the summary row: no login + unread at the follow-up
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+)")


def readme_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README: no section {SECTION!r}"
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def readme_commands() -> list[str]:
    """The section's shell lines, comments cut off, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(), re.S)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


# --------------------------------------------------------------------------- the server


@dataclass
class Planner:
    process: subprocess.Popen[bytes]
    url: str
    origin: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def running_planner(line: str, cwd: Path, state: Path, timeout: float = 120) -> Iterator[Planner]:
    """``line`` (``inkorg-kit planner …``) started in ``cwd`` with Jupyter's own folders in
    ``state``; yields once the printed URL answers; stops the server and its kernels after."""
    for name in ("config", "data", "runtime"):
        (state / name).mkdir(parents=True, exist_ok=True)
    env = user_env(
        {
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "JUPYTER_DATA_DIR": str(state / "data"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JUPYTER_TOKEN", None)
    words = shlex.split(line)
    assert words[:2] == ["inkorg-kit", "planner"], line
    log = state / "planner.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "inkorg-kit"), *words[1:]],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        found = None
        while time.monotonic() < deadline and process.poll() is None:
            found = found or URL.search(log.read_text(encoding="utf-8", errors="replace"))
            if found:
                # the port answers: no GET of the page here, since Voilà runs the notebook in a
                # new kernel for every page request, and a loaded machine would pile them up
                try:
                    with socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=5):
                        break
                except OSError:
                    pass
            time.sleep(0.5)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert found and process.poll() is None, f"the planner did not start:\n{text[-4000:]}"
        yield Planner(process, found.group(0), f"http://127.0.0.1:{found.group(1)}", log)
    finally:
        _stop(process)


# --------------------------------------------------------------------------- the page


def _screenshot(page, name: str, *, element=None) -> Path:
    """``element``, or the whole page (the window made as tall as the page, Voilà scrolling
    inside its own body), into ``out/screenshots/<name>.png`` (``docs/screenshots/`` on demand)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    if element is not None:
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(path))
    else:
        height = page.evaluate(
            "() => Math.max(document.body.scrollHeight,"
            " document.documentElement.scrollHeight,"
            " ...Array.from(document.querySelectorAll('#rendered_cells, .jp-Notebook'),"
            " (e) => e.scrollHeight))"
        )
        page.set_viewport_size({"width": VIEWPORT["width"], "height": min(6000, height + 40)})
        page.wait_for_timeout(500)
        try:
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(VIEWPORT)
            page.wait_for_timeout(300)
    if os.environ.get(UPDATE_SCREENSHOTS_ENV) == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)
    return path


def _chosen(page, measure: str) -> tuple[str, float] | None:
    """The chosen strategy's code and its expected ``measure`` in the strategy table (None
    without the table)."""
    head = page.locator("th.inkorg-chosen[data-strategy]")
    if not head.count():
        return None
    code = head.first.get_attribute("data-strategy")
    cell = page.locator(f'tr[data-measure="{measure}"] td[data-strategy="{code}"][data-value]')
    return (code, float(cell.first.get_attribute("data-value"))) if cell.count() else None


def _value(page, measure: str) -> float | None:
    cell = page.locator(f'tr[data-measure="{measure}"] td[data-value]')
    return float(cell.first.get_attribute("data-value")) if cell.count() else None


def _wait_for_change(page, read, before, what: str, timeout: float = 90) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            page.wait_for_timeout(700)  # let the redraw finish
            return read()
        page.wait_for_timeout(250)
    pytest.fail(f"{what} did not change within {timeout:.0f} s (still {before!r})")


def _drag_slider(page, label: str) -> None:
    slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label))
    assert slider.count(), f"no slider {label!r}: {page.locator('.widget-label').all_inner_texts()}"
    slider = slider.first
    slider.scroll_into_view_if_needed()
    handle = slider.locator(".noUi-handle")
    before = float(handle.get_attribute("aria-valuenow"))
    box, track = handle.bounding_box(), slider.locator(".noUi-base").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.2, y, steps=8)
    page.mouse.up()
    after = float(handle.get_attribute("aria-valuenow"))
    assert after < before, f"dragging {label!r} left did not lower it ({before} -> {after})"


def _pick_strategy_b(page) -> bool:
    """Pick strategy (b) in the panel's picker, whatever widget it is; False without one."""
    b = re.compile(r"^\s*\(?b\)")
    for selector in (".widget-radio-box label", ".widget-toggle-buttons button"):
        options = page.locator(selector).filter(has_text=b)
        if options.count():
            options.first.click()
            return True
    for select in page.locator(".widget-dropdown select").all():
        labels = select.locator("option").all_inner_texts()
        chosen = [t for t in labels if b.search(t)]
        if chosen:
            select.select_option(label=chosen[0])
            return True
    return False


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- the test


def test_readme_planner_line_serves_the_page_and_saves_the_plan(
    demo: DemoRun, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from inkorg_kit.sending.plan_csv import REMINDER_WAVE, read_plan_csv

    lines = [line for line in readme_commands() if line.startswith("inkorg-kit planner ")]
    assert lines, f"README {SECTION}: no `inkorg-kit planner` line"
    line = lines[0]  # the demo's: run in the folder `inkorg-kit demo` ran in
    copy = demo.copy_to(tmp_path / "demo")
    run_dir = copy.run_dir
    before = _files(run_dir)
    assert "send_plan.csv" in before  # the demo's step 03 wrote one; Save replaces it

    with running_planner(line, copy.root, tmp_path / "jupyter") as planner, sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context(
            viewport=VIEWPORT, locale="sv-SE", timezone_id="Europe/Stockholm"
        )
        guard = NetworkGuard(planner.origin)
        guard.attach(context)
        requests: list[str] = []
        sockets: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda socket: sockets.append(socket.url))
        try:
            # Voilà runs the page's notebook before the page is whole: wait for the first
            # bytes here and for the rendered page below (a loaded machine takes minutes)
            page.goto(planner.url, wait_until="commit", timeout=120_000)
            page.get_by_text("Planera utskicket").first.wait_for(timeout=180_000)
            page.locator(".inkorg-summary table").first.wait_for(timeout=60_000)
            page.locator(".inkorg-advice").first.wait_for(timeout=60_000)
            page.wait_for_function(
                "() => Array.from(document.images).filter(i => i.complete && i.naturalWidth)"
                ".length >= 2",
                timeout=60_000,
            )
            assert not page.locator(".jp-InputArea, .jp-CodeMirrorEditor").count(), (
                "the page shows code"
            )
            assert page.get_by_role("button", name="Spara plan").count() == 1
            assert _files(run_dir) == before, "the page wrote to the run folder before Save"
            _screenshot(page, "planner")

            # the advice: "Använd" makes the best start the chosen one
            advice = page.locator(".inkorg-advice").first
            best = re.search(r"Bäst: (\S+ \S+ \S+)", advice.inner_text()).group(1)
            sources = page.evaluate("() => Array.from(document.images, (i) => i.src)")
            page.get_by_role("button", name="Använd").click()
            page.wait_for_function(
                "(best) => Array.from(document.querySelectorAll('.inkorg-advice'))"
                ".some(e => e.innerText.includes('Vald start ' + best))",
                arg=best,
                timeout=60_000,
            )
            page.wait_for_function(  # the heat map redrawn with the new choice
                "(before) => Array.from(document.images).some((i) => i.complete &&"
                " i.naturalWidth && i.src.includes('svg') && !before.includes(i.src))",
                arg=sources,
                timeout=60_000,
            )
            page.wait_for_timeout(500)
            heatmap = page.locator(".inkorg-advice").locator("xpath=following::img[1]")
            _screenshot(page, "planner_advice", element=heatmap)

            # a slider and strategy (b): the letters (and the cost) follow
            letters_before = _value(page, LETTERS)
            assert letters_before is not None, "no letters row in the summary"
            chosen_before = _chosen(page, "letters")
            _drag_slider(page, SLIDER_LABEL)
            letters = _wait_for_change(
                page, lambda: _value(page, LETTERS), letters_before, "the letters"
            )
            assert letters > letters_before, "fewer logged in should mean more letters"
            if chosen_before is not None:  # the strategy table's letters follow too
                assert _chosen(page, "letters")[1] > chosen_before[1]
            letters_a, cost_a = _chosen(page, "letters"), _chosen(page, "cost_total")
            picked = _pick_strategy_b(page)
            if picked and letters_a is not None:
                letters_b = _wait_for_change(
                    page, lambda: _chosen(page, "letters"), letters_a, "the chosen strategy"
                )
                assert letters_b[0] == "reminder", letters_b
                assert letters_b[1] < letters_a[1], "a reminder before the letter saves letters"
                cost_b = _chosen(page, "cost_total")
                assert cost_a is not None and cost_b is not None and cost_b[1] != cost_a[1], (
                    f"the cost did not change with strategy (b): {cost_a} -> {cost_b}"
                )
            assert not page.get_by_text("Kunde inte räkna om").count()

            page.get_by_role("button", name="Spara plan").click()
            status = page.locator(".inkorg-save-status")
            status.filter(has_text=re.compile(r"^Sparat")).wait_for(timeout=60_000)
            assert "send_plan.csv" in status.inner_text()
            _screenshot(page, "planner_saved")
        except Exception as error:  # say what the server and its kernel said
            _screenshot(page, "planner_FAILED")
            log = planner.log_tail()
            raise AssertionError(f"{error}\n--- the planner's log:\n{log}") from error
        finally:
            context.close()
            browser.close()

    after = _files(run_dir)
    assert after["send_plan.csv"] != before["send_plan.csv"], "Save did not write send_plan.csv"
    plan = read_plan_csv(run_dir / "send_plan.csv")
    assert picked, "the panel has no strategy picker with a (b) option yet"
    assert "wave" in plan.columns and REMINDER_WAVE in plan["wave"].to_list(), (
        f"strategy (b) saved, but send_plan.csv has no reminder wave: {plan.columns}"
    )
    assert (run_dir / "plan_choice.json").is_file()

    # closed networks: the page reached the local server and nothing else
    assert not guard.blocked, f"the page tried to reach: {sorted(set(guard.blocked))}"
    local = (planner.origin, "data:", "blob:", "about:")
    assert requests and all(url.startswith(local) for url in requests), sorted(
        {url for url in requests if not url.startswith(local)}
    )
    ws = planner.origin.replace("http://", "ws://")
    assert sockets and all(url.startswith(ws) for url in sockets), sockets
