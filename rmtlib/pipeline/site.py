"""Build the book: execute the chapters (cached by content hash), assemble, render strictly.

:func:`build_book` does, for one profile (``ci`` or ``full``):

1. read ``_toc.yml``; every entry must exist as ``.md`` or ``.ipynb`` (or be a
   page generated here: ``book/status``), else the build stops and names it;
2. execute each chapter notebook into ``_build/executed/<profile>/`` with
   :func:`rmtlib.pipeline.runner.execute`, unless the executed notebook there carries
   the same content hash (cells, parameters, the rmtlib a kernel imports) and its figures are
   present; a failing chapter is reported by name and never cached;
3. assemble a staging tree ``_build/source/`` (configuration, ``book/``, the
   executed notebooks, the generated status page and run table, the key figure,
   the local MathJax subset in ``_mathjax/mathjax/``);
4. run ``jupyter-book build --all -W -n --keep-going`` on it, execution off,
   from clean, into the profile's own site folder (:func:`site_dir`): ``_build/html``
   for ``full``, ``_build/html-ci`` for ``ci``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from .._validation import check_int
from ..profiles import NOTEBOOKS_DIR, PROFILE_NAMES, code_span
from . import files, runner
from .fingerprint import markdown_table
from .parameters import chapter_name, chapter_profiles, resolve_parameters
from .signals import Terminated

__all__ = [
    "BookError",
    "GENERATED_PAGES",
    "KEY_FIGURE",
    "RUNS_TABLE_MARKER",
    "SITE_DIRS",
    "build_book",
    "site_dir",
    "toc_entries",
]

GENERATED_PAGES = ("book/status",)
#: The intro's first figure: saved by chapter 05 with ``savefig(fig, "key_figure")``.
KEY_FIGURE = "key_figure.png"
#: Line of ``book/reproducibility.md`` replaced by the table of the runs behind the build.
RUNS_TABLE_MARKER = "<!-- runs-table -->"
#: Each profile's site folder under ``_build/``: see :func:`site_dir`.
SITE_DIRS = {"full": "html", "ci": "html-ci"}
#: The lock file of a book build, in ``_build/``: one build at a time per checkout.
BOOK_LOCK = ".book.lock"
_MATHJAX_FILES = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


class BookError(RuntimeError):
    """The book cannot be built; the message says which file or chapter and why."""


def toc_entries(toc: dict) -> list[str]:
    """Return every ``file`` of a Jupyter Book ``_toc.yml`` (root first), in reading order.

    Examples
    --------
    >>> toc = {"format": "jb-book", "root": "book/intro",
    ...        "parts": [{"caption": "Theorems", "chapters": [{"file": "notebooks/01_semicircle"}]}]}
    >>> toc_entries(toc)
    ['book/intro', 'notebooks/01_semicircle']
    """
    found = [toc["root"]] if "root" in toc else []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)

    walk({key: toc[key] for key in ("parts", "chapters", "sections") if key in toc})
    return [
        str(Path(entry).with_suffix("")) if entry.endswith((".md", ".ipynb")) else entry for entry in found
    ]


def _notebooks(root: Path, entries: list[str]) -> list[Path]:
    notebooks, missing = [], []
    for entry in entries:
        if (root / f"{entry}.ipynb").is_file():
            notebooks.append(root / f"{entry}.ipynb")
        elif not (root / f"{entry}.md").is_file() and entry not in GENERATED_PAGES:
            missing.append(entry)
    if missing:
        raise BookError(
            "_toc.yml lists pages that do not exist (neither .md nor .ipynb): " + ", ".join(missing)
        )
    return notebooks


def _cached(output: Path, figures: Path, digest: str, log):
    """The cached executed notebook if it is still valid, else None (a notice says why when it is spoilt)."""
    import nbformat

    if not output.is_file():
        return None
    chapter = chapter_name(output)
    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception as exc:  # a truncated or hand-broken file: execute again
        reason = " ".join(str(exc).split())[:120]
        log(f"[book] {chapter}: the cached notebook {output} is unreadable ({reason}); executing again")
        return None
    record = nb.metadata.get("rmtlib", {})
    if record.get("content_hash") != digest:
        return None
    stored = record.get("outputs_hash")  # absent: written before outputs were hashed
    if stored != runner.outputs_hash(nb):
        if stored is not None:
            log(f"[book] {chapter}: the outputs of {output} changed after it was executed; executing again")
        return None
    if not all((figures / name).is_file() for name in record.get("figures", [])):
        return None
    return nb


def _execute_one(job: dict) -> tuple[float | None, str | None]:
    """Execute one chapter (in a worker process); return its runtime or the error message."""
    try:
        nb = runner.execute(**job, progress_bar=False)
    except runner.NotebookExecutionError as exc:
        return None, str(exc)
    return nb.metadata["rmtlib"]["runtime_s"], None


def _init_chapter_worker() -> None:
    """A chapter worker leaves Ctrl-C to the book command, which stops it with SIGTERM (raised as
    :class:`~rmtlib.pipeline.signals.Terminated`, so the runner removes the unfinished notebook)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum, frame):
    raise Terminated(signum)


def _execute_chapters(root: Path, notebooks: list[Path], profile: str, cache: Path, log, jobs: int) -> dict:
    failures, todo, executed = [], {}, {}
    for notebook in notebooks:
        chapter = chapter_name(notebook)
        try:
            block = chapter_profiles(notebook, required=True)
            parameters = resolve_parameters(notebook, profile=profile)
        except (ValueError, TypeError, FileNotFoundError) as exc:
            failures.append(f"{chapter}: {exc}")
            continue
        digest = runner.content_hash(notebook, parameters, block)
        output, figures = cache / f"{chapter}.ipynb", cache / "figures" / chapter
        executed[notebook] = _cached(output, figures, digest, log)
        if executed[notebook] is not None:
            log(f"[book] {chapter}: unchanged (hash {digest[:12]}), reusing the executed notebook")
            continue
        log(f"[book] {chapter}: executing with the {profile} profile {parameters}")
        todo[notebook] = dict(
            notebook=notebook,
            output=output,
            parameters=parameters,
            profile=profile,
            figures_dir=figures,
            content_hash_value=digest,
        )
    # Chapters run in separate kernels with one BLAS thread each, so they run side by side,
    # `jobs` at a time (one per core by default).
    jobs = max(1, min(jobs, len(todo)))
    pool = concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_chapter_worker
    )
    finished = False
    try:
        futures = {pool.submit(_execute_one, job): notebook for notebook, job in todo.items()}
        for future in concurrent.futures.as_completed(futures):
            chapter = chapter_name(futures[future])
            runtime, error = future.result()
            if error:
                failures.append(error)
            else:
                log(f"[book] {chapter}: done in {runtime:.1f} s")
        finished = True
    finally:
        if not finished:  # Ctrl-C or SIGTERM: each worker removes its unfinished notebook and stops
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(OSError):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=not finished)
    if failures:
        raise BookError("chapters failed, the book was not built:\n- " + "\n- ".join(failures))
    import nbformat

    for notebook, job in todo.items():  # the freshly executed ones, written by the workers
        executed[notebook] = nbformat.read(str(job["output"]), as_version=4)
    problems = [problem for notebook, nb in executed.items() for problem in _unpublishable(notebook, nb)]
    if problems:
        raise BookError("chapters cannot be published, the book was not built:\n- " + "\n- ".join(problems))
    return executed


def _unpublishable(notebook: Path, nb) -> list[str]:
    """What keeps an executed chapter off the site: a failed verdict, output on stderr."""
    from ..verdict import read_verdicts

    chapter = chapter_name(notebook)
    problems = [
        f"{chapter}: verdict {v.theorem} {v.quantity!r} failed: a failed verdict is never published"
        for v in read_verdicts(nb)
        if not v.passed
    ]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                first = next(iter(output.get("text", "").strip().splitlines()), "")
                problems.append(
                    f"{chapter}: cell In [{cell.get('execution_count')}] wrote to stderr ({first[:160]}); "
                    "published cells must not warn: fix the cause"
                )
    return problems


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _no_break(text) -> str:
    """``text`` with non-breaking hyphens: a date such as 2026-12-08 never splits over two lines."""
    return str(text).replace("-", "\u2011")


def _significant(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


#: The margin bars' colours (Okabe–Ito blue, orange, vermilion: told apart with any colour vision).
MARGIN_COLOURS = {"easy": "#0072B2", "close": "#E69F00", "fail": "#D55E00"}


def chapter_title(nb, chapter: str) -> str:
    """The chapter's title: the first heading of its first markdown cell (else its file name)."""
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            for line in cell.get("source", "").splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            break
    return chapter.replace("_", " ")


def _margin_bar(verdict) -> str:
    """``|observed - predicted| / tolerance`` as a small bar (full: at the tolerance) and its value."""
    margin = abs(verdict.observed - verdict.predicted) / verdict.tolerance if verdict.tolerance > 0 else 1.0
    filled = min(margin, 1.0)
    colour = MARGIN_COLOURS["easy" if margin < 0.5 else "close" if margin <= 1 else "fail"]
    label = f"|diff| / tolerance = {margin:.2f}"
    return (
        f'<span role="img" aria-label="{label}" title="{label}" style="display:inline-block;width:3.5em;'
        'height:0.7em;background:#e0e0e0;vertical-align:middle">'
        f'<span style="display:block;height:100%;width:{100 * filled:.0f}%;background:{colour}"></span>'
        f"</span> {margin:.2f}"
    )


def _noise_cell(verdict) -> str:
    """The verdict's own power against a wrong noise variance, under its power; empty where none."""
    if not verdict.noise_sensitive:
        return ""
    return f"<br><small>σ²: {_significant(verdict.noise_detectable, 2)}</small>"


_STATUS_HEAD = (
    '<table class="status-verdicts" style="width:100%;font-size:0.8em;table-layout:fixed">\n'
    "<thead><tr><th>predicted</th><th>observed</th><th>tolerance</th><th>detects</th>"
    "<th>margin</th></tr></thead>\n<tbody>\n"
)


def _status_page(executed: dict, profile: str) -> str:
    """The status page: a summary row per chapter, then each chapter's verdicts, compact.

    Each verdict takes two lines of one table: its theorem and quantity across the table,
    then predicted, observed, tolerance, power (*detects*) and the margin
    ``|observed - predicted| / tolerance`` as a bar, so that it fits a phone's width.
    """
    from html import escape

    from ..verdict import noise_line, noise_variance_detectable, read_verdicts

    summary, sections, totals = [], [], [0, 0]
    for notebook, nb in executed.items():
        chapter = chapter_name(notebook)
        verdicts = read_verdicts(nb)
        # the runtime its verdict table shows; the whole execution where it shows none
        runtime = verdicts[-1].runtime_s if verdicts else nb.metadata.get("rmtlib", {}).get("runtime_s")
        passed = sum(v.passed for v in verdicts)
        totals[0] += passed
        totals[1] += len(verdicts)
        title = _md_cell(chapter_title(nb, chapter))
        noise = noise_variance_detectable(verdicts)
        summary.append(
            f"| [{title}](../{NOTEBOOKS_DIR}/{chapter}.ipynb) | {passed} / {len(verdicts)} "
            f"| {'—' if noise is None else f'{100 * noise:.2g}%'} "
            f"| {'—' if runtime is None else f'{runtime:.1f}'} |"
        )
        if not verdicts:
            continue
        rows = []
        for v in verdicts:
            rows.append(
                f'<tr><td colspan="5" style="text-align:left"><b>{escape(v.theorem)}</b> '
                f"{escape(v.quantity)} <small>(N = {v.N}, seeds = {v.seeds})</small>"
                f"{'' if v.passed else ' <b>FAIL</b>'}</td></tr>\n"
                f"<tr><td>{_significant(v.predicted)}</td><td>{_significant(v.observed)}</td>"
                f"<td>{_significant(v.tolerance)}</td>"
                f"<td>{_significant(v.detectable, 2)}{_noise_cell(v)}</td>"
                f"<td>{_margin_bar(v)}</td></tr>\n"
            )
        heading = f"### [{title}](../{NOTEBOOKS_DIR}/{chapter}.ipynb)\n\n{noise_line(verdicts)}\n\n"
        sections.append(heading + _STATUS_HEAD + "".join(rows) + "</tbody></table>\n")
    table = (
        "| chapter | passed | σ² error | time (s) |\n|---|---|---|---|\n"
        + "\n".join(summary)
        + f"\n| **all chapters** | **{totals[0]} / {totals[1]}** | | |"
        if summary
        else "No chapter in this build."
    )
    return (
        "(status)=\n# Reproduction status\n\n"
        "Every chapter ends with a verdict: the theorem's prediction, the simulated value and the "
        "tolerance derived from the known fluctuation scale. A verdict outside its tolerance stops "
        "the build, so a published page only shows passing verdicts. These tables are generated from "
        f"the executed notebooks of this build (profile `{profile}`); *time* is the runtime from the "
        "chapter's start to its verdict. *σ² error* is the chapter's power "
        "against a wrong model: the smallest relative error delta in the noise variance "
        "(sigma² → sigma² (1 + delta), either sign) that the chapter's verdicts together reject with "
        "probability at least 0.9, to first order in delta; it is the figure of the chapter's most "
        "sensitive verdict, a lower bound on the power of all of them together whatever their "
        "dependence (this book's computation); — where no verdict states one (T7: its counts do not "
        "move at first order, its trained layers have no model noise, and the power of its shrinkage "
        "check against the noise variance is not computed).\n\n"
        + table
        + "\n\n## Verdicts\n\n"
        "One entry per verdict: the quantity checked (matrix size N, number of matrices), then the "
        "prediction, the simulated value, the tolerance, what the check detects and its margin. "
        "*Detects* is the check's power: the smallest relative error in the checked quantity that it "
        "rejects with probability at least 0.9, and below it (σ²) the relative error in the noise "
        "variance that the check alone rejects with probability at least 0.9; — where the check states "
        "no power (exact counts, "
        "and the tolerances of T7 set by the seed-to-seed spread: the chapter explains each). The "
        "*margin* is |observed − predicted| / tolerance, drawn as a bar that fills at the tolerance: "
        "blue below 0.5 (passed easily), orange from 0.5 to 1 (came close to failing), vermilion above "
        "1 (failed, never published); the number beside the bar says the same.\n\n"
        + ("\n".join(sections) if sections else "No chapter recorded a verdict in this build.\n")
    )


def _runs_table(executed: dict) -> str:
    rows, versions = [], {}
    for notebook, nb in executed.items():
        chapter = chapter_name(notebook)
        record = nb.metadata["rmtlib"]
        versions = record.get("packages", versions)
        params = ", ".join(f"{k}={v!r}" for k, v in record["parameters"].items())
        rows.append(
            f"| [{chapter}](../{NOTEBOOKS_DIR}/{chapter}.ipynb) | `{record['profile']}` "
            f"| {code_span(_md_cell(params))} "
            f"| {record['runtime_s']:.1f} | {record['packages'].get('rmtlib', '?')} "
            f"| `{record['content_hash'][:12]}` | {_no_break(record['executed_at'])} |"
        )
    out = [
        "| chapter | profile | parameters | runtime (s) | rmtlib | content hash | executed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Package versions used to execute the chapters:",
        "",
        "| package | version |",
        "|---|---|",
        *(f"| {name} | {version} |" for name, version in versions.items()),
        "",
        "(environment-fingerprint)=",
        "### The environment fingerprint of this build",
        "",
        markdown_table(
            {chapter_name(n): nb.metadata["rmtlib"].get("fingerprint") for n, nb in executed.items()}
        ),
    ]
    return "\n".join(out)


def _copy_mathjax(root: Path, staging: Path, log) -> None:
    source = root / "node_modules" / "mathjax" / "es5"
    if not (source / "tex-mml-chtml.js").is_file():
        npm = shutil.which("npm")
        if npm is None or not (root / "package.json").is_file():
            raise BookError(
                "MathJax is missing (node_modules/mathjax) and npm is not available to install it: "
                "install Node.js and run `npm ci` in the repository root"
            )
        log("[book] installing MathJax with npm (package.json)")
        command = [
            npm,
            "ci" if (root / "package-lock.json").is_file() else "install",
            "--no-audit",
            "--no-fund",
        ]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if done.returncode != 0 or not (source / "tex-mml-chtml.js").is_file():
            raise BookError(f"`{' '.join(command)}` failed:\n{done.stdout}{done.stderr}")
    target = staging / "_mathjax" / "mathjax"
    for item in _MATHJAX_FILES:
        if (source / item).is_dir():
            shutil.copytree(source / item, target / item)
        else:
            (target / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / item, target / item)


#: Output formats whose text is shown on a page (images and widgets are data, not text).
_TEXT_FORMATS = ("text/plain", "text/html", "text/markdown", "text/latex", "application/javascript")


def _page_texts(nb):
    """Every text of ``nb`` that reaches a reader: metadata strings, cell sources, text outputs,
    tracebacks; never base64 image data."""

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    yield from strings(nb.metadata)
    for cell in nb.cells:
        yield from strings(cell.get("source", ""))
        yield from strings(cell.get("metadata", {}))
        for output in cell.get("outputs", []):
            yield from strings(output.get("text", ""))
            yield from strings(output.get("traceback", []))
            yield from strings(output.get("evalue", ""))
            for kind in _TEXT_FORMATS:
                yield from strings(output.get("data", {}).get(kind, ""))


def local_path_pattern(local: str) -> re.Pattern:
    r"""A regular expression finding ``local`` as a path: not inside a longer name or another path.

    Examples
    --------
    >>> pattern = local_path_pattern("/w")
    >>> [bool(pattern.search(t)) for t in ("cd /w", "'/w/book'", "/work", "a/w", "x/w/y", "http://h/w")]
    [True, True, False, False, False, False]
    """
    return re.compile(r"(?<![\w./~-])" + re.escape(local.rstrip("/")) + r"(?![\w.-])")


def _without_local_paths(nb, root: Path):
    """A copy of ``nb`` without papermill's input and output paths; refuses any other path of ``root``
    or of the home folder in a text a reader sees (:func:`local_path_pattern`)."""
    nb = copy.deepcopy(nb)
    for key in ("input_path", "output_path"):
        nb.metadata.get("papermill", {}).pop(key, None)
    patterns = [local_path_pattern(local) for local in {str(root), str(Path.home())} if local != "/"]
    for text in _page_texts(nb):
        for pattern in patterns:
            found = pattern.search(text)
            if found:
                line = next(line.strip() for line in text.splitlines() if pattern.search(line))
                chapter = nb.metadata.get("rmtlib", {}).get("chapter", "a chapter")
                raise BookError(
                    f"{chapter}: the executed notebook names a local path ({line[:160]}); remove it"
                )
    return nb


_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=")


def _comment(line: str) -> str:
    """The trailing comment of one line of code with the spaces before it ('' if none)."""
    import io
    import tokenize

    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                code = line[: token.start[1]]
                return line[len(code.rstrip()) :]
    except (tokenize.TokenError, SyntaxError):  # a line of a value over several lines
        pass
    return ""


def _one_parameter_listing(nb):
    r"""``nb`` with one parameter listing: the ``parameters`` cell showing the values it ran with.

    papermill inserts its ``injected-parameters`` cell after the ``parameters`` cell; the
    page would list the parameters twice. The ``parameters`` cell's lines get the injected
    values (each line keeps its comment), names it lacks are appended, and the injected
    cell goes. Only this copy for the page changes, never the executed notebook.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     cell("N = 2000  # matrix size\nseed = 1  # seed", metadata={"tags": ["parameters"]}),
    ...     cell("# Parameters\nN = 400\n", metadata={"tags": ["injected-parameters"]})])
    >>> page = _one_parameter_listing(nb)
    >>> len(page.cells), page.cells[0].source
    (1, 'N = 400  # matrix size\nseed = 1  # seed')
    """
    import ast

    tags = [cell.get("metadata", {}).get("tags", []) for cell in nb.cells]
    injected = [i for i, t in enumerate(tags) if "injected-parameters" in t]
    declared = [i for i, t in enumerate(tags) if "parameters" in t]
    if not injected or not declared:
        return nb
    values = {}
    for statement in ast.parse(nb.cells[injected[0]].source).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                values[target.id] = ast.get_source_segment(nb.cells[injected[0]].source, statement.value)
    nb = copy.deepcopy(nb)
    cell = nb.cells[declared[0]]
    lines = []
    for line in cell.source.splitlines():
        match = _ASSIGNMENT.match(line)
        if match and match["name"] in values:
            line = f"{match['name']} = {values.pop(match['name'])}{_comment(line)}"
        lines.append(line)
    lines += [f"{name} = {value}" for name, value in values.items()]
    cell.source = "\n".join(lines)
    del nb.cells[injected[0]]
    return nb


def _assemble(root: Path, staging: Path, executed: dict, cache: Path, profile: str, log) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, staging / name)
    if (root / "CITATION.cff").is_file():  # each chapter's "how to cite" box is generated from it
        shutil.copy2(root / "CITATION.cff", staging / "CITATION.cff")
    shutil.copytree(root / "book", staging / "book")
    (staging / NOTEBOOKS_DIR).mkdir()
    import nbformat

    for notebook, nb in executed.items():
        page = _one_parameter_listing(_without_local_paths(nb, root))
        nbformat.write(page, str(staging / NOTEBOOKS_DIR / notebook.name))
    (staging / "book" / "status.md").write_text(_status_page(executed, profile))
    reproducibility = staging / "book" / "reproducibility.md"
    if reproducibility.is_file():
        text = reproducibility.read_text()
        if RUNS_TABLE_MARKER not in text:
            raise BookError(f"book/reproducibility.md must contain the line {RUNS_TABLE_MARKER}")
        reproducibility.write_text(text.replace(RUNS_TABLE_MARKER, _runs_table(executed)))
    key_figures = sorted((cache / "figures").glob(f"*/{KEY_FIGURE}"))
    key_figures = [p for p in key_figures if p.parent.name in {n.stem for n in executed}]
    intro = root / "book" / "intro.md"
    if intro.is_file() and f"figures/{KEY_FIGURE}" in intro.read_text():
        if len(key_figures) != 1:
            raise BookError(
                f"book/intro.md shows figures/{KEY_FIGURE}, which exactly one chapter must save with "
                f"rmtlib.plotting.savefig(fig, 'key_figure'); found {len(key_figures)}: "
                + (", ".join(p.parent.name for p in key_figures) or "none")
            )
        (staging / "book" / "figures").mkdir(exist_ok=True)
        shutil.copy2(key_figures[0], staging / "book" / "figures" / KEY_FIGURE)
    _copy_mathjax(root, staging, log)


def site_dir(root, profile: str) -> Path:
    """Return the folder of ``profile``'s site: ``_build/html`` (the ``full`` book) or ``_build/html-ci``.

    Each profile has its own, so that a ``ci`` build (``make test``) never replaces the
    published book that ``make book`` built.

    Examples
    --------
    >>> site_dir("/repo", "full").as_posix(), site_dir("/repo", "ci").as_posix()
    ('/repo/_build/html', '/repo/_build/html-ci')
    """
    return Path(root) / "_build" / SITE_DIRS[profile]


def _render(root: Path, staging: Path, profile: str, log) -> Path:
    # Jupyter Book writes <path-output>/_build/html; each profile renders in its own scratch
    # folder (from clean), and the result replaces that profile's site only.
    scratch = root / "_build" / "render" / profile
    shutil.rmtree(scratch, ignore_errors=True)
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(executable) if executable.exists() else "jupyter-book",
        "build",
        "--all",
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(scratch),
        str(staging),
    ]
    log("[book] " + " ".join(command[1:]))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    problems = []
    for line in process.stdout:
        log(line.rstrip("\n"))
        if "WARNING" in line or "ERROR" in line:
            problems.append(line.strip())
    if process.wait() != 0:
        summary = "\n".join(problems[:40]) or "(see the log above)"
        raise BookError(
            f"jupyter-book build failed (exit {process.returncode}); warnings are errors here:\n{summary}"
        )
    rendered, site = scratch / "_build" / "html", site_dir(root, profile)
    if not (rendered / "index.html").is_file():
        raise BookError(f"jupyter-book finished but {rendered / 'index.html'} is missing")
    shutil.rmtree(site, ignore_errors=True)
    rendered.replace(site)
    return site / "index.html"


def build_book(root=".", *, profile: str = "full", jobs: int | None = None, log=print) -> Path:
    """Execute the chapters of ``root``'s ``_toc.yml`` with ``profile`` and render the site.

    Chapters that need executing run ``jobs`` at a time (default: one per available core).

    Returns the path of the site's ``index.html``, in :func:`site_dir`: ``_build/html``
    for ``full``, ``_build/html-ci`` for ``ci``. Raises :class:`BookError`
    naming the missing page, the failing chapter and its error, or the Sphinx
    warnings that failed the strict build.
    """
    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {list(PROFILE_NAMES)}, got {profile!r}")
    root = Path(root).resolve()
    for required in ("_config.yml", "_toc.yml", "book", f"{NOTEBOOKS_DIR}/profiles.yml"):
        if not (root / required).exists():
            raise BookError(f"{root} has no {required}: run the book command from the repository root")
    jobs = len(os.sched_getaffinity(0)) if jobs is None else check_int(jobs, "jobs", minimum=1)
    (root / "_build").mkdir(exist_ok=True)
    busy = (
        f"another book build is running in {root}: wait for it to finish (one build at a time per checkout)"
    )
    with files.exclusive(root / "_build" / BOOK_LOCK, busy):  # the staging folder is shared by profiles
        entries = toc_entries(yaml.safe_load((root / "_toc.yml").read_text()))
        notebooks = _notebooks(root, entries)
        cache = root / "_build" / "executed" / profile
        executed = _execute_chapters(root, notebooks, profile, cache, log, jobs)
        staging = root / "_build" / "source"
        _assemble(root, staging, executed, cache, profile, log)
        return _render(root, staging, profile, log)
