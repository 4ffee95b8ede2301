"""The folders of the session's generated classes (tests/conftest.py grades each once)."""
from autograder import mutants
from conftest import once_per_session


def graded_class(graded_classes, tmp_path_factory, assignment):
    """(submissions folder, graded OUT_DIR) of the generated class of ``assignment``."""
    graded_classes(assignment)  # grades it, once per session

    def unexpected(folder):
        raise AssertionError("graded_classes should have built this class")

    base = once_per_session(tmp_path_factory, f"class-{assignment}", unexpected)
    return base / "submissions", base / "out"


def batch_of(assignment):
    """{mutant name: the student of the generated class that carries it (its batch)}. Computed
    once per assignment: ``mutants.batches`` reads the notebook and the tests (0.4 s), and the
    suite asks for every mutant of every class several times."""
    if assignment not in _BATCH_OF:
        _BATCH_OF[assignment] = {m.name: f"batch-{k + 1}"
                                 for k, group in enumerate(mutants.batches(assignment)) for m in group}
    return _BATCH_OF[assignment]


_BATCH_OF = {}


def student_of(assignment, mutant):
    """The student of the generated class that carries the mutant named ``mutant`` (its batch)."""
    try:
        return batch_of(assignment)[mutant]
    except KeyError:
        raise KeyError(f"{assignment} has no mutant {mutant!r}") from None
