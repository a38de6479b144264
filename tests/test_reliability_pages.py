"""Regression tests of `python -m rmtlib run | book | compare` and of what reaches the pages (second
reliability review, items 9, 14, 15, 16, 18, 19 and 20). Each test names its item."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt
from reliability import TINY, finish, make_project, start
from tiny_book import verdict_notebook, write_chapter

from rmtlib.pipeline import files, site
from rmtlib.pipeline.cli import main
from rmtlib.profiles import rerun_markdown
from rmtlib.verdict import VERDICT_KEY, Verdict

HOSTILE = "a`b <img src=x onerror=alert(1)>"


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


# --------------------------------------------------------------------------- item 9


def test_item9_a_second_book_build_in_the_same_checkout_is_refused(tiny_book, capsys):
    (tiny_book / "_build").mkdir()
    with files.exclusive(tiny_book / "_build" / site.BOOK_LOCK, "held by the first build"):
        code = main(["book", "--root", str(tiny_book), "--profile", "ci"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "another book build is running in" in err, err
    assert not (tiny_book / "_build" / "executed").exists()  # nothing executed, nothing staged


# --------------------------------------------------------------------------- item 14


def test_item14_a_backtick_or_html_in_a_parameter_stays_code_in_the_rerun_note(tmp_path, monkeypatch):
    profiles = tmp_path / "profiles.yml"
    profiles.write_text(f"01_x:\n  full: {{N: 4, entries: {HOSTILE!r}}}\n".replace("'", '"'))
    monkeypatch.setenv("RMTLIB_PROFILES", str(profiles))
    html = _html(rerun_markdown("01_x"))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    code = html.split("<code>")[2].split("</code>")[0]  # after the profile's name
    assert code.startswith("python -m rmtlib run notebooks/01_x.ipynb") and "a`b" in code


def test_item14_the_runs_table_keeps_a_hostile_parameter_in_its_cell():
    nb = verdict_notebook([])
    nb.metadata["rmtlib"] = {
        "chapter": "01_x",
        "profile": "full",
        "parameters": {"entries": HOSTILE, "pipe": "a|b"},
        "runtime_s": 1.0,
        "packages": {"rmtlib": "1"},
        "content_hash": "0" * 64,
        "executed_at": "today",
    }
    html = _html(site._runs_table({Path("notebooks/01_x.ipynb"): nb}))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    row = html.split("<tbody>")[1].split("</tr>")[0]
    assert row.count("<td>") == 7 and "a`b" in row and "a|b" in row


# --------------------------------------------------------------------------- item 15


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_item15_an_interrupted_run_prints_one_line_and_leaves_no_running_notebook(tmp_path, signum):
    make_project(tmp_path)
    process = start(tmp_path, "run", TINY, "-p", "delay", "60", "--output", "out")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (tmp_path / "out" / f"{TINY}.running.ipynb").exists():
        time.sleep(0.2)
    time.sleep(3)  # the kernel runs the sleeping cell
    process.send_signal(signum)
    result = finish(process, timeout=60)
    assert result.returncode == 128 + signum, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]
    assert f"rmtlib run: interrupted ({signal.Signals(signum).name}); nothing was written" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".rmtlib-run", "figures"]


def test_item15_an_interrupted_book_prints_one_line(tiny_book):
    write_chapter(tiny_book / "notebooks" / "01_tiny.ipynb", "import time\ntime.sleep(60)\n")
    process = start(tiny_book, "book", "--profile", "ci")
    cache = tiny_book / "_build" / "executed" / "ci"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (cache / "01_tiny.running.ipynb").exists():
        time.sleep(0.2)
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    result = finish(process, timeout=60)
    assert result.returncode == 130, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]
    assert "rmtlib book: interrupted (SIGINT); the site is as it was before this build" in result.stderr
    assert not list(cache.glob("*.running.ipynb")) and not (cache / "01_tiny.ipynb").exists()


# --------------------------------------------------------------------------- item 16


def _executed(text: str, png: str = "") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)")
    data = {"text/plain": text}
    if png:
        data["image/png"] = png
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    nb.cells = [cell]
    nb.metadata["rmtlib"] = {"chapter": "01_x"}
    return nb


@pytest.mark.parametrize("root", ["/w", "/ci", "/t"])
def test_item16_short_roots_do_not_match_inside_images_or_words(root, monkeypatch):
    monkeypatch.setenv("HOME", "/t")
    png = "iVBORw0KGgo/w/ci/t/AAAA/wAAB/ci+/t=="  # base64 holds '/' and such short names
    site._without_local_paths(_executed("/work and /cities and http://host/w/x", png), Path(root))
    with pytest.raises(site.BookError, match=f"names a local path .*{root}/notebooks"):
        site._without_local_paths(_executed(f"saved to {root}/notebooks/x.png"), Path(root))


def test_item16_a_home_path_in_a_traceback_is_still_refused(monkeypatch):
    monkeypatch.setenv("HOME", "/home/reader")
    nb = _executed("fine")
    nb.cells[0].outputs = [
        nbformat.v4.new_output("error", ename="E", evalue="x", traceback=["/home/reader/x.py"])
    ]
    with pytest.raises(site.BookError, match="/home/reader/x.py"):
        site._without_local_paths(nb, Path("/srv/book"))


# --------------------------------------------------------------------------- item 18


def _run_notebook(path: Path, record, verdicts=()) -> Path:
    nb = verdict_notebook(list(verdicts))
    nb.metadata["rmtlib"] = record
    nbformat.write(nb, str(path))
    return path


_VERDICT = Verdict("T1", "edge", 2.0, 2.01, 0.05, True, 100, 1, 0.1)


@pytest.mark.parametrize(
    ("record", "edit", "message"),
    [
        (["not", "a", "mapping"], None, "metadata.rmtlib must be a mapping, got list"),
        ({"chapter": "../../etc/passwd"}, None, "metadata.rmtlib.chapter must be a chapter name"),
        ({"chapter": "01_x"}, {"extra": 1}, "is not a verdict record (['extra'])"),
        ({"chapter": "01_x"}, {"observed": None}, "observed must be a number, got None"),
    ],
)
def test_item18_compare_refuses_a_malformed_record_in_one_line(tmp_path, capsys, record, edit, message):
    nb = _run_notebook(tmp_path / "run.ipynb", record, [_VERDICT])
    if edit:
        raw = nbformat.read(str(nb), as_version=4)
        raw.cells[0].outputs[0].metadata[VERDICT_KEY][0].update(edit)  # the table's first record
        nbformat.write(raw, str(nb))
    code = main(["compare", str(nb), "--published", str(nb)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and message in err, err


# --------------------------------------------------------------------------- item 19


def test_item19_executed_notebooks_get_the_mode_of_any_new_file(tmp_path):
    previous = os.umask(0o022)
    try:
        files.write_notebook(nbformat.v4.new_notebook(), tmp_path / "a.ipynb")
        os.umask(0o077)
        files.write_notebook(nbformat.v4.new_notebook(), tmp_path / "b.ipynb")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.ipynb").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.ipynb").stat().st_mode) == 0o600


# --------------------------------------------------------------------------- item 20

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("chapter", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_item20_papermill_parses_every_parameters_cell_without_a_warning(chapter, caplog):
    import papermill

    from rmtlib.pipeline.parameters import notebook_parameters

    with caplog.at_level("WARNING", logger="papermill"):
        inferred = papermill.inspect_notebook(str(NOTEBOOKS / f"{chapter}.ipynb"))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("papermill")] == []
    assert list(inferred) == list(notebook_parameters(NOTEBOOKS / f"{chapter}.ipynb"))


def test_item20_a_chapter_runs_without_the_unencrypted_tcp_warning(tmp_path, monkeypatch):
    make_project(tmp_path)
    runtime = Path(tempfile.mkdtemp(prefix="rt-"))  # a short folder: the kernel's sockets live there
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    result = finish(start(tmp_path, "run", TINY, "--profile", "ci", "--output", "out"), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "without encryption" not in result.stderr and "WARNING" not in result.stderr, result.stderr[-3000:]
    left = list(runtime.iterdir())
    shutil.rmtree(runtime)
    assert not left, "the kernel's connection file and sockets are removed"
