"""Sweep configuration: read a YAML file (or mapping), check it against its target, list the tasks."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import itertools
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from ... import _yaml12 as yaml12
from ..._validation import check_int
from ...profiles import profiles_file
from ..parameters import ParameterError, check_parameters, notebook_parameters
from .seeds import canonical_json, task_key

__all__ = ["MAX_TASKS", "SweepConfig", "SweepConfigError", "Task", "load_config"]

#: The most tasks (grid points x replicates) one sweep may hold. A store holds about 1 kB per
#: task, so this is some 10 GB of rows; a larger configuration is refused before anything runs.
MAX_TASKS = 10_000_000

_CONFIG_KEYS = ("name", "experiment", "notebook", "seed", "replicates", "fixed", "grid", "store", "kernel")
_SIMPLE_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class SweepConfigError(ValueError):
    """A sweep cannot start: bad configuration, unknown experiment, unreachable scheduler."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One point of the grid and one replicate: what a worker runs."""

    key: str
    params: dict
    replicate: int


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: the target, its parameter grid and seeds.

    Build it with :func:`load_config`; ``target`` is ``module:function`` for an
    experiment and, for a notebook, its path as written in the configuration.
    """

    name: str
    kind: str
    target: str
    seed: int
    replicates: int
    fixed: dict
    grid: dict
    store: Path | None = None
    kernel: str | None = None
    notebook_files: dict | None = dataclasses.field(default=None, repr=False)

    @property
    def task_count(self) -> int:
        """The number of tasks: grid points times replicates (at most :data:`MAX_TASKS`)."""
        return math.prod(len(values) for values in self.grid.values()) * self.replicates

    def tasks(self) -> Iterator[Task]:
        """Every task, one at a time (never a list): grid points in the order of the config,
        replicates innermost."""
        names = list(self.grid)
        for values in itertools.product(*(self.grid[name] for name in names)):
            params = {**self.fixed, **dict(zip(names, values, strict=True))}
            for replicate in range(self.replicates):
                yield Task(task_key(self.target, self.seed, params, replicate), params, replicate)

    def as_json(self) -> str:
        """The configuration as canonical JSON (recorded with each run in the store)."""
        return canonical_json(
            {
                "name": self.name,
                self.kind: self.target,
                "seed": self.seed,
                "replicates": self.replicates,
                "fixed": self.fixed,
                "grid": self.grid,
                "kernel": self.kernel,
            }
        )


def load_config(config) -> SweepConfig:
    """Read and validate a sweep configuration.

    Parameters
    ----------
    config : str, os.PathLike or mapping
        A YAML file, or the mapping it would contain (relative paths in a
        mapping are taken from the current directory, in a file from the file's
        directory).

    Returns
    -------
    SweepConfig

    Raises
    ------
    SweepConfigError
        With one message naming the problem: unknown keys, an unknown
        experiment or notebook, a parameter the target does not take or a
        required one missing, a value of the wrong type, an empty grid.

    Examples
    --------
    >>> cfg = load_config({"experiment": "rmtlib.experiments.sweep_examples:timed_draw", "seed": 1,
    ...                    "fixed": {"delay": 0}, "grid": {"value": [1, 2]}, "replicates": 2})
    >>> [(t.params, t.replicate) for t in cfg.tasks()][:2], cfg.task_count
    ([({'delay': 0.0, 'value': 1.0}, 0), ({'delay': 0.0, 'value': 1.0}, 1)], 4)
    >>> load_config({"experiment": "rmtlib.experiments.sweep_examples:timed_draw", "seed": 1,
    ...              "grid": {"delay": [0], "hue": ["red"]}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.sweep.config.SweepConfigError: ...:timed_draw takes no parameter 'hue' (...)
    """
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        if not path.is_file():
            raise SweepConfigError(f"sweep config {path} does not exist")
        try:
            data = yaml12.load(path.read_text(), f"sweep config {path}")
        except yaml12.YamlError as exc:
            raise SweepConfigError(str(exc)) from None
        base, default_name, where = path.parent, path.stem, str(path)
    elif isinstance(config, Mapping):
        data, base, default_name, where = dict(config), Path.cwd(), "sweep", "sweep config"
    else:
        raise TypeError(f"config must be a path to a YAML file or a mapping, got {type(config).__name__}")
    if not isinstance(data, dict):
        raise SweepConfigError(f"{where} must be a mapping of keys {', '.join(_CONFIG_KEYS)}")
    unknown = sorted(set(map(str, data)) - set(_CONFIG_KEYS))
    if unknown:
        raise SweepConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (accepted: {', '.join(_CONFIG_KEYS)})"
        )

    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise SweepConfigError(f"{where}: name must be a non-empty string, got {name!r}")
    seed = checked(check_int, data.get("seed"), "seed (the sweep seed)", where=where, minimum=0)
    replicates = checked(
        check_int, data.get("replicates", 1), "replicates", where=where, minimum=1, maximum=MAX_TASKS
    )
    fixed = _mapping(data.get("fixed", {}), f"{where}: fixed")
    grid = _mapping(data.get("grid", {}), f"{where}: grid")
    for key, values in grid.items():
        if not isinstance(values, list):
            raise SweepConfigError(f"{where}: grid.{key} must be a list of values, got {values!r}")
        if not values:
            raise SweepConfigError(f"{where}: grid.{key} is empty, so the grid has no points")
    for key, value in [*fixed.items(), *((k, v) for k, vs in grid.items() for v in vs)]:
        _check_plain_value(value, f"{where}: {key}")
    count = math.prod(len(values) for values in grid.values()) * replicates
    if count > MAX_TASKS:
        raise SweepConfigError(
            f"{where}: the grid times the replicates makes {count:.3g} tasks, more than one sweep may "
            f"hold ({MAX_TASKS:,}): split it into several sweeps"
        )
    both = sorted(set(fixed) & set(grid))
    if both:
        raise SweepConfigError(f"{where}: {', '.join(both)} appear(s) in both fixed and grid")
    store = data.get("store")
    if store is not None:
        if not isinstance(store, str) or not store:
            raise SweepConfigError(f"{where}: store must be a file path, got {store!r}")
        store = Path(os.path.normpath(base / store))
    kernel = data.get("kernel")
    if kernel is not None and not isinstance(kernel, str):
        raise SweepConfigError(f"{where}: kernel must be a Jupyter kernel name, got {kernel!r}")

    if ("experiment" in data) == ("notebook" in data):
        raise SweepConfigError(f"{where}: give exactly one of experiment (a function) or notebook")
    notebook_files = None
    if "experiment" in data:
        kind = "experiment"
        target, accepted = _resolve_experiment(data["experiment"])
        reserved = {"rng": "the sweep passes each task its own rng"}
    else:
        kind = "notebook"
        target, accepted, notebook_files = _resolve_notebook(data["notebook"], base)
        reserved = {"seed": "the sweep derives each task's notebook seed from the sweep seed"}
    fixed, grid = _check_against_target(target, accepted, reserved, fixed, grid)
    if kind == "notebook":
        fixed, grid = _check_notebook_values(base / data["notebook"], fixed, grid, where)
    # the product repeats a point exactly when one list repeats a value: check the lists, not the product
    dup = next((k for k, vs in grid.items() if len(set(map(canonical_json, vs))) != len(vs)), None)
    if dup is not None:
        raise SweepConfigError(f"{where}: grid.{dup} lists the same value twice")
    return SweepConfig(
        name=name,
        kind=kind,
        target=target,
        seed=seed,
        replicates=replicates,
        fixed=fixed,
        grid=grid,
        store=store,
        kernel=kernel,
        notebook_files=notebook_files,
    )


def checked(check, value, name: str, *, where: str = "", **bounds):
    """Apply a check of :mod:`rmtlib._validation`; its refusal becomes a :class:`SweepConfigError`.

    Examples
    --------
    >>> from rmtlib._validation import check_int
    >>> checked(check_int, 3, "replicates", minimum=1)
    3
    >>> checked(check_int, 0, "replicates", where="sweep.yml", minimum=1)
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.sweep.config.SweepConfigError: sweep.yml: replicates must be >= 1, got 0
    """
    try:
        return check(value, name, **bounds)
    except (TypeError, ValueError) as exc:
        raise SweepConfigError(f"{where}: {exc}" if where else str(exc)) from None


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise SweepConfigError(f"{where} must be a mapping from parameter names to values, got {value!r}")
    return dict(value)


def _check_plain_value(value, where: str) -> None:
    """Accept what JSON and papermill carry: numbers, strings, bools, None and lists of them."""
    if isinstance(value, list):
        for item in value:
            _check_plain_value(item, where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SweepConfigError(f"{where} must be finite, got {value!r}")
    elif value is not None and not isinstance(value, (bool, int, str)):
        raise SweepConfigError(
            f"{where} must be a number, a string, a bool or a list of those, got {value!r} "
            f"({type(value).__name__})"
        )


def _resolve_experiment(spec) -> tuple[str, dict]:
    """Return ``module:function`` and ``{parameter: expected type or None}`` for an experiment."""
    if not isinstance(spec, str) or not spec:
        raise SweepConfigError(
            f"experiment must be a name in rmtlib.experiments or module:function, got {spec!r}"
        )
    module_name, _, function_name = spec.rpartition(":") if ":" in spec else ("rmtlib.experiments", "", spec)
    target = f"{module_name}:{function_name}"
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an unknown module, or one that fails to import
        raise SweepConfigError(f"unknown experiment {spec!r}: cannot import {module_name} ({exc})") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        available = ", ".join(getattr(module, "__all__", [])) or "none"
        raise SweepConfigError(
            f"unknown experiment {spec!r}: {module_name} has no function {function_name!r} "
            f"(available: {available})"
        )
    try:
        signature = inspect.signature(function, eval_str=True)
    except Exception:  # annotations that do not evaluate: check names only
        signature = inspect.signature(function)
    parameters = signature.parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    if "rng" not in parameters and not takes_any:
        raise SweepConfigError(f"experiment {target} must take a keyword argument rng")
    accepted = {}
    for p in parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "rng":
            accepted[p.name] = (_expected_type(p.annotation, p.default), p.default is p.empty)
    if takes_any:
        accepted[None] = (None, False)
    return target, accepted


def _expected_type(annotation, default):
    if isinstance(annotation, str):
        annotation = _SIMPLE_TYPES.get(annotation)
    if annotation in (int, float, str, bool):
        return annotation
    if annotation in (None, inspect.Parameter.empty) and type(default) in (int, float, str, bool):
        return type(default)
    return None


def _resolve_notebook(spec, base: Path) -> tuple[str, dict, dict]:
    """Return the notebook's identity, its parameters, and the files a worker needs to run it.

    The parameters are read by the runner's parser (:func:`rmtlib.pipeline.parameters.notebook_parameters`),
    the same as for ``python -m rmtlib run``.
    """
    if not isinstance(spec, str) or not spec:
        raise SweepConfigError(f"notebook must be the path of an .ipynb file, got {spec!r}")
    path = base / spec
    if not path.is_file():
        raise SweepConfigError(f"notebook {path} does not exist")
    try:
        declared = notebook_parameters(path)
    except ValueError as exc:
        raise SweepConfigError(f"cannot read the parameters of notebook {path}: {exc}") from None
    if "seed" not in declared:
        raise SweepConfigError(f"notebook {path} has no parameter 'seed' in its cell tagged parameters")
    # names only here; types and values are checked by _check_notebook_values
    accepted = {name: (None, False) for name in declared if name != "seed"}
    # The files travel with each task, so that workers need no shared disk: the notebook and
    # the chapters' profiles.yml next to it (its rules, and the rerun note's data).
    files = {path.name: path.read_text()}
    profiles = profiles_file(path)
    if profiles.is_file():
        files[profiles.name] = profiles.read_text()
    # The notebook's identity is its path as written in the config (relative to the config
    # file), so that task keys do not depend on the directory the sweep is started from.
    return os.path.normpath(spec), accepted, files


def _check_notebook_values(notebook: Path, fixed: dict, grid: dict, where: str) -> tuple[dict, dict]:
    """Check every value as ``python -m rmtlib run -p`` does, before anything runs.

    Each fixed value and each value of each grid list passes
    :func:`rmtlib.pipeline.parameters.check_parameters` (types, common rules, the chapter's
    rules in ``profiles.yml``); returns them converted to the parameters' types.
    """
    try:
        fixed = check_parameters(notebook, fixed)
        grid = {
            name: [check_parameters(notebook, {name: value})[name] for value in values]
            for name, values in grid.items()
        }
    except (ParameterError, FileNotFoundError) as exc:
        raise SweepConfigError(f"{where}: {exc}") from None
    return fixed, grid


def _check_against_target(target: str, accepted: dict, reserved: dict, fixed: dict, grid: dict):
    """Check names, required parameters and types; return fixed and grid with ints made floats where due."""
    named = sorted(k for k in accepted if k is not None)
    for key in [*fixed, *grid]:
        if key in reserved:
            raise SweepConfigError(f"{target}: do not set {key!r} ({reserved[key]})")
        if key not in accepted and None not in accepted:
            raise SweepConfigError(f"{target} takes no parameter {key!r} (it takes: {', '.join(named)})")
    missing = [k for k in named if accepted[k][1] and k not in fixed and k not in grid]
    if missing:
        raise SweepConfigError(
            f"{target}: required parameter(s) {', '.join(missing)} missing from fixed/grid"
        )

    def coerce(key, value):
        expected = accepted.get(key, accepted.get(None))[0]
        if expected is None or (type(value) is expected):
            return value
        if expected is float and type(value) is int:
            return float(value)
        raise SweepConfigError(
            f"{target}: parameter {key!r} must be {expected.__name__}, got {value!r} ({type(value).__name__})"
        )

    fixed = {k: coerce(k, v) for k, v in fixed.items()}
    grid = {k: [coerce(k, v) for v in vs] for k, vs in grid.items()}
    return fixed, grid
