"""How well the checks teach: the mutant library graded through the contract.

    python benchmarks/mutants.py [ASSIGNMENT ...] [--out out/mutants] [--jobs 1] [--one-by-one] [--details]

For each assignment, writes a class (the instructor notebook and the mutants of
``autograder/tests/<nb>/mutants.py``), grades it with ``python -m autograder grade``'s
function, and prints from ``OUT/details/<student>.json`` (each test's status and hidden flag)
and ``grades.csv``:

* mutants caught by the public checks alone (a public test of a question the mutant targets
  fails) / all bugs (goal >= 80%), and the same for the misconceptions (must be all);
* mutants caught by public + hidden tests (must be all);
* the knock-on: points lost *outside* the questions a bug targets, in questions whose tests
  call its code (a question's grade should measure that question; with ``uses=`` the grader
  can substitute the reference);
* correct variants (``loses=[]``: a right answer written another way) that lose points (must be 0);
* the slowest question's public checks, run in this process as ``grader.check`` runs them
  in a student's kernel (fast mode, after one warm-up run; the first Adam step of a fresh
  kernel also pays about a second to import torch._dynamo).

By default the mutants are graded in batches (``autograder.mutants.batches``: mutants of
different, independent questions share a submission); the knock-on is then counted only in
questions no other member touches (a lower bound). ``--exact-knock-on`` adds one submission per
mutant whose question another question uses (the only ones that can knock on), and counts
their knock-on exactly; ``--one-by-one`` grades one submission per mutant (about ten times
longer than the batches). Run one assignment at a time while developing.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import grade, mutants, paths  # noqa: E402
from autograder.grade import report  # noqa: E402


def knock_on_candidates(assignment):
    """The mutants that touch a question whose code another question's tests use."""
    deps = mutants.Dependencies(assignment)
    used = set().union(*deps.uses.values())
    return [m for m in mutants.load(assignment) if deps.touched(m) & used]


def grade_library(assignment, out, jobs, one_by_one=False, graded=None, exact=False):
    """Grade the class (or read ``graded``, an OUT_DIR of an already graded class); returns
    ({student: (rows, tests)}, {mutant name: student}, {mutant name: student for its knock-on})."""
    if graded is None:
        extra = [(f"mutant-{m.name}", mutants.apply(m, assignment)) for m in knock_on_candidates(assignment)] \
            if exact and not one_by_one else []
        folder = mutants.write_class(assignment, out / "submissions", blank=False, batched=not one_by_one, extra=extra)
        graded = out / "graded"
        grade.grade(assignment, folder, graded, jobs=jobs, progress=lambda *_: None)
    rows = {}
    for r in grade_rows(graded / "grades.csv"):
        rows.setdefault(r.student, []).append(r)
    found = {}
    for student, student_rows in rows.items():
        details = graded / "details" / f"{report.safe_name(student)}.json"
        tests = json.loads(details.read_text()).get("tests", []) if details.exists() else []
        found[student] = (student_rows, tests)
    if one_by_one:
        where = {m.name: f"mutant-{m.name}" for m in mutants.load(assignment)}
    else:
        where = {m.name: f"batch-{k + 1}" for k, g in enumerate(mutants.batches(assignment)) for m in g}
    alone = {**where, **{m.name: f"mutant-{m.name}" for m in mutants.load(assignment) if f"mutant-{m.name}" in found}}
    return found, where, alone


def grade_rows(path):
    import csv

    with open(path, newline="") as f:
        return [report.Row(**{**r, "points": float(r["points"]), "max_points": float(r["max_points"])})
                for r in csv.DictReader(f)]


def summarise(assignment, graded, where, alone=None):
    library = mutants.load(assignment)
    deps = mutants.Dependencies(assignment)
    bugs = [m for m in library if m.loses]
    out = {"assignment": assignment, "mutants": len(bugs), "public": [], "caught": [], "misconceptions": 0,
           "misconceptions_public": [], "knock_on": {}, "variants": len(library) - len(bugs), "variants_losing": {}}
    members = {}
    for m in library:
        members.setdefault(where[m.name], []).append(m)
        members.setdefault(f"mutant-{m.name}", [m])
    for m in library:
        rows, tests = graded[where[m.name]]
        lost = {r.question: r.max_points - r.points for r in rows if r.points < r.max_points}
        mine = deps.touched(m)
        if m.correct:
            mine_lost = {q: p for q, p in lost.items() if q in mine}
            if mine_lost:
                out["variants_losing"][m.name] = mine_lost
        else:
            failed = [t for t in tests if t["question"] in m.loses and t["status"] != "passed"]
            if any(not t["hidden"] for t in failed):
                out["public"].append(m.name)
                if m.misconception:
                    out["misconceptions_public"].append(m.name)
            if any(q in lost for q in m.loses):
                out["caught"].append(m.name)
            out["misconceptions"] += m.misconception
        # knock-on: points lost in a question the mutant does not touch but whose tests use its
        # code (in a batch, only where no other member touches that question)
        student = (alone or where)[m.name]
        rows, _ = graded[student]
        lost = {r.question: r.max_points - r.points for r in rows if r.points < r.max_points}
        others = set().union(*(deps.touched(o) for o in members.get(student, [m]) if o is not m))
        graded_alone = student.startswith("mutant-")   # then every point lost elsewhere is its knock-on
        outside = {q: p for q, p in lost.items()
                   if q not in mine and q not in others and (graded_alone or deps.used_by({q}) & mine)}
        if outside:
            out["knock_on"][m.name] = outside
    solution_rows, _ = graded["solution"]
    out["solution_full"] = all(r.points == r.max_points for r in solution_rows)
    return out


def public_check_seconds(assignment):
    """{question: seconds} for its public checks, run in this process on the solution's functions."""
    import torch

    from autograder import nbload
    from course_utils import checks

    torch.set_num_threads(1)
    namespace = nbload.definitions(paths.SOLUTIONS / f"{assignment}.ipynb")
    tests = checks.load_tests(paths.CHECKS / f"{assignment}.py")
    for t in tests:                            # warm-up: imports, first optimiser steps
        checks.run_test(t, checks.LocalNotebook(namespace))
    seconds = {}
    for t in tests:
        start = time.perf_counter()
        outcome = checks.run_test(t, checks.LocalNotebook(namespace))
        seconds[t.question] = seconds.get(t.question, 0.0) + time.perf_counter() - start
        if outcome.status != "passed":
            raise SystemExit(f"{assignment}: the solution fails its public check {t.name}: {outcome.message}")
    return seconds


def percent(part, whole):
    return f"{len(part)}/{whole} ({100 * len(part) / whole:.0f}%)" if whole else "0/0"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=paths.assignments())
    parser.add_argument("--out", default="out/mutants")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--details", action="store_true", help="list the mutants behind each figure")
    parser.add_argument("--one-by-one", action="store_true", help="one submission per mutant (slow)")
    parser.add_argument("--exact-knock-on", action="store_true",
                        help="also grade alone each mutant whose question others use (exact knock-on)")
    parser.add_argument("--graded", help="summarise this already graded OUT_DIR (batched) instead of grading; "
                        "one assignment")
    parser.add_argument("--timing-only", action="store_true", help="only time the public checks")
    args = parser.parse_args(argv)
    lines = [f"{'assignment':16s} {'public/bugs':>13s} {'misconceptions':>15s} {'all tests':>13s} "
             f"{'knock-on':>14s} {'variants':>9s} {'slowest public check':>28s}"]
    problems = 0
    for assignment in args.assignments:
        seconds = public_check_seconds(assignment)
        slow_q = max(seconds, key=seconds.get)
        slowest = f"{slow_q} {seconds[slow_q]:.2f} s"
        if args.timing_only:
            print(f"{assignment}: " + ", ".join(f"{q} {s:.2f} s" for q, s in sorted(seconds.items(), key=lambda kv: -kv[1])))
            continue
        start = time.perf_counter()
        graded, where, alone = grade_library(assignment, Path(args.out).resolve() / assignment, args.jobs,
                                             args.one_by_one, Path(args.graded) if args.graded else None,
                                             args.exact_knock_on)
        s = summarise(assignment, graded, where, alone)
        knock = sum(sum(v.values()) for v in s["knock_on"].values())
        knock_on = f"{knock:g} pts, {len(s['knock_on'])} bugs"
        variants = f"{s['variants'] - len(s['variants_losing'])}/{s['variants']}"
        lines.append(f"{assignment:16s} {percent(s['public'], s['mutants']):>13s} "
                     f"{percent(s['misconceptions_public'], s['misconceptions']):>15s} "
                     f"{percent(s['caught'], s['mutants']):>13s} {knock_on:>14s} {variants:>9s} {slowest:>28s}")
        print(f"{assignment}: graded {len(graded)} submissions ({s['mutants'] + s['variants']} mutants) in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
        problems += (not s["solution_full"]) + (len(s["caught"]) < s["mutants"]) + bool(s["variants_losing"])
        problems += len(s["misconceptions_public"]) < s["misconceptions"]
        if args.details:
            missed = [m.name for m in mutants.load(assignment) if m.loses and m.name not in s["public"]]
            print(f"  {assignment}: caught only by hidden tests: {', '.join(missed) or '-'}")
            for name, lost in s["knock_on"].items():
                print(f"  {assignment}: {name} loses outside its questions: {lost}")
            for name, lost in s["variants_losing"].items():
                print(f"  {assignment}: correct variant {name} loses {lost}")
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
