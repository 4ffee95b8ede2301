"""environment.yml (conda, for JupyterHub images) and pyproject.toml declare the same packages."""
import re
import tomllib

import yaml

from conftest import ROOT


def normalise(spec):
    return re.sub(r"\s+", "", spec).lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert sorted(map(normalise, pip)) == sorted(map(normalise, project))


def test_torch_range_admits_the_local_cpu_build():
    """CI installs torch==2.13.0 first; the declared range must accept it (no CUDA download)."""
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_spec = next(s for s in project if s.startswith("torch"))
    assert "2.13.0" in SpecifierSet(torch_spec[len("torch"):])
