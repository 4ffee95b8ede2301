"""The folders of the session's generated classes (tests/conftest.py grades each once)."""
from conftest import once_per_session


def graded_class(graded_classes, tmp_path_factory, assignment):
    """(submissions folder, graded OUT_DIR) of the generated class of ``assignment``."""
    graded_classes(assignment)  # grades it, once per session

    def unexpected(folder):
        raise AssertionError("graded_classes should have built this class")

    base = once_per_session(tmp_path_factory, f"class-{assignment}", unexpected)
    return base / "submissions", base / "out"
