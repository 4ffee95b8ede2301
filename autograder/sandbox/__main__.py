"""``python -m autograder.sandbox [--rounds N]``: the protections in force, and what they cost.

Prints the report the grade command starts with, then the median start-up time of a worker
(launch to the first answer, no student code) with the sandbox and without it (plain mode:
rlimits, cgroups and seccomp only), measured in alternation so that machine load hits both.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import Limits, Worker, plan, protections


def startup_ms(mode, scratch):
    """(ms from starting a worker to its "ready" for an empty notebook, ms the launcher spent
    before exec: its own Python start excluded)."""
    limits = Limits()
    chosen = protections(limits)
    if mode != chosen.mode:
        chosen = plan.Plan(mode, chosen.privileged, chosen.cgroups, chosen.skip, [], {})
    start = time.perf_counter()
    worker = Worker(scratch, limits, sandbox=chosen)
    try:
        worker.send({"op": "start", "cells": [], "skip": [], "seed": 0}, timeout=60)
        assert worker.receive(60).get("event") == "ready"
        total = (time.perf_counter() - start) * 1000
        steps = [json.loads(line) for line in os.read(worker._status_r, 1 << 16).decode().splitlines()]
        return total, next(s["setup_ms"] for s in steps if s["step"] == "ready")
    finally:
        worker.kill()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    p = protections()
    print("\n".join(p.report()))
    if not p.namespaces:
        return 0
    times = {"namespaces": [], "plain": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            for mode in times:
                times[mode].append(startup_ms(mode, Path(tmp) / f"{mode}{i}"))
    for mode, runs in times.items():
        print(f"{mode:>10}: worker start-up to ready {statistics.median(r[0] for r in runs):.0f} ms, "
              f"of which launcher set-up {statistics.median(r[1] for r in runs):.1f} ms "
              f"(median of {args.rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
