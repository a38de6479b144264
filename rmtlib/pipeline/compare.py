"""``python -m rmtlib compare RUN.ipynb``: a rerun of a chapter against the published book.

For each verdict of the chapter it prints the published value, the rerun value and
their difference (with the verdict's tolerance), then says whether the rerun
reproduced the book exactly and, if not, which recorded differences explain it: the
parameters (a different seed draws different matrices), the package versions, the
BLAS library or its thread count (the order of floating-point sums), the CPU, or the
chapter's code (its content hash). Both notebooks carry what is compared in their
metadata (:mod:`rmtlib.pipeline.runner` records the verdicts and the environment fingerprint of
:mod:`rmtlib.pipeline.fingerprint`).

The published reference is, by default, the executed notebook of the full book,
``_build/executed/full/<chapter>.ipynb`` (written by ``make book``); ``--published``
names another one, such as the notebook downloaded from the chapter's page of the
published site (its download button gives the executed notebook with its metadata).

Exit status: 0 when every verdict value is identical, 1 when some differ or are
missing, 2 when a notebook cannot be read.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

from .fingerprint import differences
from .parameters import shown

__all__ = ["add_parser", "compare", "default_published", "load_run", "run_from_args"]

_HINTS = {
    "parameters": "different parameters (another seed draws other matrices) move each value within the "
    "fluctuations its tolerance allows",
    "profile": "another profile means other sizes and seeds",
    "packages": "other package versions can change random streams and algorithms",
    "BLAS": "another BLAS library or thread count changes the order of floating-point sums "
    "(relative differences near 1e-15 per operation)",
    "LAPACK": "another LAPACK can take other algorithmic paths",
    "python": "another Python can come with other builds of the packages",
    "cpu": "another CPU selects other BLAS kernels (other summation orders)",
}


_CHAPTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_NUMBERS = ("predicted", "observed", "tolerance")


def load_run(path) -> dict:
    """Read an executed chapter notebook: its path, its ``rmtlib`` record and its verdicts.

    Raises ``ValueError`` (one line naming the file) for a notebook that does not parse, has no
    ``rmtlib`` record or a malformed one (not a mapping, a chapter name that is not a plain
    name), or a verdict record that is not one (unknown or missing fields, a value that is
    not a number).
    """
    import nbformat

    from ..verdict import VERDICT_KEY, Verdict

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no executed notebook at {path}")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several kinds on a broken file
        raise ValueError(f"{path} is not a readable notebook: {exc}") from None
    record = nb.metadata.get("rmtlib")
    if not record:
        raise ValueError(f"{path} has no rmtlib record: execute it with `python -m rmtlib run` first")
    if not isinstance(record, dict):
        raise ValueError(f"{path}: metadata.rmtlib must be a mapping, got {type(record).__name__}")
    chapter = record.get("chapter")
    if not isinstance(chapter, str) or not _CHAPTER.match(chapter):
        raise ValueError(f"{path}: metadata.rmtlib.chapter must be a chapter name, got {shown(chapter)}")
    fields = {field.name for field in dataclasses.fields(Verdict)}
    verdicts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found = output.get("metadata", {}).get(VERDICT_KEY)
            if found is None:
                continue
            where = f"{path}: a verdict of cell In [{cell.get('execution_count')}]"
            records = found if isinstance(found, list) else [found]  # a verdict table, or one record
            for one in records:
                verdicts.append(_verdict_record(one, where, fields))
    return {"path": path, "record": record, "verdicts": verdicts}


def _verdict_record(found, where: str, fields: set):
    """One verdict record of an executed notebook, or a one-line refusal naming what is wrong with it."""
    from ..verdict import Verdict

    if not isinstance(found, dict) or set(found) - fields:
        extra = sorted(set(found) - fields) if isinstance(found, dict) else type(found).__name__
        raise ValueError(f"{where} is not a verdict record ({shown(extra)})")
    bad = [n for n in _NUMBERS if isinstance(found.get(n), bool) or not isinstance(found.get(n), int | float)]
    if bad:
        raise ValueError(f"{where}: {bad[0]} must be a number, got {shown(found.get(bad[0]))}")
    try:
        return Verdict(**found)
    except TypeError as exc:
        raise ValueError(f"{where} is not a verdict record ({exc})") from None


def default_published(chapter: str, root=".") -> Path:
    """Return the executed notebook of ``chapter`` in the full book built under ``root``."""
    return Path(root) / "_build" / "executed" / "full" / f"{chapter}.ipynb"


def _environment(record: dict) -> dict:
    """The fingerprint of a run; for a notebook executed before fingerprints, what it recorded."""
    found = record.get("fingerprint")
    if found:
        return found
    return {
        "packages": record.get("packages", {}),
        "profile": record.get("profile"),
        "parameters": record.get("parameters", {}),
    }


def _keyed(verdicts) -> dict:
    keyed, seen = {}, {}
    for verdict in verdicts:
        name = f"{verdict.theorem} {verdict.quantity}"
        seen[name] = seen.get(name, 0) + 1
        keyed[name if seen[name] == 1 else f"{name} (#{seen[name]})"] = verdict
    return keyed


def compare(rerun: dict, published: dict) -> tuple[str, bool]:
    """Return the comparison text of two :func:`load_run` results and whether all values are identical."""
    chapter = rerun["record"].get("chapter", "?")
    if published["record"].get("chapter") != chapter:
        raise ValueError(
            f"{rerun['path']} is chapter {chapter} but {published['path']} is "
            f"{published['record'].get('chapter')}"
        )
    lines = [f"{chapter}: rerun {rerun['path']}", f"  against published {published['path']}", ""]
    mine, theirs = _keyed(rerun["verdicts"]), _keyed(published["verdicts"])
    same = 0
    for name in [*theirs, *(n for n in mine if n not in theirs)]:
        lines.append(name)
        if name not in mine or name not in theirs:
            lines.append(f"  only in the {'published book' if name in theirs else 'rerun'}")
            continue
        old, new = theirs[name], mine[name]
        identical = old.observed == new.observed and old.predicted == new.predicted
        same += identical
        lines.append(
            f"  published {old.observed:.12g}   rerun {new.observed:.12g}   "
            f"difference {new.observed - old.observed:+.3g}   tolerance {new.tolerance:.3g}   "
            + ("identical" if identical else f"differs ({'passes' if new.passed else 'FAILS'})")
        )
        if old.predicted != new.predicted:
            lines.append(
                f"  the prediction differs too: published {old.predicted:.12g}, rerun {new.predicted:.12g}"
            )
    total = len(set(mine) | set(theirs))
    reproduced = same == total
    lines.append("")
    if reproduced:
        lines.append(f"Reproduced: all {total} verdict values are identical to the published ones.")
        return "\n".join(lines), True
    lines.append(f"Not reproduced exactly: {total - same} of {total} verdict values differ or are missing.")
    changed = differences(_environment(published["record"]), _environment(rerun["record"]))
    if changed:
        lines.append("The rerun differs from the published build in:")
        lines += [f"  {field}: {old!r} -> {new!r}" for field, old, new in changed]
        hints = {text for key, text in _HINTS.items() for field, _, _ in changed if field.startswith(key)}
        lines += [f"  - {text}" for text in sorted(hints)]
    elif rerun["record"].get("content_hash") != published["record"].get("content_hash"):
        lines.append(
            "Same parameters and environment, but the chapter's cells or the rmtlib source differ "
            "from the published build (another content hash): rerun from the published version."
        )
    else:
        lines.append(
            "Same parameters, environment and code, yet other values: this is not expected; please report it."
        )
    return "\n".join(lines), False


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``compare`` sub-command; its ``handler`` is :func:`run_from_args`."""
    parser = subparsers.add_parser(
        "compare",
        help="compare a rerun chapter with the published book, verdict by verdict",
        description="Print, verdict by verdict, the published value, the rerun value and their difference, "
        "then whether the rerun reproduced the book exactly (exit 0) or not (exit 1) and what differs "
        "between the two runs: parameters, package versions, BLAS library or threads, CPU, or code.",
    )
    parser.add_argument("run", type=Path, help="the executed notebook of the rerun (from `rmtlib run`)")
    parser.add_argument(
        "--published",
        type=Path,
        default=None,
        help="the published executed notebook (default: _build/executed/full/<chapter>.ipynb)",
    )
    parser.set_defaults(handler=run_from_args)
    return parser


def run_from_args(args: argparse.Namespace) -> int:
    """Print the comparison; return 0 (identical), 1 (differs) or 2 (a notebook cannot be read)."""
    try:
        rerun = load_run(args.run)
        path = args.published or default_published(rerun["record"].get("chapter", ""))
        if args.published is None and not path.is_file():
            raise FileNotFoundError(
                f"no published notebook at {path}: build the book (`make book`) or pass "
                "--published with the notebook downloaded from the chapter's page"
            )
        text, identical = compare(rerun, load_run(path))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0 if identical else 1
