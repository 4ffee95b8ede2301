"""Grading speed: the course's grader vs `nbgrader autograde` and `otter run`, same submissions.

    python benchmarks/grading.py [--assignment 01_divergences] [--sizes 20 100] [--jobs 1 2]
                                 [--skip-nbgrader] [--otter-sample K] [--nbgrader-sample K]

Generates N submissions (solved copies, blank releases and mutants, in rotation) and grades them
with `python -m autograder grade --jobs J`; with `nbgrader autograde` in an nbgrader course
generated from the same source (one process, serial); and with `otter run` on the Gradescope
zip generated from the same tests (one process per submission, serial). `--otter-sample K` and
`--nbgrader-sample K` time those on the first K submissions only and extrapolate their totals
(marked "~"; both grade one submission after another, so the total is linear in N).
Prints median seconds per submission, totals and ratios.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import mutants, paths  # noqa: E402
from autograder.release import nbgrader as nbgrader_course  # noqa: E402
from autograder.release import otter as otter_zip  # noqa: E402


def make_submissions(assignment, n):
    pool = [("solved", mutants.student_copy(assignment)),
            ("blank", nbformat.read(paths.NOTEBOOKS / f"{assignment}.ipynb", as_version=4))]
    pool += [(m.name, mutants.apply(m, assignment)) for m in mutants.load(assignment)]
    return [(f"s{i:03d}-{pool[i % len(pool)][0]}", pool[i % len(pool)][1]) for i in range(n)]


def ours(assignment, submissions, jobs, work):
    folder = work / f"ours-{len(submissions)}-{jobs}"
    for student, nb in submissions:
        (folder / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, folder / "subs" / student / f"{assignment}.ipynb")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, str(folder / "subs"),
                    "--out", str(folder / "out"), "--jobs", str(jobs)], cwd=ROOT, check=True, capture_output=True)
    total = time.perf_counter() - start
    per = [json.loads(p.read_text())["seconds"] for p in (folder / "out" / "details").glob("*.json")]
    return total, statistics.median(per)


def nbgrader(assignment, submissions, work, sample=None):
    course = nbgrader_course.course(work / f"nbgrader-{len(submissions)}", [assignment])
    chosen = submissions[:sample] if sample else submissions
    for student, nb in chosen:
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        nbformat.write(nb, target / f"{assignment}.ipynb")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--create", "--force"],
                   cwd=course, check=True, capture_output=True)
    total = time.perf_counter() - start
    # one process, one submission after another: a sample extrapolates linearly
    return total * len(submissions) / len(chosen), total / len(chosen), len(chosen) < len(submissions)


def otter(assignment, submissions, work, sample=None):
    folder = work / f"otter-{len(submissions)}"
    folder.mkdir()
    archive = otter_zip.build(assignment, folder)
    chosen = submissions[:sample] if sample else submissions
    times = []
    for student, nb in chosen:
        (folder / student).mkdir()
        nbformat.write(nb, folder / student / "submission.ipynb")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(archive), "submission.ipynb", "-o", ".",
                        "--no-logo"], cwd=folder / student, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return sum(times) * len(submissions) / len(chosen), statistics.median(times), len(chosen) < len(submissions)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="01_divergences")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--skip-otter", action="store_true")
    parser.add_argument("--otter-sample", type=int, help="time otter on this many submissions, extrapolate")
    parser.add_argument("--nbgrader-sample", type=int, help="time nbgrader on this many submissions, extrapolate")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    print(f"assignment {args.assignment}; work folder {work}")
    print(f"{'grader':<26}{'N':>5}{'median s/sub':>14}{'total s':>10}{'s/sub':>8}")
    results = {}
    for n in args.sizes:
        subs = make_submissions(args.assignment, n)
        for jobs in args.jobs:
            total, median = ours(args.assignment, subs, jobs, work)
            results[("ours", n, jobs)] = total
            print(f"{'autograder --jobs ' + str(jobs):<26}{n:>5}{median:>14.2f}{total:>10.1f}{total / n:>8.2f}", flush=True)
        if not args.skip_nbgrader:
            total, per, estimated = nbgrader(args.assignment, subs, work, args.nbgrader_sample)
            results[("nbgrader", n, 1)] = total
            mark = "~" if estimated else " "
            print(f"{'nbgrader autograde':<26}{n:>5}{per:>14.2f}{mark}{total:>9.1f}{per:>8.2f}", flush=True)
            for jobs in args.jobs:
                print(f"{'  ratio nbgrader / ours j' + str(jobs):<26}{n:>5}{total / results[('ours', n, jobs)]:>14.2f}x")
        if not args.skip_otter:
            total, median, estimated = otter(args.assignment, subs, work, args.otter_sample)
            mark = "~" if estimated else " "
            print(f"{'otter run':<26}{n:>5}{median:>14.2f}{mark}{total:>9.1f}{total / n:>8.2f}", flush=True)
            for jobs in args.jobs:
                print(f"{'  ratio otter / ours j' + str(jobs):<26}{n:>5}{total / results[('ours', n, jobs)]:>14.2f}x")


if __name__ == "__main__":
    main()
