"""Plain values between a student's code and the checks: never pickle.

What may cross: None, bool, int, float, str, lists, tuples, dicts with string keys, NumPy
arrays and PyTorch tensors (numeric or bool dtypes). Everything else is refused with a message
that says what to return instead. ``decode`` trusts nothing: it checks every type, dtype,
shape and byte count, so a value that arrives is exactly what it claims to be.

Bounded before any work is done: a message is at most ``MAX_BYTES``; ``loads`` refuses one that
could hold more than ``MAX_ITEMS`` values *before* parsing it (it counts the bytes that can
start a value), so eight million empty lists cost a byte count, not a gigabyte of Python
objects; ``encode`` and ``decode`` count every value (list, tuple and dict items included, not
only array elements) and every nesting level.
"""
import base64
import json
import math

import numpy as np

DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
MAX_DEPTH = 32
MAX_ELEMENTS = 50_000_000  # per message, across all arrays
MAX_ITEMS = 250_000        # per message: values of any kind (each list/tuple/dict item, each array)
MAX_JSON_VALUES = 4 * MAX_ITEMS  # what that costs in JSON at most (a tuple is 3 JSON values, an array ~7)
MAX_BYTES = 64 * 1024 * 1024


class WireError(TypeError):
    """A value that cannot cross, or a message that is not what it claims to be."""


def encode(value):
    """A JSON-ready structure for ``value`` (raises WireError for anything else)."""
    return _encode(value, 0, [0])


def _count(count):
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise WireError(f"value too large (over {MAX_ITEMS:,} numbers, strings, lists, tuples or dicts)")


def _encode(value, _depth, count):
    if _depth > MAX_DEPTH:
        raise WireError("value is nested too deeply")
    _count(count)
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"__kind__": "float", "repr": repr(value)}
    if isinstance(value, np.generic) and value.shape == ():
        return _encode(value.item(), _depth + 1, count)
    if kind is list:
        return [_encode(v, _depth + 1, count) for v in value]
    if kind is tuple:
        return {"__kind__": "tuple", "items": [_encode(v, _depth + 1, count) for v in value]}
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise WireError("dictionary keys must be strings")
        return {"__kind__": "dict", "items": {k: _encode(v, _depth + 1, count) for k, v in value.items()}}
    if kind is np.ndarray:
        return _encode_array(value, "ndarray")
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.dtype == torch.bfloat16:
            t = t.float()
        out = _encode_array(t.resolve_conj().resolve_neg().numpy(), "tensor")
        out["requires_grad"] = bool(value.requires_grad)
        return out
    raise WireError(f"cannot check a value of type {kind.__name__}: return numbers, strings, "
                    "lists, tuples, dicts, NumPy arrays or PyTorch tensors")


def _encode_array(arr, kind):
    if arr.dtype.name not in DTYPES:
        raise WireError(f"arrays of dtype {arr.dtype} cannot be checked; use float32/64 or ints")
    arr = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d arrays 0-d
    return {"__kind__": kind, "dtype": arr.dtype.name, "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode(data):
    """The value ``encode`` described: validated, with fresh arrays and tensors."""
    return _decode(data, 0, [0], [0])


def _decode(data, depth, count, items):
    if depth > MAX_DEPTH:
        raise WireError("value is nested too deeply")
    _count(items)
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [_decode(v, depth + 1, count, items) for v in data]
    if kind is not dict:
        raise WireError(f"unexpected {kind.__name__} in message")
    tag = data.get("__kind__")
    if tag == "float" and data.get("repr") in ("inf", "-inf", "nan"):
        return float(data["repr"])
    if tag == "tuple" and type(data.get("items")) is list:
        return tuple(_decode(v, depth + 1, count, items) for v in data["items"])
    if tag == "dict" and type(data.get("items")) is dict:
        return {k: _decode(v, depth + 1, count, items) for k, v in data["items"].items()}
    if tag in ("ndarray", "tensor"):
        arr = _decode_array(data, count)
        if tag == "ndarray":
            return arr
        import torch

        t = torch.from_numpy(arr)
        if data.get("requires_grad") is True and t.is_floating_point():
            t.requires_grad_(True)
        return t
    raise WireError(f"unknown value in message: {str(data)[:80]}")


def _decode_array(data, count):
    dtype, shape, payload = data.get("dtype"), data.get("shape"), data.get("data")
    if dtype not in DTYPES or type(shape) is not list or type(payload) is not str:
        raise WireError("malformed array in message")
    if not all(type(s) is int and 0 <= s for s in shape) or len(shape) > 32:
        raise WireError("malformed array shape in message")
    size = math.prod(shape)
    count[0] += size
    if count[0] > MAX_ELEMENTS:
        raise WireError(f"arrays too large (over {MAX_ELEMENTS:,} values)")
    raw = base64.b64decode(payload, validate=True)
    np_dtype = np.dtype(dtype).newbyteorder("<")
    if len(raw) != size * np_dtype.itemsize:
        raise WireError("array data does not match its shape and dtype")
    return np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("="), copy=True).reshape(shape)


def dumps(value):
    """Bytes for a message (the value must already be encoded)."""
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def loads(raw):
    """Parse a message, refusing before parsing one that is too large or holds too many values."""
    if len(raw) > MAX_BYTES:
        raise WireError(f"message too large ({len(raw):,} bytes)")
    if most_values(raw) > MAX_JSON_VALUES:
        raise WireError(f"message too large (over {MAX_ITEMS:,} numbers, strings, lists, tuples or dicts)")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise WireError(f"malformed message: {error}") from None


def most_values(raw):
    """An upper bound on the number of JSON values in ``raw``, found without parsing it: every
    value but the first follows a ``[``, a ``{`` (an object's first value) or a ``,``; the same
    bytes inside strings only make the bound looser (base64 data holds none of them)."""
    return 1 + raw.count(b"[") + raw.count(b"{") + raw.count(b",")


def roundtrip(value):
    """What the checker would see of ``value``: encode, serialise, parse and decode it."""
    return decode(loads(dumps(encode(value))))


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")
