"""The analyst's JupyterLab in a real browser, with the network off.

JupyterLab is started with the options of ``make lab`` (read from the Makefile) in a temporary
copy of the kit's layout: ``notebooks/``, ``params/`` and a synthetic region in ``out/demo``.
Debian's Chromium (driven by Playwright, never a downloaded browser) may reach only that
server: every other request is aborted and recorded, as on a closed hospital network. The test
opens the notebooks 00 to 04 as committed (their default parameters), runs all cells, checks
that each shows the charts it should, drawn as offline SVG with marks inside them (01's funnel:
one bar per step, and the target group's size), lowers the login-share slider in 03 and sees
the reachable count fall and the chart change, and saves a screenshot of each under
``out/screenshots/`` (copied to ``docs/screenshots/`` for the README when
``INKORG_UPDATE_SCREENSHOTS=1``). A control notebook drawn with Altair's CDN renderer proves the
network is really off: its request is blocked and it draws nothing.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from support import REPO, TCP_KERNELS
from support.browser import (
    CHROMIUM_ARGS,
    SCREENSHOT_DIR,
    VIEWPORT,
    BrowserTestError,
    JupyterLab,
    LabPage,
    launch_chromium,
    offline_context,
    running_jupyterlab,
    save_screenshot,
    start_jupyterlab,
)

from inkorg_kit import cli

STEPS = cli.STEPS
SLIDER_LABEL = "Inloggade 65–74"  # a login-share slider of inkorg_kit.widgets (03)
REACHABLE = "messageable"  # the summary row "Kan nås i 1177-inkorgen (aktiv inloggning)"
RECOMPUTE_FAILED = "Kunde inte räkna om"  # what the panel shows when a recompute fails
FUNNEL_TITLE = "tratt"  # 01's funnel chart: "Tratt: från utdrag till målgrupp"
# Hosts whose name in an output means a chart would load its scripts from the internet.
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs", "googleapis", "gstatic")
# Output types that need JupyterLab's own Vega renderer or a script instead of inline SVG.
ONLINE_MIME = re.compile(r"application/vnd\.vega|application/javascript")
# How many charts each notebook shows after Run All (a chart that vanishes fails the test).
EXPECTED_CHARTS = {
    "00_campaign_check": 0,
    "01_target_group": 2,  # the funnel, age and sex
    "02_recipient_files": 2,  # from list to recipients, the files
    "03_reach_and_send_plan": 5,  # funnel, read curve, send times compared, send plan, strategies
    "04_read_rates_followup": 3,  # read rates by group, time to read, uptake by read status
}

# Chromium and JupyterLab; JupyterLab's kernels talk over TCP, and the server and the tests'
# listeners take free ports too: the whole module runs in the TCP-kernel group.
pytestmark = [pytest.mark.browser, pytest.mark.slow, TCP_KERNELS]


# --------------------------------------------------------------------------- the kit's layout


def make_lab_arguments(makefile: Path, kit_root: Path) -> list[str]:
    """The arguments ``make lab`` gives ``jupyter lab``, so the test starts it the same way.

    ``$(CURDIR)`` becomes the copy's root; relative paths stay relative (the server is started
    in the copy's root, as make runs in the repository's).
    """
    lines = makefile.read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"^lab\s*:", line))
    except StopIteration:
        pytest.fail(f"{makefile} has no `lab:` target; the browser test starts JupyterLab as it")
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        words = shlex.split(line.replace("$(CURDIR)", str(kit_root)))
        for i, word in enumerate(words):
            if word.endswith("jupyter") and words[i + 1 : i + 2] == ["lab"]:
                arguments = words[i + 2 :]
            elif word.endswith("jupyter-lab"):
                arguments = words[i + 1 :]
            else:
                continue
            leftover = [a for a in arguments if "$(" in a]
            if leftover:
                pytest.fail(
                    f"{makefile}: `lab` passes make variables the test cannot read: {leftover}"
                )
            return arguments
    pytest.fail(f"{makefile}: the `lab` target does not run `jupyter lab`")


def build_kit_copy(root: Path) -> dict[str, Path]:
    """The repository's layout in ``root``: the committed notebooks, ``params/`` and the
    synthetic region in ``out/demo`` (what ``make demo`` writes first). Returns the notebooks
    that exist, by step."""
    from inkorg_kit import synth

    (root / "notebooks").mkdir(parents=True)
    shutil.copytree(REPO / "params", root / "params")
    found = {}
    for step in STEPS:
        source = REPO / "notebooks" / f"{step}.ipynb"
        if source.exists():
            found[step] = shutil.copyfile(source, root / "notebooks" / source.name)
    synth.region().write(root / "out" / "demo")
    return found


def write_status_export(kit: Path) -> None:
    """Before 04: the status export Personalverktyget would give after sending (synthetic, as
    in ``make demo``), where 04 looks by default (``<run folder>/status_export/``), and the
    bookings extract the demo's ``followup.outcome`` names."""
    from inkorg_kit import synth_status
    from inkorg_kit.campaign import load_campaign
    from inkorg_kit.demo.outcomes import write_outcome_extract

    here = Path.cwd()
    os.chdir(kit)  # the campaign's paths are relative to the kit's root, as in the notebooks
    try:
        campaign = load_campaign(Path("params/demo/campaign.yaml"))
        synth_status.write_status_export(campaign.run_folder(), campaign)
        write_outcome_extract(campaign.run_folder(), campaign)
    finally:
        os.chdir(here)


def notebook_path_on_server(lab: JupyterLab, step: str) -> str:
    """Where the server shows ``notebooks/<step>.ipynb`` (its root may be the kit or notebooks/)."""
    import urllib.error

    for candidate in (f"notebooks/{step}.ipynb", f"{step}.ipynb"):
        try:
            lab.api(f"contents/{candidate}?content=0")
            return candidate
        except urllib.error.HTTPError:
            continue
    pytest.fail(f"JupyterLab (started in {lab.cwd}) does not list notebooks/{step}.ipynb")


# --------------------------------------------------------------------------- what the page shows


@dataclass
class Chart:
    """An Altair chart output as the page shows it."""

    mime: str
    loaded: bool  # the browser decoded it (an <img> with a size)
    marks: dict[str, int]  # Vega mark type -> items drawn inside its mark groups (bars, …)
    texts: list[str]  # every <text> in the SVG: title, axis labels, legend
    source: str
    mark_texts: list[str] = field(default_factory=list)  # the labels drawn as text marks
    title: str = ""

    @property
    def items(self) -> int:
        """Shapes drawn for data: axes, grid, title and legend do not count."""
        return sum(n for kind, n in self.marks.items() if kind != "text")

    def describe(self) -> str:
        return f"{self.mime} loaded={self.loaded} marks={self.marks} {self.title!r}"


_OUTPUTS = """(hosts) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  return Array.from(panel.querySelectorAll('.jp-OutputArea-output')).map((el) => {
    const img = el.querySelector('img');
    const html = el.innerHTML;
    return {
      mime: el.getAttribute('data-mime-type') || '',
      cdn: hosts.filter((h) => html.includes(h)),
      src: img ? img.getAttribute('src') : null,
      loaded: img ? (img.complete && img.naturalWidth > 0) : false,
    };
  });
}"""


def _svg_text(src: str) -> str:
    if not src.startswith("data:image/svg+xml"):
        return ""
    head, body = src.split(",", 1)
    return base64.b64decode(body).decode("utf-8") if head.endswith(";base64") else unquote(body)


def _text_of(element: ET.Element) -> str:
    text = "".join(element.itertext()).replace("\u00a0", " ")
    return " ".join(text.split())


def _svg_chart(mime: str, src: str, loaded: bool) -> Chart:
    """What vl-convert drew: each Vega mark is a ``<g class="mark-<type> role-mark">`` whose
    children are the items drawn for the data (one path per bar, one text per label). An
    empty chart keeps the groups but has no items in them, and axes live in other groups."""
    svg = _svg_text(src)
    marks: dict[str, int] = {}
    texts: list[str] = []
    mark_texts: list[str] = []
    title = ""
    try:
        root = ET.fromstring(svg) if svg else None
    except ET.ParseError:
        root = None
    for element in root.iter() if root is not None else ():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "text" and _text_of(element):
            texts.append(_text_of(element))
        classes = element.get("class", "").split()
        if "role-title-text" in classes:
            title = title or _text_of(element)
        if tag != "g" or "role-mark" not in classes:
            continue
        kind = next((c.removeprefix("mark-") for c in classes if c.startswith("mark-")), "?")
        if kind == "group":  # a container of other marks, counted on their own
            continue
        drawn = list(element)
        marks[kind] = marks.get(kind, 0) + len(drawn)
        if kind == "text":
            mark_texts += [_text_of(item) for item in drawn]
    return Chart(mime, loaded, marks, texts, src, mark_texts, title)


def charts_in(page) -> list[Chart]:
    """Every image output of the open notebook."""
    outputs = page.evaluate(_OUTPUTS, list(CDN_HOSTS))
    return [
        _svg_chart(o["mime"], o["src"], o["loaded"])
        for o in outputs
        if o["mime"].startswith("image/") and o["src"]
    ]


def assert_offline_outputs(page, step: str, expected: int | None = None) -> list[Chart]:
    """Charts are inline SVG drawn by vl-convert, each with items drawn for its data; nothing
    needs a script from elsewhere; and there are ``expected`` of them when given."""
    outputs = page.evaluate(_OUTPUTS, list(CDN_HOSTS))
    online = [o for o in outputs if ONLINE_MIME.search(o["mime"])]
    assert not online, (
        f"{step}: outputs that need JupyterLab's Vega renderer or a script (blank offline): "
        f"{[o['mime'] for o in online]}; inkorg_kit.charts should switch Altair to SVG"
    )
    cdn = sorted({h for o in outputs for h in o["cdn"]})
    assert not cdn, f"{step}: outputs that load scripts from a CDN: {cdn}"
    charts = charts_in(page)
    broken = [c.describe() for c in charts if not (c.loaded and c.items)]
    assert not broken, f"{step}: charts drawn without data (no bars, lines or points): {broken}"
    if expected is not None:
        assert len(charts) == expected, (
            f"{step}: {len(charts)} charts shown, expected {expected}: "
            f"{[c.describe() for c in charts]}"
        )
    return charts


def show_cell_with(page, locator, *, part: str = ".jp-Cell") -> None:
    """Scroll so the cell (or the output, ``part=".jp-OutputArea-child"``) holding ``locator``
    starts at the top of the notebook, for the screenshot."""
    locator.evaluate(
        "(el, part) => (el.closest(part) || el).scrollIntoView({block: 'start'})", part
    )
    page.wait_for_timeout(400)


_IMAGES_LOADED = """(cell) => Array.from(cell.querySelectorAll('img'))
  .every((img) => img.complete && img.naturalWidth > 0)"""


def screenshot_whole_cell(page, locator, name: str, *, max_height: int = 3000) -> None:
    """A screenshot as tall as the cell holding ``locator`` (the panel of 03: sliders, table
    and charts in one picture), then back to the usual window size."""
    cell = locator.evaluate_handle("(el) => el.closest('.jp-Cell') || el")
    page.wait_for_function(_IMAGES_LOADED, arg=cell, timeout=20_000)
    height = cell.evaluate("(c) => c.offsetHeight")
    size = dict(VIEWPORT)
    page.set_viewport_size({"width": size["width"], "height": min(max_height, height + 160)})
    try:
        show_cell_with(page, locator)
        page.wait_for_timeout(400)
        save_screenshot(page, name)
    finally:
        page.set_viewport_size(size)
        page.wait_for_timeout(200)


# --------------------------------------------------------------------------- per notebook


def funnel_truth(kit: Path) -> tuple[int, int]:
    """From what notebook 01 wrote: the funnel's bars (every step but a rejection reason that
    removed nobody, as inkorg_kit.charts.target_funnel draws it) and the target group's size."""
    import polars as pl

    funnel = pl.read_csv(
        kit / "out" / "blodtryck-solbacka-2027" / "target_funnel.csv", separator=";"
    )
    shown = funnel.filter(~pl.col("step").str.starts_with("rejected_") | (pl.col("removed") > 0))
    group = funnel.filter(pl.col("step") == "target_group")["remaining"].item()
    return shown.height, group


def check_target_group(page, lab_page: LabPage, step: str, charts: list[Chart]) -> None:
    """01: the funnel chart is drawn: one bar per step, and the target group's size on it."""
    funnel = [c for c in charts if FUNNEL_TITLE in c.title.lower()]
    assert funnel, (
        f"{step}: no funnel chart (an SVG with {FUNNEL_TITLE!r} in its title) after Run All; "
        f"charts: {[c.describe() for c in charts]}"
    )
    chart = funnel[0]
    bars, group = funnel_truth(lab_page.lab.cwd)
    assert chart.marks.get("rect", 0) == bars, (
        f"{step}: the funnel should draw {bars} bars (one per step of target_funnel.csv): "
        f"{chart.describe()}"
    )
    assert f"{group:,}".replace(",", " ") in chart.mark_texts, (
        f"{step}: the funnel does not show the target group's {group} residents: {chart.mark_texts}"
    )
    # the funnel, and the age and sex chart below it
    target = page.locator(f'.jp-RenderedSVG img[src="{chart.source}"]').first
    show_cell_with(page, target, part=".jp-OutputArea-child")
    save_screenshot(page, step)


def _widget_state(page) -> tuple[list[str], list[str]]:
    tables = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell table")
    return [t.inner_text() for t in tables.all()], [c.source for c in charts_in(page)]


def _expected_count(page, measure: str) -> float:
    """The unrounded expected count of a row of the reach summary (``data-value``)."""
    cell = page.locator(
        f'.jp-NotebookPanel:not(.lm-mod-hidden) tr[data-measure="{measure}"] td[data-value]'
    ).first
    return float(cell.get_attribute("data-value"))


def check_reach_widgets(page, lab_page: LabPage, step: str, charts: list[Chart]) -> None:
    """03: drag the first login-share slider; the summary numbers and the chart follow."""
    labels = page.locator(".widget-slider .widget-label").all_inner_texts()
    wanted = SLIDER_LABEL if SLIDER_LABEL in labels else None
    wanted = wanted or next((t for t in labels if t.startswith(SLIDER_LABEL.split()[0])), None)
    if wanted is None:
        pytest.fail(f"{step}: no login-share slider like {SLIDER_LABEL!r}; sliders: {labels}")
    slider = page.locator(
        ".widget-slider", has=page.locator(".widget-label", has_text=wanted)
    ).first
    screenshot_whole_cell(page, slider, step)
    show_cell_with(page, slider)
    handle = slider.locator(".noUi-handle")
    value_before = handle.get_attribute("aria-valuenow")
    tables_before, charts_before = _widget_state(page)
    assert tables_before, f"{step}: no summary table shown beside the sliders"
    reachable_before = _expected_count(page, REACHABLE)

    # Drag the handle to a fifth of the track, as the analyst would with the mouse.
    box = handle.bounding_box()
    track = slider.locator(".noUi-base").bounding_box()
    assert box and track, f"{step}: the slider {wanted!r} is not visible"
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.2, y, steps=8)
    page.mouse.up()
    value_after = handle.get_attribute("aria-valuenow")
    assert float(value_after) < float(value_before), (
        f"{step}: dragging {wanted!r} left did not lower it ({value_before} -> {value_after})"
    )

    # The panel clears and redraws its charts: wait until the new ones are all there and
    # stay the same for half a second with the kernel idle.
    deadline = time.monotonic() + 60
    state, previous = (tables_before, charts_before), None
    while time.monotonic() < deadline:
        lab_page.wait_until_idle(settle=0.5)
        previous, state = state, _widget_state(page)
        redrawn = len(state[1]) == len(charts_before) and state[1] != charts_before
        if state == previous and state[0] != tables_before and redrawn:
            break
    tables_after, charts_after = state
    assert tables_after != tables_before, (
        f"{step}: moving {wanted!r} from {value_before} to {value_after} did not change "
        f"the numbers within 60 s: {tables_before}"
    )
    assert charts_after != charts_before, (
        f"{step}: moving {wanted!r} from {value_before} to {value_after} did not redraw "
        "the chart within 60 s"
    )
    reachable_after = _expected_count(page, REACHABLE)
    assert reachable_after < reachable_before, (
        f"{step}: lowering {wanted!r} from {value_before} to {value_after} should lower the "
        f"residents reachable in the inbox, but {reachable_before} -> {reachable_after}"
    )
    problem = page.get_by_text(RECOMPUTE_FAILED)
    assert not problem.count(), f"{step}: the panel says {problem.first.inner_text()!r}"
    assert_offline_outputs(page, f"{step} (after the slider)", EXPECTED_CHARTS[step])
    screenshot_whole_cell(page, slider, f"{step}_slider_moved")


def show_first_output(page, lab_page: LabPage, step: str, charts: list[Chart]) -> None:
    """00, 02, 04: show the first chart (or else the first table) with its code above it."""
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    tables = panel.locator(".jp-OutputArea-output table")
    focus = FOCUS_HEADING.get(step)
    heading = panel.locator(".jp-MarkdownOutput h2", has_text=focus or "")
    if focus and heading.count():
        show_cell_with(page, heading.first)
    elif charts:
        show_cell_with(page, page.locator(f'.jp-RenderedSVG img[src="{charts[0].source}"]').first)
    elif tables.count():
        show_cell_with(page, tables.first)
    save_screenshot(page, step)


# The part of a notebook without a chart that its screenshot shows (a Markdown heading).
FOCUS_HEADING = {"00_campaign_check": "Checklista"}
CHECKS = {
    "01_target_group": check_target_group,
    "03_reach_and_send_plan": check_reach_widgets,
}


# --------------------------------------------------------------------------- the tests


# In the control's output: the html renderer's chart <div>s, and any Vega marks drawn in them
# (SVG mark groups or a canvas) had its script loaded.
_CDN_CHART_DRAWN = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const embeds = Array.from(panel.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="text/html"] div[id^="altair-viz"]'));
  const marks = embeds.reduce(
    (n, el) => n + el.querySelectorAll('.role-mark, canvas, svg.marks').length, 0);
  return { embeds: embeds.length, marks: marks };
}"""


def write_cdn_control(folder: Path) -> str:
    """A notebook that draws with Altair's ``html`` renderer, which loads Vega from a CDN: the
    control that shows the network really is off and the chart check can fail."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import altair as alt\nimport polars as pl\n\n"
            'alt.renderers.enable("html")  # the CDN renderer, not inkorg_kit.charts\n'
            'alt.Chart(pl.DataFrame({"steg": ["in", "ut"], "antal": [10, 7]}))'
            '.mark_bar().encode(x="steg", y="antal")'
        )
    ]
    name = "control_cdn_chart.ipynb"
    nbformat.write(nb, folder / name)
    return name


def test_analyst_runs_every_notebook_in_jupyterlab_offline(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    kit = tmp_path / "kit"
    notebooks = build_kit_copy(kit)
    control = write_cdn_control(kit / "notebooks")
    arguments = make_lab_arguments(REPO / "Makefile", kit)
    missing = [
        f"notebooks/{s}.ipynb does not exist: not tested" for s in STEPS if s not in notebooks
    ]
    env = {cli.DEMO_PASSWORD_ENV: cli.DEMO_PASSWORD}  # notebook 02's archive (synthetic demo)
    timings: dict[str, float] = {}
    with (
        running_jupyterlab(kit, tmp_path / "jupyter", arguments=arguments, extra_env=env) as lab,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            context, guard = offline_context(browser, lab)
            page = context.new_page()
            page.set_default_timeout(20_000)
            lab_page = LabPage(page, lab)
            for step in (s for s in STEPS if s in notebooks):
                started = time.monotonic()
                if step == "04_read_rates_followup":
                    write_status_export(kit)
                lab_page.open_notebook(notebook_path_on_server(lab, step))
                lab_page.tidy_for_screenshot()
                outcome = lab_page.run_all()
                if not outcome.ok:
                    shot = save_screenshot(page, f"{step}_FAILED", publish=False)
                    pytest.fail(
                        "\n".join(
                            [*missing, f"{step}: Run All failed ({outcome.describe()}); see {shot}"]
                        )
                        + "\nThe notebooks run in order, each reading what the one before "
                        "wrote into out/<campaign>, with paths relative to the kit's root: the "
                        "kernel must start there (`make lab`'s options decide where)."
                    )
                (SCREENSHOT_DIR / f"{step}_FAILED.png").unlink(missing_ok=True)
                charts = assert_offline_outputs(page, step, EXPECTED_CHARTS[step])
                CHECKS.get(step, show_first_output)(page, lab_page, step, charts)
                lab_page.close_notebook()
                timings[step] = round(time.monotonic() - started, 1)
            assert not guard.blocked, (
                "the page asked for addresses outside the JupyterLab server (blocked, as a "
                f"hospital network would): {guard.blocked[:10]}"
            )

            # The control: a chart that needs the CDN gets blocked and draws nothing.
            lab_page.open_notebook(notebook_path_on_server(lab, control.removesuffix(".ipynb")))
            assert lab_page.run_all().ok
            page.wait_for_timeout(1500)  # time for its <script> to ask for Vega
            assert any("cdn.jsdelivr.net" in url for url in guard.blocked), (
                f"the CDN control chart asked for nothing outside: blocked={guard.blocked}; "
                "is the network guard attached?"
            )
            with pytest.raises(AssertionError, match="from a CDN"):
                assert_offline_outputs(page, "control")
            drawn = page.evaluate(_CDN_CHART_DRAWN)
            assert drawn["embeds"] == 1, f"the control's chart output is missing: {drawn}"
            assert drawn["marks"] == 0, f"a CDN chart drew marks with the CDN blocked: {drawn}"
            lab_page.close_notebook()
        finally:
            browser.close()
    print(f"seconds per notebook: {timings}")
    if missing:
        pytest.fail("; ".join(missing))


class _Listener:
    """A TCP server on an address the page must not reach; it records every connection."""

    def __init__(self, host: str) -> None:
        self.socket = socket.create_server((host, 0))
        self.url = f"ws://{host}:{self.socket.getsockname()[1]}/"
        self.connections: list[tuple] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self.socket.accept()
            except OSError:  # closed
                return
            self.connections.append(address)
            connection.close()


_WEBSOCKET = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => resolve('open');
  ws.onerror = () => resolve('error');
  setTimeout(() => resolve('no answer'), 5000);
})"""


@pytest.mark.parametrize(
    "left_out",
    [(), ("--host-resolver-rules",), ("--proxy-server", "--proxy-bypass-list")],
    ids=["all-switches", "proxy-alone", "host-rules-alone"],
)
def test_a_websocket_to_an_ip_address_reaches_nothing(tmp_path: Path, left_out) -> None:
    """Page routing does not see WebSockets and host rules may not cover IP addresses: the
    browser's switches must stop one to a loopback address that is not JupyterLab's, each of
    the two (proxy, host rules) on its own, while the allowed origin still loads."""
    import functools
    import http.server

    from playwright.sync_api import sync_playwright

    (tmp_path / "index.html").write_text("<p>JupyterLab stand-in</p>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    elsewhere = _Listener("127.0.0.2")  # any address but the server's
    args = [a for a in CHROMIUM_ARGS if not a.startswith(left_out)] if left_out else CHROMIUM_ARGS
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, args=args)
            try:
                stand_in = JupyterLab(None, server.server_address[1], "", tmp_path, tmp_path)
                context, guard = offline_context(browser, stand_in)
                page = context.new_page()
                page.goto(f"{stand_in.origin}/index.html")
                assert page.inner_text("p") == "JupyterLab stand-in"
                outcome = page.evaluate(_WEBSOCKET, elsewhere.url)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        elsewhere.socket.close()
    assert outcome != "open" and not elsewhere.connections, (
        f"a WebSocket to {elsewhere.url} got through (with {left_out or 'all'} switches off): "
        f"{outcome}, connections {elsewhere.connections}"
    )
    assert not guard.blocked  # the stand-in page asked for nothing else


def test_the_chart_check_sees_an_empty_chart_as_empty() -> None:
    """vl-convert writes the mark groups, axes and title even with no data: only the items in
    the mark groups tell a drawn funnel from an empty one."""
    import polars as pl
    import vl_convert

    from inkorg_kit import charts

    funnel = pl.DataFrame(
        {
            "step": ["rows_in", "rejected_empty", "duplicate", "target_group"],
            "label": ["rader in", "ogiltigt: tomt värde", "dubbletter", "målgrupp"],
            "removed": [0, 0, 1_200, 0],
            "remaining": [3_167, 3_167, 1_967, 1_967],
        }
    )
    drawn = {}
    for name, frame in {"full": funnel, "empty": funnel.clear()}.items():
        svg = vl_convert.vegalite_to_svg(charts.target_funnel(frame).to_json())
        drawn[name] = _svg_chart("image/svg+xml", "data:image/svg+xml," + quote(svg), True)
    assert drawn["empty"].title == drawn["full"].title == "Tratt: från utdrag till målgrupp"
    assert drawn["empty"].items == 0 and drawn["empty"].marks == {"rect": 0, "text": 0}
    assert drawn["full"].marks == {"rect": 3, "text": 3}  # the reason that removed no one: no bar
    assert "1 967" in drawn["full"].mark_texts


def test_lab_arguments_come_from_the_makefile(tmp_path: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        "test: install\n\t$(BIN)/python -m pytest\n\n"
        "lab: install\n\t$(BIN)/jupyter lab --ServerApp.root_dir=notebooks "
        "--MappingKernelManager.root_dir=$(CURDIR) 'notebooks/'\n\nbench:\n\ttrue\n"
    )
    assert make_lab_arguments(makefile, Path("/kit")) == [
        "--ServerApp.root_dir=notebooks",
        "--MappingKernelManager.root_dir=/kit",
        "notebooks/",
    ]
    makefile.write_text("lab: install\n\t$(BIN)/jupyter lab --notebook-dir=$(NOTEBOOKS)\n")
    with pytest.raises(pytest.fail.Exception, match=r"make variables .*NOTEBOOKS"):
        make_lab_arguments(makefile, Path("/kit"))
    assert make_lab_arguments(REPO / "Makefile", tmp_path) is not None  # the real one parses


def test_chromium_that_cannot_start_fails_with_a_clear_message(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\necho 'this Chromium is broken' >&2\nexit 3\n")
    hanging = tmp_path / "hanging-chromium"
    hanging.write_text("#!/bin/sh\nexec sleep 120\n")
    for script in (broken, hanging):
        script.chmod(0o755)
    with sync_playwright() as playwright:
        with pytest.raises(BrowserTestError, match=r"Chromium not found at .*apt-get install"):
            launch_chromium(playwright, executable=tmp_path / "no-such-chromium")
        with pytest.raises(BrowserTestError, match=r"broken-chromium did not start"):
            launch_chromium(playwright, executable=broken, timeout=20)
        started = time.monotonic()
        with pytest.raises(BrowserTestError, match=r"hanging-chromium did not start within 3 s"):
            launch_chromium(playwright, executable=hanging, timeout=3)
        assert time.monotonic() - started < 15


def test_jupyterlab_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrowserTestError, match=r"JupyterLab exited with code") as raised:
            start_jupyterlab(tmp_path / "root", tmp_path / "jupyter", port=port).stop()
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert str(port) in message.split("its log", 1)[1]  # the server's own words are shown

    # One that is still starting when the wait runs out is stopped, and says so.
    with pytest.raises(BrowserTestError, match=r"did not answer on http://127\.0\.0\.1:\d+ "):
        start_jupyterlab(tmp_path / "root", tmp_path / "jupyter2", timeout=0.2).stop()
