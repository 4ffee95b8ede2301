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
"""
import dataclasses
import json

import nbformat

from autograder import mutants, paths

A = "01_divergences"
HEAVY = ("kl_fits", "w1_dual")      # their answers are removed from LIGHT
LIGHT_POINTS = 21.0


@dataclasses.dataclass
class Case:
    name: str
    build: object                   # ctx -> notebook, bytes, or None (no notebook at all)
    total: float
    expect: dict = dataclasses.field(default_factory=dict)     # question -> status ("*": every question)
    messages: dict = dataclasses.field(default_factory=dict)   # question -> text in grades.csv message
    feedback: tuple = ()            # texts in feedback/<name>.html
    needs: tuple = ()               # protection names that must be active
    like: str = None                # same statuses as that case (e.g. the blank release)


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
    nb = add(blank(), "import glob\nfound = glob.glob('/tmp/grading-*/*')\nassert found, 'no other scratch folders'")
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
    Case("light_honest", lambda ctx: light(), LIGHT_POINTS),
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


def write_class(subs, out, cases=CASES):
    """Write every case's submission under ``subs`` (the attacks may name ``subs`` and ``out``)."""
    ctx = {"subs": subs, "out": out}
    for case in cases:
        folder = subs / case.name
        folder.mkdir(parents=True, exist_ok=True)
        content = case.build(ctx)
        target = folder / f"{A}.ipynb"
        if content is None:
            (folder / "notes.txt").write_text("forgot to submit")
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            nbformat.write(content, target)
