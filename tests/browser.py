"""A real JupyterLab (or nbgrader formgrader) server and Debian's Chromium, for browser tests.

Shared by every test that drives a browser::

    with jupyter_server(root) as server, chromium() as browser:
        page = open_notebook(browser, server, "01_divergences.ipynb")
        seconds = restart_and_run_all(page)          # menu Kernel > Restart Kernel and Run All Cells
        nb = save_notebook(page, root / "01_divergences.ipynb")   # what the browser holds, as nbformat

``jupyter_server`` starts ``jupyter lab`` from this project's environment on a free local port
with a random token, its workspace, settings and runtime state kept inside a temporary folder
(never the user's HOME), with JupyterLab's news and update checks switched off in its settings
(no pop-up to click away; ``settings=`` adds more); ``chromium`` launches ``/usr/bin/chromium`` through Playwright (never a
downloaded browser), headless, with the flags this machine's closed network needs. Under
``CI=true`` a missing browser fails the test; elsewhere it skips with the reason.
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
ARTIFACTS = Path(os.environ.get("COURSE_ARTIFACTS", Path(__file__).resolve().parent.parent / "out" / "artifacts"))


def require_browser():
    """Skip (fail under CI=true) when Chromium or Playwright is not installed."""
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("playwright is not installed (pip install playwright)")
    if problems:
        reason = "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port, token, process, log):
        self.port, self.token, self.process, self.log = port, token, process, log

    def url(self, path=""):
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def output(self):
        return Path(self.log).read_text(errors="replace")

    def api(self, path, method="GET"):
        """A call to the server's REST API (``api/sessions``...); returns the decoded JSON or None."""
        request = urllib.request.Request(self.url(f"api/{path}"), method=method)
        with urllib.request.urlopen(request, timeout=30) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        """End every session and its kernel (one kernel at a time across tests)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


# JupyterLab settings every test server starts with: {plugin id: {setting: value}}
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


@contextlib.contextmanager
def jupyter_server(root, app="lab", extra_args=(), env=None, startup_seconds=90, settings=None):
    """``jupyter <app>`` serving ``root`` on a free port; yields a ``Server``. ``settings``:
    JupyterLab user settings ({"@jupyterlab/notebook-extension:tracker": {...}}) on top of
    ``QUIET_SETTINGS``."""
    root = Path(root)
    state = Path(tempfile.mkdtemp(prefix="jupyter-state-"))
    for plugin, values in {**QUIET_SETTINGS, **(settings or {})}.items():
        package, name = plugin.split(":")
        target = state / "settings" / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyter", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.disable_check_xsrf=False", f"--LabApp.workspaces_dir={state / 'workspaces'}",
            f"--LabApp.user_settings_dir={state / 'settings'}", "--ServerApp.open_browser=False", *extra_args]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    run_env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
               "JUPYTER_CONFIG_DIR": os.environ.get("JUPYTER_CONFIG_DIR", str(state / "config")),
               "PYTHONUNBUFFERED": "1", **(env or {})}
    log = state / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=root, env=run_env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(port, token, process, log)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter {app} exited with {process.returncode}:\n{server.output()[-3000:]}")
            try:
                with urllib.request.urlopen(server.url("api/status"), timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter {app} did not answer within {startup_seconds} s:\n{server.output()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait()
        shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def chromium(viewport=(1400, 1000)):
    """A headless Debian Chromium through Playwright; yields a browser context (``new_page()``)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]})
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_notebook(browser, server, path, seconds=120):
    """A new page showing only the notebook ``path`` (relative to the server's root), in a
    fresh workspace (no tab restored from an earlier page), its kernel idle."""
    page = browser.new_page()
    page.goto(server.url(f"lab/workspaces/test-{secrets.token_hex(4)}/tree/{path}"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=seconds * 1000)
    wait_until(page, lambda: kernel_idle(page), seconds, f"the kernel of {path} to start")
    return page


def kernel_idle(page):
    """The status bar names a kernel and says it is idle ("Python 3 (ipykernel) | Idle"): before
    that, the toolbar's indicator can already read idle with no kernel, and a restart sent then
    is lost (the page sits at "Starting")."""
    status = " ".join(page.locator(".jp-StatusBar-Widget").all_inner_texts())
    return re.search(r"\| Idle", status) is not None and "No Kernel" not in status


def notebook(page):
    """The notebook panel on show (the page's only one, with ``open_notebook``)."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first


def restart_and_run_all(page, seconds=600, quiet=4):
    """Kernel > Restart Kernel and Run All Cells, then wait until it is done: no prompt shows
    ``[*]`` and neither the prompts nor the outputs have changed for ``quiet`` seconds (the
    kernel status alone can say "idle" while a cell runs). Returns the seconds it took."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel and Run All Cells").click()
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    started = time.monotonic()
    wait_until(page, lambda: "[*]:" in prompts(page) or all_cells_ran(page), 60, "Run All to start")
    last, quiet_since = None, time.monotonic()
    while time.monotonic() - started < seconds:
        state = (prompts(page), notebook(page).locator(".jp-OutputArea-output").count())
        if state != last or "[*]:" in state[0]:
            last, quiet_since = state, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            page.wait_for_timeout(1500)  # widgets drawn late
            return time.monotonic() - started
        page.wait_for_timeout(500)
    raise AssertionError(f"still running after {seconds} s (prompts: {sorted(set(last[0]))})")


def prompts(page):
    """The input prompts of every code cell: "[3]:", "[*]:" (running or queued), "[ ]:"."""
    return [p.strip() for p in notebook(page).locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]


def all_cells_ran(page):
    found = prompts(page)
    return bool(found) and all(re.fullmatch(r"\[\d+\]:", p) for p in found)


def save_notebook(page, file, seconds=30):
    """File > Save Notebook in the page; returns the notebook the browser wrote to ``file``."""
    import nbformat

    before = Path(file).stat().st_mtime
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Save Notebook$")).click()
    wait_until(page, lambda: Path(file).stat().st_mtime > before, seconds, f"{file} to be saved")
    return nbformat.read(file, 4)


def wait_until(page, condition, seconds, what):
    """Poll ``condition()`` (letting the page work in between) until true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        page.wait_for_timeout(300)


def cell_screenshot(page, source, name):
    """Save a screenshot of the first code cell whose input contains ``source`` (input and
    output) under out/artifacts/; returns the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cell = notebook(page).locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=source)).first
    cell.scroll_into_view_if_needed()
    path = ARTIFACTS / f"{name}.png"
    cell.screenshot(path=str(path))
    return path


def screenshot(page, name):
    """Save a full-page screenshot under out/artifacts/ (CI keeps them); returns the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
