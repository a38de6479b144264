"""The chapter runner: parameters, validation, content hash, execution with papermill.

A chapter notebook has one code cell tagged ``parameters`` holding plain literal
assignments (ints, floats, strings, bools, lists); its named parameter sets live
in ``notebooks/profiles.yml`` (format: :mod:`rmtlib.run`).
:func:`resolve_parameters` merges a profile with command-line overrides and refuses
unknown names, wrong types and impossible values *before* anything runs, with
one message that lists the accepted parameters and their types.
:func:`execute`, the one runner of ``run``, ``book`` and notebook sweeps, checks
the parameters again (:func:`check_parameters`), runs the notebook and records, in
the executed notebook's metadata under ``"rmtlib"``, the content hash (cells,
parameters, the part of rmtlib a kernel imports), the profile, the parameters, the
run time, the package versions and the environment fingerprint
(:func:`rmtlib.pipeline.fingerprint.fingerprint`).

The kernel the notebook runs in sees these environment variables
(:func:`kernel_environment`): the BLAS thread variables (one thread unless you set
them, :func:`blas_threads_environment`),
``RMTLIB_FIGURES_DIR`` (where :func:`rmtlib.plotting.savefig` writes),
``RMTLIB_PROGRESS=0`` (no tqdm bars in executed notebooks, see
:mod:`rmtlib.progress`), ``RMTLIB_PROFILE``, ``RMTLIB_PROFILES`` and ``RMTLIB_VERSIONS``
(the fingerprint in one line), read by :func:`rmtlib.run.rerun_note`.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import sys
import time
from importlib import metadata
from pathlib import Path

from .. import _yaml12 as yaml12
from ..run import NOTEBOOKS_DIR, PROFILE_NAMES, load_profiles, profiles_file
from . import files
from .fingerprint import describe, fingerprint

__all__ = [
    "BLAS_THREAD_VARIABLES",
    "COMMON_RULES",
    "NotebookExecutionError",
    "ParameterError",
    "blas_threads_environment",
    "chapter_name",
    "chapter_profiles",
    "check_parameters",
    "content_hash",
    "execute",
    "find_notebook",
    "kernel_environment",
    "kernel_sources",
    "notebook_parameters",
    "outputs_hash",
    "package_versions",
    "parse_cli_value",
    "parse_parameters",
    "resolve_parameters",
    "validate_parameters",
]

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
#: The thread variables of the BLAS and OpenMP libraries; see :func:`blas_threads_environment`.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
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

    def __init__(self, chapter: str, error: str, cell: int | None, failed_notebook: Path):
        self.chapter = chapter
        self.error = error  # "ExceptionName: message"
        self.failed_notebook = Path(failed_notebook)
        where = f"cell In [{cell}] raised {error}" if cell is not None else error
        super().__init__(f"{chapter}: {where}; the failed executed notebook is kept at {failed_notebook}")


# --------------------------------------------------------------------------- profiles


def chapter_name(notebook) -> str:
    """Return the chapter name of a notebook path: its file name without ``.ipynb``.

    Examples
    --------
    >>> chapter_name("notebooks/01_semicircle.ipynb")
    '01_semicircle'
    """
    return Path(notebook).name.removesuffix(".ipynb")


def find_notebook(name, root=".") -> Path:
    """Return the chapter notebook that ``name`` designates: a path, or a chapter name in ``notebooks/``.

    Examples
    --------
    >>> find_notebook("no_such_chapter")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: no notebook 'no_such_chapter' (looked for notebooks/no_such_chapter.ipynb); ...
    """
    path = Path(name)
    if path.suffix != ".ipynb" and not path.exists():
        path = Path(root) / NOTEBOOKS_DIR / f"{name}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(
            f"no notebook {str(name)!r} (looked for {path}); chapters live in {NOTEBOOKS_DIR}/"
        )
    return path


def chapter_profiles(notebook, profiles: dict | None = None, *, required: bool = False) -> dict:
    """Return the chapter's entry of ``profiles.yml`` (its profiles, runtimes and value rules).

    ``profiles`` is the file already read; by default the file next to the
    notebook (:func:`rmtlib.run.profiles_file`) is read, and a chapter without one has
    no entry (``{}``) unless ``required``.
    """
    if profiles is None:
        path = profiles_file(notebook)
        profiles = load_profiles(path) if required or path.is_file() else {}
    return profiles.get(chapter_name(notebook)) or {}


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
    rmtlib.pipeline.runner.ParameterError: refused parameters:
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
        if isinstance(value, list) and not value and accepted[name]:
            problems.append(f"{name} = []: must not be empty")
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
    """Parse a command-line value as a YAML 1.2 literal (``4000`` is an int, ``[1, 2]`` a list).

    Integers are decimal (``0400`` is 400, not octal 256) and ``1:30`` is a string
    (not base 60); text that is not valid YAML is a string.

    Examples
    --------
    >>> parse_cli_value("4000"), parse_cli_value("0.5"), parse_cli_value("rademacher")
    (4000, 0.5, 'rademacher')
    >>> parse_cli_value("[200, 400]"), parse_cli_value("true"), parse_cli_value("[1e-3]")
    ([200, 400], True, [0.001])
    >>> parse_cli_value("0400"), parse_cli_value("010"), parse_cli_value("1:30"), parse_cli_value("-1e-3")
    (400, 10, '1:30', -0.001)
    """
    try:
        return yaml12.load(text)
    except yaml12.YamlError:
        return text


def parse_parameters(text: str) -> dict:
    """Read ``--params MAPPING``: a YAML mapping inline (``'{N: 8000, seed: 3}'``) or a YAML file's path.

    Values are read as ``-p`` values are (:func:`parse_cli_value`), then checked the
    same way by :func:`resolve_parameters`. An empty text is no parameters; a name
    given twice, YAML that does not parse and anything but a mapping of names are
    refused with a :class:`ParameterError`.

    Examples
    --------
    >>> parse_parameters("{N: 8000, seed: 3, theta_max: -1e-3, Ns: [100, 200]}")
    {'N': 8000, 'seed': 3, 'theta_max': -0.001, 'Ns': [100, 200]}
    >>> parse_parameters("")
    {}
    >>> parse_parameters("{N: 1, N: 2}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.runner.ParameterError: --params is not a valid YAML mapping: 'N' is given twice (...)
    """
    where = "--params"
    path = Path(text)
    if text.strip().endswith((".yml", ".yaml")) or (text.strip() and path.is_file()):
        if not path.is_file():
            raise FileNotFoundError(f"--params: no parameters file {text!r}")
        where, text = f"--params {path}", path.read_text()
    try:
        values = yaml12.load(text, where)
    except yaml12.YamlError as exc:
        raise ParameterError(f"{where} is not a valid YAML mapping: {exc.detail}") from None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(name, str) for name in values):
        raise ParameterError(
            f"{where} must be a YAML mapping of parameter names to values, such as "
            f"'{{N: 8000, seed: 3}}', got {values!r}"
        )
    return values


def check_parameters(notebook, values: dict, *, profiles: dict | None = None) -> dict:
    """Validate ``values`` for ``notebook``: the one check of ``run``, ``book`` and notebook sweeps.

    Names and types come from the notebook's ``parameters`` cell
    (:func:`notebook_parameters`), value rules from :data:`COMMON_RULES` and the
    chapter's ``rules`` in ``profiles.yml`` (:func:`chapter_profiles`). Returns the
    values converted to the defaults' types; raises :class:`ParameterError`.
    """
    rules = chapter_profiles(notebook, profiles).get("rules")
    accepted = notebook_parameters(notebook)
    return validate_parameters(values, accepted, rules=rules, chapter=chapter_name(notebook))


def resolve_parameters(
    notebook, *, profile: str | None = "full", overrides: dict | None = None, profiles: dict | None = None
) -> dict:
    """Return the validated parameters for running ``notebook``: profile values, then overrides.

    ``profiles`` defaults to the ``profiles.yml`` next to the notebook; with
    ``profile=None`` only the overrides are applied on top of the notebook's defaults.
    Either way the values pass :func:`check_parameters`.
    """
    chapter = chapter_name(notebook)
    block = chapter_profiles(notebook, profiles, required=profile is not None)
    if profile is not None:
        if profile not in PROFILE_NAMES:
            raise ParameterError(f"profile must be one of {list(PROFILE_NAMES)}, got {profile!r}")
        if profile not in block:
            raise ParameterError(
                f"profiles.yml has no '{profile}' profile for {chapter}; add one "
                f"(e.g. {chapter}: {{{profile}: {{N: 400, seed: 1}}}}) or choose another profile"
            )
    values = {**(block.get(profile) or {} if profile else {}), **(overrides or {})}
    return check_parameters(notebook, values, profiles=profiles)


# --------------------------------------------------------------------------- hashing and versions


_PIPELINE = Path(__file__).resolve().parent
_PACKAGE = _PIPELINE.parent


def kernel_sources() -> list[Path]:
    """Every file of rmtlib that a chapter's kernel can import: the package minus ``rmtlib/pipeline``.

    Found recursively, so a new subpackage enters by itself; the pipeline (runner,
    book builder, sweeps, command line) drives the kernels and stays out, so that
    editing it re-executes no chapter.

    Examples
    --------
    >>> names = [p.relative_to(_PACKAGE).as_posix() for p in kernel_sources()]
    >>> "laws.py" in names, "experiments/__init__.py" in names, "house.mplstyle" in names
    (True, True, True)
    >>> any(name.startswith("pipeline/") for name in names)
    False
    """
    found = [*_PACKAGE.rglob("*.py"), *_PACKAGE.rglob("*.mplstyle")]
    return sorted(p for p in found if _PIPELINE not in p.parents)


_VOLATILE_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled")


def content_hash(notebook, parameters: dict, profile_block: dict | None = None) -> str:
    """Return the SHA-256 of the notebook's cells, the parameters and the :func:`kernel_sources`.

    Cells enter with their type, source and metadata (tags, figure alt text...);
    outputs and execution metadata do not: executing a notebook does not change
    the hash; editing a cell, its metadata, a parameter or a kernel source does.
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
    digest = hashlib.sha256(b"rmtlib content hash v3\n")
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
    for source in kernel_sources():
        name = source.relative_to(_PACKAGE).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def outputs_hash(notebook) -> str:
    """Return the SHA-256 of every cell's outputs: stored with an executed notebook, it tells
    whether the outputs were edited since the run (a cache entry is then executed again).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")])]
    >>> before = outputs_hash(nb)
    >>> nb.cells[0].outputs[0].text = "2"
    >>> before == outputs_hash(nb)
    False
    """
    outputs = [cell.get("outputs", []) for cell in notebook["cells"]]
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode()).hexdigest()


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


def blas_threads_environment() -> dict[str, str]:
    """Return the BLAS/OpenMP thread variables of every process that runs chapter or sweep code.

    The one rule, for a chapter's kernel (``run``, ``book``), a sweep worker and the
    notebook kernels it starts: **one thread per process, unless you set the variable
    yourself** (``OMP_NUM_THREADS=4 python -m rmtlib run ...``), in which case your
    value is kept. Small and medium problems gain nothing from a second thread, and two
    processes each running two threads on two cores slow each other down 5-10x; the
    book and sweeps get their parallelism from processes instead.

    Examples
    --------
    >>> sorted(blas_threads_environment()) == sorted(BLAS_THREAD_VARIABLES)
    True
    """
    return {name: os.environ.get(name, "1") for name in BLAS_THREAD_VARIABLES}


def kernel_environment(notebook, figures_dir, profile: str | None) -> dict[str, str]:
    """Return the environment variables a chapter's kernel runs with (listed in the module docstring)."""
    return {
        "RMTLIB_FIGURES_DIR": str(Path(figures_dir).resolve()),
        "RMTLIB_PROGRESS": "0",
        "RMTLIB_PROFILE": profile or "custom",
        "RMTLIB_PROFILES": str(profiles_file(notebook)),
        **blas_threads_environment(),
    }


@contextlib.contextmanager
def _environment(variables: dict[str, str]):
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


def execute(
    notebook,
    parameters: dict,
    output,
    *,
    profile: str | None = None,
    figures_dir=None,
    kernel_name: str | None = "python3",
    progress_bar: bool = True,
    content_hash_value: str | None = None,
):
    """Execute ``notebook`` with ``parameters`` into ``output``: the runner of ``run``, ``book`` and sweeps.

    ``parameters`` pass :func:`check_parameters` first (the notebook's names and
    types, the common rules and the chapter's rules in ``profiles.yml``), so a
    refused value never starts a kernel. The kernel runs in the notebook's directory
    with :func:`kernel_environment` (the BLAS thread rule of
    :func:`blas_threads_environment`); figures saved with
    :func:`rmtlib.plotting.savefig` go to ``figures_dir`` (default: ``figures/``
    next to ``output``; emptied first). ``profile`` labels the run (``ci``,
    ``full``, ``sweep``; ``None`` is ``custom``). The executed notebook records the
    run in its metadata under ``"rmtlib"``. On a failing cell the executed notebook
    is kept next to ``output`` as ``<name>.failed.ipynb`` (``output`` itself is not
    written) and :class:`NotebookExecutionError` names the chapter, the cell and the
    error.

    Returns the executed notebook (an ``nbformat`` node).
    """
    import shutil

    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook).resolve(), Path(output)
    figures_dir = Path(figures_dir if figures_dir is not None else output.parent / "figures").resolve()
    parameters = check_parameters(notebook, parameters)
    chapter = chapter_name(notebook)
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f"{chapter}.running.ipynb")
    failed = output.with_name(f"{chapter}.failed.ipynb")
    failed.unlink(missing_ok=True)
    shutil.rmtree(figures_dir, ignore_errors=True)
    figures_dir.mkdir(parents=True)
    digest = content_hash_value or content_hash(notebook, parameters)
    env = kernel_environment(notebook, figures_dir, profile)
    env["RMTLIB_VERSIONS"] = describe(fp := fingerprint(profile or "custom", parameters, environ=env))
    start = time.perf_counter()
    try:
        with _environment(env):
            papermill.execute_notebook(
                str(notebook),
                str(running),
                parameters=parameters,
                kernel_name=kernel_name,
                cwd=str(notebook.parent),
                progress_bar=progress_bar,
                log_output=False,
            )
    except PapermillExecutionError as exc:
        running.replace(failed)
        raise NotebookExecutionError(chapter, f"{exc.ename}: {exc.evalue}", exc.exec_count, failed) from None
    except DeadKernelError:
        if running.is_file():
            running.replace(failed)
        else:
            shutil.copyfile(notebook, failed)
        error = "DeadKernelError: the kernel died (killed, or out of memory: try smaller sizes)"
        raise NotebookExecutionError(chapter, error, None, failed) from None
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
        "outputs_hash": outputs_hash(nb),
    }
    try:
        files.write_notebook(nb, output)
    finally:
        running.unlink(missing_ok=True)
    return nb
