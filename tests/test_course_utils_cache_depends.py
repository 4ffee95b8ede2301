"""course_utils.cache: ``depends=`` puts the source of other functions and classes in the key."""
import textwrap


def make_namespace(helper_body, tmp_path, monkeypatch):
    """A notebook-like namespace whose cached function calls a helper we can edit."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    source = textwrap.dedent(f"""
        import torch
        import course_utils as cu
        calls = []

        class Model:
            def value(self):
                return {helper_body}

        def helper():
            return Model().value()

        @cu.cached(depends=("helper", "Model"))
        def train(steps):
            calls.append(steps)
            return {{"w": torch.full((2,), float(helper() * steps))}}
    """)
    path = tmp_path / f"nb_{abs(hash(helper_body))}.py"
    path.write_text(source)
    ns = {"__name__": "notebook"}
    exec(compile(source, str(path), "exec"), ns)
    return ns


def test_editing_a_dependency_changes_the_key(tmp_path, monkeypatch):
    first = make_namespace("1.0", tmp_path, monkeypatch)
    assert first["train"](3)["w"].tolist() == [3.0, 3.0]
    assert first["train"](3)["w"].tolist() == [3.0, 3.0]
    assert first["calls"] == [3]                      # the second call was a cache hit
    edited = make_namespace("2.0", tmp_path, monkeypatch)
    assert edited["train"](3)["w"].tolist() == [6.0, 6.0]
    assert edited["calls"] == [3]                     # retrained: the class's method changed


def test_disk_cache_survives_a_new_session(tmp_path, monkeypatch):
    first = make_namespace("1.5", tmp_path, monkeypatch)
    first["train"](2)
    import course_utils.cache as cache

    cache._memory.clear()
    again = make_namespace("1.5", tmp_path, monkeypatch)
    assert again["train"](2)["w"].tolist() == [3.0, 3.0]
    assert again["calls"] == []                        # read back from disk, not retrained
