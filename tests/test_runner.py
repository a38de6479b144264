"""Tests of rmtlib.pipeline.runner: parameters, profiles, content hash, execution."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from rmtlib.pipeline import parameters, runner
from rmtlib.profiles import load_profiles
from rmtlib.verdict import read_verdicts

PLACEHOLDER = Path(__file__).parent / "data" / "placeholder_chapter.ipynb"
NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
ACCEPTED = {"N": 60, "sigma": 1.0, "seed": 0, "entries": "gaussian", "Ns": [20, 40], "fail": False}


@pytest.fixture
def chapter(tmp_path) -> Path:
    """The placeholder chapter as notebooks/99_placeholder.ipynb, with a profiles.yml next to it."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(str(PLACEHOLDER), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("CHAPTER", "99_placeholder")
    path = notebooks / "99_placeholder.ipynb"
    nbformat.write(nb, str(path))
    (notebooks / "profiles.yml").write_text(
        "99_placeholder:\n"
        "  ci: {N: 40, seed: 3}\n"
        "  full: {N: 120, seed: 1}\n"
        "  runtime_s: {ci: 2, full: 200}\n"
        "  rules: {entries: {choices: [gaussian, rademacher]}, N: {max: 5000}}\n"
    )
    return path


def test_notebook_parameters_reads_the_parameters_cell(chapter):
    assert parameters.notebook_parameters(chapter) == ACCEPTED


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("N = 2 * 200", "plain literal"),
        ("import numpy", "only assign literals"),
        ("N = (", "not valid Python"),
    ],
)
def test_notebook_parameters_refuses_non_literal_cells(source, message):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})]
    with pytest.raises(ValueError, match=message):
        parameters.notebook_parameters(nb)


def test_notebook_parameters_needs_exactly_one_parameters_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("N = 1")]
    with pytest.raises(ValueError, match="exactly one cell tagged 'parameters', found 0"):
        parameters.notebook_parameters(nb)


def test_validate_converts_to_the_default_types():
    clean = parameters.validate_parameters({"sigma": 2, "Ns": [100, 200], "entries": "rademacher"}, ACCEPTED)
    assert clean == {"sigma": 2.0, "Ns": [100, 200], "entries": "rademacher"}
    assert isinstance(clean["sigma"], float)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"N": 1}, "N = 1: must be >= 2"),
        ({"N": 400.5}, "N = 400.5: expected int, got 400.5 (float)"),
        ({"N": True}, "N = True: expected int"),
        ({"sigma": 0}, "sigma = 0.0: must be > 0"),
        ({"sigma": -1.5}, "sigma = -1.5: must be > 0"),
        ({"sigma": "big"}, "sigma = 'big': expected float"),
        ({"seed": -1}, "seed = -1: must be >= 0"),
        ({"Ns": [100, 1]}, None),
        ({"Ns": [100, "x"]}, "Ns = [100, 'x']: expected int, got 'x' (str)"),
        ({"sigma": float("nan")}, "sigma = nan: must be finite"),
        ({"fail": 1}, "fail = 1: expected bool"),
        ({"NN": 4}, "unknown parameter 'NN'"),
    ],
)
def test_validate_refuses_with_the_accepted_list(values, problem):
    if problem is None:  # no common rule for "Ns": any list of ints is accepted
        assert parameters.validate_parameters(values, ACCEPTED) == values
        return
    with pytest.raises(parameters.ParameterError) as info:
        parameters.validate_parameters(values, ACCEPTED)
    message = str(info.value)
    assert problem in message
    assert "accepted parameters:\n  N: int (>= 2), default 60\n  sigma: float (> 0), default 1.0" in message
    assert "Ns: list[int], default [20, 40]" in message


def test_validate_reports_every_problem_and_applies_notebook_rules():
    with pytest.raises(parameters.ParameterError) as info:
        parameters.validate_parameters(
            {"N": 9000, "entries": "cauchy", "typo": 1},
            ACCEPTED,
            rules={"N": {"max": 5000}, "entries": {"choices": ["gaussian", "rademacher"]}},
        )
    message = str(info.value)
    assert "N = 9000: must be <= 5000" in message
    assert "entries = 'cauchy': must be one of ['gaussian', 'rademacher']" in message
    assert "unknown parameter 'typo'" in message
    assert "N: int (>= 2, <= 5000), default 60" in message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4000", 4000),
        ("1e-3", 0.001),
        ("0.5", 0.5),
        ("gaussian", "gaussian"),
        ("[1, 2]", [1, 2]),
        ("false", False),
        ("'007'", "007"),
        ("[unclosed", "[unclosed"),
        ("-2.5E+2", -250.0),
    ],
)
def test_parse_cli_value_reads_yaml_literals(text, value):
    assert parameters.parse_cli_value(text) == value


def test_resolve_merges_profile_then_overrides(chapter):
    assert parameters.resolve_parameters(chapter, profile="full") == {"N": 120, "seed": 1}
    assert parameters.resolve_parameters(chapter, profile="ci", overrides={"seed": 7, "sigma": 2}) == {
        "N": 40,
        "seed": 7,
        "sigma": 2.0,
    }
    with pytest.raises(parameters.ParameterError, match="entries = 'cauchy': must be one of"):
        parameters.resolve_parameters(chapter, profile="full", overrides={"entries": "cauchy"})
    with pytest.raises(parameters.ParameterError, match="profile must be one of"):
        parameters.resolve_parameters(chapter, profile="huge")


def test_resolve_names_a_missing_profile(chapter):
    (chapter.parent / "profiles.yml").write_text("99_placeholder:\n  ci: {N: 40}\n")
    with pytest.raises(parameters.ParameterError, match="no 'full' profile for 99_placeholder"):
        parameters.resolve_parameters(chapter, profile="full")


def test_content_hash_tracks_cells_tags_parameters_and_rmtlib(chapter, tmp_path, monkeypatch):
    nb = nbformat.read(str(chapter), as_version=4)
    base = runner.content_hash(nb, {"N": 40})
    assert len(base) == 64 and base == runner.content_hash(chapter, {"N": 40})
    assert runner.content_hash(nb, {"N": 41}) != base
    executed = nbformat.from_dict(nb)
    executed.cells[3].outputs = [nbformat.v4.new_output("stream", text="output")]
    executed.cells.insert(2, nbformat.v4.new_code_cell("N = 3", metadata={"tags": ["injected-parameters"]}))
    assert runner.content_hash(executed, {"N": 40}) == base  # outputs and injected cells do not count
    edited = nbformat.from_dict(nb)
    edited.cells[3].source += "\n"
    assert runner.content_hash(edited, {"N": 40}) != base
    retagged = nbformat.from_dict(nb)
    retagged.cells[3].metadata["tags"] = ["hide-input"]
    assert runner.content_hash(retagged, {"N": 40}) != base
    described = nbformat.from_dict(nb)
    described.cells[3].metadata["mystnb"] = {"image": {"alt": "Figure 1.1: a new description."}}
    assert runner.content_hash(described, {"N": 40}) != base
    executed.cells[3].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    assert runner.content_hash(executed, {"N": 40}) == base  # execution timestamps do not count
    assert runner.content_hash(nb, {"N": 40}, {"runtime_s": {"full": 60}}) != base  # the rerun note's data


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the rmtlib source tree that the content hash reads instead of the real one."""
    copy = tmp_path / "rmtlib"
    shutil.copytree(runner._PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "_PACKAGE", copy)
    monkeypatch.setattr(runner, "_PIPELINE", copy / "pipeline")
    return copy


def _chapter_hashes() -> dict[str, str]:
    profiles = load_profiles(NOTEBOOKS / "profiles.yml")
    hashes = {}
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        values = parameters.resolve_parameters(notebook, profile="ci", profiles=profiles)
        hashes[notebook.stem] = runner.content_hash(notebook, values, profiles[notebook.stem])
    return hashes


def test_editing_the_pipeline_changes_no_chapters_hash(package_copy):
    before = _chapter_hashes()
    assert len(before) >= 7
    for module in ("pipeline/runner.py", "pipeline/site.py", "pipeline/cli.py", "pipeline/sweep/store.py"):
        with open(package_copy / module, "a") as handle:
            handle.write("# an edit of the pipeline\n")
    assert _chapter_hashes() == before


@pytest.mark.parametrize("module", ["laws.py", "experiments/spikes.py", "house.mplstyle"])
def test_editing_what_a_kernel_imports_changes_every_chapters_hash(package_copy, module):
    before = _chapter_hashes()
    with open(package_copy / module, "a") as handle:
        handle.write("# an edit\n")
    after = _chapter_hashes()
    assert all(after[chapter] != before[chapter] for chapter in before)


def test_execute_runs_and_records(chapter, tmp_path):
    output = tmp_path / "out" / "99_placeholder.ipynb"
    figures = tmp_path / "out" / "figures"
    figures.mkdir(parents=True)
    (figures / "stale.png").write_bytes(b"old")
    nb = runner.execute(
        chapter,
        {"N": 40, "seed": 3},
        output,
        profile="ci",
        figures_dir=figures,
        progress_bar=False,
    )
    record = nbformat.read(str(output), as_version=4).metadata["rmtlib"]
    assert record["content_hash"] == runner.content_hash(chapter, {"N": 40, "seed": 3})
    assert record["parameters"] == {"N": 40, "seed": 3} and record["profile"] == "ci"
    assert record["figures"] == ["key_figure.png"]  # the stale file was cleared
    assert (figures / "key_figure.png").stat().st_size > 1000
    assert 0 < record["runtime_s"] < 120
    assert {"python", "numpy", "papermill", "rmtlib"} <= set(record["packages"])
    (verdict,) = read_verdicts(nb)
    assert verdict.N == 40 and verdict.passed  # the injected N reached the kernel
    note = "".join(o.get("data", {}).get("text/markdown", "") for o in nb.cells[3].outputs)
    assert "-p N 120 -p seed 1" in note and "about 3 min on 2 cores" in note
    assert "executed with the `ci` profile" in note
    assert record["fingerprint"]["parameters"] == {"N": 40, "seed": 3}
    assert {lib["threads"] for lib in record["fingerprint"]["blas"]} == {1}  # what the kernel ran
    fp = record["fingerprint"]
    assert f"computed with Python {fp['python']}, numpy {fp['packages']['numpy']}" in note
    assert not list(output.parent.glob("*.running.ipynb"))


def test_chapter_kernels_run_one_blas_thread_unless_told_otherwise(tmp_path, monkeypatch):
    probe = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("seed = 0")
    params.metadata["tags"] = ["parameters"]
    probe.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import os\nprint(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
        ),
    ]
    source = tmp_path / "98_probe.ipynb"
    nbformat.write(probe, str(source))
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # a value the user set is kept
    nb = runner.execute(
        source,
        {},
        tmp_path / "out.ipynb",
        profile=None,
        figures_dir=tmp_path / "f",
        progress_bar=False,
    )
    assert nb.cells[-1].outputs[0]["text"].split() == ["1", "2"]


def test_execute_keeps_the_failed_notebook_and_names_the_error(tmp_path):
    notebook = tmp_path / "98_failing.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("fail = False", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('assert not fail, "asked to fail"'),
    ]
    nbformat.write(nb, str(notebook))
    output = tmp_path / "out" / "98_failing.ipynb"
    with pytest.raises(runner.NotebookExecutionError) as info:
        runner.execute(
            notebook,
            {"fail": True},
            output,
            profile=None,
            figures_dir=tmp_path / "figs",
            progress_bar=False,
        )
    message = str(info.value)
    assert message.startswith("98_failing: cell In [3] raised AssertionError: asked to fail")
    assert not output.exists()
    failed = output.with_name("98_failing.failed.ipynb")
    assert info.value.failed_notebook == failed and failed.is_file()
    outputs = nbformat.read(str(failed), as_version=4).cells[-1].outputs
    assert [o["ename"] for o in outputs if o["output_type"] == "error"] == ["AssertionError"]


def test_execute_refuses_bad_parameters_before_a_kernel_starts(chapter, tmp_path, monkeypatch):
    import papermill

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    output = tmp_path / "out" / "99_placeholder.ipynb"
    with pytest.raises(parameters.ParameterError, match="N = 1: must be >= 2"):  # a common rule
        runner.execute(chapter, {"N": 1}, output)
    with pytest.raises(parameters.ParameterError, match="N = 6000: must be <= 5000"):  # profiles.yml's rule
        runner.execute(chapter, {"N": 6000}, output)
    with pytest.raises(parameters.ParameterError, match="unknown parameter 'M'"):
        runner.execute(chapter, {"M": 3}, output)
    assert not (tmp_path / "out").exists()


def test_path_parameters_are_resolved_and_must_exist(tmp_path, monkeypatch):
    from rmtlib.pipeline.parameters import ParameterError, validate_parameters

    monkeypatch.chdir(tmp_path)
    (tmp_path / "study.sqlite").write_bytes(b"")
    rules = {"store": {"path": True}}
    clean = validate_parameters({"store": "study.sqlite"}, {"store": ""}, rules=rules)
    assert clean == {"store": str(tmp_path / "study.sqlite")}
    assert validate_parameters({"store": ""}, {"store": ""}, rules=rules) == {"store": ""}
    with pytest.raises(ParameterError, match="store = 'missing.sqlite': must name an existing file"):
        validate_parameters({"store": "missing.sqlite"}, {"store": ""}, rules=rules)
