"""The main job, on the embedded default data::

    python -m autograder demo [--out out/demo] [--jobs 2]

1. executes every instructor notebook with papermill in fast mode (``out/demo/executed/``);
2. rebuilds the student release (``notebooks/``) and checks it is in sync;
3. makes a small demo class per assignment: the instructor notebook, the blank release, three
   mutants (plausible student bugs) and a corrupt file;
4. grades each class through the contract and prints the grade tables.
"""
import json
import os
import shutil
import time
from pathlib import Path

import nbformat

from . import grade, mutants, paths, release

CORRUPT = b'{"cells": [{"cell_type": "code", "source": "def kl_normal('


class FigureProblems(AssertionError):
    """A solution notebook drew a figure that is wrong (``course_utils.figures``); names the cells."""


def execute_solution(name, output, cache_dir, timeout=None, fast=True, **env):
    """Run ``solutions/<name>.ipynb`` top to bottom with papermill, in fast mode unless
    ``fast=False``. Raises on a failing cell, and with ``FigureProblems`` naming the cells whose
    figures are not finite, empty, or lack a title or axis labels (``course_utils.figures``). The
    kernel inherits COURSE_FAST, MPLBACKEND, COURSE_CACHE_DIR, COURSE_FIGURE_REPORT and ``env``,
    set for this run only."""
    return execute_notebook(paths.SOLUTIONS / f"{name}.ipynb", output, cache_dir, timeout, fast=fast, **env)


def execute_notebook(source, output, cache_dir, timeout=None, check_figures=True, fast=True, **env):
    """``execute_solution`` for any notebook (``check_figures=False``: errors only)."""
    import papermill

    from course_utils import figures

    source, output = Path(source), Path(output)
    report = output.with_name(output.name + ".figures.jsonl")
    report.unlink(missing_ok=True)
    env = {"COURSE_FAST": "1" if fast else "0", "MPLBACKEND": "Agg", "COURSE_CACHE_DIR": str(cache_dir),
           **({figures.ENV: str(report)} if check_figures else {}), **env}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(str(source), str(output), parameters={"FAST": fast},
                                   kernel_name="python3", cwd=str(source.parent), progress_bar=False,
                                   execution_timeout=timeout)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    if check_figures and report.exists():
        problems = _figure_problems(source, output, report)
        if problems:
            raise FigureProblems("figures that are not right:\n  " + "\n  ".join(problems))
    return output


def _figure_problems(source, output, report):
    """The report's problems, each with the cell it came from (by execution count in the output)."""
    cells = nbformat.read(source, as_version=4).cells
    index = {c.get("id"): i for i, c in enumerate(cells)}
    by_count = {c.get("execution_count"): c.get("id") for c in nbformat.read(output, as_version=4).cells
                if c.cell_type == "code"}
    lines = []
    for entry in map(json.loads, report.read_text(encoding="utf-8").splitlines()):
        cell_id = entry.get("cell_id") or by_count.get(entry.get("execution_count"))
        i = index.get(cell_id)
        if i is None:
            where = f"the cell executed as [{entry.get('execution_count')}]"
        else:
            first = (cells[i].source.strip().splitlines() or [""])[0][:60]
            where = f"cell {i + 1} (id {cell_id}, {first!r})"
        lines += [f"{source.name}, {where}: {p}" for p in entry["problems"]]
    return lines


def execute_solutions(out):
    timings = {}
    for name in paths.assignments():
        start = time.perf_counter()
        execute_solution(name, out / "executed" / f"{name}.ipynb", out / "cache")
        timings[name] = time.perf_counter() - start
        print(f"  {name}: executed in {timings[name]:.0f} s")
    return timings


def demo_class(name, folder):
    sol = mutants.solution(name)
    students = {"instructor": sol,
                "blank": nbformat.read(paths.NOTEBOOKS / f"{name}.ipynb", as_version=4)}
    for m in mutants.load(name)[:3]:
        students[f"bug-{m.name}"] = mutants.apply(m, name)
    for student, nb in students.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / student / f"{name}.ipynb")
    (folder / "corrupt-file").mkdir(exist_ok=True)
    (folder / "corrupt-file" / f"{name}.ipynb").write_bytes(CORRUPT)
    return folder


def main(args):
    out = Path(args.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    (out / "executed").mkdir(parents=True)
    start = time.perf_counter()
    print("1. Executing every solution notebook (fast mode)")
    execute_solutions(out)
    print("2. Building the student release")
    if release.release(out=lambda line: print("  " + line)):
        return 1
    if release.release(check=True, out=lambda line: print("  " + line)):
        return 1
    print("3-4. Grading a demo class per assignment")
    for name in paths.assignments():
        subs = demo_class(name, out / "class" / name)
        rows = grade.grade(name, subs, out / "grades" / name, jobs=args.jobs, progress=lambda *_: None)
        print(f"\n{name}  (out/demo/grades/{name}/grades.csv)\n{grade.table(rows)}")
    print(f"\nDone in {time.perf_counter() - start:.0f} s. Feedback pages: {out / 'grades'}/*/feedback/")
    return 0
