"""Command line: parses arguments and calls ``<verb>.main(args)``; nothing else lives here."""
import argparse
import sys


def parser():
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = p.add_subparsers(dest="verb", required=True)

    r = sub.add_parser("release", help="build notebooks/ and the tests from solutions/")
    r.add_argument("assignments", nargs="*", help="only these (default: all)")
    r.add_argument("--check", action="store_true", help="fail if the release is out of date")

    sub.add_parser("fmt", help="normalise solutions/*.ipynb: strip outputs, ids, kernelspec")

    g = sub.add_parser("grade", help="grade SUBMISSIONS_DIR/<student>/<ASSIGNMENT>.ipynb "
                                     "(or nbgrader's collected <student>/<ASSIGNMENT>/<ASSIGNMENT>.ipynb)")
    g.add_argument("assignment")
    g.add_argument("submissions")
    g.add_argument("--out", required=True, help="where grades.csv and feedback/ go")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    g.add_argument("--notebook-timeout", type=float, help="seconds for executing a whole notebook")
    g.add_argument("--cell-timeout", type=float, help="seconds for one cell")
    g.add_argument("--test-timeout", type=float, help="cap on every test's own time limit")
    g.add_argument("--gradebook", metavar="COURSE_DIR",
                   help="also record scores in this nbgrader course's gradebook (see `nbgrader` verb)")
    g.add_argument("--regrade", action="store_true", help="ignore the journal of an earlier run")

    e = sub.add_parser("export", help="one CSV row per student (id, per-assignment totals) for the LMS")
    e.add_argument("out_dirs", nargs="+", help="graded OUT_DIRs (each with grades.csv)")
    e.add_argument("--out", required=True)
    e.add_argument("--gradebook", metavar="COURSE_DIR", help="add manual scores from this nbgrader gradebook")

    c = sub.add_parser("report", help="OUT_DIR/report.html: what a TA needs to see about a graded class")
    c.add_argument("out_dir", help="a graded OUT_DIR (grades.csv, details/)")

    m = sub.add_parser("similarity", help="rank pairs of students whose answers share code (never runs it)")
    m.add_argument("assignment")
    m.add_argument("submissions", help="SUBMISSIONS/<student>/<A>.ipynb or nbgrader's collected tree")
    m.add_argument("--out", required=True, help="where similarity.html and similarity.csv go")

    o = sub.add_parser("gradescope", help="otter-grader autograder zip for Gradescope, from the same tests")
    o.add_argument("assignment")
    o.add_argument("--out", required=True)

    n = sub.add_parser("nbgrader", help="write an nbgrader course (source/, gradebook) from solutions/")
    n.add_argument("course_dir")
    n.add_argument("assignments", nargs="*")
    n.add_argument("--course-id", default="genmod", help="nbgrader's course id (students pass it as --course)")
    n.add_argument("--exchange", help="the exchange directory (nbgrader's Exchange.root), if not the default")

    d = sub.add_parser("demo", help="run solutions (fast), release, grade a demo class, print the table")
    d.add_argument("--out", default="out/demo")
    d.add_argument("--jobs", type=int, default=2)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.verb in ("release", "fmt"):
        from . import release as verb
    elif args.verb == "grade":
        from .grade import collected as verb
    elif args.verb == "export":
        from .grade import export as verb
    elif args.verb == "report":
        from . import classreport as verb
    elif args.verb == "similarity":
        from . import similarity as verb
    elif args.verb == "gradescope":
        from .release import otter as verb
    elif args.verb == "nbgrader":
        from .release import nbgrader as verb
    else:
        from . import demo as verb
    try:
        return verb.main(args)
    except getattr(verb, "SetupError", ()) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
