"""A result cache, so that re-running a cell does not retrain.

``@cu.cached`` memoises a function on its arguments in memory and, for tensors, dicts of
tensors and numbers, on disk under ``COURSE_CACHE_DIR`` (default ``data/cache``). Disk entries
are written with ``torch.save`` and read back with ``weights_only=True``: no arbitrary pickles.
"""
import functools
import hashlib
import inspect
import os
from pathlib import Path

import torch

_memory = {}


def cache_dir():
    default = Path(__file__).resolve().parent.parent / "data" / "cache"
    return Path(os.environ.get("COURSE_CACHE_DIR", default))


def cached(fn=None, *, disk=True, depends=()):
    """Decorator: ``@cu.cached def train_vae(beta, steps): ... return state_dict, history``.

    The key is the function's name, its source code and its arguments, so editing the function
    or changing an argument retrains; ``train_vae.clear()`` forgets everything. Arguments are
    bound to the signature first, so ``train(0.2)``, ``train(beta=0.2)`` and ``train()`` with a
    default of 0.2 are one run, trained once.
    ``depends=("VAE", "negative_elbo")`` adds the current source of those globals (functions or
    classes, looked up at call time) to the key: fixing your model retrains, even from the cache.
    """
    if fn is None:
        return functools.partial(cached, disk=disk, depends=depends)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = fn.__qualname__
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        extra = [_source(fn.__globals__.get(name, name)) for name in depends]
        bound = signature.bind(*args, **kwargs)  # a wrong call raises here, as the call would
        bound.apply_defaults()
        key = _key(fn.__qualname__, (source, extra) if depends else source, (), bound.arguments)
        if key in _memory:
            return _memory[key]
        path = cache_dir() / f"{fn.__name__}-{key[:16]}.pt"
        if disk and path.exists():
            try:
                _memory[key] = torch.load(path, weights_only=True)
                return _memory[key]
            except Exception:  # a corrupt or foreign file: recompute and overwrite it
                path.unlink(missing_ok=True)
        result = fn(*args, **kwargs)
        _memory[key] = result
        if disk:
            _save(result, path)
        return result

    wrapper.clear = lambda: [_memory.clear(), *(p.unlink() for p in cache_dir().glob(f"{fn.__name__}-*.pt"))]
    return wrapper


def _key(name, source, args, kwargs):
    text = repr((name, source, [_fingerprint(a) for a in args],
                 sorted((k, _fingerprint(v)) for k, v in kwargs.items())))
    return hashlib.sha256(text.encode()).hexdigest()


def _source(obj):
    """The source of a function, or of every function defined in a class (IPython cannot give
    a class's own source); ``repr`` for anything else."""
    if inspect.isclass(obj):
        return (obj.__qualname__, [_source(v) for k, v in sorted(vars(obj).items()) if inspect.isfunction(v)],
                [_source(b) for b in obj.__bases__ if b.__module__ == obj.__module__])
    if inspect.isfunction(obj):
        try:
            return inspect.getsource(obj)
        except (OSError, TypeError):
            return obj.__qualname__ + repr(obj.__code__.co_code)
    return repr(obj)


def _fingerprint(value):
    if isinstance(value, torch.Tensor):
        return ("tensor", tuple(value.shape), str(value.dtype),
                hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest())
    if hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
        arr = value.__array__()
        return ("array", arr.shape, str(arr.dtype), hashlib.sha256(arr.tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _fingerprint(v)) for k, v in value.items()))
    return repr(value)


def _storable(value):
    """What ``torch.load(weights_only=True)`` can read back: tensors, numbers, strings, containers."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_storable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and _storable(v) for k, v in value.items())
    return False


def _save(result, path):
    """Write to a temporary file, then rename: a killed run never leaves half a file."""
    if not _storable(result):
        return  # e.g. a whole nn.Module: kept in memory only
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(result, tmp)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full disk: the memory cache still works
