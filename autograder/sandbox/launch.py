"""Puts one worker in its sandbox, then execs it: ``python -E -s -S launch.py CONFIG_FD``.

Run by ``Worker`` (and by the probe behind ``protections()``), with the standard library only,
before any student code exists. The config (built by ``plan.py``) says what to set up; it is
read from a pipe (``CONFIG_FD``), not the argv, which the sandbox's init inherits and anyone
inside may read in ``/proc/1/cmdline``. With namespaces, four processes take part::

    launcher (the grader's user)     joins the cgroups, forks the helper, unshares, builds the root
      helper (the grader's user)     writes the launcher's uid/gid maps from outside, then exits
      init (pid 1 of the new pid ns) mounts /proc, detaches the old root, reaps, reports the status
        worker (pid 2)               drops rlimits, capabilities, no_new_privs, seccomp; execs

The launcher mirrors the worker's exit status (code or signal) so the grader sees it as if it
had started the worker itself; killing the launcher's process group, or the launcher alone,
kills everything (parent-death signals, and the pid namespace dies with its init).

Each step reports ``{"step", "error"}`` as a JSON line on ``status_fd`` (closed at exec). In
``strict`` mode (every real worker) the first failure ends the launch with code 125, so a
protection that was promised is never silently missing; the probe runs non-strict to learn
what this machine allows.
"""
import json
import os
import resource
import signal
import stat
import struct
import sys
import time

import seccomp
import syscalls

BASE = "/tmp"  # a directory that always exists; the new root's tmpfs is mounted over it (privately)
NAMESPACES = (syscalls.CLONE_NEWUSER | syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID | syscalls.CLONE_NEWNET
              | syscalls.CLONE_NEWIPC | syscalls.CLONE_NEWUTS | syscalls.CLONE_NEWCGROUP)
FAILED = 125


class Steps:
    """Runs set-up steps and reports each one; ``skip`` names optional steps the plan left out."""

    def __init__(self, fd, strict, skip):
        self.fd, self.strict, self.skip = fd, strict, set(skip)

    def report(self, step, error=None, **extra):
        line = json.dumps({"step": step, "error": error, **extra}) + "\n"
        try:
            os.write(self.fd, line.encode())
        except OSError:
            pass

    def required(self, step, fn, *args):
        """A step the sandbox cannot do without: its failure always ends the launch."""
        try:
            result = fn(*args)
        except OSError as error:
            self.report(step, str(error))
            os._exit(FAILED)
        self.report(step)
        return result

    def optional(self, step, fn, *args):
        """A step that may degrade: skipped if the plan says so, fatal only in strict mode."""
        if step in self.skip:
            return False
        try:
            fn(*args)
        except OSError as error:
            self.report(step, str(error))
            if self.strict:
                os._exit(FAILED)
            return False
        self.report(step)
        return True


def main():
    started = time.monotonic()
    with os.fdopen(int(sys.argv[1]), "rb") as f:  # read to the end and closed: nobody after us has it
        config = json.loads(f.read())
    os.set_inheritable(config["status_fd"], False)  # the worker never gets it
    steps = Steps(config["status_fd"], config["strict"], config.get("skip", ()))
    try:
        launch(config, steps, started)
    except Exception as error:  # a bug or a surprise, in any process of the launch: never the student's fault
        steps.report("launcher", f"{type(error).__name__}: {error}")
        os._exit(FAILED)


def launch(config, steps, started):
    syscalls.set_parent_death_signal(signal.SIGKILL)  # the grader died: so do we
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for controller, procs in config.get("cgroups", ()):
        steps.required(f"cgroup {controller}", _write, procs, str(os.getpid()))
    if config.get("namespaces"):
        enter_namespaces(config, steps)  # returns in the worker process only
    become_worker(config, steps, started)


# -- namespaces and the new root ---------------------------------------------------------------

def enter_namespaces(config, steps):
    ns = config["namespaces"]
    seed = _read_tree(*ns["seed"]) if ns.get("seed") else {}
    helper, go = _fork_id_mapper(ns)
    steps.required("namespaces", syscalls.unshare, NAMESPACES)
    # Bind sources are opened now: after unshare(CLONE_NEWNS) (so they belong to the new mount
    # namespace) and before changing uid (so the grader's own permissions apply to their paths).
    sources = [(steps.required(f"open {src}", _open_path, src), dest, writable)
               for src, dest, writable in ns["binds"]]
    os.write(go, b"x")
    os.close(go)
    if os.waitpid(helper, 0)[1] != 0:
        steps.required("uid map", _fail, "the helper could not write the uid/gid maps")
    steps.report("uid map")
    steps.required("become root inside", _become_namespace_root, ns["privileged"])
    syscalls.set_parent_death_signal(signal.SIGKILL)
    steps.required("filesystem", _build_root, ns, sources, seed)
    steps.optional("hostname", syscalls.sethostname, ns.get("hostname", "sandbox"))
    exit_r, exit_w = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(exit_r)
        _run_init(config, steps, exit_w)
        return
    os.close(exit_w)
    _close(config["keep_fds"] + [config["status_fd"]])
    _keep_no_privileges()
    _mirror(init, exit_r)


def _fork_id_mapper(ns):
    """A child that stays outside, waits for our unshare(), then maps our root to the outer ids.

    Only a process in the parent user namespace can map a uid other than its own, so a root
    grader can give each worker a dedicated unprivileged uid; an unprivileged grader maps its own.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(r)
        return pid, w
    os.close(w)
    code = 1
    try:
        if os.read(r, 1) == b"x":
            target = f"/proc/{os.getppid()}"
            if not ns["privileged"]:
                _write(f"{target}/setgroups", "deny")
            _write(f"{target}/uid_map", f"0 {ns['outer_uid']} 1\n")
            _write(f"{target}/gid_map", f"0 {ns['outer_gid']} 1\n")
            code = 0
    except OSError as error:
        os.write(2, f"sandbox: cannot write the uid map: {error}\n".encode())
    os._exit(code)


def _become_namespace_root(privileged):
    if privileged:
        os.setgroups([])  # otherwise the worker keeps the grader's supplementary groups outside
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def _build_root(ns, sources, seed):
    """A fresh tmpfs root holding only the allow-listed paths, then pivot_root into it."""
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    syscalls.mount("tmpfs", BASE, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV, "mode=0755,size=1m")
    for fd, dest, writable in sources:
        _bind(fd, BASE + dest, writable)
    for target, dest in ns["symlinks"]:
        os.makedirs(os.path.dirname(BASE + dest), exist_ok=True)
        os.symlink(target, BASE + dest)
    for dest, size, mode in ns["tmpfs"]:
        os.makedirs(BASE + dest, exist_ok=True)
        syscalls.mount("tmpfs", BASE + dest, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV,
                       f"mode={mode},size={size}")
    _write_tree(BASE + ns["home"], seed)
    os.makedirs(BASE + ns["home"] + "/tmp", exist_ok=True)
    for dest in ("/proc", "/.oldroot"):
        os.makedirs(BASE + dest, exist_ok=True)
    os.chdir(BASE)
    syscalls.pivot_root(".", ".oldroot")
    os.chdir("/")


def _bind(fd, target, writable):
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    # /proc/self/fd/N reaches the source without resolving its path again as the new uid.
    syscalls.mount(f"/proc/self/fd/{fd}", target, None, syscalls.MS_BIND | syscalls.MS_REC)
    os.close(fd)
    if not writable:
        syscalls.make_tree_read_only(target)


def _run_init(config, steps, exit_w):
    """pid 1 of the new pid namespace: finish the root, start the worker, reap, report."""
    syscalls.set_parent_death_signal(signal.SIGKILL)
    # Not dumpable: the worker (same uid inside) cannot read init's memory, environment or fds
    # through /proc/1 (its argv stays readable: it holds no config, see main()).
    steps.optional("init not dumpable", syscalls.prctl, syscalls.PR_SET_DUMPABLE, 0)
    steps.optional("proc", syscalls.mount, "proc", "/proc", "proc",
                   syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC)
    steps.required("detach old root", _detach_old_root)
    steps.optional("read-only root", syscalls.mount, None, "/", None,
                   syscalls.MS_REMOUNT | syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV)
    worker = os.fork()
    if worker == 0:
        os.close(exit_w)
        return
    _close(config["keep_fds"] + [config["status_fd"]])
    _keep_no_privileges()  # init only reaps from now on; it shares the worker's pid namespace
    while True:  # reap every orphan; report the worker's own status, then end the namespace
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == worker:
            os.write(exit_w, struct.pack("=i", status))
            os._exit(0)


def _keep_no_privileges():
    """The launcher and init wait while student code runs: they need no capabilities for that."""
    try:
        syscalls.drop_capabilities()
        syscalls.set_no_new_privs()
    except OSError:
        pass  # best effort: the worker itself has already dropped them for sure


def _detach_old_root():
    syscalls.umount2("/.oldroot", syscalls.MNT_DETACH)
    os.rmdir("/.oldroot")


def _mirror(child, exit_r):
    """Exit the way the worker did: same exit code, or killed by the same signal."""
    while True:
        try:
            _, own = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    data = os.read(exit_r, 4)
    status = struct.unpack("=i", data)[0] if len(data) == 4 else own
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else FAILED)


# -- the worker's last steps before exec -------------------------------------------------------

def become_worker(config, steps, started):
    os.chdir(config["cwd"])
    for name, value in config["rlimits"].items():
        steps.required(name, resource.setrlimit, getattr(resource, name), (value, value))
    if config.get("drop_caps"):
        steps.optional("capabilities", syscalls.drop_capabilities)
    if config.get("no_new_privs"):
        steps.optional("no_new_privs", syscalls.set_no_new_privs)
        steps.optional("seccomp", _install_seccomp)
    steps.report("ready", setup_ms=round((time.monotonic() - started) * 1000, 1))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        os.execve(config["argv"][0], config["argv"], config["env"])
    except OSError as error:
        steps.report("exec", str(error))
        os._exit(FAILED)


def _install_seccomp():
    if syscalls.ARCH is None:
        raise OSError(38, "no syscall table for this architecture")
    table = syscalls.ARCHES[syscalls.ARCH]
    syscalls.install_seccomp(seccomp.assemble(seccomp.program(table["audit"], table["nr"],
                                                              syscalls.NAMESPACE_FLAGS)))


# -- small helpers -----------------------------------------------------------------------------

def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _fail(message):
    raise OSError(0, message)


def _open_path(path):
    return os.open(path, os.O_PATH | os.O_CLOEXEC)


def _close(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _read_tree(folder, dest):
    """Small seed files (the matplotlib font cache), read while the grader's permissions apply;
    they are written to ``dest`` in the worker's home once it exists."""
    tree = {}
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            with open(path, "rb") as f:
                tree[os.path.join(dest, os.path.relpath(path, folder))] = f.read(8 << 20)
    return tree


def _write_tree(home, tree):
    for rel, data in tree.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
