"""``python -m autograder similarity A SUBS --out DIR``: ranked pairs of answers that share code.

A small class of 01_divergences: ann (the reference answers), ann's answers with every variable
renamed, comments added and lines re-spaced, bob and cat who wrote their own answers, the blank
release, a student who pasted the release's provided code into a new cell, and one whose added
cell would leave a file behind if anything ran it.
"""
import csv
import json
import re
import subprocess
import sys

import nbformat
import pytest

import adversarial
from autograder import similarity
from conftest import ROOT

A = "01_divergences"
RENAMES = {"mu1": "m_p", "sigma1": "s_p", "mu2": "m_q", "sigma2": "s_q", "terms": "pieces", "points": "grid",
           "widths": "gaps", "left": "lo", "eps": "alpha", "x_hat": "mixed", "grad": "g", "root2": "r",
           "cross": "middle", "squared": "dist2", "eigvals": "lam", "eigvecs": "vecs"}
BOB = {  # his own answers: loops, other formulas, other library calls
    "kl_normal": "    var_ratio = sigma1 ** 2 / sigma2 ** 2\n"
                 "    mean_term = ((mu2 - mu1) / sigma2) ** 2\n"
                 "    return 0.5 * (var_ratio + mean_term - 1.0 - torch.log(var_ratio))",
    "kl_monte_carlo": "    total = 0.0\n    draws = p.sample(torch.Size([n]))\n"
                      "    for d in draws:\n        total = total + p.log_prob(d) - q.log_prob(d)\n    return total / n",
    "js_divergence": "    mid = (p + q) / 2\n    out = torch.tensor(0.0)\n    for a, b, c in zip(p, q, mid):\n"
                     "        if a > 0:\n            out = out + 0.5 * a * torch.log(a / c)\n"
                     "        if b > 0:\n            out = out + 0.5 * b * torch.log(b / c)\n    return out",
    "w1_sorted": "    xs, _ = torch.sort(x)\n    ys, _ = torch.sort(y)\n    return torch.mean(torch.abs(xs - ys))",
    "parallel_lines": "    t = abs(float(theta))\n    same = t == 0\n"
                      "    return dict(kl=0.0 if same else float('inf'), js=0.0 if same else math.log(2.0), w1=t)",
}
CAT = {
    "kl_normal": "    log_ratio = torch.log(sigma2) - torch.log(sigma1)\n"
                 "    return log_ratio + (sigma1.pow(2) + (mu1 - mu2).pow(2)) / (2 * sigma2.pow(2)) - 0.5",
    "js_divergence": "    m = (p + q) * 0.5\n    safe = lambda a: torch.where(a > 0, a, torch.ones_like(a))\n"
                     "    kl_pm = torch.sum(p * (torch.log(safe(p)) - torch.log(safe(m))))\n"
                     "    kl_qm = torch.sum(q * (torch.log(safe(q)) - torch.log(safe(m))))\n    return (kl_pm + kl_qm) / 2",
    "w1_sorted": "    n = x.shape[0]\n    gaps = torch.sort(x)[0] - torch.sort(y)[0]\n    return gaps.abs().sum() / n",
    "sqrtm_psd": "    u, s, vt = torch.linalg.svd(S)\n    return u @ torch.diag(torch.sqrt(s)) @ vt",
}
OWN_W1 = ("    diffs = [abs(a - b) for a, b in zip(sorted(x.tolist()), sorted(y.tolist()))]\n"
          "    return torch.tensor(sum(diffs) / len(diffs))")
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError"


def own_answers(answers):
    """The blank release with these function bodies in place of the stubs."""
    nb = adversarial.blank()
    for cell in nb.cells:
        for name, body in answers.items():
            at = cell.source.find(f"def {name}(")
            if at >= 0:
                stub = cell.source.index(STUB, at)
                cell.source = cell.source[:stub] + body + cell.source[stub + len(STUB):]
    return nb


def renamed_copy():
    nb = adversarial.light()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            for old, new in RENAMES.items():
                cell.source = re.sub(rf"\b{old}\b", new, cell.source)
            cell.source = "# my own work\n" + cell.source.replace(" = ", "  =  ").replace("\n\n", "\n\n\n")
    return nb


def pasted_template():
    nb = adversarial.blank()
    provided = [c.source for c in nb.cells if c.cell_type == "code" and "def make_critic(" in c.source]
    return adversarial.add(nb, provided[0])


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    base = tmp_path_factory.mktemp("similarity")
    marker = base / "RAN"
    subs = base / "subs"
    students = {"ann": adversarial.light(), "ann_copy": renamed_copy(), "bob": own_answers(BOB),
                "cat": own_answers(CAT), "blank": adversarial.blank(), "pasted_template": pasted_template(),
                "would_run": adversarial.add(own_answers({"w1_sorted": OWN_W1}),
                                             f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')")}
    for name, nb in students.items():
        folder = subs / name / (A if name == "cat" else "")  # cat's as nbgrader collects it
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
    runs = []
    for i in range(2):
        result = subprocess.run([sys.executable, "-m", "autograder", "similarity", A, str(subs), "--out",
                                 str(base / f"out{i}")], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        with open(base / f"out{i}" / "similarity.csv", newline="") as f:
            runs.append(list(csv.DictReader(f)))
    return {"runs": runs, "marker": marker, "out": base / "out0",
            "page": (base / "out0" / "similarity.html").read_text(),
            "skipped": json.loads((base / "out0" / "not_compared.json").read_text())["not_compared"]}


def score(rows, a, b):
    return next(float(r["score"]) for r in rows if {r["student_a"], r["student_b"]} == {a, b})


def test_a_copy_with_renamed_variables_ranks_first(ranked):
    rows = ranked["runs"][0]
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"ann", "ann_copy"}
    assert float(rows[0]["score"]) >= 0.9
    assert all(float(r["score"]) <= 0.5 for r in rows[1:]), rows[1:4]
    assert "<h2 id='pair1'>1. ann and ann_copy: 99%</h2>" in ranked["page"] and "<mark>" in ranked["page"]


def test_own_answers_are_not_flagged(ranked):
    rows = ranked["runs"][0]
    for a, b in (("bob", "cat"), ("ann", "bob"), ("ann", "cat"), ("ann_copy", "bob"), ("bob", "would_run")):
        assert score(rows, a, b) <= 0.5, (a, b, score(rows, a, b))


def test_the_release_template_alone_is_similar_to_nothing(ranked):
    skipped = ranked["skipped"]
    assert skipped == {"blank": "no code beyond the release's template",
                       "pasted_template": "no code beyond the release's template"}
    names = {r["student_a"] for r in ranked["runs"][0]} | {r["student_b"] for r in ranked["runs"][0]}
    assert names == {"ann", "ann_copy", "bob", "cat", "would_run"}
    template = similarity.release_code(A)
    assert not similarity.fingerprint(template, similarity.fingerprint(template).hashes).hashes


def test_the_ranking_is_the_same_on_every_run(ranked):
    first, second = ranked["runs"]
    assert first == second and len(first) == 10  # 5 answers: 10 pairs


def test_student_code_is_read_never_run(ranked):
    assert any("would_run" in (r["student_a"], r["student_b"]) for r in ranked["runs"][0]), "it was compared"
    assert not ranked["marker"].exists(), "its cell would have written this file"
