"""The hostile class of `tests/adversarial.py`: cases and wall time per defect class, and what
the attackers cost the honest students.

    python benchmarks/hostile_class.py [--jobs 2] [--classes 1 2 ...] [--skip-classes]

Prints, for each class (issue 10's defect classes 1-5, "round 1" for the first audit's cases,
"control" for the honest students), the number of cases and the wall time of grading that
class alone (`python -m autograder grade --jobs J`, the suite's timeouts; a class whose links
point at `light_honest` gets it as one more student, said in the table), and the seconds its
cases took in the whole batch; then grades the whole class in one batch and the controls
alone, and prints each control's seconds in the hostile batch vs alone (the goal: within
1.5x) and the most workers alive at once.
"""
import argparse
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import adversarial  # noqa: E402
from autograder.grade import report  # noqa: E402

TIMEOUTS = ["--cell-timeout", "6", "--test-timeout", "6"]


def grade(cases, folder, jobs):
    """Grade ``cases`` in ``folder``: (wall seconds, {case: seconds}, most workers alive at once)."""
    adversarial.write_class(folder / "subs", folder / "out", cases)
    start = time.perf_counter()
    result, most = adversarial.run_watching_workers(
        [sys.executable, "-m", "autograder", "grade", adversarial.A, str(folder / "subs"), "--out", str(folder / "out"),
         "--jobs", str(jobs), *TIMEOUTS], ROOT)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"grading failed: {result.stderr[-2000:]}")
    seconds = {}
    for case in cases:
        path = folder / "out" / "details" / f"{report.safe_name(case.student)}.json"
        seconds[case.name] = json.loads(path.read_text()).get("seconds", 0.0)
    return wall, seconds, most


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--classes", nargs="*", help="only these classes (default: all)")
    parser.add_argument("--skip-classes", action="store_true", help="do not grade each class alone")
    args = parser.parse_args(argv)
    active = {p.name for p in adversarial_protections() if p.active}
    cases = [c for c in adversarial.CASES if set(c.needs) <= active]
    by_class = collections.defaultdict(list)
    for case in cases:
        by_class[case.cls].append(case)
    chosen = args.classes or sorted(by_class, key=lambda k: (not k.isdigit(), k))
    controls = by_class["control"]
    print(f"{len(cases)} cases ({len(adversarial.CASES) - len(cases)} skipped: protections inactive), "
          f"--jobs {args.jobs}, timeouts {' '.join(TIMEOUTS)}")
    support = next(c for c in controls if c.name == "light_honest")  # what class 2's links point at
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        tmp = Path(tmp)
        wall, hostile, most = grade(cases, tmp / "all", args.jobs)
        shutil.rmtree(tmp / "all", ignore_errors=True)
        print(f"whole class: {len(cases)} cases in {wall:.1f} s, at most {most} workers alive (--jobs {args.jobs})")
        print(f"{'class':>10}  {'cases':>5}  {'alone: wall s':>13}  {'most workers':>12}  {'in the batch: sum of s':>22}")
        for name in chosen:
            members = by_class[name]
            in_batch = sum(hostile[c.name] for c in members)
            alone, most_alone, note = "-", "-", ""
            if not args.skip_classes:
                extra = [support] if name == "2" else []
                wall_alone, _, most_alone = grade(members + extra, tmp / f"class-{name}", args.jobs)
                alone, note = f"{wall_alone:.1f}", " (+ light_honest)" if extra else ""
            print(f"{name:>10}  {len(members):>5}  {alone:>13}  {most_alone:>12}  {in_batch:>22.1f}{note}")
        _, alone, _ = grade(controls, tmp / "controls", args.jobs)
        print(f"{'control':>16}  {'in the batch s':>14}  {'alone s':>8}  ratio (goal <= 1.5)")
        for case in controls:
            ratio = hostile[case.name] / alone[case.name] if alone[case.name] else float("nan")
            print(f"{case.name:>16}  {hostile[case.name]:>14.1f}  {alone[case.name]:>8.1f}  {ratio:.2f}")
    return 0


def adversarial_protections():
    from autograder.sandbox import protections

    return protections().protections


if __name__ == "__main__":
    sys.exit(main())
