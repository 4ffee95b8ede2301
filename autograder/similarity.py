"""Which students' answers look copied: pairs ranked by shared code. Student code is never run.

    python -m autograder similarity ASSIGNMENT SUBMISSIONS --out DIR

``SUBMISSIONS`` in either layout (``<student>/<A>.ipynb`` or nbgrader's collected
``<student>/<A>/<A>.ipynb``). A student's *answer* is the code they wrote: the lines of their
code cells that the release (``notebooks/<A>.ipynb``) does not have, so the template around each
``# YOUR CODE HERE`` (signature, docstring, provided code, demos) is excluded, and cells a student
added count as theirs. Answers are compared with copydetect (PyPI), the winnowing algorithm of
MOSS (Schleimer, Wilkerson and Aiken, SIGMOD 2003): its tokenizer replaces every identifier and
string by a placeholder, so renamed variables, new comments or re-spacing change nothing. Two
choices on top of it:

* fingerprints of the release's own code are boilerplate, and so is a fingerprint found in more
  than 10 answers and a fifth of them (MOSS's ``-m``, default 10: a course's idioms are no
  evidence of copying). Answers made mostly of such shared code are listed apart, since a
  solution copied by half the class would hide there;
* k-grams are hashed with BLAKE2b instead of Python's salted ``hash()`` (which copydetect uses),
  so the same submissions give the same ranking on every run.

A pair's score is the larger of the two shares of copied tokens (copydetect's similarity for
each side), so copying a part of someone's answer still ranks. Writes ``DIR/similarity.html``
(ranked pairs, the shared code highlighted side by side) and ``DIR/similarity.csv`` (every pair).
"""
import csv
import hashlib
import html
import io
import itertools
import json
from pathlib import Path

import numpy as np

from . import paths
from .grade import SetupError, report, submission
from .grade.collected import notebook_of

NOISE = 25            # copydetect's noise threshold: matches shorter than this many tokens are ignored
GUARANTEE = 30        # copydetect's guarantee threshold: matches this long are always found
COMMON = (10, 0.2)    # a fingerprint in more answers than both (a count, a share) is an idiom (MOSS -m)
MOSTLY_COMMON = 0.8   # answers whose fingerprints are mostly idioms are listed apart
MIN_TOKENS = 40       # fewer shared tokens than this is no evidence, whatever the share
SHOWN = 20            # pairs shown with their code


def release_code(assignment):
    path = paths.NOTEBOOKS / f"{assignment}.ipynb"
    if not path.is_file():
        raise SetupError(f"no release notebook {path}: run `python -m autograder release`?")
    return "\n".join(submission.code_cells(path))


def answer(cells, template_lines):
    """The student's own lines: every code-cell line the release does not have (stripped)."""
    kept = []
    for source in cells:
        lines = [l for l in source.splitlines() if l.strip() and l.strip() not in template_lines]
        if lines:
            kept.append("\n".join(lines))
    return "\n\n".join(kept)


def read_answers(assignment, submissions):
    """({student: answer code}, {student: why it has none})."""
    template = {l.strip() for l in release_code(assignment).splitlines() if l.strip()}
    answers, none = {}, {}
    folders = sorted(p for p in Path(submissions).iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in folders:
        path = notebook_of(folder, assignment)
        try:
            if path is None:
                raise submission.Unusable("missing", f"no {assignment}.ipynb")
            code = answer(submission.code_cells(path), template)  # reads JSON: nothing is executed
        except submission.Unusable as problem:
            none[folder.name] = f"{problem.status}: {problem}"
            continue
        if code.strip():
            answers[folder.name] = code
        else:
            none[folder.name] = "no code beyond the release's template"
    return answers, none


def _kgram_hashes(text, k):
    """Deterministic 64-bit hashes of every k-gram (copydetect's use Python's salted hash())."""
    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + k].encode(), digest_size=8).digest(),
                                    "little", signed=True) for i in range(len(text) - k + 1)], dtype=np.int64)


def fingerprint(code, boilerplate=()):
    """A copydetect ``CodeFingerprint`` of ``code`` with deterministic hashes."""
    from copydetect import CodeFingerprint
    from copydetect.utils import filter_code, get_token_coverage, winnow

    filtered, offsets = filter_code(code, "answer.py")
    hashes, idx = winnow(_kgram_hashes(filtered, NOISE), GUARANTEE - NOISE + 1, remove_duplicates=False)
    if len(boilerplate) and len(hashes):
        keep = ~np.isin(hashes, np.fromiter(boilerplate, dtype=np.int64))
        hashes, idx = hashes[keep], idx[keep]
    fp = CodeFingerprint.__new__(CodeFingerprint)  # the library's own comparison runs on it unchanged
    hash_idx = {}
    for h, i in zip(hashes.tolist(), idx.tolist()):
        hash_idx.setdefault(h, []).append(i)
    fp.filename, fp.raw_code, fp.filtered_code, fp.offsets, fp.k = "answer.py", code, filtered, offsets, NOISE
    fp.hashes, fp.hash_idx = set(hash_idx), hash_idx
    fp.token_coverage = get_token_coverage(hash_idx, NOISE, len(filtered))
    return fp


def compare(answers, assignment):
    """Every pair, most similar first: dicts with a, b, score, shares and the copied slices."""
    from copydetect import compare_files

    boilerplate = set(fingerprint(release_code(assignment)).hashes)
    raw = {s: fingerprint(code, boilerplate) for s, code in answers.items()}
    seen = {}
    for fp in raw.values():
        for h in fp.hashes:
            seen[h] = seen.get(h, 0) + 1
    limit = max(COMMON[0], COMMON[1] * len(raw))
    common = {h for h, n in seen.items() if n > limit}
    prints = {s: fingerprint(code, boilerplate | common) for s, code in answers.items()}
    mostly_common = {s: len(raw[s].hashes & common) / len(raw[s].hashes) for s in raw
                     if raw[s].hashes and len(raw[s].hashes & common) >= MOSTLY_COMMON * len(raw[s].hashes)}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        tokens, (share_a, share_b), slices = compare_files(prints[a], prints[b])
        tokens = int(tokens)
        score = max(share_a, share_b) if tokens >= MIN_TOKENS else 0.0
        pairs.append({"a": a, "b": b, "score": round(float(score), 4), "share_a": round(float(share_a), 4),
                      "share_b": round(float(share_b), 4), "tokens": tokens, "slices": slices})
    pairs.sort(key=lambda p: (-p["score"], -p["tokens"], p["a"], p["b"]))
    return pairs, {"ignored": len(common), "mostly_common": mostly_common}


def _highlight(code, slices):
    from copydetect.utils import highlight_overlap

    if slices is None or len(slices) == 0 or np.asarray(slices).size == 0:
        return html.escape(code)
    marked, _ = highlight_overlap(code, np.asarray(slices), "<mark>", "</mark>", escape_html=True)
    return marked


def page(assignment, answers, none, pairs, common):
    e = html.escape
    parts = ["<!doctype html><meta charset='utf-8'>", f"<title>{e(assignment)}: similar answers</title>",
             "<style>body{font:14px system-ui,sans-serif;margin:1em 2em}table{border-collapse:collapse}"
             "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
             "pre{background:#f6f8fa;padding:.5em;white-space:pre-wrap;font-size:12px;margin:0}"
             "mark{background:#ffd54f}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
             ".high{color:#b42318;font-weight:bold}</style>",
             f"<h1>{e(assignment)}: answers that share code</h1>",
             f"<p>{len(answers)} answers compared ({len(pairs)} pairs) with copydetect's winnowing on "
             f"identifier-blind tokens; the release's template and {common['ignored']} fingerprints found in more "
             f"than {COMMON[0]} answers and {COMMON[1]:.0%} of them are ignored. Score: the larger share of either answer found in the "
             "other. A high score is a reason to look, not a verdict.</p>"]
    top = [p for p in pairs if p["score"] > 0]
    parts.append("<table><tr><th>#</th><th>student</th><th>student</th><th>score</th><th>shares</th>"
                 "<th>shared tokens</th></tr>")
    for i, p in enumerate(top, 1):
        cls = " class='high'" if p["score"] >= 0.8 else ""
        parts.append(f"<tr><td>{i}</td><td><a href='#pair{i}'>{e(p['a'])}</a></td><td>{e(p['b'])}</td>"
                     f"<td{cls}>{p['score']:.0%}</td><td>{p['share_a']:.0%} / {p['share_b']:.0%}</td>"
                     f"<td>{p['tokens']}</td></tr>")
    parts.append("</table>")
    if not top:
        parts.append("<p>No pair shares enough code to rank.</p>")
    if common["mostly_common"]:
        parts.append("<h2>Answers made mostly of code many others share</h2><p>Not evidence between any two "
                     "students, but look: a solution passed around a large part of the class ends here.</p><ul>"
                     + "".join(f"<li>{e(s)}: {share:.0%} of its fingerprints</li>"
                               for s, share in sorted(common["mostly_common"].items())) + "</ul>")
    if none:
        parts.append("<h2>Not compared</h2><ul>" + "".join(f"<li>{e(s)}: {e(why)}</li>" for s, why in sorted(none.items()))
                     + "</ul>")
    for i, p in enumerate(top[:SHOWN], 1):
        slices_a, slices_b = p["slices"]
        parts.append(f"<h2 id='pair{i}'>{i}. {e(p['a'])} and {e(p['b'])}: {p['score']:.0%}</h2><div class='pair'>"
                     f"<pre>{_highlight(answers[p['a']], slices_a)}</pre><pre>{_highlight(answers[p['b']], slices_b)}</pre>"
                     "</div>")
    return "\n".join(parts) + "\n"


def similarity(assignment, submissions, out):
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise SetupError(f"submissions folder {submissions} does not exist")
    answers, none = read_answers(assignment, submissions)
    pairs, common = compare(answers, assignment)
    report.atomic_write(out / "similarity.html", page(assignment, answers, none, pairs, common))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "student_a", "student_b", "score", "share_a", "share_b", "shared_tokens"])
    for i, p in enumerate(pairs, 1):
        writer.writerow([i, p["a"], p["b"], p["score"], p["share_a"], p["share_b"], p["tokens"]])
    report.atomic_write(out / "similarity.csv", buffer.getvalue())
    report.atomic_write(out / "not_compared.json", json.dumps(
        {"not_compared": none, "mostly_common": common["mostly_common"]}, indent=1, sort_keys=True))
    return pairs, none


def main(args):
    pairs, none = similarity(args.assignment, args.submissions, args.out)
    top = ", ".join(f"{p['a']}/{p['b']} {p['score']:.0%}" for p in pairs[:3] if p["score"] > 0) or "none"
    print(f"wrote {Path(args.out) / 'similarity.html'}: {len(pairs)} pairs; most similar: {top}; "
          f"{len(none)} submissions not compared")
    return 0
