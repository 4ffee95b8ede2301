"""A real JupyterLab (or nbgrader formgrader) server and Debian's Chromium, for browser tests.

Shared by every test that drives a browser::

    with jupyter_server(root) as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url("lab/tree/01_divergences.ipynb"))

``jupyter_server`` starts ``jupyter lab`` from this project's environment on a free local port
with a random token, its workspace and runtime state kept inside a temporary folder (never the
user's HOME); ``chromium`` launches ``/usr/bin/chromium`` through Playwright (never a
downloaded browser), headless, with the flags this machine's closed network needs. Under
``CI=true`` a missing browser fails the test; elsewhere it skips with the reason.
"""
import contextlib
import os
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


@contextlib.contextmanager
def jupyter_server(root, app="lab", extra_args=(), env=None, startup_seconds=90):
    """``jupyter <app>`` serving ``root`` on a free port; yields a ``Server``."""
    root = Path(root)
    state = Path(tempfile.mkdtemp(prefix="jupyter-state-"))
    port, token = free_port(), secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyter", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.disable_check_xsrf=False", f"--LabApp.workspaces_dir={state / 'workspaces'}",
            "--ServerApp.open_browser=False", *extra_args]
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


def screenshot(page, name):
    """Save a full-page screenshot under out/artifacts/ (CI keeps them); returns the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
