"""A seccomp deny-list for the worker, written as classic BPF with ``struct`` (no libseccomp).

What it refuses, and why: everything a student's code has no business doing and that widens
the kernel's attack surface or could undo the sandbox (ptrace, mount and the new mount API,
namespaces, kernel modules, kexec, BPF, perf, keyrings, io_uring, which bypasses the socket
rule, ...); sockets other than AF_UNIX (no network, even if a namespace is missing); and clone()
with namespace flags. clone3() answers ENOSYS, so libc falls back to clone(), whose flags the
filter can inspect. A foreign architecture (e.g. 32-bit syscalls on x86_64) kills the process.

Denied calls fail with EPERM (sockets: EAFNOSUPPORT, so the worker can tell a network attempt
apart); they do not kill the worker, so student code sees an ordinary OSError.
"""
import errno
import struct

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_by_handle_at", "name_to_handle_at",
    "acct", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "syslog", "quotactl",
    "quotactl_fd", "lookup_dcookie", "fanotify_init", "sethostname", "setdomainname", "vhangup",
    "iopl", "ioperm", "uselib",
)
AF_UNIX = 1

# classic BPF opcodes and seccomp return values
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_KILL_PROCESS, _ALLOW, _ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16          # offsets in struct seccomp_data (arg0: its low 32 bits)


def _op(code, k=0, jt=0, jf=0):
    return (code, jt, jf, k)


def _deny(err):
    return _op(_RET, _ERRNO | err)


def program(arch, nr, namespace_flags):
    """The filter's instructions for ``arch`` (its AUDIT_ARCH value and syscall numbers)."""
    ops = [_op(_LD_ABS, _ARCH), _op(_JEQ, arch, jt=1), _op(_RET, _KILL_PROCESS), _op(_LD_ABS, _NR)]
    if arch == 0xC000003E:  # x86_64: the x32 ABI shares the arch tag; its numbers have bit 30 set
        ops += [_op(_JGE, 0x40000000, jf=1), _deny(errno.EPERM)]
    for name in DENIED:
        if name in nr:  # some exist on one architecture only (iopl, ioperm, uselib: x86)
            ops += [_op(_JEQ, nr[name], jf=1), _deny(errno.EPERM)]
    ops += [_op(_JEQ, nr["clone3"], jf=1), _deny(errno.ENOSYS)]
    ops += [_op(_JEQ, nr["socket"], jf=4), _op(_LD_ABS, _ARG0),
            _op(_JEQ, AF_UNIX, jf=1), _op(_RET, _ALLOW), _deny(errno.EAFNOSUPPORT)]
    ops += [_op(_JEQ, nr["clone"], jf=4), _op(_LD_ABS, _ARG0),
            _op(_JSET, namespace_flags, jf=1), _deny(errno.EPERM), _op(_RET, _ALLOW)]
    ops.append(_op(_RET, _ALLOW))
    return ops


def assemble(ops):
    return b"".join(struct.pack("=HBBI", *op) for op in ops)
