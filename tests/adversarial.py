"""A class of hostile and malformed submissions for 01_divergences, each with its expected grade.

Every submission starts from ``autograder.mutants.student_copy`` (a fully solved notebook). To
keep the suite fast, most start from LIGHT: the solved notebook without the two questions whose
hidden tests train models (kl_fits, w1_dual: they become "missing" in a few milliseconds), worth
21 of 31 points. An attack then adds or replaces cells. ``Case.expect`` gives the statuses that
differ from LIGHT's, ``total`` the points, ``messages`` text that grades.csv must show for a
question, ``feedback`` text the student's page must show, and ``needs`` the protections
without which the case would harm the machine (it is then skipped, or failed under CI).

The attacks are written to be harmless where they succeed: they probe for write access with
``open(path, "a")`` (which changes nothing) or create new files, never overwrite real ones.

``cls`` groups the cases of issue 10's defect classes (1: the batch dies on one student; 2:
submissions that point elsewhere; 3: hidden tests leaking into feedback; 4: what the TA opens;
5: workers and memory), the honest controls, and "round 1" (the first audit's cases).
"""
import dataclasses
import json
import os
import stat
import subprocess
import threading
import time

import nbformat
from pathlib import Path

from autograder import grade, mutants, paths
from autograder.grade import report, text

A = "01_divergences"
HEAVY = ("kl_fits", "w1_dual")      # their answers are removed from LIGHT
POINTS = grade.load_assignment(A).questions
LIGHT_POINTS = sum(POINTS.values()) - sum(POINTS[q] for q in HEAVY)


@dataclasses.dataclass
class Case:
    name: str
    build: object                   # ctx -> notebook, bytes, Planted, or None (no notebook at all)
    total: float
    expect: dict = dataclasses.field(default_factory=dict)     # question -> status ("*": every question)
    messages: dict = dataclasses.field(default_factory=dict)   # question -> text in grades.csv message
    feedback: tuple = ()            # texts in feedback/<name>.html
    needs: tuple = ()               # protection names that must be active
    like: str = None                # same statuses as that case (e.g. the blank release)
    cls: str = "round 1"            # the defect class it belongs to (see the module's docstring)
    folder: object = None           # the folder's name (str or bytes) when it is not ``name``
    absent: tuple = ()              # texts that must appear in neither its feedback nor grades.csv

    @property
    def student(self):
        """The student id the grader gives this case's folder."""
        return text.name(os.fsdecode(self.folder)) if self.folder is not None else self.name

    @property
    def page(self):
        return f"{report.safe_name(self.student)}.html"


@dataclasses.dataclass
class Planted:
    """A submission that is not a plain notebook file: ``plant(folder, target, ctx)`` makes it."""
    plant: object


def statuses(case, questions):
    """The status expected for every question."""
    base = {q: ("missing" if q in HEAVY else "passed") for q in questions}
    if "*" in case.expect:
        base = {q: case.expect["*"] for q in questions}
    base.update({q: s for q, s in case.expect.items() if q != "*"})
    return base


# -- building blocks ----------------------------------------------------------------------------

def light():
    """The solved notebook without the kl_fits and w1_dual answers and their demo cells."""
    nb = mutants.student_copy(A)
    cells = []
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "code":
            if "def fit_forward_kl(" in src:
                cell.source = src[:src.index("def fit_forward_kl(")].rstrip() + "\n"
            if "def train_critic(" in src or "fit_reverse_kl(means" in src or "train_critic(x_demo" in src:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def blank():
    """The student release as handed out: every answer raises NotImplementedError."""
    return nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", as_version=4)


def add(nb, source, at=None):
    """``nb`` with one more code cell (at the end by default: a later definition wins)."""
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.insert(len(nb.cells) if at is None else at, cell)
    return nb


def after_imports(nb, source):
    """Insert a cell right after the imports cell (so the rest of the notebook still runs)."""
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "import course_utils" in c.source)
    return add(nb, source, at=index + 1)


WRONG_KL = """
def kl_normal(mu1, sigma1, mu2, sigma2):
    return torch.zeros_like(torch.as_tensor(mu1, dtype=torch.float32))
"""
RIGHT_KL_BODY = "    return torch.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5\n"


def kl_that(prefix):
    """A correct kl_normal that first runs ``prefix`` (the attack) in its body."""
    body = "".join("    " + line + "\n" for line in prefix.strip().splitlines())
    return "def kl_normal(mu1, sigma1, mu2, sigma2):\n" + body + RIGHT_KL_BODY


def exec_code_cells_of(path):
    """Code that copies another notebook's answers by executing its code cells."""
    return f"""
import json
with open({str(path)!r}) as f:
    stolen = json.load(f)
for cell in stolen["cells"]:
    if cell["cell_type"] == "code":
        exec("".join(cell["source"]), globals())
"""


# -- the cases ----------------------------------------------------------------------------------

def _huge_outputs(ctx):
    nb = light()
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (100 << 20))]
    return nb


def _duplicated_ids(ctx):
    """Two cells share an id and one has none (as after some copy-pastes between notebooks)."""
    data = json.loads(json.dumps(light()))
    data["cells"][3]["id"] = data["cells"][2]["id"]
    del data["cells"][4]["id"]
    return json.dumps(data, indent=1).encode()


def _reads_other_student(ctx):
    nb = add(blank(), f"import glob\nfound = glob.glob({str(ctx['out'] / '.scratch' / '*')!r})\n"
                      "assert found, 'no other scratch folders'")
    return add(nb, exec_code_cells_of(ctx["subs"] / "light_honest" / f"{A}.ipynb"))


def _renamed(ctx):
    nb = light()
    for c in nb.cells:
        c.source = c.source.replace("def kl_normal(", "def kl_normal_v2(")
    return nb


def _writes_outside(ctx):
    targets = [ctx["out"] / "grades.csv", ctx["out"] / "feedback" / "light_honest.html",
               paths.TESTS / A / "hidden.py", paths.SOLUTIONS / f"{A}.ipynb",
               ctx["subs"] / "light_honest" / f"{A}.ipynb"]
    creates = [ctx["out"] / "pwned.txt", paths.ROOT / "pwned.txt", ctx["subs"] / "pwned.txt"]
    return add(light(), f"""
refused = []
for path in {[str(p) for p in targets]!r}:
    try:
        open(path, "a").close()      # write access, without changing anything
    except OSError as error:
        refused.append(type(error).__name__)
for path in {[str(p) for p in creates]!r}:
    try:
        open(path, "x").close()
    except OSError as error:
        refused.append(type(error).__name__)
raise PermissionError(f"writes refused: {{refused}}")
""")


CASES = [
    Case("light_honest", lambda ctx: light(), LIGHT_POINTS, cls="control"),
    # -- reading what a student must not see
    Case("blank_release", lambda ctx: blank(), 0.0, like="blank_release"),
    Case("reads_solutions", lambda ctx: add(blank(), exec_code_cells_of(paths.SOLUTIONS / f"{A}.ipynb")), 0.0,
         like="blank_release", feedback=("No such file or directory",), needs=("filesystem",)),
    Case("reads_hidden_tests", lambda ctx: add(light(), kl_that(
        f"open({str(paths.TESTS / A / 'hidden.py')!r}).read()")), LIGHT_POINTS - 3,
         expect={"kl_normal": "error"}, messages={"kl_normal": "No such file or directory"}, needs=("filesystem",)),
    Case("reads_other_student", _reads_other_student, 0.0, like="blank_release",
         feedback=("No such file or directory", "no other scratch folders"), needs=("filesystem",)),
    Case("writes_outside", _writes_outside, LIGHT_POINTS, feedback=("writes refused",), needs=("filesystem",)),
    Case("network", lambda ctx: add(after_imports(light(), "import urllib.request\n"
                                                           "urllib.request.urlopen('http://example.com', timeout=3)"),
                                    kl_that("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)")),
         LIGHT_POINTS - 3, expect={"kl_normal": "error"}, messages={"kl_normal": "no network access while grading"},
         feedback=("no network access while grading",), needs=("network",)),
    # -- resources
    Case("fork_bomb", lambda ctx: after_imports(light(), "import os\nwhile True:\n    os.fork()"), LIGHT_POINTS,
         needs=("processes", "pid namespace", "cpu")),  # the feedback: a process limit or a timeout
    Case("memory_bomb", lambda ctx: add(light(), kl_that(
        "import numpy\nhoard = []\nwhile True:\n    hoard.append(numpy.empty(1 << 27))")), LIGHT_POINTS - 3,
         expect={"kl_normal": "error"}, messages={"kl_normal": "out of memory"}, needs=("memory",)),
    Case("loops_at_top_level", lambda ctx: after_imports(light(), "while True:\n    pass"), LIGHT_POINTS,
         feedback=("timeout", "did not finish within")),
    Case("loops_when_called", lambda ctx: add(light(), "def kl_normal(*args):\n    while True:\n        pass"),
         LIGHT_POINTS - 3, expect={"kl_normal": "timeout"}, messages={"kl_normal": "timed out"}),
    Case("sleeps_forever", lambda ctx: after_imports(light(), "import time\ntime.sleep(10**6)"), LIGHT_POINTS,
         feedback=("did not finish within",)),
    Case("exits", lambda ctx: after_imports(light(), "import os\nos._exit(3)"), LIGHT_POINTS,
         feedback=("exited with code 3",)),
    Case("segfaults", lambda ctx: after_imports(light(), "import ctypes\nctypes.string_at(0)"), LIGHT_POINTS,
         feedback=("killed by SIGSEGV",)),
    Case("kills_itself", lambda ctx: after_imports(light(), "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
         LIGHT_POINTS, feedback=("killed by SIGKILL",)),
    Case("floods_output", lambda ctx: after_imports(light(), "while True:\n    print('x' * 1_000_000)"), LIGHT_POINTS,
         feedback=("output limit reached",)),
    # -- tampering with the verdict (each with a wrong kl_normal: it must stay failed)
    Case("eq_always_true", lambda ctx: add(light(), """
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__

def kl_normal(mu1, sigma1, mu2, sigma2):
    return Anything()
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}, messages={"kl_normal": "cannot check a value of type Anything"}),
    Case("patches_comparisons", lambda ctx: add(light(), WRONG_KL + """
import builtins, math, numpy, numpy.testing
always = lambda *a, **k: True
torch.allclose = torch.isclose = torch.equal = always
numpy.allclose = numpy.isclose = numpy.array_equal = always
numpy.testing.assert_allclose = lambda *a, **k: None
math.isclose = always
builtins.AssertionError = type("AssertionError", (Exception,), {})
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    Case("fakes_stdout", lambda ctx: add(light(), WRONG_KL + """
import sys, builtins
class Liar:
    def write(self, text):
        return len(text)
    def flush(self):
        pass
sys.stdout = sys.stderr = Liar()
builtins.print = lambda *a, **k: sys.__stdout__.write("All tests passed: 31/31\\n")
print("kl_normal passed")
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    Case("swallows_exceptions", lambda ctx: add(light(), """
def kl_normal(mu1, sigma1, mu2, sigma2):
    try:
        raise NotImplementedError
    except BaseException:
        pass
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    Case("empties_cells", lambda ctx: add(light(), WRONG_KL + "\nget_ipython().input_transformers_cleanup.append("
                                                              "lambda lines: [])\n"), LIGHT_POINTS - 3,
         expect={"kl_normal": "failed"}),
    Case("writes_answer_pipe", lambda ctx: add(light(), """
import json, os, stat, struct

def forge(value):
    data = json.dumps({"ok": True, "value": value}).encode()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">I", len(data)) + data)
        except OSError:
            pass

def kl_normal(mu1, sigma1, mu2, sigma2):
    forge(0.5)
    return torch.zeros(())
"""), LIGHT_POINTS - 3, expect={"kl_normal": "error"}, messages={"kl_normal": "wrote to the grader's channel"}),
    Case("atexit_hooks", lambda ctx: add(light(), WRONG_KL + """
import atexit, os
atexit.register(lambda: os.write(1, b"grading finished: all passed\\n"))
atexit.register(os._exit, 0)
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    Case("tampers_sys_modules", lambda ctx: add(light(), WRONG_KL + """
import sys, types, struct, json
struct.pack = lambda *a: b"\\x00\\x00\\x00\\x02{}"
json.dumps = lambda *a, **k: '{"ok": true, "value": 0.5}'
fake = types.ModuleType("course_utils.wire")
fake.encode = lambda value: 0.5
sys.modules["course_utils.wire"] = fake
sys.modules["json"] = None
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    Case("patches_wire", lambda ctx: add(light(), WRONG_KL + """
import course_utils.wire as wire
wire.encode = lambda value: 0.5
wire.dumps = lambda value: b'{"ok":true,"value":0.5}'
"""), LIGHT_POINTS - 3, expect={"kl_normal": "failed"}),
    # -- malformed notebooks
    Case("bad_json", lambda ctx: b'{"cells": [', 0.0, expect={"*": "invalid"},
         messages={"kl_normal": "not valid notebook JSON"}),
    Case("nbformat3", lambda ctx: b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}', 0.0,
         expect={"*": "invalid"}, messages={"kl_normal": "nbformat 3"}),
    Case("garbage_bytes", lambda ctx: bytes(range(256)) * 64, 0.0, expect={"*": "invalid"},
         messages={"kl_normal": "not a notebook"}),
    Case("huge_outputs", _huge_outputs, 0.0, expect={"*": "invalid"}, messages={"kl_normal": "clear its outputs"}),
    Case("duplicated_ids", _duplicated_ids, LIGHT_POINTS, feedback=("ids were repaired",)),
    Case("renamed_function", _renamed, LIGHT_POINTS - 3, expect={"kl_normal": "missing"},
         messages={"kl_normal": "'kl_normal' is not defined"}),
    Case("missing_notebook", lambda ctx: None, 0.0, expect={"*": "missing"}, messages={"kl_normal": f"no {A}.ipynb"}),
]



# -- round 2 (issue 10): each defect class, with its own attacks -------------------------------

WORKER_GLOBALS = '''
import sys
def worker_globals():
    """The worker's own module globals (its send, receive, pipes), reached through frames."""
    f = sys._getframe()
    while f is not None and "_request_id" not in f.f_globals:
        f = f.f_back
    return f.f_globals
'''


def forge(event):
    """A cell that sends ``event`` through the worker's own ``send`` (so it carries the right id)."""
    return WORKER_GLOBALS + f"worker_globals()['send']({event!r})\n"


# An honest mistake (half of the JS divergence): the control that keeps partial marks.
ONE_SIDED_JS = mutants.Mutant("js_one_sided", "only KL(p || m), the half of JS",
                              {"return 0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)":
                               "return 0.5 * kl_to_mixture(p, q)"}, ["js_divergence"])


def wrong_js(nb=None):
    """``nb`` (default: ``light()``) with ONE_SIDED_JS (mutants.apply: the text must be there)."""
    return mutants.apply(ONE_SIDED_JS, A, light() if nb is None else nb)


def _symlink_to(where):
    return Planted(lambda folder, target, ctx: os.symlink(where, target))


def _folder_symlink(folder, target, ctx):
    os.rmdir(folder)
    os.symlink(ctx["subs"] / "light_honest", folder)


def _dangling_folder_symlink(folder, target, ctx):
    os.rmdir(folder)
    os.symlink(ctx["subs"] / "graduated-last-year", folder)


def _hardlink_outside(folder, target, ctx):
    outside = ctx["subs"].parent / "outside.ipynb"
    nbformat.write(light(), outside)
    os.link(outside, target)


def _fifo(folder, target, ctx):
    os.mkfifo(target)


def _device(folder, target, ctx):
    try:
        os.mknod(target, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:  # not root: a link to the device is refused all the same
        os.symlink("/dev/zero", target)


def _sparse(folder, target, ctx):
    with open(target, "wb") as f:
        f.truncate(1 << 40)  # 1 TiB that takes no disk


# Records every call of the notebook's functions (and the snippet of every nb.run) and shows
# them all in a public check's error: under a grader that ran a question's hidden tests before
# a later question's public ones, that error would replay hidden inputs and snippets.
SPY = '''
import functools, sys
_log = []

def _spy(fn):
    @functools.wraps(fn)
    def spied(*args, **kwargs):
        f = sys._getframe(1)
        while f is not None and "request" not in f.f_locals:
            f = f.f_back
        request = f.f_locals["request"] if f is not None else {}
        _log.append(f"code={request.get('code', '')!s} args={args!r}"[:3000])
        return fn(*args, **kwargs)
    return spied

for _name in ("kl_normal", "kl_monte_carlo", "js_divergence", "parallel_lines", "w1_sorted", "w2_gaussian",
              "gradient_penalty"):
    globals()[_name] = _spy(globals()[_name])

def w1_cdf(x, y):
    raise ValueError("REPLAY: " + " || ".join(_log))
'''

# A NameError whose name is the grader's snippet: the worker answers "missing" and names it.
FORGED_MISSING = '''
import sys
def kl_monte_carlo(p, q, n):
    f = sys._getframe(1)
    while f is not None and "request" not in f.f_locals:
        f = f.f_back
    code = f.f_locals["request"].get("code", "") if f is not None else ""
    raise NameError("gone", name="".join(ch if ch.isalnum() else "_" for ch in code).strip("_")[:60])
'''

HOST_PATHS = '''
import sys
def kl_normal(mu1, sigma1, mu2, sigma2):
    found = open("/proc/1/cmdline", "rb").read().replace(b"\\0", b" ").decode()
    raise ValueError(f"init: {found} | prefix: {sys.prefix} | exe: {sys.executable}")
'''

STOPS_READING = WORKER_GLOBALS + '''
import fcntl, time
def w1_cdf(x, y):
    g = worker_globals()
    fcntl.fcntl(g["REQUESTS"], fcntl.F_SETPIPE_SZ, 4096)   # the smallest pipe: a 5 KB request fills it
    g["receive"] = lambda: time.sleep(10**6)                # and nobody reads it any more
    return 0.0
'''

# Answers too big to decode, each refused before it costs the grader memory: 24 MB of empty
# lists forged through the worker's own send, a million floats, an answer announced as 4 GB.
OVERSIZED_ANSWERS = WORKER_GLOBALS + '''
def kl_normal(mu1, sigma1, mu2, sigma2):
    worker_globals()["send"]({"ok": True, "value": [[]] * 8_000_000})
    return 0.0

def js_divergence(p, q):
    return [0.0] * 1_000_000
'''

ANNOUNCES_HUGE = WORKER_GLOBALS + '''
import os, struct
def w1_sorted(x, y):
    os.write(worker_globals()["ANSWERS"], struct.pack(">I", 2**32 - 1))
    return 0.0
'''

CASES += [
    Case("control_second", lambda ctx: light(), LIGHT_POINTS, cls="control"),
    Case("control_partial", lambda ctx: wrong_js(), LIGHT_POINTS - POINTS["js_divergence"], cls="control",
         expect={"js_divergence": "failed"}),
    # -- class 1: one student never stops or hangs the batch
    Case("c1_surrogates", lambda ctx: add(after_imports(light(), "raise RuntimeError('cell \\ud800 text')"),
                                          "def kl_normal(*args):\n    raise ValueError('bad \\udcff value')"),
         LIGHT_POINTS - POINTS["kl_normal"], cls="1", expect={"kl_normal": "error"},
         messages={"kl_normal": "bad \ufffd value"}, feedback=("cell \ufffd text",)),
    Case("c1_latin1_folder", lambda ctx: light(), LIGHT_POINTS, cls="1", folder=b"zo\xeb-latin1"),
    Case("c1_forged_event_dies", lambda ctx: after_imports(light(), forge(
        {"event": "cell_end", "index": "x", "seconds": 0, "error": None}) + "import os\nos._exit(1)\n"),
         LIGHT_POINTS, cls="1", feedback=("malformed message",)),
    Case("c1_strange_json_types", lambda ctx: json.dumps(
        {"nbformat": 4, "nbformat_minor": "5", "metadata": [], "cells": [
            {"cell_type": "code", "source": "x = 1", "id": 5, "metadata": {}, "outputs": []}]}).encode(),
         0.0, cls="1", expect={"*": "missing"}),
    # the worker stops reading after w1_cdf answers: the next request (w2_gaussian's) cannot be written
    Case("c1_stops_reading", lambda ctx: add(light(), STOPS_READING),
         LIGHT_POINTS - POINTS["w1_cdf"] - POINTS["w2_gaussian"], cls="1",
         expect={"w1_cdf": "failed", "w2_gaussian": "timeout"}, messages={"w2_gaussian": "timed out"}),
    Case("c1_fifo", lambda ctx: Planted(_fifo), 0.0, cls="1", expect={"*": "invalid"},
         messages={"kl_normal": "is a FIFO"}),
    Case("c1_proc_self_mem", lambda ctx: _symlink_to("/proc/self/mem"), 0.0, cls="1", expect={"*": "invalid"},
         messages={"kl_normal": "symbolic link"}),
    Case("c1_sparse_tib", lambda ctx: Planted(_sparse), 0.0, cls="1", expect={"*": "invalid"},
         messages={"kl_normal": "clear its outputs"}),
    # -- class 2: a submission that points elsewhere is refused, never followed
    Case("c2_link_to_solution", lambda ctx: _symlink_to(str(paths.SOLUTIONS / f"{A}.ipynb")), 0.0, cls="2",
         expect={"*": "invalid"}, messages={"kl_normal": "symbolic link"}),
    Case("c2_link_to_classmate", lambda ctx: _symlink_to(f"../light_honest/{A}.ipynb"), 0.0, cls="2",
         expect={"*": "invalid"}, messages={"kl_normal": "symbolic link"}),
    Case("c2_folder_is_a_link", lambda ctx: Planted(_folder_symlink), 0.0, cls="2", expect={"*": "invalid"},
         messages={"kl_normal": "submission folder is a symbolic link"}),
    Case("c2_dangling_folder_link", lambda ctx: Planted(_dangling_folder_symlink), 0.0, cls="2",
         expect={"*": "invalid"}, messages={"kl_normal": "submission folder is a symbolic link"}),
    Case("c2_hardlink_outside", lambda ctx: Planted(_hardlink_outside), 0.0, cls="2", expect={"*": "invalid"},
         messages={"kl_normal": "hard link"}),
    Case("c2_device", lambda ctx: Planted(_device), 0.0, cls="2", expect={"*": "invalid"}),
    # -- class 3: nothing hidden (test source, inputs, snippets) or of the host reaches feedback
    Case("c3_replays_hidden_requests", lambda ctx: add(light(), SPY), LIGHT_POINTS - POINTS["w1_cdf"], cls="3",
         expect={"w1_cdf": "error"}, feedback=("REPLAY: ",)),
    Case("c3_forged_missing_name", lambda ctx: add(light(), FORGED_MISSING), LIGHT_POINTS - POINTS["kl_monte_carlo"],
         cls="3", expect={"kl_monte_carlo": "missing"}, feedback=("a name it needs is not defined",)),
    Case("c3_host_paths", lambda ctx: add(light(), HOST_PATHS), LIGHT_POINTS - POINTS["kl_normal"], cls="3",
         expect={"kl_normal": "error"}, messages={"kl_normal": "<course>"},
         absent=(str(paths.ROOT), '"binds"', '"rlimits"')),
    # -- class 4: what the TA opens (names are cheap to test on submissions without a notebook)
    Case("c4_formula", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"}, folder='=HYPERLINK("evil","x")'),
    Case("c4_formula_minus", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"}, folder="-2+3"),
    Case("c4_terminal_escapes", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"},
         folder="esc\x1b[2J\x1b]0;owned\x07name"),
    Case("c4_zoe", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"}, folder="zoe"),
    Case("c4_zoe_diaeresis", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"}, folder="zo\u00eb"),
    Case("c4_zoe_acute", lambda ctx: None, 0.0, cls="4", expect={"*": "missing"}, folder="zo\u00e9"),
    Case("c4_huge_and_control_messages", lambda ctx: add(light(), 'def parallel_lines(theta):\n'
                                                                   '    return {"kl": "x" * 20_000_000, "js": 0.0, "w1": 0.0}\n\n'
                                                                   'def kl_normal(*args):\n'
                                                                   '    raise ValueError("\\x1b]0;pwned\\x07\\x1b[2J\\r=cmd")'),
         LIGHT_POINTS - POINTS["parallel_lines"] - POINTS["kl_normal"], cls="4",
         expect={"parallel_lines": "failed", "kl_normal": "error"}, messages={"kl_normal": "\\x1b]0;pwned"}),
    # -- class 5: never more than --jobs workers, none outliving its student; answers bounded
    Case("c5_forged_start_failures", lambda ctx: after_imports(after_imports(after_imports(
        light(), forge({"event": "cell_end"})), forge({"event": "cell_end", "index": 10**9})),
        forge({"event": "surprise", "index": 0})), LIGHT_POINTS, cls="5", feedback=("malformed message",)),
    Case("c5_oversized_answers", lambda ctx: add(light(), OVERSIZED_ANSWERS),
         LIGHT_POINTS - POINTS["kl_normal"] - POINTS["js_divergence"], cls="5",
         expect={"kl_normal": "error", "js_divergence": "failed"},
         messages={"kl_normal": "message too large", "js_divergence": "value too large"}),
    Case("c5_announces_huge_answer", lambda ctx: add(light(), ANNOUNCES_HUGE), LIGHT_POINTS - POINTS["w1_sorted"],
         cls="5", expect={"w1_sorted": "error"}, messages={"w1_sorted": "answer too large"}),
]


def write_class(subs, out, cases=CASES):
    """Write every case's submission under ``subs`` (the attacks may name ``subs`` and ``out``).
    Plain submissions first: planted ones may point at them."""
    ctx = {"subs": subs, "out": out}
    built = [(case, case.build(ctx)) for case in cases]
    for case, content in sorted(built, key=lambda pair: isinstance(pair[1], Planted)):
        folder = Path(os.fsdecode(os.path.join(os.fsencode(subs), os.fsencode(case.folder or case.name))))
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{A}.ipynb"
        if content is None:
            (folder / "notes.txt").write_text("forgot to submit")
        elif isinstance(content, Planted):
            content.plant(folder, target, ctx)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            nbformat.write(content, target)


def launchers(parent):
    """How many sandbox launchers (one per worker) the process ``parent`` has running now."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            if ppid == parent:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    count += b"launch.py" in f.read()
        except (OSError, ValueError, IndexError):
            continue
    return count


def run_watching_workers(command, cwd):
    """Run a grade ``command``: (its CompletedProcess, the most workers it had alive at once)."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    most, done = [0], threading.Event()

    def watch():
        while not done.is_set():
            most[0] = max(most[0], launchers(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = proc.communicate(timeout=1800)
    finally:
        done.set()
        watcher.join()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), most[0]
