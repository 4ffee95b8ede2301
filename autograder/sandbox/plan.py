"""What the sandbox does on this machine: the launcher's configs, and a probe that verifies them.

``current()`` decides once per grading process. It launches a probe through the full sandbox
(non-strict: each step reports success or its error) and, inside, the probe measures what is
really in force: uid map, capabilities, no_new_privs, seccomp mode, which paths are visible,
whether an AF_INET socket can be made, network interfaces, other processes, rlimits. If the
namespaces cannot be set up (no user namespaces, not allowed in a container, ...) it probes
the plain mode (rlimits, cgroups, no_new_privs, seccomp) instead. Every protection that is not
active is reported as DEGRADED with the reason; nothing degrades silently.
"""
import dataclasses
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import accounts, cgroups

HERE = Path(__file__).resolve().parent
LAUNCHER, WORKER = HERE / "launch.py", HERE / "worker.py"
ROOT = HERE.parents[1]            # the repository: course_utils/, data/, solutions/, ...
HOME = "/home/student"            # the worker's cwd, HOME and TMPDIR inside the sandbox
COURSE = "/opt/course"            # course_utils, data and worker.py inside the sandbox
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
ETC = ("ld.so.cache", "ld.so.conf", "nsswitch.conf", "passwd", "group", "hosts", "host.conf",
       "localtime", "mime.types", "os-release")
DEVICES = ("null", "zero", "full", "random", "urandom")
SHM_BYTES = 64 << 20
# imported before the first cell's clock starts (COURSE_PRELOAD overrides; "" for none)
PRELOAD = "numpy,torch,torch._dynamo,matplotlib.pyplot"


@dataclasses.dataclass
class Protection:
    name: str
    active: bool
    detail: str

    def line(self):
        return f"  {'active  ' if self.active else 'DEGRADED'}  {self.name}: {self.detail}"


@dataclasses.dataclass
class Plan:
    mode: str              # "namespaces" or "plain"
    privileged: bool       # the grader is root: dedicated uids per worker
    cgroups: dict          # {controller: parent folder} usable for workers
    skip: list             # optional launcher steps that failed in the probe
    protections: list
    startup_ms: dict       # {"sandboxed": ms, "plain": ms}: probe start-up, end to end
    reason: str = ""       # why namespaces are not used (plain mode)

    @property
    def namespaces(self):
        return self.mode == "namespaces"

    def report(self):
        """The lines printed before grading and written to OUT/report.txt."""
        head = (f"sandbox: {self.mode}" + (" (root: a dedicated uid per worker)" if self.privileged and self.namespaces
                                           else "")
                + (f"; start-up {self.startup_ms['sandboxed']:.0f} ms per worker "
                   f"({self.startup_ms['sandboxed'] - self.startup_ms['plain']:+.0f} ms vs no sandbox)"
                   if self.startup_ms else ""))
        lines = [head] + [p.line() for p in self.protections]
        bad = [p.name for p in self.protections if not p.active]
        if bad:
            lines.append(f"WARNING: sandbox degraded ({', '.join(bad)}): see the lines above")
        return lines


# -- launcher configs --------------------------------------------------------------------------

def config(mode, limits, argv, env, cwd, keep_fds, status_fd, *, account=None, group=None,
           strict=True, skip=(), seed=None):
    """The JSON the launcher reads. ``account``: the outer uid (root graders); ``group``: cgroups."""
    privileged = os.geteuid() == 0
    rlimits = {"RLIMIT_AS": limits.memory_bytes, "RLIMIT_FSIZE": limits.output_bytes, "RLIMIT_CORE": 0}
    if mode == "namespaces":  # RLIMIT_NPROC counts per user namespace there, so it is per worker
        rlimits["RLIMIT_NPROC"] = limits.processes
    out = {"argv": argv, "env": env, "cwd": cwd, "keep_fds": list(keep_fds), "status_fd": status_fd,
           "strict": strict, "skip": list(skip), "rlimits": rlimits,
           "cgroups": group.procs if group else [],
           "drop_caps": privileged or mode == "namespaces", "no_new_privs": True}
    if mode == "namespaces":
        out["namespaces"] = _namespace_spec(limits, account, privileged, seed)
    return out


def _namespace_spec(limits, account, privileged, seed):
    uid, gid = (account.uid, account.gid) if account else (os.geteuid(), os.getegid())
    binds, symlinks = _binds()
    symlinks += [("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                 ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr")]
    if tmp_is_scratch(binds):
        symlinks.append((HOME + "/tmp", "/tmp"))
    return {"privileged": privileged, "outer_uid": uid, "outer_gid": gid, "binds": binds,
            "symlinks": symlinks, "home": HOME, "hostname": "sandbox",
            "tmpfs": [(HOME, limits.disk_bytes, "0700"), ("/dev/shm", SHM_BYTES, "1777")],
            "seed": [str(seed), ".matplotlib"] if seed else None}


def tmp_is_scratch(binds):
    """/tmp leads into the scratch tmpfs, unless the course itself lives under /tmp (a clone in
    /tmp, its venv): then /tmp holds only those read-only binds, and TMPDIR still says HOME."""
    return not any(dest == "/tmp" or dest.startswith("/tmp/") for _, dest, _ in binds)


def _binds():
    """(source, destination, writable) for everything the worker may see, and symlinks."""
    binds, symlinks = [], []
    for path in SYSTEM:
        if os.path.islink(path):
            symlinks.append((os.readlink(path), path))
        elif os.path.isdir(path):
            binds.append((path, path, False))
    for path in _python_dirs():
        binds.append((path, path, False))
    binds += [(f"/etc/{name}", f"/etc/{name}", False) for name in ETC if os.path.isfile(f"/etc/{name}")]
    binds += [(f"/dev/{name}", f"/dev/{name}", True) for name in DEVICES if os.path.exists(f"/dev/{name}")]
    binds.append((str(ROOT / "course_utils"), f"{COURSE}/course_utils", False))
    binds.append((str(WORKER), f"{COURSE}/worker.py", False))
    data = Path(os.environ.get("COURSE_DATA_DIR", ROOT / "data"))
    if data.is_dir():  # downloaded datasets; never the training cache (it may hold solution outputs)
        binds += [(str(p), f"{COURSE}/data/{p.name}", False) for p in sorted(data.iterdir())
                  if p.name != "cache" and not p.is_symlink()]
    return binds, symlinks


def _python_dirs():
    """The interpreter's prefixes (and the venv), minus any already inside a system folder."""
    candidates = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix,
                  os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    covered = [p for p in SYSTEM if os.path.isdir(p) and not os.path.islink(p)]
    keep = []
    for path in sorted(candidates, key=len):
        if not any(path == c or path.startswith(c.rstrip("/") + "/") for c in covered + keep):
            keep.append(path)
    return keep


def worker_env(mode, scratch, limits):
    """The worker's whole environment (nothing of the grader's leaks in)."""
    home = HOME if mode == "namespaces" else str(scratch)
    path = f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin"
    env = {
        "PATH": path, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "COURSE_WORKER_PATH": COURSE if mode == "namespaces" else str(ROOT),
        "COURSE_SANDBOX": mode, "COURSE_MEMORY_BYTES": str(limits.memory_bytes),
        "COURSE_GRADING": "1", "COURSE_FAST": "1", "COURSE_DEVICE": "cpu",
        "COURSE_CACHE_DIR": f"{home}/cache", "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "TQDM_DISABLE": "1",
        "COURSE_PRELOAD": os.environ.get("COURSE_PRELOAD", PRELOAD),
    }
    if mode == "namespaces":
        env["COURSE_DATA_DIR"] = f"{COURSE}/data"
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    return env


def worker_argv(mode):
    return [sys.executable, "-X", "utf8", f"{COURSE}/worker.py" if mode == "namespaces" else str(WORKER)]


def launch(conf, **popen):
    """Start the launcher with ``conf``. The config travels on a pipe the launcher reads and
    closes first, never in its argv: the sandbox's init is a fork of the launcher, and anyone
    inside could read its argv in ``/proc/1/cmdline`` (the binds name the course's folders)."""
    data = json.dumps(conf).encode()
    conf_r, conf_w = os.pipe()
    try:
        if len(data) > 60_000:  # a pipe holds 64 KiB by default: make room, so this write never blocks
            fcntl.fcntl(conf_w, fcntl.F_SETPIPE_SZ, len(data) + 4096)
        os.write(conf_w, data)
        os.close(conf_w)
        conf_w = None
        return subprocess.Popen([sys.executable, "-E", "-s", "-S", str(LAUNCHER), str(conf_r)],
                                env={"PATH": os.environ.get("PATH", "")}, stdin=subprocess.DEVNULL,
                                start_new_session=True, **{**popen, "pass_fds": (*popen.get("pass_fds", ()), conf_r)})
    finally:
        os.close(conf_r)
        if conf_w is not None:
            os.close(conf_w)


def matplotlib_cache():
    """A font cache built once by the grader, so each worker does not rebuild it (seconds)."""
    source = Path(os.environ.get("COURSE_GRADER_CACHE", Path.home() / ".cache" / "course-grader")) / "matplotlib"
    if not (source.exists() and any(source.glob("fontlist-*.json"))):
        source.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       env={**os.environ, "MPLCONFIGDIR": str(source)}, capture_output=True, timeout=120)
    return source


# -- the probe ---------------------------------------------------------------------------------

PROBE = r"""
import json, os, resource, socket, sys
facts = {"uid": os.getuid(), "pid": os.getpid(), "hostname": os.uname().nodename}
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
for key in ("CapEff", "CapBnd", "NoNewPrivs", "Seccomp"):
    facts[key] = status.get(key, "?").strip()
try:
    facts["uid_map"] = open("/proc/self/uid_map").read().split()
except OSError:
    facts["uid_map"] = []
facts["visible"] = [p for p in json.loads(sys.argv[1]) if os.path.exists(p)]
facts["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    facts["inet"] = "allowed"
except OSError as e:
    facts["inet"] = e.strerror
try:
    facts["interfaces"] = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
except OSError:
    facts["interfaces"] = ["?"]
def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.unlink(path)
        return True
    except OSError:
        return False
facts["root_writable"] = writable("/sandbox-probe")
facts["home_writable"] = writable(os.path.join(os.environ.get("HOME", "."), "probe"))
facts["rlimits"] = {n: resource.getrlimit(getattr(resource, n))[0]
                    for n in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_NPROC")}
print(json.dumps(facts))
"""


def probe(mode, limits, account=None, group=None):
    """Launch the probe in ``mode`` (non-strict). Returns (facts or None, {step: error}, ms, sentinel)."""
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        sentinel = Path(tmp) / "other-scratch" / "secret.txt"  # stands for other submissions' files
        sentinel.parent.mkdir()
        sentinel.write_text("not for students")
        hidden = [str(ROOT / "solutions"), str(ROOT / "autograder" / "tests"), str(sentinel)]
        argv = [sys.executable, "-E", "-s", "-S", "-c", PROBE, json.dumps(hidden)]
        cwd = HOME if mode == "namespaces" else tmp
        status_r, status_w = os.pipe()
        conf = config(mode, limits, argv, worker_env(mode, tmp, limits), cwd, [], status_w,
                      account=account, group=group, strict=False, seed=None)
        start = time.perf_counter()
        try:
            proc = launch(conf, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,))
        finally:
            os.close(status_w)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        ms = (time.perf_counter() - start) * 1000
        with os.fdopen(status_r, "rb") as f:
            steps = [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]
    errors = {s["step"]: s["error"] for s in steps if s.get("error")}
    try:
        facts = json.loads(out.decode().strip().splitlines()[-1]) if proc.returncode == 0 else None
    except (ValueError, IndexError):
        facts = None
    if facts is None and not errors:
        errors["probe"] = (err.decode(errors="replace").strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return facts, errors, ms, hidden


_lock = threading.Lock()
_plans = {}


def current(limits):
    """The plan for this process (probed on first use; later calls reuse it)."""
    key = (limits.memory_bytes, limits.output_bytes, limits.processes, limits.disk_bytes, limits.cpus)
    with _lock:
        if key not in _plans:
            _plans[key] = _decide(limits)
        return _plans[key]


def _decide(limits):
    privileged = os.geteuid() == 0
    folders, cgroup_problem = cgroups.parents()
    forced_plain = os.environ.get("COURSE_SANDBOX", "auto").strip().lower() == "plain"
    reason = "disabled by COURSE_SANDBOX=plain" if forced_plain else ""
    results = {}
    for mode in (("plain",) if forced_plain else ("namespaces", "plain")):
        account = accounts.acquire() if privileged and mode == "namespaces" else None
        group = cgroups.Group(folders, limits) if folders else None
        try:
            results[mode] = probe(mode, limits, account, group)
        finally:
            if group:
                group.remove()
            if account:
                account.release()
        facts, errors, _, _ = results[mode]
        if facts is not None:
            break
        if mode == "namespaces":
            reason = "; ".join(f"{k}: {v}" for k, v in errors.items())
    mode = "namespaces" if results.get("namespaces", (None,))[0] is not None else "plain"
    facts, errors, ms, hidden = results[mode]
    if facts is None:
        raise RuntimeError(f"the worker cannot start even without a sandbox: {errors}")
    if mode == "namespaces" and "plain" not in results:  # measure the sandbox's own start-up cost
        results["plain"] = probe("plain", limits)
    startup = {"sandboxed": ms, "plain": results["plain"][2]} if "plain" in results else {}
    skip = [step for step in errors if step in ("proc", "read-only root", "hostname", "init not dumpable",
                                                 "capabilities", "no_new_privs", "seccomp")]
    plan = Plan(mode, privileged, folders, skip, [], startup, reason)
    plan.protections = assess(plan, facts, errors, limits, cgroup_problem, hidden)
    return plan


def assess(plan, facts, errors, limits, cgroup_problem, hidden):
    """Protections, each checked against what the probe saw from inside."""
    ns = plan.namespaces
    why_not = plan.reason or "namespaces not used"
    outer = facts["uid_map"][1] if len(facts["uid_map"]) >= 3 else "?"
    caps_zero = facts["CapEff"].strip("0") == "" and facts["CapBnd"].strip("0") == ""
    others = [p for p in facts["processes"] if p not in (1, facts["pid"])]
    out = []

    def add(name, active, detail, degraded):
        out.append(Protection(name, bool(active), detail if active else degraded))

    add("user namespace", ns and facts["uid"] == 0 and outer not in ("0", "?"),
        f"root inside is uid {outer} outside" + (", a dedicated uid per concurrent worker" if plan.privileged
                                                 else " (your own uid: not root, so no per-worker uid)"),
        f"unavailable ({why_not}): the worker runs as uid {os.geteuid()}"
        + (" (root, with no capabilities)" if os.geteuid() == 0 else ""))
    add("filesystem", ns and not facts["visible"] and not facts["root_writable"] and facts["home_writable"],
        f"allow-list root, read-only (Python, venv, course_utils, data/, /usr, /etc essentials, /dev "
        f"basics); a {limits.disk_bytes >> 20} MB tmpfs as cwd/HOME/TMPDIR; {len(hidden)} probe paths "
        "(solutions/, autograder/tests/, another scratch folder) invisible",
        f"no private root ({why_not}): visible to the worker: {facts['visible'] or 'probe paths hidden'}")
    add("pid namespace", ns and facts["pid"] == 2 and not others,
        "the worker is pid 2 under its own init; nothing else is visible; nothing outlives it",
        f"unavailable ({why_not}): the worker sees {len(facts['processes'])} processes")
    isolated = ns and set(facts["interfaces"]) <= {"lo"}
    add("network", facts["inet"] != "allowed",
        ("empty network namespace (loopback down); " if isolated else
         f"no network namespace (interfaces {facts['interfaces']} visible), but ")
        + f"seccomp refuses AF_INET and other non-UNIX sockets ({facts['inet']})",
        f"reachable: an AF_INET socket can be made (interfaces {facts['interfaces']})")
    add("ipc/uts namespaces", ns and facts["hostname"] == "sandbox",
        "own SysV IPC and hostname", f"unavailable ({why_not})")
    add("capabilities", caps_zero, "none (effective and bounding sets empty)",
        f"CapEff={facts['CapEff']} CapBnd={facts['CapBnd']} ({errors.get('capabilities', 'not dropped')})")
    add("no_new_privs", facts["NoNewPrivs"] == "1", "set", errors.get("no_new_privs", "not set"))
    add("seccomp", facts["Seccomp"] == "2",
        "deny-list filter (ptrace, mount, namespaces, modules, kexec, bpf, perf, keyrings, io_uring, ...; "
        "sockets other than AF_UNIX)", f"no filter ({errors.get('seccomp', 'not installed')})")
    has = plan.cgroups
    add("memory", "memory" in has,
        f"RLIMIT_AS {limits.memory_bytes >> 20} MB per process and cgroup memory.limit "
        f"{limits.memory_bytes >> 20} MB for the whole tree",
        f"RLIMIT_AS {limits.memory_bytes >> 20} MB per process only (no memory cgroup: {cgroup_problem})")
    nproc = facts["rlimits"]["RLIMIT_NPROC"]
    add("processes", "pids" in has or (ns and nproc == limits.processes),
        " and ".join(x for x in (f"cgroup pids.max {limits.processes}" if "pids" in has else "",
                                 f"RLIMIT_NPROC {nproc} (per user namespace)" if ns else "") if x),
        f"not limited (no pids cgroup: {cgroup_problem}; no user namespace for a per-worker RLIMIT_NPROC)")
    add("cpu", "cpu" in has, f"cgroup quota of {limits.cpus:g} CPU per worker",
        f"not limited (no cpu cgroup: {cgroup_problem}): a busy notebook slows the others")
    add("output", facts["rlimits"]["RLIMIT_FSIZE"] == limits.output_bytes,
        f"RLIMIT_FSIZE {limits.output_bytes >> 20} MB per file (stdout included)"
        + (f"; scratch tmpfs {limits.disk_bytes >> 20} MB in all" if ns else ""), "RLIMIT_FSIZE not set")
    add("core dumps", facts["rlimits"]["RLIMIT_CORE"] == 0, "off", "RLIMIT_CORE not 0")
    add("wall time", True, "per cell, per notebook and per test call (the grader kills the process group)", "")
    return out
