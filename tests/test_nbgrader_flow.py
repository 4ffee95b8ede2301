"""The TA's whole JupyterHub flow, end to end, with real nbgrader and real users.

An instructor and three students (real Unix accounts when root, as in CI; see
``nbgrader_accounts.py`` for the fallback) share an exchange directory. The instructor generates
and releases 01_divergences; each student fetches it, fills it in (ann: everything, ben: three
questions, eve: a hostile notebook from the adversarial suite) and submits; the instructor
collects, grades the collected tree with our sandboxed grader into the gradebook, grades ann's
derivation by hand, reads the class report and the similarity ranking, generates and releases
feedback; the students fetch it; the LMS export sums
automatic and manual points. Each step's files, owners and totals are checked.
"""
import csv
import json
import os
import subprocess
import sys
import time
import warnings

import nbformat

import adversarial
from autograder import grade, mutants, paths
from autograder.release import markers
from autograder.release import nbgrader as nbgrader_course
from conftest import ROOT
from nbgrader_accounts import people
from test_release import solution_and_hidden_lines

A = "01_divergences"
PY = sys.executable
HOSTILE = next(c for c in adversarial.CASES if c.name == "patches_comparisons")  # wrong kl_normal + patched comparisons
PARTIAL = ("kl_normal", "kl_monte_carlo", "js_divergence")
MANUAL_ANSWER = "The reverse KL is zero-forcing: $q$ avoids where $p$ is small, so it locks onto one mode."
COMMENT = "Right idea; say which term of the integrand forces it."


def hidden_lines():
    """Substantial lines only the hidden tests have (not the public checks or the release)."""
    public = (paths.CHECKS / f"{A}.py").read_text() + "\n".join(
        c.source for c in nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", 4).cells)
    public = {l.strip() for l in public.splitlines()}
    return {l.strip() for l in (paths.TESTS / A / "hidden.py").read_text().splitlines()
            if len(l.strip()) >= 20 and l.strip() not in public and not l.strip().startswith(("#", "import ", "from "))}


def assert_nothing_hidden(folder, secrets):
    for path in folder.rglob("*"):
        if path.is_file():
            lines = {l.strip() for l in path.read_text(errors="replace").splitlines()}
            leaked = sorted(secrets & lines)
            assert not leaked, f"{path} shows {len(leaked)} secret lines, e.g. {leaked[:2]}"
    assert not any("BEGIN HIDDEN TESTS" in p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def fill(nb, questions=None):
    """The fetched notebook with answers typed in: every answer cell (or those defining one of
    ``questions``' functions) gets the solution's code, and the derivation gets a sentence."""
    solved = {c.get("id"): c.source for c in mutants.student_copy(A).cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            if questions is None or any(f"def {q}(" in solved[cell.id] for q in questions):
                cell.source = solved[cell.id]
        if meta.get("grade_id") == "explain_mode_seeking" and questions is None:
            cell.source = cell.source.replace(markers.MARKDOWN_PROMPT, MANUAL_ANSWER)
    return nb


def test_release_fetch_submit_collect_grade_feedback_export():
    started = time.perf_counter()
    with people(["ta", "ann", "ben", "eve"]) as (base, who):
        ta, students = who["ta"], {k: who[k] for k in ("ann", "ben", "eve")}
        exchange = base / "exchange"  # what a hub admin creates: world-writable, as nbgrader requires
        exchange.mkdir()
        os.chmod(exchange, 0o777)
        course = ta.home / "course"
        questions = grade.load_assignment(A).questions
        auto_max = sum(questions.values())
        manual_max = sum(c.metadata["nbgrader"]["points"] for c in nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", 4).cells
                         if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))

        # -- the instructor generates and releases the assignment
        ta.run([PY, "-m", "autograder", "nbgrader", course, A, "--exchange", exchange], cwd=ROOT)
        release = nbformat.read(course / "release" / A / f"{A}.ipynb", 4)
        ours = nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", 4)
        assert [c.source for c in release.cells] == [c.source for c in ours.cells], "nbgrader's release is notebooks/"
        ta.run(["nbgrader", "release_assignment", A], cwd=course)
        outbound = exchange / nbgrader_course.COURSE_ID / "outbound" / A
        assert (outbound / f"{A}.ipynb").is_file() and (outbound / "checks" / f"{A}.py").is_file()
        assert_nothing_hidden(outbound, solution_and_hidden_lines()[A])

        # -- each student fetches, fills in and submits
        for name, student in students.items():
            config = student.mkdir(student.home / ".jupyter") / "nbgrader_config.py"
            student.write(config, nbgrader_course.student_config(exchange=exchange))
            student.run(["nbgrader", "fetch_assignment", A])
            mine = student.home / A / f"{A}.ipynb"
            assert mine.stat().st_uid == student.uid
            fetched = nbformat.read(mine, 4)
            assert [c.source for c in fetched.cells] == [c.source for c in ours.cells]
            if name == "ann":
                nb = fill(fetched)
            elif name == "ben":
                nb = fill(fetched, PARTIAL)
            else:
                nb = HOSTILE.build({"subs": base, "out": base})
            student.write(mine, nbformat.writes(nb))
            student.run(["nbgrader", "submit", A, *([] if student.real else [f"--student={student.name}"])])
        inbound = sorted((exchange / nbgrader_course.COURSE_ID / "inbound").iterdir())
        assert sorted(p.name.split("+")[0] for p in inbound) == sorted(s.name for s in students.values())
        for entry, student in zip(inbound, sorted(students.values(), key=lambda s: s.name)):
            assert entry.stat().st_uid == student.uid, "the exchange keeps who submitted"

        # -- the instructor collects
        collected = ta.run(["nbgrader", "collect", A], cwd=course)
        if ta.real:  # nbgrader checks each submission's owner against the id it claims
            assert "cheating attempt" not in collected.stderr, collected.stderr
        for student in students.values():
            folder = course / "submitted" / student.name / A
            assert (folder / f"{A}.ipynb").read_bytes() == (student.home / A / f"{A}.ipynb").read_bytes()
            assert (folder / "timestamp.txt").is_file() and (folder / "submission_secret.txt").is_file()

        # -- our grader grades the collected tree, into the gradebook
        out = ta.home / "graded" / A
        graded = ta.run([PY, "-m", "autograder", "grade", A, course / "submitted", "--out", out,
                         "--gradebook", course, "--jobs", "2"])
        with open(out / "grades.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        totals = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in {r["student"] for r in rows}}
        ann, ben, eve = (students[k].name for k in ("ann", "ben", "eve"))
        expected_eve = adversarial.statuses(HOSTILE, questions)
        assert totals == {ann: auto_max, ben: sum(questions[q] for q in PARTIAL), eve: HOSTILE.total}, graded.stdout
        assert {r["question"]: r["status"] for r in rows if r["student"] == eve} == expected_eve
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
                for student, total in totals.items():
                    sub = gb.find_submission(A, student)
                    assert sub.code_score == total and sub.timestamp is not None
                    manual = gb.find_grade("explain_mode_seeking", A, A, student)
                    assert manual.needs_manual_grade and manual.manual_score is None
        for student in students.values():
            folder = course / "autograded" / student.name / A
            assert {p.name for p in folder.iterdir()} >= {f"{A}.ipynb", "timestamp.txt", "submission_secret.txt"}
        autograded = nbformat.read(course / "autograded" / ann / A / f"{A}.ipynb", 4)
        assert any(MANUAL_ANSWER in c.source for c in autograded.cells), "formgrader shows the written answer"

        # -- what the TA reads next: the class report and the similarity ranking, from the same trees
        ta.run([PY, "-m", "autograder", "report", out])
        summary = json.loads((out / "report.json").read_text())
        assert summary["totals"] == totals and (out / "report.png").is_file()
        ta.run([PY, "-m", "autograder", "similarity", A, course / "submitted", "--out", out / "similarity"])
        with open(out / "similarity" / "similarity.csv", newline="") as f:
            pairs = {frozenset((r["student_a"], r["student_b"])): float(r["score"]) for r in csv.DictReader(f)}
        assert pairs[frozenset((ann, ben))] >= 0.9, "ben's three answers are ann's (both typed the reference)"

        # -- a TA grades ann's derivation by hand (tests/test_formgrader.py does it in the browser)
        ta.run([PY, "-c", f"""
import warnings; warnings.simplefilter("ignore")
from nbgrader.api import Gradebook
with Gradebook("sqlite:///{course / 'gradebook.db'}") as gb:
    gb.find_grade("explain_mode_seeking", "{A}", "{A}", "{ann}").manual_score = 1.5
    gb.find_comment("explain_mode_seeking", "{A}", "{A}", "{ann}").manual_comment = "{COMMENT}"
    gb.db.commit()
"""])

        # -- feedback: generated, released, fetched by each student
        ta.run(["nbgrader", "generate_feedback", A], cwd=course)
        ta.run(["nbgrader", "release_feedback", A], cwd=course)
        assert len(list((exchange / nbgrader_course.COURSE_ID / "feedback").glob("*.html"))) == 3
        for name, student in students.items():
            student.run(["nbgrader", "fetch_feedback", A, *([] if student.real else [f"--student={student.name}"])])
            [page] = (student.home / A / "feedback").glob(f"*/{A}.html")
            assert page.read_bytes() == (course / "feedback" / student.name / A / f"{A}.html").read_bytes()
            assert page.stat().st_uid == student.uid
            text = page.read_text()
            total = totals[student.name] + (1.5 if name == "ann" else 0)
            assert f"Score: {total:.1f} / {auto_max + manual_max:.1f}" in text
            assert_nothing_hidden(student.home / A / "feedback", hidden_lines())
        eve_page = next((students["eve"].home / A / "feedback").glob(f"*/{A}.html")).read_text()
        assert "kl_normal: 0 / 3 (failed)" in eve_page, "the grader's verdict sits under grader.check"
        assert COMMENT in next((students["ann"].home / A / "feedback").glob(f"*/{A}.html")).read_text()

        # -- the LMS export sums automatic and manual points
        lms = ta.home / "lms.csv"
        ta.run([PY, "-m", "autograder", "export", out, "--out", lms, "--gradebook", course])
        with open(lms, newline="") as f:
            exported = {r["student"]: float(r["total"]) for r in csv.DictReader(f)}
        assert exported == {ann: auto_max + 1.5, ben: totals[ben], eve: totals[eve]}

        log = ta.log
    elapsed = time.perf_counter() - started
    print(f"\nnbgrader flow: {elapsed:.0f} s in all; steps (person, command, seconds):")
    for entry in log:
        print("  ", *entry)


def test_tampered_or_unreadable_notebooks_cannot_break_formgrader_or_feedback(tmp_path):
    """What reaches autograded/ (formgrader, generate_feedback) takes its nbgrader metadata from the
    release: edited points, a duplicated or invented grade id, deleted metadata change nothing;
    a file that is not a notebook becomes a page that says why it scored 0."""
    from autograder.grade import gradebook, report

    course = nbgrader_course.course(tmp_path / "course", [A], exchange=tmp_path)
    tampered = mutants.student_copy(A)
    cells = tampered.cells
    check = next(c for c in cells if c.source.strip() == 'grader.check("js_divergence")')
    del check.metadata["nbgrader"]                                    # metadata deleted
    next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "kl_normal").metadata["nbgrader"]["points"] = 100
    manual = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "explain_mode_seeking")
    cells.append(nbformat.from_dict(json.loads(json.dumps(manual))))  # a grade id twice
    cells[-1]["id"] = "copy-of-manual"
    cells.append(nbformat.v4.new_code_cell("bonus = 1", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 50, "grade_id": "bonus", "schema_version": 3}}))
    questions = grade.load_assignment(A).questions
    students = {"tampered": nbformat.writes(tampered).encode(), "unreadable": b'{"cells": ['}
    for name, data in students.items():
        (tmp_path / "subs" / name).mkdir(parents=True)
        (tmp_path / "subs" / name / f"{A}.ipynb").write_bytes(data)
        status, message = ("passed", "") if name == "tampered" else ("invalid", "the file is not valid notebook JSON")
        rows = [report.Row(name, A, q, pts if name == "tampered" else 0.0, pts, status, message) for q, pts in questions.items()]
        gradebook.record(course, A, name, tmp_path / "subs" / name / f"{A}.ipynb", rows)

    release = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]
               for c in nbformat.read(course / "release" / A / f"{A}.ipynb", 4).cells if c.metadata.get("nbgrader")}
    copy = nbformat.read(course / "autograded" / "tampered" / A / f"{A}.ipynb", 4)
    kept = [c.metadata["nbgrader"] for c in copy.cells if "nbgrader" in c.metadata]
    assert sorted(m["grade_id"] for m in kept) == sorted(release) and all(m == release[m["grade_id"]] for m in kept)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", A], cwd=course,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {name: (course / "feedback" / name / A / f"{A}.html").read_text() for name in students}
    full = sum(m["points"] for m in release.values() if m.get("grade"))
    assert f"Score: {sum(questions.values()):.1f} / {full:.1f}" in pages["tampered"]
    assert "could not be graded" in pages["unreadable"] and "not valid notebook JSON" in pages["unreadable"]
