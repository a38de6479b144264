"""Run a chapter notebook with papermill: parameter profiles, validation, content hash.

A chapter notebook has one code cell tagged ``parameters`` holding plain literal
assignments (ints, floats, strings, bools, lists). Its named parameter sets live
in ``notebooks/profiles.yml``::

    01_semicircle:
      ci:   {N: 400, seed: 1}          # small sizes, same code path (make test)
      full: {N: 4000, seed: 1}         # what the published book shows
      runtime_s: {ci: 10, full: 120}   # optional: expected run time on 2 cores
      rules: {N: {max: 20000}}         # optional: value rules beyond the common ones

:func:`resolve_parameters` merges a profile with command-line overrides and refuses
unknown names, wrong types and impossible values *before* anything runs, with
one message that lists the accepted parameters and their types.
:func:`execute_chapter` runs the notebook and records, in the executed notebook's
metadata under ``"rmtlib"``, the content hash (cells, parameters, rmtlib source),
the profile, the parameters, the run time, the package versions and the environment
fingerprint (:func:`rmtlib.pipeline.fingerprint.fingerprint`).
:func:`rerun_note` is called by each chapter to tell the reader how to rerun it.

The kernel the notebook runs in sees these environment variables:
``RMTLIB_FIGURES_DIR`` (where :func:`rmtlib.plotting.savefig` writes),
``RMTLIB_PROGRESS=0`` (no tqdm bars in executed notebooks, see
:mod:`rmtlib.progress`), ``RMTLIB_PROFILE``, ``RMTLIB_PROFILES`` and ``RMTLIB_VERSIONS``
(the fingerprint in one line; all three read by :func:`rerun_note`).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import re
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path

import yaml

__all__ = [
    "COMMON_RULES",
    "NotebookExecutionError",
    "ParameterError",
    "PROFILE_NAMES",
    "chapter_name",
    "content_hash",
    "execute_chapter",
    "load_profiles",
    "notebook_parameters",
    "package_versions",
    "parse_cli_value",
    "rerun_command",
    "rerun_markdown",
    "rerun_note",
    "resolve_parameters",
    "validate_parameters",
]

PROFILE_NAMES = ("ci", "full")
#: Value rules applied to any notebook parameter of that name (a rule applies to
#: each element of a list parameter). Keys: ``min``/``max`` (inclusive),
#: ``gt``/``lt`` (strict), ``choices``.
COMMON_RULES: dict[str, dict] = {
    "N": {"min": 2},
    "M": {"min": 1},
    "sigma": {"gt": 0},
    "gamma": {"gt": 0},
    "seed": {"min": 0},
    "seeds": {"min": 1},
    "n_seeds": {"min": 1},
    "r": {"min": 0},
    "bins": {"min": 1},
}
_RULE_KEYS = {"min", "max", "gt", "lt", "choices", "path"}
# A chapter kernel (and a sweep worker) runs its linear algebra on one BLAS thread: small and
# medium problems gain nothing from a second thread, and two processes each running two
# threads on two cores slow each other down by 5-10x. A value the user set is kept.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
_CHAPTER_KEYS = {*PROFILE_NAMES, "runtime_s", "rules"}
_MAIN_PACKAGES = (
    "rmtlib",
    "numpy",
    "scipy",
    "matplotlib",
    "papermill",
    "ipykernel",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "sphinx-proof",
    "scikit-learn",
)


class ParameterError(ValueError):
    """A parameter given to a chapter is unknown, of the wrong type or impossible."""


class NotebookExecutionError(RuntimeError):
    """A cell of a chapter notebook raised; the failed executed notebook is kept."""

    def __init__(self, chapter: str, message: str, failed_notebook: Path):
        self.chapter = chapter
        self.failed_notebook = Path(failed_notebook)
        super().__init__(f"{chapter}: {message}\n  the failed executed notebook is kept at {failed_notebook}")


# --------------------------------------------------------------------------- profiles


def chapter_name(notebook) -> str:
    """Return the chapter name of a notebook path: its file name without ``.ipynb``.

    Examples
    --------
    >>> chapter_name("notebooks/01_semicircle.ipynb")
    '01_semicircle'
    """
    return Path(notebook).name.removesuffix(".ipynb")


def load_profiles(path) -> dict[str, dict]:
    """Read and check ``profiles.yml``: ``{chapter: {ci: {...}, full: {...}, runtime_s, rules}}``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "profiles.yml"
    >>> _ = p.write_text("01_semicircle:\\n  ci: {N: 400, seed: 1}\\n  full: {N: 4000, seed: 1}\\n")
    >>> load_profiles(p)["01_semicircle"]["full"]
    {'N': 4000, 'seed': 1}
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no profiles file at {path}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of chapter names to profiles")
    for chapter, block in data.items():
        where = f"{path.name}: {chapter}"
        if not isinstance(block, dict):
            raise ValueError(f"{where}: expected a mapping with keys {sorted(_CHAPTER_KEYS)}")
        extra = set(block) - _CHAPTER_KEYS
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)}; accepted: {sorted(_CHAPTER_KEYS)}")
        for name in PROFILE_NAMES:
            if not isinstance(block.get(name, {}), dict):
                raise ValueError(f"{where}.{name}: expected a mapping of parameter names to values")
        for name, rule in (block.get("rules") or {}).items():
            if not isinstance(rule, dict) or set(rule) - _RULE_KEYS:
                raise ValueError(
                    f"{where}.rules.{name}: expected a mapping with keys among {sorted(_RULE_KEYS)}"
                )
    return data


def _profiles_file_for(notebook: Path) -> Path:
    return Path(notebook).resolve().parent / "profiles.yml"


# --------------------------------------------------------------------------- parameters


def notebook_parameters(notebook) -> dict[str, object]:
    """Return the defaults of the notebook's ``parameters`` cell, in order.

    The cell may hold only assignments of literals (numbers, strings, bools,
    lists, ``None``) and comments.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("N = 400  # size\\nseed = 1", metadata={"tags": ["parameters"]})
    >>> nb.cells = [cell]
    >>> notebook_parameters(nb)
    {'N': 400, 'seed': 1}
    """
    import nbformat

    nb = notebook if isinstance(notebook, dict) else nbformat.read(str(notebook), as_version=4)
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    label = notebook if not isinstance(notebook, dict) else "the notebook"
    if len(cells) != 1:
        raise ValueError(f"{label}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    try:
        tree = ast.parse(cells[0]["source"])
    except SyntaxError as exc:
        raise ValueError(f"{label}: the parameters cell is not valid Python: {exc}") from None
    params: dict[str, object] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
        if isinstance(stmt, ast.AnnAssign):
            target = stmt.target
        if not isinstance(target, ast.Name) or stmt.value is None:
            raise ValueError(
                f"{label}: the parameters cell may only assign literals to names (line {stmt.lineno})"
            )
        try:
            params[target.id] = ast.literal_eval(stmt.value)
        except ValueError:
            raise ValueError(
                f"{label}: parameter {target.id} must be a plain literal (line {stmt.lineno})"
            ) from None
    return params


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if value is None:
        return "None"
    if isinstance(value, list | tuple):
        kinds = {_type_name(v) for v in value}
        if kinds == {"int", "float"}:
            kinds = {"float"}
        return f"list[{kinds.pop()}]" if len(kinds) == 1 else "list"
    return type(value).__name__


def _coerce(value, expected: str):
    """Return ``value`` converted to the ``expected`` type name, or raise ``TypeError``."""
    got = _type_name(value)
    if expected == "None" or got == expected:
        return list(value) if isinstance(value, tuple) else value
    if expected == "float" and got == "int":
        return float(value)
    if expected.startswith("list") and got.startswith("list"):
        inner = expected[5:-1] if expected != "list" else None
        if inner is None or not value:
            return list(value)
        return [_coerce(v, inner) for v in value]
    raise TypeError(f"expected {expected}, got {value!r} ({got})")


def _rule_violation(value, rule: dict) -> str | None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if "choices" in rule and item not in rule["choices"]:
            return f"must be one of {rule['choices']!r}"
        if isinstance(item, bool) or not isinstance(item, int | float):
            continue
        if "min" in rule and item < rule["min"]:
            return f"must be >= {rule['min']}"
        if "max" in rule and item > rule["max"]:
            return f"must be <= {rule['max']}"
        if "gt" in rule and item <= rule["gt"]:
            return f"must be > {rule['gt']}"
        if "lt" in rule and item >= rule["lt"]:
            return f"must be < {rule['lt']}"
    return None


def _describe(accepted: dict, rules: dict) -> str:
    lines = []
    for name, default in accepted.items():
        rule = rules.get(name, {})
        bounds = ", ".join(
            [
                f"{op} {rule[key]!r}"
                for key, op in (("min", ">="), ("gt", ">"), ("max", "<="), ("lt", "<"), ("choices", "one of"))
                if key in rule
            ]
            + (["path to an existing file, or empty"] if rule.get("path") else [])
        )
        lines.append(
            f"  {name}: {_type_name(default)}" + (f" ({bounds})" if bounds else "") + f", default {default!r}"
        )
    return "\n".join(lines)


def validate_parameters(
    values: dict, accepted: dict, *, rules: dict | None = None, chapter: str = ""
) -> dict:
    """Check ``values`` against the notebook's ``accepted`` defaults and the value rules.

    Returns the values converted to the defaults' types (an int given for a float
    parameter becomes a float). Every problem is reported at once in one
    :class:`ParameterError` that also lists the accepted parameters and types.

    Examples
    --------
    >>> validate_parameters({"N": 100}, {"N": 400, "sigma": 1.0})
    {'N': 100}
    >>> validate_parameters({"N": 1, "sgima": 2}, {"N": 400, "sigma": 1.0})
    Traceback (most recent call last):
    ...
    rmtlib.run.ParameterError: refused parameters:
      N = 1: must be >= 2
      unknown parameter 'sgima'
    accepted parameters:
      N: int (>= 2), default 400
      sigma: float (> 0), default 1.0
    """
    merged_rules = {name: dict(rule) for name, rule in COMMON_RULES.items()}
    for name, rule in (rules or {}).items():
        merged_rules.setdefault(name, {}).update(rule)
    problems, clean = [], {}
    for name, value in values.items():
        if name not in accepted:
            problems.append(f"unknown parameter {name!r}")
            continue
        try:
            value = _coerce(value, _type_name(accepted[name]))
        except TypeError as exc:
            problems.append(f"{name} = {value!r}: {exc}")
            continue
        numbers = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
            problems.append(f"{name} = {value!r}: must be finite")
            continue
        violation = _rule_violation(value, merged_rules.get(name, {}))
        if violation:
            problems.append(f"{name} = {value!r}: {violation}")
            continue
        if merged_rules.get(name, {}).get("path") and value:
            # a file the chapter reads: resolved here, since the kernel runs in another folder
            path = Path(value).expanduser().resolve()
            if not path.is_file():
                problems.append(f"{name} = {value!r}: must name an existing file")
                continue
            value = str(path)
        clean[name] = value
    if problems:
        head = f"refused parameters{' for ' + chapter if chapter else ''}:\n  "
        raise ParameterError(
            head + "\n  ".join(problems) + "\naccepted parameters:\n" + _describe(accepted, merged_rules)
        )
    return clean


def parse_cli_value(text: str):
    """Parse a command-line value as a YAML literal (``4000`` is an int, ``[1, 2]`` a list).

    Examples
    --------
    >>> parse_cli_value("4000"), parse_cli_value("0.5"), parse_cli_value("rademacher")
    (4000, 0.5, 'rademacher')
    >>> parse_cli_value("[200, 400]"), parse_cli_value("true"), parse_cli_value("1e-3")
    ([200, 400], True, 0.001)
    """
    if _FLOAT.match(text.strip()):  # YAML 1.1 reads "1e-3" as a string
        return float(text)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def resolve_parameters(
    notebook, *, profile: str | None = "full", overrides: dict | None = None, profiles: dict | None = None
) -> dict:
    """Return the validated parameters for running ``notebook``: profile values, then overrides.

    ``profiles`` defaults to the ``profiles.yml`` next to the notebook; with
    ``profile=None`` only the overrides are applied on top of the notebook's defaults.
    """
    notebook = Path(notebook)
    chapter = chapter_name(notebook)
    accepted = notebook_parameters(notebook)
    block: dict = {}
    if profile is not None or profiles is not None:
        if profiles is None:
            profiles = load_profiles(_profiles_file_for(notebook))
        if profile is not None and profile not in PROFILE_NAMES:
            raise ParameterError(f"profile must be one of {list(PROFILE_NAMES)}, got {profile!r}")
        block = profiles.get(chapter) or {}
        if profile is not None and profile not in block:
            raise ParameterError(
                f"profiles.yml has no '{profile}' profile for {chapter}; add one "
                f"(e.g. {chapter}: {{{profile}: {{N: 400, seed: 1}}}}) or choose another profile"
            )
    values = {**(block.get(profile) or {}), **(overrides or {})} if profile else dict(overrides or {})
    return validate_parameters(values, accepted, rules=block.get("rules"), chapter=chapter)


# --------------------------------------------------------------------------- hashing and versions


def _rmtlib_sources() -> list[Path]:
    package = Path(__file__).resolve().parent
    return sorted([*package.rglob("*.py"), *package.rglob("*.mplstyle")])


_VOLATILE_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled")


def content_hash(notebook, parameters: dict, profile_block: dict | None = None) -> str:
    """Return the SHA-256 of the notebook's cells, the parameters and every rmtlib source file.

    Cells enter with their type, source and metadata (tags, figure alt text...);
    outputs and execution metadata do not: executing a notebook does not change
    the hash, editing a cell, its metadata, a parameter or rmtlib does.
    ``profile_block`` (the chapter's entry of ``profiles.yml``, which the rerun
    note displays) enters too when given.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    >>> content_hash(nb, {"N": 4}) == content_hash(nb, {"N": 4}) != content_hash(nb, {"N": 5})
    True
    """
    import nbformat

    nb = notebook if isinstance(notebook, dict) else nbformat.read(str(notebook), as_version=4)
    digest = hashlib.sha256(b"rmtlib content hash v2\n")
    cells = [
        [
            c["cell_type"],
            c["source"],
            {k: v for k, v in c.get("metadata", {}).items() if k not in _VOLATILE_CELL_METADATA},
        ]
        for c in nb["cells"]
        if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    digest.update(json.dumps(cells, sort_keys=True).encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(json.dumps(profile_block or {}, sort_keys=True).encode())
    for source in _rmtlib_sources():
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Return the versions of Python and of the main packages the book is built with.

    Examples
    --------
    >>> versions = package_versions()
    >>> sorted(k for k in ("python", "numpy", "rmtlib") if k in versions)
    ['numpy', 'python', 'rmtlib']
    """
    versions = {"python": sys.version.split()[0]}
    for name in _MAIN_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


# --------------------------------------------------------------------------- execution


@contextlib.contextmanager
def _environment(**variables: str):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute_chapter(
    notebook,
    output,
    *,
    parameters: dict,
    profile: str | None,
    figures_dir,
    progress_bar: bool = True,
    content_hash_value: str | None = None,
):
    """Execute ``notebook`` with papermill into ``output`` and record the run in its metadata.

    The kernel runs in the notebook's directory; figures saved with
    :func:`rmtlib.plotting.savefig` go to ``figures_dir`` (emptied first).
    On a failing cell the executed notebook is kept next to ``output`` as
    ``<name>.failed.ipynb`` (``output`` itself is not written) and
    :class:`NotebookExecutionError` names the chapter, the cell and the error.

    Returns the executed notebook (an ``nbformat`` node).
    """
    import shutil

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output, figures_dir = Path(notebook).resolve(), Path(output), Path(figures_dir).resolve()
    chapter = chapter_name(notebook)
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f"{chapter}.running.ipynb")
    failed = output.with_name(f"{chapter}.failed.ipynb")
    failed.unlink(missing_ok=True)
    shutil.rmtree(figures_dir, ignore_errors=True)
    figures_dir.mkdir(parents=True)
    digest = content_hash_value or content_hash(notebook, parameters)
    env = {
        "RMTLIB_FIGURES_DIR": str(figures_dir),
        "RMTLIB_PROGRESS": "0",
        "RMTLIB_PROFILE": profile or "custom",
        "RMTLIB_PROFILES": str(_profiles_file_for(notebook)),
        **{name: os.environ.get(name, "1") for name in BLAS_THREAD_VARIABLES},
    }
    from .pipeline.fingerprint import describe, fingerprint

    env["RMTLIB_VERSIONS"] = describe(fp := fingerprint(profile or "custom", parameters, environ=env))
    start = time.perf_counter()
    try:
        with _environment(**env):
            papermill.execute_notebook(
                str(notebook),
                str(running),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(notebook.parent),
                progress_bar=progress_bar,
                log_output=False,
            )
    except PapermillExecutionError as exc:
        running.replace(failed)
        raise NotebookExecutionError(
            chapter, f"cell In [{exc.exec_count}] raised {exc.ename}: {exc.evalue}", failed
        ) from None
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    runtime = time.perf_counter() - start
    nb = nbformat.read(str(running), as_version=4)
    nb.metadata["rmtlib"] = {
        "chapter": chapter,
        "content_hash": digest,
        "profile": profile or "custom",
        "parameters": parameters,
        "runtime_s": round(runtime, 2),
        "executed_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "packages": package_versions(),
        "fingerprint": fp,
        "figures": sorted(p.name for p in figures_dir.iterdir()),
    }
    nbformat.write(nb, str(output))
    running.unlink()
    return nb


# --------------------------------------------------------------------------- rerun note


def rerun_command(chapter: str, parameters: dict) -> str:
    """Return the shell command that reruns ``chapter`` with ``parameters``.

    Examples
    --------
    >>> rerun_command("01_semicircle", {"N": 4000, "Ns": [500, 1000], "entries": "gaussian"})
    "python -m rmtlib run notebooks/01_semicircle.ipynb -p N 4000 -p Ns '[500, 1000]' -p entries gaussian"
    """
    parts = ["python", "-m", "rmtlib", "run", f"notebooks/{chapter}.ipynb"]
    for name, value in parameters.items():
        text = json.dumps(value) if isinstance(value, list | bool) or value is None else str(value)
        text = (
            text.replace('"', "")
            if isinstance(value, list) and all(isinstance(v, str) for v in value)
            else text
        )
        parts += ["-p", name, text]
    return " ".join(shlex.quote(p) for p in parts)


def _format_runtime(seconds) -> str:
    seconds = float(seconds)
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min"


def rerun_markdown(chapter: str) -> str:
    """Return the Markdown of :func:`rerun_note`: the command rerunning ``chapter`` with its ``full`` profile.

    Reads ``profiles.yml`` (``$RMTLIB_PROFILES`` when set by the runner, else
    ``profiles.yml`` or ``notebooks/profiles.yml`` under the current directory).

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "profiles.yml"
    >>> _ = p.write_text("01_semicircle:\\n  full: {N: 4000, seed: 1}\\n  runtime_s: {full: 150}\\n")
    >>> os.environ["RMTLIB_PROFILES"] = str(p)
    >>> print(rerun_markdown("01_semicircle"))  # doctest: +NORMALIZE_WHITESPACE
    **Rerun this chapter** (the published `full` profile, about 2 min on 2 cores):
    `python -m rmtlib run notebooks/01_semicircle.ipynb -p N 4000 -p seed 1`
    <BLANKLINE>
    Change any `-p NAME VALUE` to explore; the executed notebook and its figures are written to
    `_build/runs/01_semicircle/`.
    >>> del os.environ["RMTLIB_PROFILES"]
    """
    candidates = [os.environ.get("RMTLIB_PROFILES", ""), "profiles.yml", "notebooks/profiles.yml"]
    path = next((Path(c) for c in candidates if c and Path(c).is_file()), None)
    if path is None:
        raise FileNotFoundError("no profiles.yml found (set RMTLIB_PROFILES or run from the repository)")
    block = load_profiles(path).get(chapter)
    if not block or "full" not in block:
        raise ValueError(f"profiles.yml has no 'full' profile for {chapter}")
    expected = (block.get("runtime_s") or {}).get("full")
    timing = f", {_format_runtime(expected)} on 2 cores" if expected is not None else ""
    text = (
        f"**Rerun this chapter** (the published `full` profile{timing}):\n"
        f"`{rerun_command(chapter, block['full'])}`\n\n"
        "Change any `-p NAME VALUE` to explore; the executed notebook and its figures are written to "
        f"`_build/runs/{chapter}/`."
    )
    built_with = os.environ.get("RMTLIB_PROFILE")
    if built_with and built_with != "full":
        text += f" This page was executed with the `{built_with}` profile (smaller sizes)."
    if os.environ.get("RMTLIB_VERSIONS"):  # set by the runner: see rmtlib.pipeline.fingerprint
        text += f"\n\nThe numbers on this page were computed with {os.environ['RMTLIB_VERSIONS']}."
    return text


def rerun_note(chapter: str) -> None:
    """Display (as Markdown) how to rerun ``chapter`` with its ``full`` profile and how long it takes.

    Each chapter calls this in a cell tagged ``remove-input``, right after its
    ``parameters`` cell; see :func:`rerun_markdown` for the text.
    """
    from IPython.display import Markdown, display

    display(Markdown(rerun_markdown(chapter)))
