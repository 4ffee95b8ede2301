"""The plain-data codec: what may cross between a student's process and the grader."""
import math

import numpy as np
import pytest
import torch

from course_utils import wire


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, 2.0, "x"], (1, (2, 3)), {"a": [1, {"b": None}]},
    math.inf, -math.inf,
])
def test_plain_values_roundtrip(value):
    assert wire.roundtrip(value) == value


def test_nan_roundtrips():
    assert math.isnan(wire.roundtrip(math.nan))


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 0, 5)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_tensors_keep_shape_dtype_and_kind(shape, dtype):
    t = (torch.rand(shape) * 10).to(dtype)
    out = wire.roundtrip(t)
    assert isinstance(out, torch.Tensor) and out.shape == t.shape and out.dtype == t.dtype
    assert torch.equal(out, t)


def test_arrays_stay_arrays_and_scalars_become_python():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = wire.roundtrip({"a": a, "s": np.float64(2.5), "i": np.int32(4)})
    assert type(out["a"]) is np.ndarray and out["a"].shape == (2, 3) and np.array_equal(out["a"], a)
    assert type(out["s"]) is float and type(out["i"]) is int


def test_requires_grad_and_bfloat16():
    t = torch.ones(2, requires_grad=True)
    assert wire.roundtrip(t).requires_grad
    assert wire.roundtrip(torch.ones(2, dtype=torch.bfloat16)).dtype == torch.float32


class AlwaysEqual:
    def __eq__(self, other):
        return True


class SneakyFloat(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [AlwaysEqual(), SneakyFloat(1.0), {1: 2}, object(), lambda: 0,
                                   np.array(["a"]), torch.nn.Linear(1, 1)])
def test_objects_that_could_fake_a_comparison_are_refused(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)


@pytest.mark.parametrize("message", [
    {"__kind__": "ndarray", "dtype": "float32", "shape": [3], "data": "AAAA"},           # too few bytes
    {"__kind__": "ndarray", "dtype": "object", "shape": [1], "data": "AAAAAAAAAAA="},    # dtype not allowed
    {"__kind__": "ndarray", "dtype": "float32", "shape": [-1], "data": ""},              # bad shape
    {"__kind__": "tensor", "dtype": "float32", "shape": [10**9, 10**9], "data": ""},     # huge
    {"__kind__": "pickle", "data": "gASVAAAAAAAAAAA="},                                 # unknown kind
    {"__kind__": "dict", "items": [1, 2]},
    {"plain": "dict without kind"},
])
def test_decode_rejects_malformed_messages(message):
    with pytest.raises(wire.WireError):
        wire.decode(message)


def test_decode_rejects_deep_nesting_and_oversized_raw_messages():
    deep = 1
    for _ in range(200):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.decode(deep)
    with pytest.raises(wire.WireError):
        wire.loads(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(wire.WireError):
        wire.loads(b"\xff\xfe not json")


def test_every_value_counts_toward_the_limit_not_only_array_elements():
    """Eight million empty lists are as heavy as eight million numbers: both are refused."""
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode([[]] * (wire.MAX_ITEMS + 1))
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode({"k": [(1,)] * (wire.MAX_ITEMS // 2 + 1)})
    raw = wire.dumps([[]] * (wire.MAX_ITEMS + 1))
    assert wire.most_values(raw) <= wire.MAX_JSON_VALUES  # so the count in decode is what refuses it
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(wire.loads(raw))
    assert len(wire.roundtrip([[]] * 1000)) == 1000


def test_a_message_with_too_many_values_is_refused_before_it_is_parsed():
    import json
    import tracemalloc

    raw = json.dumps({"ok": True, "value": [[]] * 8_000_000}).encode()  # 24 MB
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match="too large"):
            wire.loads(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"refusing it allocated {peak:,} bytes"
    with pytest.raises(wire.WireError, match="too large"):
        wire.loads(b" " * (wire.MAX_BYTES + 1))


def test_the_value_bound_is_an_upper_bound():
    for value in ([1, [2, 3], {"a": (4, 5)}], [[]] * 10, {"x": {"y": {}}}, "a,[{b", [], 7):
        raw = wire.dumps(wire.encode(value))
        parsed = wire.loads(raw)

        def count(v):
            return 1 + (sum(map(count, v)) if isinstance(v, list) else
                        sum(map(count, v.values())) if isinstance(v, dict) else 0)

        assert count(parsed) <= wire.most_values(raw)
