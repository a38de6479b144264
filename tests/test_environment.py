"""environment.yml (conda, Binder) and pyproject.toml (pip) list the same packages and ranges."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names of pip requirements that differ (pip name with extras -> conda name)
CONDA_NAMES = {"dask[distributed]": "dask"}
# what environment.yml may hold beyond pyproject's requirements
NOT_FROM_PYPROJECT = {"python", "pip", "nodejs"}


def _pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in ("book", "dev"):
        lines += project["optional-dependencies"][extra]
    found = {}
    for line in lines:
        req = Requirement(line)
        key = canonicalize_name(req.name) + (f"[{','.join(sorted(req.extras))}]" if req.extras else "")
        assert key not in found, f"{key} is listed twice in pyproject.toml"
        found[key] = req.specifier
    return found


def _environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _environment_requirements() -> tuple[dict[str, SpecifierSet], dict[str, str]]:
    found, other = {}, {}
    conda_to_pip = {conda: pip for pip, conda in CONDA_NAMES.items()}
    for entry in _environment()["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if line.startswith("-e "):
                    other["editable"] = line
                    continue
                req = Requirement(line)
                key = canonicalize_name(req.name) + (
                    f"[{','.join(sorted(req.extras))}]" if req.extras else ""
                )
                assert key not in found, f"{key} is listed twice in environment.yml"
                found[key] = req.specifier
            continue
        name, spec = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", entry).groups()
        if name in NOT_FROM_PYPROJECT:
            other[name] = spec
            continue
        key = conda_to_pip.get(name, canonicalize_name(name))
        assert key not in found, f"{key} is listed twice in environment.yml"
        found[key] = SpecifierSet(spec)
    return found, other


def test_same_packages_and_ranges():
    pip, (conda, _) = _pyproject_requirements(), _environment_requirements()
    assert sorted(conda) == sorted(pip), (
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}"
    )
    different = {name: (str(pip[name]), str(conda[name])) for name in pip if pip[name] != conda[name]}
    assert not different, f"version ranges differ (pyproject, environment.yml): {different}"


def test_environment_installs_rmtlib_with_a_supported_python():
    env = _environment()
    assert env["name"] == "rmtlib"
    assert env["channels"] == ["conda-forge"]
    _, other = _environment_requirements()
    assert other["editable"] == "-e ."
    python = other["python"].lstrip("=")
    requires = SpecifierSet(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    )
    assert python == "3.11" and f"{python}.0" in requires
    assert "nodejs" in other and "pip" in other


def test_jupyter_book_stays_on_1x():
    spec = _pyproject_requirements()["jupyter-book"]
    assert all(version.startswith("1.") for version in [s.version for s in spec]), (
        "Jupyter Book 2 needs the network to build; the book is a Jupyter Book 1.x project"
    )
