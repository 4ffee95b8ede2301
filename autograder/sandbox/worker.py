"""The untrusted side of grading: runs one student's notebook, then answers requests.

Started by ``autograder.sandbox.Worker`` as a plain script (it imports nothing from the
autograder package, so it needs no access to tests). Requests arrive on one inherited pipe
and answers leave on another (``COURSE_WORKER_FDS``), as length-prefixed JSON; stdin is
/dev/null, stdout/stderr go to a file in the scratch directory. The worker never sees an expected value: it only runs the student's cells, calls
their functions with the arguments it is sent and returns what they produce as plain data.
A student can make it lie, crash or hang; the grader treats each of those as a failure.
"""
import os
import random
import struct
import sys
import time
import traceback

REQUESTS, ANSWERS = map(int, os.environ.get("COURSE_WORKER_FDS", "3,4").split(","))


def send(message):
    data = wire.dumps(message)
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        written = os.write(ANSWERS, view)
        view = view[written:]


def receive():
    head = _read_exactly(4)
    return wire.loads(_read_exactly(struct.unpack(">I", head)[0]))


def _read_exactly(n):
    chunks, left = [], n
    while left:
        chunk = os.read(REQUESTS, min(left, 1 << 20))
        if not chunk:
            sys.exit(0)  # the grader went away
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def reseed(seed):
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def describe(error):
    return {"type": type(error).__name__, "message": str(error)[:2000],
            "traceback": "".join(traceback.format_exception(error))[-4000:]}


def run_cells(shell, cells, skip, seed):
    reseed(seed)
    for index, source in enumerate(cells):
        if index in skip:
            continue
        send({"event": "cell_start", "index": index})
        start = time.perf_counter()
        result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        send({"event": "cell_end", "index": index, "seconds": time.perf_counter() - start,
              "error": describe(error) if error is not None else None})
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    send({"event": "ready"})


def answer(shell, request):
    """One request: call a function, read a value or run a snippet, in the student's namespace."""
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
            exec(compile(request["code"], "<check>", "exec"), scope)
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
    except BaseException as error:  # SystemExit and KeyboardInterrupt included
        return {"ok": False, "kind": "error", "error": describe(error)}
    try:
        return {"ok": True, "value": wire.encode(value)}
    except BaseException as error:
        return {"ok": False, "kind": "wire", "error": describe(error)}


def main():
    start = receive()
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # no event loop here; %matplotlib inline still works
            pass

    shell = Shell.instance(colors="nocolor")
    run_cells(shell, start["cells"], set(start.get("skip", [])), start.get("seed", 0))
    while True:
        request = receive()
        if request.get("op") == "exit":
            return
        send(answer(shell, request))


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the output limit: writes fail, no crash
    sys.path.insert(0, os.environ["COURSE_WORKER_PATH"])
    from course_utils import wire

    main()
