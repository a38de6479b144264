"""The chapters' parameter profiles (``notebooks/profiles.yml``) and the rerun note they feed.

A chapter's named parameter sets live in ``notebooks/profiles.yml``::

    01_semicircle:
      ci:   {N: 400, seed: 1}          # small sizes, same code path (make test)
      full: {N: 4000, seed: 1}         # what the published book shows
      runtime_s: {ci: 10, full: 120}   # optional: expected run time on 2 cores
      rules: {N: {max: 20000}}         # optional: value rules beyond the common ones

:func:`load_profiles` reads and checks it. :func:`rerun_note`, called by each
chapter right after its ``parameters`` cell, tells the reader how to rerun the
chapter with its published parameters. The runner itself (validation, content
hash, execution) is :mod:`rmtlib.pipeline.runner`; this module is what a chapter's
kernel imports, so it is part of the content hash and never imports the pipeline.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

from . import _yaml12 as yaml12

__all__ = [
    "NOTEBOOKS_DIR",
    "code_span",
    "PROFILE_NAMES",
    "load_profiles",
    "profiles_file",
    "rerun_command",
    "rerun_markdown",
    "rerun_note",
]

#: The chapters' folder, relative to the repository root; ``profiles.yml`` lies in it.
NOTEBOOKS_DIR = "notebooks"
PROFILES_ENV = "RMTLIB_PROFILES"
PROFILE_NAMES = ("ci", "full")
RULE_KEYS = ("min", "max", "gt", "lt", "choices", "path")
_CHAPTER_KEYS = {*PROFILE_NAMES, "runtime_s", "rules"}


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
    data = yaml12.load(path.read_text(), str(path)) or {}
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
            if not isinstance(rule, dict) or set(rule) - set(RULE_KEYS):
                raise ValueError(
                    f"{where}.rules.{name}: expected a mapping with keys among {sorted(RULE_KEYS)}"
                )
    return data


def profiles_file(notebook=None) -> Path:
    """Return the ``profiles.yml`` of a chapter: the one next to its notebook.

    Without a notebook (a chapter's kernel asking about itself): ``$RMTLIB_PROFILES``,
    which the runner sets, else ``profiles.yml`` or ``notebooks/profiles.yml`` under the
    current directory (a notebook opened by hand in ``notebooks/`` or at the root).

    Examples
    --------
    >>> profiles_file("notebooks/01_semicircle.ipynb").parts[-2:]
    ('notebooks', 'profiles.yml')
    """
    if notebook is not None:
        return Path(notebook).resolve().parent / "profiles.yml"
    candidates = [os.environ.get(PROFILES_ENV, ""), "profiles.yml", f"{NOTEBOOKS_DIR}/profiles.yml"]
    found = next((Path(c) for c in candidates if c and Path(c).is_file()), None)
    if found is None:
        raise FileNotFoundError(
            f"no profiles.yml found (set {PROFILES_ENV} or run from the repository or {NOTEBOOKS_DIR}/)"
        )
    return found


def rerun_command(chapter: str, parameters: dict) -> str:
    """Return the shell command that reruns ``chapter`` with ``parameters``.

    Examples
    --------
    >>> rerun_command("01_semicircle", {"N": 4000, "Ns": [500, 1000], "entries": "gaussian"})
    "python -m rmtlib run notebooks/01_semicircle.ipynb -p N 4000 -p Ns '[500, 1000]' -p entries gaussian"
    """
    parts = ["python", "-m", "rmtlib", "run", f"{NOTEBOOKS_DIR}/{chapter}.ipynb"]
    for name, value in parameters.items():
        text = json.dumps(value) if isinstance(value, list | bool) or value is None else str(value)
        text = (
            text.replace('"', "")
            if isinstance(value, list) and all(isinstance(v, str) for v in value)
            else text
        )
        parts += ["-p", name, text]
    return " ".join(shlex.quote(p) for p in parts)


def code_span(text: str) -> str:
    """Return Markdown inline code that shows ``text`` verbatim, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside (CommonMark), padded with a
    space when needed, so a value can never close the span early and reach the page as
    Markdown or HTML.

    Examples
    --------
    >>> code_span("python -m rmtlib run x"), code_span("a`b"), code_span("`<img src=x>`")
    ('`python -m rmtlib run x`', '`` a`b ``', '`` `<img src=x>` ``')
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    pad = " " if longest else ""
    return f"{'`' * (longest + 1)}{pad}{text}{pad}{'`' * (longest + 1)}"


def _format_runtime(seconds) -> str:
    seconds = float(seconds)
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min"


def rerun_markdown(chapter: str) -> str:
    """Return the Markdown of :func:`rerun_note`: the command rerunning ``chapter`` with its ``full`` profile.

    Reads the ``profiles.yml`` that :func:`profiles_file` finds; where there is none (a
    chapter opened on its own, as in Colab), the note says where the profiles live.

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
    try:
        found = profiles_file()
    except FileNotFoundError:  # opened outside the repository (Colab): no profiles.yml to read
        return (
            "**Rerun this chapter**: edit the parameters cell above and run all cells. The published "
            "`full` profile and the command line that reruns it live in the repository "
            f"(`notebooks/profiles.yml`; `python -m rmtlib run {NOTEBOOKS_DIR}/{chapter}.ipynb`)."
        )
    block = load_profiles(found).get(chapter)
    if not block or "full" not in block:
        raise ValueError(f"profiles.yml has no 'full' profile for {chapter}")
    expected = (block.get("runtime_s") or {}).get("full")
    timing = f", {_format_runtime(expected)} on 2 cores" if expected is not None else ""
    text = (
        f"**Rerun this chapter** (the published `full` profile{timing}):\n"
        f"{code_span(rerun_command(chapter, block['full']))}\n\n"
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
