"""The sandbox on its own: what ``protections()`` reports, and that each protection holds.

Each test starts a real worker and asks it to try something from inside. Where a protection is
not available on this machine the test is skipped (failed under CI=true) with the reason.
"""
import json
import os
import subprocess
import sys
import time

import pytest

from autograder.sandbox import (Limits, SandboxError, Worker, WorkerDied, WorkerTimeout, plan, protections,
                                seccomp, syscalls)
from conftest import ROOT
from course_utils import wire

pytestmark = pytest.mark.xdist_group("sandbox")


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """These workers never import torch: start them without it (seconds each)."""
    monkeypatch.setenv("COURSE_PRELOAD", "")


def require(*names):
    inactive = [p for p in protections().protections if p.name in names and not p.active]
    if inactive:
        message = "; ".join(f"{p.name}: {p.detail}" for p in inactive)
        if os.environ.get("CI") == "true":
            pytest.fail(f"sandbox degraded under CI: {message}")
        pytest.skip(message)


class Notebook:
    """A worker that ran ``cells``; ``run(code)`` returns the snippet's ``result``."""

    def __init__(self, scratch, cells=(), limits=None):
        self.worker = Worker(scratch, limits or Limits())
        self.worker.send({"op": "start", "cells": list(cells), "skip": [], "seed": 0})
        self.errors = {}
        while True:
            message = self.worker.receive(60)
            if message.get("event") == "cell_end" and message.get("error"):
                self.errors[message["index"]] = message["error"]["message"]
            if message.get("event") == "ready":
                break

    def run(self, code, timeout=60):
        self.worker.send({"op": "run", "code": code, "inputs": wire.encode({}), "seed": 0})
        answer = self.worker.receive(timeout)
        if not answer["ok"]:
            raise RuntimeError(answer.get("error", answer))
        return wire.decode(answer["value"])

    def close(self):
        self.worker.kill()


@pytest.fixture
def notebook(tmp_path):
    opened = []

    def start(cells=(), limits=None):
        nb = Notebook(tmp_path / f"run{len(opened)}", cells, limits)
        opened.append(nb)
        return nb

    yield start
    for nb in opened:
        nb.close()


def test_protections_are_reported_with_a_reason_for_each():
    p = protections()
    names = [x.name for x in p.protections]
    for name in ("user namespace", "filesystem", "pid namespace", "network", "capabilities", "no_new_privs",
                 "seccomp", "memory", "processes", "output", "core dumps", "wall time"):
        assert name in names
    assert all(x.detail for x in p.protections)
    lines = p.report()
    assert lines[0].startswith("sandbox: ") and len(lines) >= len(names) + 1
    if any(not x.active for x in p.protections):
        assert lines[-1].startswith("WARNING")


def test_everything_is_active_on_a_root_ci_machine():
    if os.geteuid() != 0:
        pytest.skip("not root: some protections degrade by design")
    require(*[x.name for x in protections().protections])


def test_a_degraded_sandbox_warns_instead_of_failing_silently():
    code = "from autograder.sandbox import report_lines; print('\\n'.join(report_lines()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COURSE_SANDBOX": "plain"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sandbox: plain")
    assert "DEGRADED  filesystem: no private root (disabled by COURSE_SANDBOX=plain)" in out.stdout
    assert "WARNING: sandbox degraded" in out.stdout


def test_files_outside_the_scratch_are_invisible(notebook, tmp_path):
    require("filesystem")
    secret = tmp_path / "other-student" / "answers.txt"
    secret.parent.mkdir()
    secret.write_text("42")
    nb = notebook()
    outside = [str(secret), str(ROOT / "solutions"), str(ROOT / "autograder"), str(ROOT / "notebooks"),
               "/etc/shadow", os.path.expanduser("~/.ssh"), "/sys", str(tmp_path)]
    seen = nb.run(f"import os\nresult = [p for p in {outside!r} if os.path.exists(p)]")
    assert seen == []
    course = nb.run("import os\nresult = sorted(os.listdir('/opt/course'))")
    assert "course_utils" in course and set(course) <= {"course_utils", "data", "worker.py"}


def test_only_the_scratch_is_writable(notebook):
    require("filesystem")
    nb = notebook()
    code = """
import os
result = {}
for path in ("/probe", "/usr/probe", "/opt/course/course_utils/probe", os.path.join(os.__file__ + "x"), "probe", "/tmp/probe"):
    try:
        with open(path, "w") as f:
            f.write("x")
        result[path] = "written"
    except OSError as error:
        result[path] = error.strerror
"""
    result = nb.run(code)
    # /tmp is the scratch too, unless the course itself was cloned under /tmp (then read-only)
    assert result.pop("probe") == "written"
    assert (result.pop("/tmp/probe") == "written") == plan.tmp_is_scratch(plan._binds()[0])
    assert all(v != "written" for v in result.values()), result


def test_a_course_cloned_under_tmp_keeps_its_private_root(notebook, tmp_path, monkeypatch):
    """A clone (and its venv) in /tmp is bound inside the new root, so /tmp cannot also be the
    link to the scratch: the sandbox must still start, with /tmp read-only and TMPDIR writable."""
    require("filesystem")
    venv = tmp_path / "clone" / ".venv"
    venv.mkdir(parents=True)
    (venv / "marker").write_text("bound")
    assert str(venv).startswith("/tmp/")
    binds, symlinks = plan._binds()
    monkeypatch.setattr(plan, "_binds", lambda: (binds + [(str(venv), str(venv), False)], list(symlinks)))
    nb = notebook()
    code = f"""
import os, tempfile
result = [open({str(venv / "marker")!r}).read(), os.access("/tmp", os.W_OK) and os.path.exists("/tmp/probe")]
with tempfile.NamedTemporaryFile() as f:
    result.append(os.path.dirname(f.name))
"""
    assert nb.run(code) == ["bound", False, "/home/student"]


def test_the_network_is_unreachable(notebook):
    require("network", "filesystem")
    nb = notebook()
    result = nb.run("""
import socket
result = {}
for family in ("AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"):
    try:
        socket.socket(getattr(socket, family), socket.SOCK_RAW if family == "AF_PACKET" else socket.SOCK_DGRAM).close()
        result[family] = "allowed"
    except OSError as error:
        result[family] = error.strerror
a, b = socket.socketpair()  # AF_UNIX stays usable (multiprocessing needs it)
a.close(); b.close()
result["interfaces"] = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
""")
    assert result.pop("interfaces") == ["lo"]
    assert all(v != "allowed" for v in result.values()), result


def test_the_worker_is_root_only_inside_and_has_no_capabilities(notebook):
    require("user namespace", "capabilities", "no_new_privs", "seccomp", "pid namespace")
    nb = notebook()
    facts = nb.run("""
import os
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
result = {"uid": os.getuid(), "pid": os.getpid(), "map": open("/proc/self/uid_map").read().split(),
          "caps": status["CapEff"].strip(), "bounding": status["CapBnd"].strip(),
          "nnp": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
          "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
""")
    assert facts["uid"] == 0 and facts["map"][0] == "0" and facts["map"][1] != "0"
    assert int(facts["caps"], 16) == 0 and int(facts["bounding"], 16) == 0
    assert facts["nnp"] == "1" and facts["seccomp"] == "2"
    assert facts["pid"] == 2 and facts["processes"] == [1, 2]


def test_concurrent_workers_get_different_outer_uids(notebook):
    require("user namespace")
    if os.geteuid() != 0:
        pytest.skip("dedicated uids need a root grader")
    code = "result = open('/proc/self/uid_map').read().split()[1]"
    assert notebook().run(code) != notebook().run(code)


def test_seccomp_refuses_kernel_escape_hatches(notebook):
    require("seccomp")
    nb = notebook()
    result = nb.run("""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
result = {}
for name, call in [("unshare", lambda: libc.unshare(0x10000000)),
                   ("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                   ("ptrace", lambda: libc.ptrace(0, 1, None, None)),
                   ("chroot", lambda: libc.chroot(b"/")),
                   ("keyctl", lambda: libc.syscall(250 if os.uname().machine == "x86_64" else 219, 0, 0, 0, 0))]:
    code = call()
    result[name] = (code, os.strerror(ctypes.get_errno()))
""")
    assert all(code == -1 and err == "Operation not permitted" for code, err in result.values()), result


def test_the_process_limit_holds(notebook):
    require("processes", "pid namespace")
    nb = notebook(limits=Limits(processes=16))
    made = nb.run("""
import os, time
children = []
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
except OSError:
    pass
result = len(children)
""")
    assert 0 < made < 16
    assert nb.run("import os\nresult = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())") == [1, 2]


def test_running_out_of_memory_is_reported_as_such(notebook):
    """The cgroup bounds the whole tree: two processes each under their own RLIMIT_AS still exceed it."""
    require("memory")
    nb = notebook(limits=Limits(memory_bytes=512 << 20))
    with pytest.raises(WorkerDied, match="ran out of memory"):
        nb.run("""
import os, time
def hold(megabytes):
    block = bytearray(megabytes << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return block
child = os.fork()
if child == 0:
    kept = hold(220)
    time.sleep(60)
    os._exit(0)
time.sleep(0.5)
kept = hold(300)
result = "survived"
""")


def test_output_and_files_are_capped(notebook):
    require("filesystem")
    nb = notebook(limits=Limits(output_bytes=1 << 20))
    assert nb.run("""
try:
    with open("big.bin", "wb") as f:
        f.write(b"x" * (2 << 20))
    result = "written"
except OSError as error:
    result = error.strerror
""") == "File too large"


def test_nothing_outlives_the_worker(notebook):
    require("pid namespace")
    nb = notebook()
    nb.run("import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\nresult = 0")
    folders = list(nb.worker.group.dirs.values()) if nb.worker.group else []
    account = nb.worker.account
    uid = account.uid if account else None
    nb.close()
    assert not [f for f in folders if f.exists()]  # the cgroups were emptied and removed
    if uid is not None:  # a dedicated uid: nothing may still run under it (zombies may take a moment)
        for _ in range(300):
            ps = subprocess.run(["ps", "-o", "stat=", "-u", str(uid)], capture_output=True, text=True).stdout.split()
            if all(s.startswith("Z") for s in ps):
                break
            time.sleep(0.01)
        assert all(s.startswith("Z") for s in ps), ps


def test_a_sandbox_that_cannot_start_stops_grading_loudly(tmp_path, monkeypatch):
    require("filesystem")
    real = plan._binds

    def broken():
        binds, links = real()
        return binds + [("/nonexistent/for/sure", "/opt/missing", False)], links

    monkeypatch.setattr(plan, "_binds", broken)
    worker = Worker(tmp_path / "run", Limits())
    try:
        with pytest.raises(SandboxError, match="nonexistent"):
            worker.send({"op": "start", "cells": [], "skip": [], "seed": 0})
            worker.receive(30)
    finally:
        worker.kill()


WORKER_GLOBALS = """
import sys
f = sys._getframe()
while "_request_id" not in f.f_globals:
    f = f.f_back
g = f.f_globals
"""


def test_a_worker_that_stops_reading_cannot_block_the_grader(notebook):
    """It shrinks its request pipe and never reads again: the grader's write has a deadline."""
    nb = notebook()
    nb.run(WORKER_GLOBALS + "import fcntl, time\nfcntl.fcntl(g['REQUESTS'], fcntl.F_SETPIPE_SZ, 4096)\n"
                            "g['receive'] = lambda: time.sleep(10**6)\nresult = 0")
    start = time.monotonic()
    with pytest.raises(WorkerTimeout):
        nb.worker.send({"op": "run", "code": "#" * 100_000, "inputs": wire.encode({}), "seed": 0}, timeout=1.0)
    assert time.monotonic() - start < 10


def test_an_answer_is_refused_by_its_announced_size_before_it_is_read(notebook):
    nb = notebook()
    nb.worker.send({"op": "run", "code": WORKER_GLOBALS + "import os, struct\n"
                    "os.write(g['ANSWERS'], struct.pack('>I', 2**32 - 1))\nimport time\ntime.sleep(60)",
                    "inputs": wire.encode({}), "seed": 0})
    with pytest.raises(wire.WireError, match="answer too large"):
        nb.worker.receive(30)


def test_the_sandboxs_init_carries_no_config_and_cannot_be_read(notebook):
    """The launcher's config (every bind source: where the course lives) travels on a pipe, not
    in the argv that the worker could read as /proc/1/cmdline; init's memory, environment and
    descriptors are closed to the worker."""
    require("pid namespace")
    nb = notebook()
    got = nb.run("out = {'cmdline': open('/proc/1/cmdline', 'rb').read().decode(errors='replace')}\n"
                 "for name in ('environ', 'mem'):\n"
                 "    try:\n        open(f'/proc/1/{name}', 'rb').read(1)\n        out[name] = 'read'\n"
                 "    except OSError as error:\n        out[name] = error.strerror\n"
                 "try:\n    out['fd'] = str(__import__('os').listdir('/proc/1/fd'))\n"
                 "except OSError as error:\n    out['fd'] = error.strerror\nresult = out")
    assert '"binds"' not in got["cmdline"] and "course_utils" not in got["cmdline"], got["cmdline"]
    assert got["environ"] == got["mem"] == got["fd"] == "Permission denied", got


def test_the_seccomp_program_is_well_formed():
    for arch, table in syscalls.ARCHES.items():
        ops = seccomp.program(table["audit"], table["nr"], syscalls.NAMESPACE_FLAGS)
        assert len(seccomp.assemble(ops)) == 8 * len(ops) < 8 * 4096
        for i, (code, jt, jf, k) in enumerate(ops):
            if code & 0x07 == 0x05:  # a jump: both targets inside the program
                assert i + 1 + max(jt, jf) < len(ops)
        assert ops[-1] == (0x06, 0, 0, 0x7FFF0000)
        denied = {k for op in ops if op[0] == 0x15 for k in [op[3]]}
        assert {table["nr"][n] for n in seccomp.DENIED if n in table["nr"]} <= denied
        assert len(set(seccomp.DENIED) - set(table["nr"])) <= 3  # iopl, ioperm, uselib: x86 only


def test_overhead_probe_runs():
    p = protections()
    if p.startup_ms:
        assert p.startup_ms["sandboxed"] > 0 and p.startup_ms["plain"] > 0
    print(json.dumps(p.startup_ms))
