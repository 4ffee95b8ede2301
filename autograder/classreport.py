"""What a TA needs to see about a graded class, on one screen.

    python -m autograder report OUT_DIR

reads what ``grade`` wrote (``OUT_DIR/grades.csv`` and ``OUT_DIR/details/*.json``) and writes
``OUT_DIR/report.html`` with its figure ``OUT_DIR/report.png`` (score histogram; per question the
mean score and the pass rate) and ``OUT_DIR/report.json`` (the same numbers, for scripts):

* tests that look broken, first: a test no submission passes, and a test that fails for most
  of the submissions that pass every other test of its question (a bad test, or a
  misconception only that test catches);
* per question: mean points, pass rate (full marks), and the most frequent failure reasons with
  their counts: a public check's message as students saw it, a hidden test by name with the
  grader's message (this page is for staff: it names hidden tests);
* every ``invalid``, ``timeout`` and ``error`` row with its reason, and what failed while the
  notebook ran;
* the slowest submissions.

Student code is never run: this reads files only.
"""
import csv
import html
import json
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from .grade import SetupError, report

PROBLEMS = ("invalid", "timeout", "error")
RAN = ("passed", "failed", "error", "timeout")   # a test that ran (not: function missing, unreadable notebook)
TOP_REASONS = 3
SLOWEST = 5
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def load(out_dir):
    """(rows, {student: details}) of a graded OUT_DIR."""
    out_dir = Path(out_dir)
    path = out_dir / "grades.csv"
    if not path.is_file():
        raise SetupError(f"no grades.csv in {out_dir}: run `python -m autograder grade ... --out {out_dir}` first")
    with open(path, newline="") as f:
        rows = [report.Row(**{**r, "points": float(r["points"]), "max_points": float(r["max_points"])})
                for r in csv.DictReader(f)]
    students = list(dict.fromkeys(r.student for r in rows))
    by_file = {report.safe_name(s): s for s in students}
    details = {}
    for file in sorted((out_dir / "details").glob("*.json")):
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        student = data.get("student") if isinstance(data.get("student"), str) else by_file.get(file.stem)
        if student in by_file.values():
            details[student] = data
    return rows, details


def summarise(rows, details):
    """Every number the page shows, as plain data (also written to report.json)."""
    if not rows:
        raise SetupError("grades.csv has no rows")
    assignment = rows[0].assignment
    questions = dict.fromkeys(r.question for r in rows)
    students = list(dict.fromkeys(r.student for r in rows))
    by = {(r.student, r.question): r for r in rows}
    maximum = {q: next(r.max_points for r in rows if r.question == q) for q in questions}
    totals = {s: sum(by[(s, q)].points for q in questions if (s, q) in by) for s in students}
    outcomes = _outcomes(rows, details)
    summary = {
        "assignment": assignment,
        "students": len(students),
        "max_total": sum(maximum.values()),
        "totals": totals,
        "mean_total": statistics.fmean(totals.values()),
        "median_total": statistics.median(totals.values()),
        "questions": [],
        "suspicious": _suspicious(outcomes, questions),
        "problems": _problems(rows, details),
        "slowest": _slowest(details),
    }
    for q in questions:
        mine = [by[(s, q)] for s in students if (s, q) in by]
        summary["questions"].append({
            "question": q, "max_points": maximum[q],
            "mean": statistics.fmean(r.points for r in mine),
            "pass_rate": sum(r.status == "passed" for r in mine) / len(mine),
            "failures": _reasons([o for o in outcomes if o["question"] == q]),
        })
    return summary


def _outcomes(rows, details):
    """One entry per (student, test): from the details when the student's tests ran, else the row."""
    out = []
    for student in dict.fromkeys(r.student for r in rows):
        tests = details.get(student, {}).get("tests")
        if tests:
            out += [{"student": student, **{k: t.get(k) for k in ("question", "test", "hidden", "status", "message")}}
                    for t in tests]
        else:
            out += [{"student": student, "question": r.question, "test": None, "hidden": False,
                     "status": r.status, "message": r.message} for r in rows if r.student == student]
    return out


def _reasons(outcomes):
    """The most frequent ways a question's tests failed: (test, status) with counts, who, and up
    to two distinct messages (numbers aside)."""
    groups = defaultdict(list)
    for o in outcomes:
        if o["status"] in ("passed", "invalid"):
            continue  # unreadable notebooks are listed with the problems, not as a question's reason
        groups[(o["test"], bool(o["hidden"]), o["status"])].append(o)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
    out = []
    for (test, hidden, status), items in ranked[:TOP_REASONS]:
        messages = Counter(NUMBER.sub("#", o["message"] or "") for o in items)
        examples = [next(o["message"] for o in items if NUMBER.sub("#", o["message"] or "") == m)
                    for m, _ in messages.most_common(2)]
        out.append({"test": test, "hidden": hidden, "status": status, "count": len(items),
                    "examples": examples, "students": sorted(o["student"] for o in items)})
    return out


def _suspicious(outcomes, questions):
    """Tests that look broken: nobody passes them, or they fail code that passes everything else."""
    status = {(o["student"], o["test"]): o["status"] for o in outcomes if o["test"]}
    tests = defaultdict(dict)
    for o in outcomes:
        if o["test"]:
            tests[o["question"]][o["test"]] = bool(o["hidden"])
    students = sorted({o["student"] for o in outcomes})
    found = []
    for q in questions:
        for test, hidden in tests[q].items():
            ran = [s for s in students if status.get((s, test)) in RAN]
            passed = [s for s in ran if status[(s, test)] == "passed"]
            if len(ran) >= 2 and not passed:
                found.append({"question": q, "test": test, "hidden": hidden, "kind": "no submission passes it",
                              "count": len(ran), "of": len(ran), "students": ran})
            others = [t for t in tests[q] if t != test]
            if not others:
                continue
            looks_right = [s for s in students if all(status.get((s, t)) == "passed" for t in others)
                           and status.get((s, test)) in RAN]
            failing = [s for s in looks_right if status[(s, test)] != "passed"]
            if failing and 2 * len(failing) >= len(looks_right):
                found.append({"question": q, "test": test, "hidden": hidden,
                              "kind": "fails code that passes every other test of the question",
                              "count": len(failing), "of": len(looks_right), "students": failing})
    return found


def _problems(rows, details):
    """Per student with an invalid/timeout/error row: every such row's reason, and what failed
    while the notebook ran."""
    out = {}
    for r in rows:
        if r.status in PROBLEMS:
            entry = out.setdefault(r.student, {"student": r.student, "statuses": Counter(), "rows": []})
            entry["statuses"][r.status] += 1
            entry["rows"].append({"question": r.question, "status": r.status, "reason": r.message})
    for student, entry in out.items():
        events = [e for e in details.get(student, {}).get("cell_events", []) if e.get("status") != "note"]
        entry["events"] = [f"{'code cell ' + str(e['index'] + 1) if e.get('index', -1) >= 0 else 'the notebook'}: "
                           f"{e.get('status')}: {e.get('message')}" for e in events]
        entry["statuses"] = dict(entry["statuses"])
    return sorted(out.values(), key=lambda p: p["student"])


def _slowest(details):
    timed = [(d["seconds"], s, d) for s, d in details.items() if isinstance(d.get("seconds"), (int, float))]
    out = []
    for seconds, student, d in sorted(timed, key=lambda x: (-x[0], x[1]))[:SLOWEST]:
        tests = [t for t in d.get("tests", []) if isinstance(t.get("seconds"), (int, float))]
        worst = max(tests, key=lambda t: t["seconds"], default=None)
        out.append({"student": student, "seconds": seconds,
                    "slowest_test": worst["test"] if worst else None,
                    "test_seconds": worst["seconds"] if worst else None,
                    "starts": d.get("starts"),
                    "timeouts": sum(t.get("status") == "timeout" for t in tests)
                    + sum(e.get("status") == "timeout" for e in d.get("cell_events", []))})
    return out


def figure(summary, path):
    """Score histogram and, per question, mean score and pass rate (both in % of the class)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    questions = summary["questions"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.9 + 0.32 * max(6, len(questions))),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    top = summary["max_total"]
    step = max(1.0, top / 30)  # whole points, at most ~30 bars
    edges = [i * step for i in range(int(top // step) + 2)]
    left.hist(list(summary["totals"].values()), bins=edges, color="#4c78a8", edgecolor="white")
    left.axvline(summary["mean_total"], color="#e45756", linestyle="--", label=f"mean {summary['mean_total']:.1f}")
    left.set(xlabel=f"total points (of {top:g})", ylabel="submissions", xlim=(0, edges[-1]),
             title=f"{summary['assignment']}: {summary['students']} submissions")
    left.yaxis.get_major_locator().set_params(integer=True)
    left.legend(frameon=False)
    y = range(len(questions))
    mean = [100 * q["mean"] / q["max_points"] if q["max_points"] else 0 for q in questions]
    passed = [100 * q["pass_rate"] for q in questions]
    right.barh([i - 0.2 for i in y], mean, height=0.4, color="#4c78a8", label="mean score (% of points)")
    right.barh([i + 0.2 for i in y], passed, height=0.4, color="#f58518", label="pass rate (% full marks)")
    right.set_yticks(list(y), [q["question"] for q in questions])
    right.invert_yaxis()
    right.set(xlim=(0, 100), xlabel="%")
    right.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=2, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def page(summary, image_name):
    e = html.escape

    def test_label(test, hidden):
        return "(the notebook)" if test is None else f"<code>{e(test)}</code>" + (" <i>hidden</i>" if hidden else "")

    s = summary
    parts = ["<!doctype html><meta charset='utf-8'>", f"<title>{e(s['assignment'])}: class report</title>",
             "<style>body{font:14px system-ui,sans-serif;margin:1em 2em;max-width:100em}"
             "table{border-collapse:collapse;margin:.3em 0 1em}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;"
             "text-align:left;vertical-align:top}.bad{color:#b42318}.ok{color:#1a7f37}small{color:#555}"
             "td.num{white-space:nowrap}img{max-width:100%}h2{margin:.8em 0 .2em;font-size:1.15em}</style>",
             f"<h1>{e(s['assignment'])} <small>{s['students']} submissions, mean {s['mean_total']:.1f}, "
             f"median {s['median_total']:g} of {s['max_total']:g}</small></h1>",
             f"<img src='{e(image_name)}' alt='score histogram and per-question scores'>",
             "<h2>Tests that look broken</h2>"]
    if s["suspicious"]:
        parts.append("<table><tr><th>question</th><th>test</th><th>why</th><th>submissions</th></tr>")
        for x in s["suspicious"]:
            parts.append(f"<tr class='bad'><td>{e(x['question'])}</td><td>{test_label(x['test'], x['hidden'])}</td>"
                         f"<td>{e(x['kind'])}</td><td>{x['count']} of {x['of']}: "
                         f"<small>{e(', '.join(x['students'][:8]))}{' …' if len(x['students']) > 8 else ''}</small></td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p class='ok'>None: every test is passed by someone, and no test fails most of the code "
                     "that passes its question's other tests.</p>")
    parts.append("<h2>Questions</h2><table><tr><th>question</th><th>mean</th><th>pass rate</th>"
                 "<th>most frequent failures (count)</th></tr>")
    for q in s["questions"]:
        reasons = "<br>".join(f"{r['count']} × {test_label(r['test'], r['hidden'])} {e(r['status'])}: "
                              + " | ".join(f"<small>{e(m[:150])}</small>" for m in r["examples"])
                              for r in q["failures"]) or "—"
        parts.append(f"<tr><td>{e(q['question'])}</td><td class='num'>{q['mean']:.2f} / {q['max_points']:g}</td>"
                     f"<td class='num'>{100 * q['pass_rate']:.0f}%</td><td>{reasons}</td></tr>")
    parts.append("</table><h2>Invalid, timed out, errors</h2>")
    if s["problems"]:
        parts.append("<table><tr><th>student</th><th>rows</th><th>reasons (question: reason)</th>"
                     "<th>while the notebook ran</th></tr>")
        for p in s["problems"]:
            lines = [f"{e(r['question'])}: <span class='bad'>{e(r['status'])}</span> {e(r['reason'])}" for r in p["rows"]]
            shown = "<br>".join(lines[:3])
            if len(lines) > 3:
                shown += f"<details><summary>{len(lines) - 3} more</summary>{'<br>'.join(lines[3:])}</details>"
            events = "<br>".join(f"<small>{e(ev[:200])}</small>" for ev in p["events"][:4])
            if len(p["events"]) > 4:
                events += f"<br><small>… {len(p['events']) - 4} more</small>"
            counts = ", ".join(f"{n} {status}" for status, n in p["statuses"].items())
            parts.append(f"<tr><td>{e(p['student'])}</td><td>{e(counts)}</td><td>{shown}</td><td>{events or '—'}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p class='ok'>None.</p>")
    parts.append("<h2>Slowest submissions</h2><table><tr><th>student</th><th>seconds</th>"
                 "<th>slowest test <small>(the first test's time includes running the notebook)</small></th>"
                 "<th>timeouts</th><th>worker starts</th></tr>")
    for x in s["slowest"]:
        slow = f"<code>{e(x['slowest_test'])}</code> {x['test_seconds']:.1f} s" if x["slowest_test"] else "—"
        parts.append(f"<tr><td>{e(x['student'])}</td><td>{x['seconds']:.1f}</td><td>{slow}</td>"
                     f"<td>{x['timeouts']}</td><td>{x['starts']}</td></tr>")
    parts.append("</table>")
    return "\n".join(parts) + "\n"


def write(out_dir):
    out_dir = Path(out_dir)
    summary = summarise(*load(out_dir))
    figure(summary, out_dir / "report.png")
    report.atomic_write(out_dir / "report.html", page(summary, "report.png"))
    report.atomic_write(out_dir / "report.json", json.dumps(summary, indent=1))
    return summary


def main(args):
    s = write(args.out_dir)
    print(f"wrote {Path(args.out_dir) / 'report.html'}: {s['students']} submissions, mean {s['mean_total']:.1f} "
          f"of {s['max_total']:g}, {len(s['suspicious'])} suspicious tests, {len(s['problems'])} problems")
    return 0
