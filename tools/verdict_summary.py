"""Print the verdicts of executed chapters as a Markdown table (for a CI job summary).

Usage::

    python tools/verdict_summary.py --expect 01_semicircle _build/runs/01_semicircle >> "$GITHUB_STEP_SUMMARY"
    python tools/verdict_summary.py --expect notebooks runs/      # every chapter of notebooks/

Each path is an executed notebook or a folder searched for them: ``<chapter>.ipynb``
written by ``python -m rmtlib run`` or ``<chapter>.failed.ipynb`` left by a run that
failed (its verdicts up to the failure are shown); a path that does not exist holds none.
``--expect`` names a chapter that should have run, or a folder of chapter notebooks
(``notebooks``) for all of them; one with no executed notebook is listed as not run.
The exit status is 1 when no chapter is found, or one failed, did not run, recorded no
verdict or has a failed verdict; else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rmtlib.verdict import read_verdicts

FAILED_SUFFIX = ".failed.ipynb"


def _chapter_of(path: Path) -> str:
    name = path.name
    return name[: -len(FAILED_SUFFIX)] if name.endswith(FAILED_SUFFIX) else path.stem


def collect(paths) -> dict[str, Path]:
    """Return ``{chapter: executed notebook}``; a failed run wins over an older success."""
    found: dict[str, Path] = {}
    for path in map(Path, paths):
        files = sorted(path.rglob("*.ipynb")) if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            if file.name.endswith(".running.ipynb"):
                continue
            chapter = _chapter_of(file)
            if chapter not in found or file.name.endswith(FAILED_SUFFIX):
                found[chapter] = file
    return found


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _parameters(nb: dict) -> dict:
    record = nb.get("metadata", {}).get("rmtlib") or {}
    if "parameters" in record:
        return record["parameters"]
    return nb.get("metadata", {}).get("papermill", {}).get("parameters") or {}


def summarize(found: dict[str, Path], expected=()) -> tuple[str, bool]:
    """Return the Markdown summary and whether every chapter ran and passed all its verdicts."""
    runs = ["| chapter | profile | run | verdicts | parameters |", "| --- | --- | --- | --- | --- |"]
    rows = [
        "| chapter | theorem | quantity | predicted | observed | tolerance | detects | N | seeds | result |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    ok = bool(found or expected)
    for chapter in sorted(set(found) | set(expected)):
        if chapter not in found:
            runs.append(f"| {chapter} | | **not run** | | |")
            ok = False
            continue
        nb = json.loads(found[chapter].read_text(encoding="utf-8"))
        verdicts = read_verdicts(nb)
        failed_run = found[chapter].name.endswith(FAILED_SUFFIX)
        passed = sum(v.passed for v in verdicts)
        ok &= not failed_run and bool(verdicts) and passed == len(verdicts)
        profile = (nb.get("metadata", {}).get("rmtlib") or {}).get("profile", "")
        parameters = json.dumps(_parameters(nb), separators=(", ", ": "))
        outcome = "**failed**" if failed_run else "executed"
        counts = f"{passed} of {len(verdicts)} passed"
        runs.append(f"| {chapter} | {profile} | {outcome} | {counts} | `{_cell(parameters)}` |")
        for v in verdicts:
            detects = f"{v.detectable:.2g}" if v.detectable is not None else ""
            rows.append(
                f"| {chapter} | {_cell(v.theorem)} | {_cell(v.quantity)} | {v.predicted:.6g} | "
                f"{v.observed:.6g} | {v.tolerance:.3g} | {detects} | {v.N} | {v.seeds} | "
                f"{'PASS' if v.passed else '**FAIL**'} |"
            )
    title = "## Verdicts: all passed" if ok else "## Verdicts: some chapters failed or did not run"
    verdict_table = ["", *rows] if len(rows) > 2 else []
    return "\n".join([title, "", *runs, *verdict_table, ""]), ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="executed notebooks or folders holding them")
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="CHAPTER",
        help="a chapter that should have run, or a folder of chapter notebooks (repeatable)",
    )
    args = parser.parse_args(argv)
    expected = []
    for item in map(Path, args.expect):
        expected += sorted(p.stem for p in item.glob("*.ipynb")) if item.is_dir() else [item.name]
    text, ok = summarize(collect(args.paths), expected)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
