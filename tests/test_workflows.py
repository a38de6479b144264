"""The GitHub Actions workflows: linters report nothing, chapters and profiles follow the repository.

actionlint (with shellcheck on every ``run:`` script) and zizmor (offline, pedantic,
configured by ``.github/zizmor.yml``) must print no finding. The chapter choices of
``rerun`` and the matrix of ``nightly`` must list exactly the notebooks of ``notebooks/``,
and the profile choices the profiles of ``notebooks/profiles.yml``. Workflow inputs reach
a shell only through ``env:``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NOT_PROFILES = {"runtime_s", "rules"}  # the other keys of a chapter's block in profiles.yml


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.is_file() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `make venv` installs the dev extra of pyproject.toml")
    return found


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text(encoding="utf-8"))


def _triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True


def _chapters() -> list[str]:
    return sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))


def _profiles() -> list[str]:
    profiles = yaml.safe_load((ROOT / "notebooks" / "profiles.yml").read_text(encoding="utf-8"))
    return sorted({key for block in profiles.values() for key in block} - NOT_PROFILES)


def _disagreement(where: str, listed, expected, source: str) -> str:
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    return (
        f"{where} must list exactly {source}: add {missing}, remove {extra} "
        f"(expected, in order: {sorted(expected)})"
    )


def test_workflows_are_the_four_expected():
    assert sorted(p.stem for p in WORKFLOWS.glob("*.y*ml")) == ["book", "nightly", "rerun", "test"]


def test_actionlint_reports_nothing():
    files = [str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]
    result = subprocess.run(
        [_tool("actionlint"), "-no-color", f"-shellcheck={_tool('shellcheck')}", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_zizmor_reports_nothing():
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--persona",
            "pedantic",
            "--no-progress",
            "--config",
            str(ROOT / ".github" / "zizmor.yml"),
            str(WORKFLOWS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout + result.stderr


def test_rerun_offers_every_chapter_and_profile():
    inputs = _triggers(_workflow("rerun"))["workflow_dispatch"]["inputs"]
    chapters, profiles = inputs["chapter"]["options"], inputs["profile"]["options"]
    assert chapters == _chapters(), _disagreement(
        ".github/workflows/rerun.yml inputs.chapter.options", chapters, _chapters(), "the notebooks/*.ipynb"
    )
    assert profiles == _profiles(), _disagreement(
        ".github/workflows/rerun.yml inputs.profile.options", profiles, _profiles(), "notebooks/profiles.yml"
    )
    assert inputs["profile"]["default"] == "ci" and inputs["parameters"]["default"] == "{}"


def test_nightly_runs_every_chapter_at_full():
    workflow = _workflow("nightly")
    assert "schedule" in _triggers(workflow)
    job = workflow["jobs"]["chapter"]
    matrix = job["strategy"]["matrix"]["chapter"]
    assert matrix == _chapters(), _disagreement(
        ".github/workflows/nightly.yml jobs.chapter.strategy.matrix.chapter",
        matrix,
        _chapters(),
        "the notebooks/*.ipynb",
    )
    assert job["strategy"]["fail-fast"] is False
    assert any("--profile full" in step.get("run", "") for step in job["steps"])
    summary = workflow["jobs"]["summary"]
    assert summary["needs"] == "chapter" and summary["if"] == "always()"
    assert any("needs.chapter.result" in str(step.get("env", {})) for step in summary["steps"])


def _steps():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_name, job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].items():
            for step in job.get("steps", []):
                yield f"{path.name}: {job_name}", step


def test_expressions_reach_the_shell_only_through_env():
    for where, step in _steps():
        assert "${{" not in step.get("run", ""), f"{where}: a `run:` uses ${{{{ }}}}; pass it through env:"


def test_actions_are_pinned_to_full_commit_shas():
    for where, step in _steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), f"{where}: {step['uses']}"


def test_book_deploys_the_full_site_from_main_only():
    workflow = _workflow("book")
    assert _triggers(workflow)["push"]["branches"] == ["main"] and "pull_request" in _triggers(workflow)
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert any(step.get("run") == "make book" for step in build["steps"])
    uploads = {step["uses"].split("@")[0]: step for step in build["steps"] if "uses" in step}
    assert uploads["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert uploads["actions/upload-pages-artifact"]["if"] == "github.event_name == 'push'"
    assert uploads["actions/upload-artifact"]["with"]["path"] == "_build/html"
    assert uploads["actions/upload-artifact"]["if"] == "github.event_name == 'pull_request'"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "github.ref == 'refs/heads/main'" in deploy["if"] and "push" in deploy["if"]


def _hashed_files(patterns: list[str]) -> set[Path]:
    """The files matched by ``hashFiles(patterns)`` (glob patterns; ``!`` excludes).

    As in ``hashFiles``, a trailing ``**`` matches every file below (Python's ``glob``
    before 3.13 matches only directories there).
    """

    def matches(pattern: str) -> set[Path]:
        return set(ROOT.glob(pattern + "/*" if pattern.endswith("**") else pattern))

    included = {p for pattern in patterns if not pattern.startswith("!") for p in matches(pattern)}
    excluded = {p for pattern in patterns if pattern.startswith("!") for p in matches(pattern[1:])}
    return {p for p in included - excluded if p.is_file()}


def test_executed_chapters_cache_is_keyed_on_what_the_content_hash_covers():
    steps = _workflow("test")["jobs"]["test"]["steps"]
    (cache,) = [s for s in steps if s.get("with", {}).get("path") == "_build/executed"]
    (call,) = re.findall(r"hashFiles\(([^)]*)\)", cache["with"]["key"])
    patterns = re.findall(r"'([^']+)'", call)
    package = ROOT / "rmtlib"
    covered = {
        *(ROOT / "notebooks").glob("*.ipynb"),
        ROOT / "notebooks" / "profiles.yml",
        *(
            p
            for p in package.rglob("*")
            if p.suffix in {".py", ".mplstyle"} and not p.is_relative_to(package / "pipeline")
        ),
    }
    assert _hashed_files(patterns) == covered
    runs = [s.get("run") for s in steps]
    assert steps.index(cache) < runs.index("make test")  # restored before the build


def _run_scripts(workflow: dict) -> list[str]:
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    return [step["run"] for step in steps if "run" in step]


@pytest.mark.parametrize("name", ["book", "nightly", "rerun", "test"])
def test_every_workflow_installs_the_locked_versions_as_make_does(name):
    """A rerun in CI computes with the numpy, scipy... of the published book: the lock with hashes,
    then rmtlib without dependencies (Makefile's `venv`), or `make` itself."""
    scripts = _run_scripts(_workflow(name))
    installs = [line.strip() for script in scripts for line in script.splitlines() if "pip install" in line]
    uses_make = any(re.match(r"\s*make\b", line) for script in scripts for line in script.splitlines())
    assert installs or uses_make, f"{name}.yml installs nothing: it must install as make does"
    for line in installs:
        locked = "--require-hashes -r requirements-lock.txt" in line
        assert locked or "--no-deps" in line, f"{name}.yml resolves dependencies anew: {line}"
    if installs:
        assert "--require-hashes -r requirements-lock.txt" in installs[0], (name, installs)


def test_the_makefile_installs_the_lock_then_rmtlib_without_dependencies():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
