"""The untrusted side of grading: runs one student's notebook, then answers requests.

Started by ``launch.py`` inside the sandbox as a plain script (it imports nothing from the
autograder package, so it needs no access to tests). Requests arrive on one inherited pipe
and answers leave on another (``COURSE_WORKER_FDS``), as length-prefixed JSON; stdin is
/dev/null, stdout/stderr go to a file. The worker never sees an expected value: it only runs
the student's cells, calls their functions with the arguments it is sent and returns what
they produce as plain data. A student can make it lie, crash or hang; the grader treats each
of those as a failure, and decodes and checks every answer itself.

Cheap hardening, so that ordinary tampering confuses nobody: the worker keeps private
references to what it talks with (os.write/read, struct, json, exec/compile, its own copy of
course_utils.wire that student code cannot import), moves the pipes to high close-on-exec
descriptors, lets only its own process speak (a forked copy that returns into the worker
exits), echoes each request's random id (so the grader rejects messages written by student
code), skips atexit hooks when it ends, and, as pid 2 of its own pid namespace, kills the
processes a cell or a call left behind. None of this is the security boundary: the sandbox
and the grader's own checks are; it only keeps ordinary tampering from causing confusion.
"""
import builtins
import errno
import fcntl
import json
import os
import random
import signal
import struct
import sys
import time
import traceback

_write, _read, _exit, _getpid, _kill, _listdir = os.write, os.read, os._exit, os.getpid, os.kill, os.listdir
_monotonic, _sleep, _waitpid = time.monotonic, time.sleep, os.waitpid
_pack, _unpack, _dumps, _loads = struct.pack, struct.unpack, json.dumps, json.loads
_exec, _compile, _BaseException = builtins.exec, builtins.compile, BaseException
_PID = _getpid()
_request_id = [None]  # echoed in every message, so the grader can tell forged ones apart
_OWN_PID_NAMESPACE = os.environ.get("COURSE_SANDBOX") == "namespaces" and _PID == 2
_MEMORY_BYTES = int(os.environ.get("COURSE_MEMORY_BYTES", "0"))


def _private_pipes():
    """The request/answer pipes, moved to high close-on-exec descriptors; the originals closed."""
    fds = [int(x) for x in os.environ.pop("COURSE_WORKER_FDS", "3,4").split(",")]
    try:
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 700 + i) for i, fd in enumerate(fds)]
    except OSError:  # a low RLIMIT_NOFILE: any free numbers will do
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
    for fd in fds:
        os.close(fd)
    return moved


def _private_wire():
    """course_utils.wire loaded under a private name: patching the importable one changes nothing here."""
    import importlib.util

    path = os.path.join(os.environ["COURSE_WORKER_PATH"], "course_utils", "wire.py")
    spec = importlib.util.spec_from_file_location("_worker_private_wire", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def send(message):
    if _getpid() != _PID:  # a forked copy of the worker never speaks for it
        _exit(0)
    data = _dumps({**message, "id": _request_id[0]}, separators=(",", ":")).encode("utf-8")
    view = memoryview(_pack(">I", len(data)) + data)
    while view:
        written = _write(ANSWERS, view)
        view = view[written:]


def receive():
    head = _read_exactly(4)
    size = _unpack(">I", head)[0]
    message = _loads(_read_exactly(size).decode("utf-8"))
    _request_id[0] = message.get("id")
    return message


def _read_exactly(n):
    if _getpid() != _PID:
        _exit(0)
    chunks, left = [], n
    while left:
        chunk = _read(REQUESTS, min(left, 1 << 20))
        if not chunk:
            _exit(0)  # the grader went away
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def settle():
    """After each cell or call: forked copies exit; leftover processes are killed (own pid ns only)."""
    if _getpid() != _PID:
        _exit(0)
    for stream in (sys.__stdout__, sys.__stderr__):  # the output file is for people reading logs
        try:
            stream.flush()
        except _BaseException:
            pass
    if _OWN_PID_NAMESPACE:
        _kill_leftovers()


def _kill_leftovers(patience=2.0):
    """SIGKILL every process in the namespace except init (pid 1) and us, until all are reaped
    (our own children by us, orphans by init): a zombie still holds its pid, and the next cell
    would find the pids limit full."""
    deadline = _monotonic() + patience
    while _monotonic() < deadline:
        others = [name for name in _listdir("/proc") if name.isdigit() and name not in ("1", "2")]
        if not others:
            return
        try:
            _kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            while _waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        _sleep(0.002)


def reseed(seed):
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def describe(error):
    """The error as plain data (the student's exception may misbehave even while being described)."""
    try:
        message = str(error)[:2000]
        hint = _hint(error)
        return {"type": str(type(error).__name__)[:100], "message": f"{message} ({hint})" if hint else message,
                "traceback": "".join(traceback.format_exception(error))[-4000:]}
    except _BaseException:
        return {"type": "Error", "message": "an exception that cannot be described", "traceback": ""}


def _hint(error):
    """A plain reason for the failures the sandbox itself causes."""
    seen = 0
    while error is not None and seen < 10:
        text = str(error)
        if isinstance(error, MemoryError) or "can't allocate memory" in text or "DefaultCPUAllocator" in text:
            return f"out of memory: the notebook may use at most {_MEMORY_BYTES / 2**30:g} GB while grading"
        code = getattr(error, "errno", None)
        if code == errno.EAFNOSUPPORT or "Address family not supported" in text or type(error).__name__ == "gaierror":
            return "no network access while grading"
        if code == errno.EFBIG:
            return "output limit reached: the notebook wrote too much"
        if isinstance(error, BlockingIOError) and code == errno.EAGAIN:
            return "too many processes: the notebook may not start that many"
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, _BaseException) else (error.__cause__ or error.__context__)
        seen += 1
    return ""


def run_cells(shell, cells, skip, seed, define=()):
    """Run the notebook's cells, then ``define`` (code the grader puts in the notebook's
    namespace: the reference functions of a substituted test), then say ready."""
    reseed(seed)
    for index, source in enumerate(cells):
        if index in skip:
            continue
        send({"event": "cell_start", "index": index})
        start = time.perf_counter()
        result = shell.run_cell(source, store_history=True)
        settle()
        error = result.error_before_exec or result.error_in_exec
        send({"event": "cell_end", "index": index, "seconds": time.perf_counter() - start,
              "error": describe(error) if error is not None else None})
        if "matplotlib.pyplot" in sys.modules:
            try:
                sys.modules["matplotlib.pyplot"].close("all")
            except _BaseException:
                pass
    for source in define:
        try:
            _exec(_compile(source, "<course>", "exec"), shell.user_ns)
        except _BaseException:
            pass  # the tests then meet whatever the notebook defines
        settle()
    send({"event": "ready"})


def answer(shell, request):
    """One request: call a function, read a value or run a snippet, in the student's namespace."""
    try:
        return _answer(shell, request)
    finally:
        settle()


def _answer(shell, request):
    ns = shell.user_ns
    reseed(request.get("seed", 0))
    op = request.get("op")
    try:
        if op == "call":
            name = request["name"]
            if name not in ns:
                return {"ok": False, "kind": "missing", "name": name}
            args, kwargs = wire.decode(request["args"]), wire.decode(request["kwargs"])
            value = ns[name](*args, **kwargs)
        elif op == "get":
            name = request["name"]
            if name not in ns:
                return {"ok": False, "kind": "missing", "name": name}
            value = ns[name]
        elif op == "run":
            scope = dict(ns)
            scope.update(wire.decode(request["inputs"]))
            _exec(_compile(request["code"], "<check>", "exec"), scope)
            value = scope.get("result")
        elif op == "has":
            value = request["name"] in ns
        else:
            return {"ok": False, "kind": "error", "error": {"type": "ProtocolError", "message": f"unknown op {op!r}"}}
    except NameError as error:
        missing = getattr(error, "name", None)
        if op == "run" and missing and missing not in ns:
            return {"ok": False, "kind": "missing", "name": missing}
        return {"ok": False, "kind": "error", "error": describe(error)}
    except _BaseException as error:  # SystemExit and KeyboardInterrupt included
        return {"ok": False, "kind": "error", "error": describe(error)}
    try:
        return {"ok": True, "value": wire.encode(value)}
    except _BaseException as error:
        return {"ok": False, "kind": "wire", "error": describe(error)}


def preload():
    """Import the course's heavy libraries before the first cell's clock starts: a cell timeout
    measures the student's code, not how long torch takes to import on a busy machine."""
    import importlib

    for name in filter(None, os.environ.get("COURSE_PRELOAD", "").split(",")):
        try:
            importlib.import_module(name)
        except _BaseException:
            pass  # the student's own import will report it


def main():
    start = receive()
    from IPython.core.interactiveshell import InteractiveShell

    preload()

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # no event loop here; %matplotlib inline still works
            pass

    shell = Shell.instance(colors="nocolor")
    run_cells(shell, start["cells"], set(start.get("skip", [])), start.get("seed", 0), start.get("define", ()))
    while True:
        request = receive()
        if request.get("op") == "exit":
            _exit(0)  # no atexit hooks, no finalizers: nothing of the student's runs after grading
        send(answer(shell, request))


if __name__ == "__main__":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the output limit: writes fail, no crash
    REQUESTS, ANSWERS = _private_pipes()
    sys.path.insert(0, os.environ["COURSE_WORKER_PATH"])
    wire = _private_wire()
    try:
        import ctypes  # a crashed worker leaves no core file, even where RLIMIT_CORE is ignored

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except (OSError, AttributeError):
        pass
    main()
