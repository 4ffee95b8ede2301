"""cu.status: the set-up cell's report (versions, device, threads, mode, run time, what to fix)."""
import importlib.metadata
import importlib.util
import re
import tomllib

import pytest

import course_utils as cu
from autograder import paths
from course_utils import report, runtimes


def test_requirements_follow_pyproject():
    declared = {}
    for spec in tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, lowest = re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", spec).groups()
        declared[name.lower()] = lowest
    for _, dist, lowest in report.REQUIREMENTS:
        assert declared[dist.lower()] == lowest, f"{dist}: status checks >={lowest}, pyproject says >={declared[dist.lower()]}"


def test_the_report_names_versions_device_threads_and_mode(monkeypatch):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    rep = report.make_report("02_autoencoders", probe=False)
    head, second, verdict = rep.lines()
    assert head.startswith("02_autoencoders · Python ") and f"torch {importlib.metadata.version('torch')}" in head
    assert second.startswith("cpu") and " thread" in second
    assert ("fast mode" if cu.is_fast() else "full mode") in second
    assert rep.problems == [] and verdict == "✓ ready"


def test_missing_and_old_packages_each_get_a_fix(monkeypatch):
    real_find, real_version = importlib.util.find_spec, importlib.metadata.version
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "kornia" else real_find(name, *a))
    monkeypatch.setattr(importlib.metadata, "version", lambda d: "2.0.1" if d == "torch" else real_version(d))
    rep = report.make_report("05_ssl", probe=False)
    assert rep.problems == ['torch 2.0.1 is older than 2.2: pip install -U "torch>=2.2"',
                            'kornia is missing: pip install "kornia>=0.7"']
    assert rep.lines()[2:] == [f"⚠ to fix: {p}" for p in rep.problems]


def test_run_time_scales_the_reference_by_this_machines_speed(monkeypatch):
    monkeypatch.setattr(runtimes, "WORK", {"02_autoencoders": {"full": 5000.0, "fast": 500.0}})  # probe steps
    monkeypatch.setattr(report, "probe_rate", lambda: 25.0)          # 25 probe steps per second here
    monkeypatch.setattr(report, "is_fast", lambda: False)
    rep = report.make_report("02_autoencoders")
    assert rep.seconds == pytest.approx(200.0) and "run time here: about 3 min" in rep.lines()[1]
    monkeypatch.setattr(report, "is_fast", lambda: True)
    assert report.make_report("02_autoencoders").seconds == pytest.approx(20.0)
    assert report.make_report("99_unknown").seconds is None


def test_the_probe_measures_a_real_training_step():
    import time

    assert 0.5 < report.probe_rate(seconds=0.05) < 1e6
    assert 0.5 < report.probe_rate(seconds=0.05, clock=time.process_time) < 1e6


def test_outside_a_kernel_the_report_is_printed(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_GRADING", "1")        # as in the grader: no probe, plain text
    monkeypatch.setattr(report, "probe_rate", lambda: pytest.fail("the grader must not pay for the probe"))
    assert cu.status("01_divergences") is None
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("01_divergences · ") and out[-1] == "✓ ready"


def test_in_a_kernel_the_report_is_a_widget_whose_text_fallback_says_what_to_fix(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.delenv("COURSE_GRADING", raising=False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"kernel": object()})())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    monkeypatch.setattr(report, "probe_rate", lambda: 1.0)
    cu.status("03_vae")
    (bundle, raw), = shown
    assert raw and bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    text = bundle["text/plain"].splitlines()
    assert text[0].startswith("03_vae · ") and text[-1] == f"⚠ to fix: {report.NO_WIDGETS}"
    assert "✓ ready" not in text
