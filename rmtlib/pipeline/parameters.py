"""A chapter's parameters: read the notebook's ``parameters`` cell, parse command-line values, check.

A chapter notebook has one code cell tagged ``parameters`` holding plain literal
assignments (ints, floats, strings, bools, lists); its named parameter sets live
in ``notebooks/profiles.yml`` (format: :mod:`rmtlib.profiles`).
:func:`resolve_parameters` merges a profile with command-line overrides and refuses
unknown names, wrong types and impossible values *before* anything runs, with
one message that lists the accepted parameters and their types;
:func:`check_parameters` is the one check of ``run``, ``book`` and notebook sweeps.
"""

from __future__ import annotations

import ast
import math
import reprlib
from pathlib import Path

from .. import _yaml12 as yaml12
from ..profiles import NOTEBOOKS_DIR, PROFILE_NAMES, load_profiles, profiles_file

__all__ = [
    "COMMON_RULES",
    "ParameterError",
    "chapter_name",
    "chapter_profiles",
    "check_parameters",
    "find_notebook",
    "notebook_parameters",
    "parse_cli_value",
    "parse_parameters",
    "resolve_parameters",
    "shown",
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


class ParameterError(ValueError):
    """A parameter given to a chapter is unknown, of the wrong type or impossible."""


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
    notebook (:func:`rmtlib.profiles.profiles_file`) is read, and a chapter without one has
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


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxstring, _SHOWN.maxother = 3, 8, 60, 60


def shown(value) -> str:
    """Return ``repr(value)`` cut to about 80 characters: what an error message echoes of a value.

    Examples
    --------
    >>> shown([1.5, "a"]), shown(10**5000), shown(list(range(100)))
    ("[1.5, 'a']", 'an int of about 5000 digits', '[0, 1, 2, 3, 4, 5, 6, 7, ...]')
    >>> shown("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (1000 characters)"
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 256:
        try:
            return f"an int of {len(str(abs(value)))} digits"
        except ValueError:  # beyond Python's limit on int-to-text conversion
            return f"an int of about {round(abs(value).bit_length() * math.log10(2))} digits"
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:58]!r} ({len(value)} characters)"
    if isinstance(value, int | float | bool | str) or value is None:
        return repr(value)
    return _SHOWN.repr(value)


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
    raise TypeError(f"expected {expected}, got {shown(value)} ({got})")


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
    rmtlib.pipeline.parameters.ParameterError: refused parameters:
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
            problems.append(f"unknown parameter {shown(name)}")
            continue
        try:
            value = _coerce(value, _type_name(accepted[name]))
        except TypeError as exc:
            problems.append(f"{name} = {shown(value)}: {exc}")
            continue
        if isinstance(value, list) and not value and accepted[name]:
            problems.append(f"{name} = []: must not be empty")
            continue
        numbers = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
            problems.append(f"{name} = {shown(value)}: must be finite")
            continue
        violation = _rule_violation(value, merged_rules.get(name, {}))
        if violation:
            problems.append(f"{name} = {shown(value)}: {violation}")
            continue
        if merged_rules.get(name, {}).get("path") and value:
            # a file the chapter reads: resolved here, since the kernel runs in another folder
            path = Path(value).expanduser().resolve()
            if not path.is_file():
                problems.append(f"{name} = {shown(value)}: must name an existing file")
                continue
            value = str(path)
        clean[name] = value
    if problems:
        head = f"refused parameters{' for ' + chapter if chapter else ''}:\n  "
        raise ParameterError(
            head + "\n  ".join(problems) + "\naccepted parameters:\n" + _describe(accepted, merged_rules)
        )
    return clean


def parse_cli_value(text: str, name: str | None = None):
    """Parse a command-line value as a YAML 1.2 literal (``4000`` is an int, ``[1, 2]`` a list).

    Integers are decimal (``0400`` is 400, not octal 256) and ``1:30`` is a string
    (not base 60); text that is not valid YAML is a string. An alias, a nesting
    deeper than 50 levels, a text of over a million characters or an integer of over
    1000 digits is refused with a :class:`ParameterError` naming the parameter ``name``.

    Examples
    --------
    >>> parse_cli_value("4000"), parse_cli_value("0.5"), parse_cli_value("rademacher")
    (4000, 0.5, 'rademacher')
    >>> parse_cli_value("[200, 400]"), parse_cli_value("true"), parse_cli_value("[1e-3]")
    ([200, 400], True, [0.001])
    >>> parse_cli_value("0400"), parse_cli_value("010"), parse_cli_value("1:30"), parse_cli_value("-1e-3")
    (400, 10, '1:30', -0.001)
    >>> parse_cli_value("[" * 60 + "]" * 60, "N")
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.parameters.ParameterError: -p N: lists or mappings nest deeper than 50 levels (line 1)
    """
    try:
        return yaml12.load(text)
    except yaml12.YamlLimitError as exc:
        raise ParameterError(f"-p {name}: {exc.detail}" if name else exc.detail) from None
    except yaml12.YamlError:
        return text


def _looks_like_a_path(text: str) -> bool:
    """A ``--params`` text that names a file: one line ending in ``.yml``/``.yaml`` or an existing file."""
    if "\n" in text or text.lstrip().startswith("{") or len(text.encode()) > 4096:
        return False
    if text.strip().endswith((".yml", ".yaml")):
        return True
    try:
        return bool(text.strip()) and Path(text).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def parse_parameters(text: str) -> dict:
    """Read ``--params MAPPING``: a YAML mapping inline (``'{N: 8000, seed: 3}'``) or a YAML file's path.

    Text that opens a flow mapping (``{``) or spans lines is a mapping and never looked up as a
    file. Values are read as ``-p`` values are (:func:`parse_cli_value`), then checked the
    same way by :func:`resolve_parameters`. An empty text is no parameters; a name
    given twice, YAML that does not parse, an alias, a nesting deeper than 50 levels and
    anything but a mapping of names are refused with a :class:`ParameterError`.

    Examples
    --------
    >>> parse_parameters("{N: 8000, seed: 3, theta_max: -1e-3, Ns: [100, 200]}")
    {'N': 8000, 'seed': 3, 'theta_max': -0.001, 'Ns': [100, 200]}
    >>> parse_parameters("")
    {}
    >>> parse_parameters("{N: 1, N: 2}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rmtlib.pipeline.parameters.ParameterError: --params is not a valid YAML mapping: 'N' is given twice (...)
    """
    where = "--params"
    if _looks_like_a_path(text):
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"--params: no parameters file {shown(text)}")
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
            f"'{{N: 8000, seed: 3}}', got {shown(values)}"
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
