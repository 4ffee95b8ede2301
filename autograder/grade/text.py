"""Text that crosses from a student to a person, made safe in one place.

Anything a student controls (folder names, exception messages, values echoed in a check's
message) may hold lone surrogates (which no UTF-8 file can store), terminal escape sequences,
spreadsheet formulas, the grader's own paths (the sandbox cannot hide the course's location:
the venv and the mount table show it), or megabytes. Every such string passes through
``clean`` before it reaches a file or a terminal:

* lone surrogates become U+FFFD; control characters (C0, C1, bidirectional overrides) are
  written as ``\\x1b``-style escapes, so a terminal or an editor shows them instead of obeying;
* the grader's folders (the course, its Python, SUBMISSIONS_DIR, OUT_DIR, scratch) become
  ``<course>``, ``<submissions>``...;
* the result is cut to a few KB with a note saying so.

``csv_cell`` neutralises spreadsheet formulas (OWASP's CSV-injection rule) and ``file_stem``
turns a student id into a file name that no other id maps to.
"""
import hashlib
import re
import sys

from .. import paths

MESSAGE_CHARS = 2000   # one grades.csv message or feedback line
DETAIL_CHARS = 8000    # one test's message in details/<student>.json (for TAs)
NAME_CHARS = 200       # a student id

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_hosts = {}  # host path -> placeholder


def hide(path, placeholder):
    """From now on, ``path`` (and its real path) is shown as ``placeholder``."""
    import os

    for p in {str(path), os.path.realpath(path)}:
        if len(p) > 1:
            _hosts[p.rstrip("/")] = placeholder


hide(paths.ROOT, "<course>")
if sys.prefix != sys.base_prefix:
    hide(sys.prefix, "<python>")


def _escape(match):
    ch = match.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def redact(text):
    for path in sorted(_hosts, key=len, reverse=True):
        if path in text:
            text = text.replace(path, _hosts[path])
    return text


def clean(text, limit=MESSAGE_CHARS, newlines=True, hide_paths=True):
    """``text`` safe to write to a file or a terminal, at most about ``limit`` characters
    (``newlines``: keep line breaks and tabs; ``hide_paths``: show the grader's folders as placeholders)."""
    text = str(text)
    whole = len(text)
    text = text[:4 * limit]  # bound the work before doing any
    text = _SURROGATE.sub("\ufffd", text)
    text = (_CONTROL if newlines else _CONTROL_ALL).sub(_escape, redact(text) if hide_paths else text)
    if len(text) > limit or whole > 4 * limit:
        text = text[:limit] + f" … (cut: {whole:,} characters in all)"
    return text


def name(raw):
    """A student id from a folder name as the OS gave it (undecodable bytes escaped), printable."""
    import os

    decoded = os.fsencode(raw).decode("utf-8", "backslashreplace")
    return clean(decoded, NAME_CHARS, newlines=False, hide_paths=False)


def terminal(line):
    """A line for the TA's terminal: nothing in it can move the cursor or recolour the screen."""
    return clean(line, 4 * MESSAGE_CHARS, newlines=False, hide_paths=False)


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def file_stem(student):
    """A file name for a student id, never shared with another id: a plain lower-case id is
    its own name; any other id keeps a readable ASCII part, plus ``~`` and a hash of the exact
    id (``~`` is not in plain names, so the two kinds never meet; lower case only, so a
    case-insensitive disk cannot merge ``Ann`` and ``ann``). The real id is written inside."""
    if _PLAIN_NAME.fullmatch(student) and student not in (".", ".."):
        return student
    readable = re.sub(r"[^a-z0-9._-]+", "_", student.lower()).strip("._-")[:60] or "student"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable}~{digest}"
