"""Every notebook as a student meets it: JupyterLab in Debian's Chromium, Restart and Run All.

One JupyterLab server (this project's environment, a free port, a token) serves copies of the
solutions (every cell has an answer, so every cell runs) and of one blank release with its
public checks, in fast mode (``COURSE_FAST=1`` in the server's environment, as a JupyterHub could
set it). Each notebook is run from the menu, Kernel > Restart Kernel and Run All Cells, one
kernel at a time, and waited for until no prompt shows ``[*]`` and the page has not changed for
a few seconds (``browser.restart_and_run_all``). Then, in the page and in the notebook the
browser saves: no error output; every widget drawn (no "Error displaying widget", no widget's
raw text repr); every interactive figure redraws when its first slider moves; no progress bar
left behind (unfinished or red); the set-up cell's ``cu.status`` says "ready". Screenshots of the status line,
of every interactive figure after its slider moved and of the end of each notebook go to
out/artifacts/browser/ (CI keeps them).
"""
import re
import shutil

import pytest

from autograder import paths
from browser import (ARTIFACTS, cell_screenshot, chromium, jupyter_server, notebook, open_notebook,
                     require_browser, restart_and_run_all, save_notebook, wait_until)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("browser")]

BLANK = "01_divergences"   # the blank release that runs too
SHOTS = "browser"          # out/artifacts/browser/
SETTINGS = {  # attach every cell to the page, so that every output can be inspected
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
WIDGET_REPR = re.compile(r"^(VBox|HBox|Box|interactive|IntSlider|FloatSlider|HTML|Image|Output)\(", re.M)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(root, server, browser): JupyterLab serving solution copies and one blank release."""
    require_browser()
    root = tmp_path_factory.mktemp("lab")
    for name in paths.assignments():
        shutil.copy(paths.SOLUTIONS / f"{name}.ipynb", root / f"{name}.ipynb")
    (root / "blank" / "checks").mkdir(parents=True)
    shutil.copy(paths.NOTEBOOKS / f"{BLANK}.ipynb", root / "blank" / f"{BLANK}.ipynb")
    shutil.copy(paths.NOTEBOOKS / "checks" / f"{BLANK}.py", root / "blank" / "checks" / f"{BLANK}.py")
    env = {"COURSE_FAST": "1", "COURSE_DEVICE": "cpu", "COURSE_CACHE_DIR": str(root / ".cache")}
    (ARTIFACTS / SHOTS).mkdir(parents=True, exist_ok=True)
    with jupyter_server(root, env=env, settings=SETTINGS) as server, chromium() as browser:
        yield root, server, browser


def errors_in(nb):
    return [(i, o.get("ename"), o.get("evalue", "")[:200]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("name", paths.assignments())
def test_restart_and_run_all_in_jupyterlab(lab, name):
    root, server, browser = lab
    page = open_notebook(browser, server, f"{name}.ipynb")
    try:
        seconds = restart_and_run_all(page)
        print(f"{name}: Restart and Run All took {seconds:.0f} s in the browser")
        nb = save_notebook(page, root / f"{name}.ipynb")
        assert not errors_in(nb), f"{name}: error outputs {errors_in(nb)}"
        ran = [c.get("execution_count") for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert all(ran), f"{name}: {ran.count(None)} code cells did not run"

        view = notebook(page)
        text = view.inner_text()
        if any("cu.status(" in c.source for c in nb.cells):
            assert "✓ ready" in text, f"{name}: the set-up cell does not say it is ready"
            cell_screenshot(page, "cu.status(", f"{SHOTS}/{name}-status")
        assert "Error displaying widget" not in text, f"{name}: a widget could not be drawn"
        raw = [m.group(0) for t in view.locator(".jp-OutputArea-output pre").all_inner_texts()
               for m in [WIDGET_REPR.search(t)] if m]
        assert not raw, f"{name}: widgets shown as text, not drawn: {raw}"

        bars = view.locator(".widget-hprogress")
        red = view.locator(".progress-bar-danger").count()
        assert bars.count() == 0, f"{name}: {bars.count()} progress bar(s) left behind ({red} red)"

        expected = sum(bool(re.search(r"cu\.widgets\.\w+\(", c.source)) for c in nb.cells if c.cell_type == "code")
        tried = move_first_slider_of_each_figure(page, name)
        assert tried == expected, f"{name}: {tried} interactive figures drawn, {expected} cells make one"
    finally:
        page.screenshot(path=str(ARTIFACTS / SHOTS / f"{name}-end.png"))
        page.close()
        server.shut_down_kernels()


def move_first_slider_of_each_figure(page, name):
    """For each interactive figure (the innermost box holding sliders and an image widget),
    move its first slider to its other end (End, or Home if already there) and wait until the
    image changes. Returns how many."""
    figures = notebook(page).locator(".jp-OutputArea-output .widget-vbox:has(.widget-slider):has(img.widget-image)"
                           ":not(:has(.widget-vbox .widget-vbox img.widget-image))")
    count = figures.count()
    for i in range(count):
        figure = figures.nth(i)
        image = figure.locator("img.widget-image").first
        figure.scroll_into_view_if_needed()
        before = image.get_attribute("src")
        handle = figure.locator(".widget-slider .noUi-handle").first
        at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.focus()
        page.keyboard.press("Home" if at_end else "End")
        wait_until(page, lambda: image.get_attribute("src") != before, 60,
                   f"{name}: interactive figure {i + 1} of {count} to redraw after its slider moved")
        figure.screenshot(path=str(ARTIFACTS / SHOTS / f"{name}-figure-{i + 1}.png"))
        assert figure.locator(".widget-html pre").count() == 0, f"{name}: figure {i + 1} shows an error"
    return count


def test_the_blank_release_reaches_every_check_and_each_says_not_implemented(lab):
    root, server, browser = lab
    path = f"blank/{BLANK}.ipynb"
    page = open_notebook(browser, server, path)
    try:
        restart_and_run_all(page)
        nb = save_notebook(page, root / path)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert not [c.source[:80] for c in code if any(o.output_type == "error" for o in c.outputs)], \
            "Run All of the blank release stopped on a traceback"
        checks = [c for c in code if c.source.startswith("grader.check(")]
        assert len(checks) >= 5
        cell_screenshot(page, checks[0].source, f"{SHOTS}/blank-{BLANK}-first-check")
        for cell in checks:
            question = re.match(r'grader\.check\("(\w+)"\)', cell.source).group(1)
            shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell.outputs)
            assert shown.startswith(f"{question}: not implemented yet"), shown
        assert "✓ ready" in notebook(page).inner_text()
    finally:
        page.screenshot(path=str(ARTIFACTS / SHOTS / f"blank-{BLANK}-end.png"))
        page.close()
        server.shut_down_kernels()
