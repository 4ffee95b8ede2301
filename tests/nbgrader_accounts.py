"""People for the nbgrader tests: an instructor and students, each with a HOME, running commands.

As root (the suite and CI run as root on Debian), ``people(roles)`` makes a shared folder (under
``/tmp``, which every account can enter; pytest's own temporary folders are private to root) and
real Unix accounts with ``useradd`` (HOME under ``base/home``) and runs each command as that user, so
nbgrader's exchange permissions, file owners and its "claims to be submitted by ... but is owned
by ..." check are the real ones; the accounts are deleted afterwards. The venv's interpreter
and the course must be reachable by them: directories on their paths that others cannot enter
(e.g. a pyenv or a clone under ``/root``, mode 700) get the search bit (``o+x``, not read) for
the test and their mode back after it.

Without root, accounts cannot be made: everyone is the current user with their own HOME, and
students pass nbgrader's own ``--student ID`` to ``submit`` and ``fetch_feedback`` (the id
nbgrader would otherwise take from the account). Under ``CI=true`` that fallback is refused.
"""
import contextlib
import dataclasses
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import paths

VENV_BIN = Path(sys.executable).parent


@dataclasses.dataclass
class Person:
    name: str                 # the Unix user name and nbgrader's student id
    home: Path
    real: bool                # a real account (else: the current user with its own HOME)
    log: list

    @property
    def uid(self):
        return pwd.getpwnam(self.name).pw_uid if self.real else os.getuid()

    @property
    def gid(self):
        return pwd.getpwnam(self.name).pw_gid if self.real else os.getgid()

    def env(self):
        return {"HOME": str(self.home), "USER": self.name if self.real else os.environ.get("USER", ""),
                "LOGNAME": self.name if self.real else os.environ.get("LOGNAME", ""),
                "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
                "CI": os.environ.get("CI", "")}

    def run(self, argv, cwd=None, check=True, timeout=900):
        """Run ``argv`` as this person (in their HOME by default); returns the CompletedProcess."""
        start = time.perf_counter()
        ids = {"user": self.uid, "group": self.gid, "extra_groups": []} if self.real else {}
        result = subprocess.run([str(a) for a in argv], cwd=cwd or self.home, env=self.env(), capture_output=True,
                                text=True, timeout=timeout, **ids)
        command = " ".join(Path(str(a)).name if i == 0 else str(a).splitlines()[0] for i, a in enumerate(argv[:4]))
        self.log.append((self.name, command, round(time.perf_counter() - start, 1)))
        if check and result.returncode != 0:
            raise AssertionError(f"{self.name}: {' '.join(map(str, argv))} exited {result.returncode}\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def write(self, path, data):
        """Create a file as this person would (owned by them)."""
        path = Path(path)
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
        if self.real:
            os.chown(path, self.uid, self.gid)

    def mkdir(self, path):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.real:
            os.chown(path, self.uid, self.gid)
        return path


def can_make_accounts():
    return os.geteuid() == 0 and shutil.which("useradd") and shutil.which("userdel")


@contextlib.contextmanager
def people(roles):
    """(base folder, {role: Person}); real accounts when root (see the module docstring)."""
    base = Path(tempfile.mkdtemp(prefix="nbgrader-hub-"))
    os.chmod(base, 0o755)
    real = bool(can_make_accounts())
    if not real and os.environ.get("CI") == "true":
        pytest.fail("CI runs as root and must use real Unix accounts (useradd/userdel missing or not root)")
    suffix = secrets.token_hex(3)
    log, made, opened = [], [], []
    try:
        if real:
            for folder in (Path(sys.executable).resolve().parent, Path(sys.prefix), Path(sys.base_prefix), paths.ROOT):
                opened += _open_path_to(folder)  # the interpreter, the venv, the course
        out = {}
        for role in roles:
            name = f"{role}{suffix}"
            home = base / "home" / name
            home.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(home.parent, 0o755)
            if real:
                subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                                "--user-group", name], check=True, capture_output=True)
                made.append(name)
            else:
                home.mkdir()
            out[role] = Person(name, home, real, log)
        yield base, out
    finally:
        for name in made:
            subprocess.run(["userdel", "--force", name], capture_output=True)
        for path, mode in reversed(opened):
            os.chmod(path, mode)
        shutil.rmtree(base, ignore_errors=True)


def _open_path_to(target):
    """Give others the search bit on ``target`` and every directory above it that lacks it."""
    changed = []
    for folder in [*reversed(target.parents), target]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            changed.append((folder, stat.S_IMODE(mode)))
            os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
    return changed
