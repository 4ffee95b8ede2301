"""Reading a submitted notebook without trusting it: every way it can be broken gets a reason."""
import json
from pathlib import Path

MAX_BYTES = 64 << 20


class Unusable(Exception):
    """The submission cannot be graded; ``status`` is "missing" or "invalid"."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def code_cells(path, notes=None):
    """The source of every code cell of the notebook at ``path``, in order.

    Harmless defects that Jupyter itself produces (missing or duplicated cell ids) are repaired,
    since grading never uses ids; each one adds a sentence to ``notes`` for the feedback.
    """
    path = Path(path)
    if not path.is_file():
        raise Unusable("missing", f"no {path.name} in the submission")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise Unusable("invalid", f"the notebook is {size / 2**20:.0f} MB (limit {MAX_BYTES >> 20} MB): "
                                  "clear its outputs (Edit > Clear Outputs of All Cells) and submit again")
    raw = path.read_bytes()
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unusable("invalid", "the file is not a notebook (not UTF-8 text)") from None
    except (ValueError, RecursionError) as error:
        raise Unusable("invalid", f"the file is not valid notebook JSON ({str(error)[:120]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if version is not None and version < 4:
            raise Unusable("invalid", f"nbformat {version} notebooks are not accepted: open it in "
                                      "JupyterLab, save it, and submit again")
        raise Unusable("invalid", "the file has no list of cells: it is not a Jupyter notebook")
    if nb.get("nbformat") != 4:
        raise Unusable("invalid", f"unsupported notebook format {nb.get('nbformat')!r} (expected 4)")
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
    if not isinstance(nb.get("nbformat_minor"), int) or nb["nbformat_minor"] < 5:
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
