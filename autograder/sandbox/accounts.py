"""Dedicated outer uids for workers when the grader runs as root.

The worker is uid 0 inside its user namespace; outside, that is the uid we map it to. A root
grader maps every concurrent worker to its own unprivileged uid (``UID_BASE + slot``), so file
ownership, signals and RLIMIT_NPROC are per worker and no worker is ever real root. A slot is
held with an exclusive flock on a lock file, so graders running side by side on one machine
(e.g. pytest -n 2) never hand out the same uid twice; the kernel drops the lock if the grader
dies. The lock folder is root's and invisible from inside the sandbox.
"""
import fcntl
import os
import tempfile
from pathlib import Path

UID_BASE = int(os.environ.get("COURSE_SANDBOX_UID_BASE", "424200"))
SLOTS = 1000
LOCKS = Path(tempfile.gettempdir()) / ".course-autograder-uids"


class Account:
    def __init__(self, uid, fd):
        self.uid = self.gid = uid
        self._fd = fd

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None


def acquire():
    """A free uid slot (raises OSError if all are taken)."""
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    for slot in range(SLOTS):
        fd = os.open(LOCKS / str(slot), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Account(UID_BASE + slot, fd)
    raise OSError(f"all {SLOTS} sandbox uids from {UID_BASE} are in use")
