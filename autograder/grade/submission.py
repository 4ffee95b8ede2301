"""Reading submissions without trusting them: every way one can be broken gets a reason.

Submissions arrive from zips, git (GitHub Classroom keeps symbolic links) and the nbgrader
exchange, so a "notebook" may be a link to the instructor's solution or a classmate's work, a
hard link to a file elsewhere, a FIFO that blocks a reader, a device, or a sparse file of a
terabyte. ``read`` decides from ``lstat`` before opening anything, opens with ``O_NOFOLLOW``
relative to a descriptor of the student's folder (itself opened with ``O_NOFOLLOW``), checks
that what it opened is what it examined, and reads at most ``MAX_BYTES``: no path is ever
followed out of SUBMISSIONS_DIR, and nothing is read before it is known to be a plain file of
a sane size. Both layouts are read so: ``<student>/<A>.ipynb`` and nbgrader's collected
``<student>/<A>/<A>.ipynb`` (the flat one wins). ``students`` lists the folders (symbolic links
among them, to be refused), with printable, unique ids even for names that are not UTF-8.
"""
import json
import os
import stat
from pathlib import Path

from . import text

MAX_BYTES = 64 << 20


class Unusable(Exception):
    """The submission cannot be graded; ``status`` is "missing" or "invalid"."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def students(submissions_dir):
    """{student id: folder name} for every student folder, sorted by id. Folders whose names
    start with a dot are not students; symbolic links (to a folder, a file or nowhere) are
    listed, for ``read`` to refuse, so the TA sees a row; ids are printable and unique (a clash
    gets ``~2``, ``~3``)."""
    found = []
    with os.scandir(submissions_dir) as entries:
        for entry in entries:
            try:
                if not entry.name.startswith(".") and (entry.is_dir(follow_symlinks=False) or entry.is_symlink()):
                    found.append(entry.name)
            except OSError:
                continue
    out = {}
    for folder in sorted(found, key=os.fsencode):
        sid, n = text.name(folder), 1
        while sid in out:
            n += 1
            sid = f"{text.name(folder)}~{n}"
        out[sid] = folder
    return dict(sorted(out.items()))


def read(submissions_dir, folder, filename):
    """The bytes of ``SUBMISSIONS_DIR/folder/filename`` (or of nbgrader's
    ``SUBMISSIONS_DIR/folder/<stem>/filename``), or ``Unusable`` with the reason."""
    try:
        base = os.open(submissions_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise Unusable("invalid", f"the submissions folder cannot be read ({error.strerror})") from None
    try:
        try:
            home = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=base)
        except OSError as error:
            if stat.S_ISLNK(_lstat(folder, base, fallback=0)):
                raise Unusable("invalid", "the submission folder is a symbolic link to somewhere else: "
                                          "submit your own folder with the notebook in it") from None
            raise Unusable("invalid", f"the submission folder cannot be opened ({error.strerror})") from None
        try:
            return _read_notebook(home, filename)
        except Unusable as problem:
            collected = _collected_folder(home, Path(filename).stem) if problem.status == "missing" else None
            if collected is None:
                raise
            try:
                return _read_notebook(collected, filename)
            finally:
                os.close(collected)
        finally:
            os.close(home)
    finally:
        os.close(base)


def _collected_folder(home, name):
    """A descriptor of nbgrader's ``<A>/`` inside the student's folder, or None if there is none."""
    mode = _lstat(name, home)
    if mode is None or not (stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
        return None
    if stat.S_ISLNK(mode):
        raise Unusable("invalid", f"the folder {name} is a symbolic link to somewhere else: submit your own folder")
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=home)
    except OSError as error:
        raise Unusable("invalid", f"the folder {name} cannot be opened ({error.strerror})") from None


def refusal(path):
    """Why the file at ``path`` is not a plain notebook file of its own (examined by ``lstat``,
    never followed or opened), or None: for other readers of submitted files (the gradebook's
    copies, the similarity ranking)."""
    try:
        return _refusal(os.lstat(path), Path(path).name)
    except OSError as error:
        return f"{Path(path).name} cannot be examined ({error.strerror})"


def _lstat(name, dir_fd, fallback=None):
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return fallback


def _refusal(st, filename):
    """Why the file described by ``st`` (from lstat or fstat) cannot be read, or None."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return (f"{filename} is a symbolic link to another file, not a notebook: submit the notebook "
                "itself (copy the file, not a link)")
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        return f"{filename} is {kind}, not a notebook file"
    if st.st_nlink != 1:
        return (f"{filename} is a hard link shared with another file: submit a copy of your notebook "
                "(a file of its own)")
    if st.st_size > MAX_BYTES:
        return (f"the notebook is {st.st_size / 2**20:,.0f} MB (limit {MAX_BYTES >> 20} MB): clear its outputs "
                "(Edit > Clear Outputs of All Cells) and submit again")
    return None


def _read_notebook(home, filename):
    try:
        before = os.stat(filename, dir_fd=home, follow_symlinks=False)
    except FileNotFoundError:
        raise Unusable("missing", f"no {filename} in the submission") from None
    except OSError as error:
        raise Unusable("invalid", f"{filename} cannot be examined ({error.strerror})") from None
    reason = _refusal(before, filename)
    if reason:
        raise Unusable("invalid", reason)
    try:
        fd = os.open(filename, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=home)
    except OSError as error:
        raise Unusable("invalid", f"{filename} cannot be opened ({error.strerror})") from None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise Unusable("invalid", f"{filename} changed while it was being read: submit again")
        reason = _refusal(now, filename)
        if reason:
            raise Unusable("invalid", reason)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise Unusable("invalid", f"the notebook is over {MAX_BYTES >> 20} MB: clear its outputs and submit again")
        return b"".join(chunks)
    except OSError as error:
        raise Unusable("invalid", f"{filename} cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)


def read_path(path):
    """``read`` for one notebook path (``.../<folder>/<file>``): the same refusals."""
    path = Path(path)
    return read(path.parent.parent, path.parent.name, path.name)


def code_cells(raw, notes=None):
    """The source of every code cell of the notebook ``raw`` (its bytes, or a path: read with
    ``read_path``), in order.

    Harmless defects that Jupyter itself produces (missing or duplicated cell ids) are repaired,
    since grading never uses ids; each one adds a sentence to ``notes`` for the feedback.
    """
    if isinstance(raw, (str, os.PathLike)):
        raw = read_path(raw)
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unusable("invalid", "the file is not a notebook (not UTF-8 text)") from None
    except (ValueError, RecursionError) as error:
        raise Unusable("invalid", f"the file is not valid notebook JSON ({str(error)[:120]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if isinstance(version, (int, float)) and not isinstance(version, bool) and version < 4:
            raise Unusable("invalid", f"nbformat {version} notebooks are not accepted: open it in "
                                      "JupyterLab, save it, and submit again")
        raise Unusable("invalid", "the file has no list of cells: it is not a Jupyter notebook")
    if nb.get("nbformat") != 4 or isinstance(nb.get("nbformat"), bool):
        raise Unusable("invalid", f"unsupported notebook format {text.clean(repr(nb.get('nbformat')), 40)} "
                                  "(expected 4)")
    sources = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unusable("invalid", f"cell {i} is not a valid notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise Unusable("invalid", f"cell {i} has a malformed source")
        if cell["cell_type"] == "code":
            sources.append(source)
    if notes is not None:
        notes.extend(_id_notes(nb))
    return sources


def _id_notes(nb):
    minor = nb.get("nbformat_minor")
    if not isinstance(minor, int) or isinstance(minor, bool) or minor < 5:
        return []  # cell ids exist from nbformat 4.5 on
    ids = [cell.get("id") for cell in nb["cells"]]
    named = [i for i in ids if isinstance(i, str) and i]
    missing, duplicated = len(ids) - len(named), len(named) - len(set(named))
    if not (missing or duplicated):
        return []
    parts = [f"{n} cell{'s' if n > 1 else ''} {what}" for n, what in
             ((missing, "had no id"), (duplicated, "repeated another cell's id")) if n]
    return [f"{' and '.join(parts)}; ids were repaired (they do not affect grading) and the notebook "
            "was graded normally"]
