"""Helpers of the reliability tests: the command line in a subprocess, a tiny chapter project."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat

TINY = "98_tiny"
# A chapter that saves one figure and can be asked to sleep or to kill its own kernel.
TINY_PARAMETERS = "N = 60\nsigma = 1.0\nseed = 0\nwidths = [0.5, 1.0]\ndelay = 0.0\ndie = False"
TINY_BODY = """\
import os, signal, time
import matplotlib.pyplot as plt
from rmtlib import plotting
if die:
    os.kill(os.getpid(), signal.SIGKILL)
time.sleep(delay)
fig, ax = plt.subplots()
ax.plot(widths)
plotting.savefig(fig, "curve")
plt.close(fig)
print(N, sigma, seed)"""
TINY_PROFILES = (
    f"{TINY}:\n  ci: {{N: 30, seed: 1}}\n  full: {{N: 50, seed: 1}}\n"
    "  rules: {N: {max: 300}, seed: {max: 9}, widths: {gt: 0.01}, delay: {min: 0}}\n"
)


def make_project(root: Path) -> Path:
    """Write ``notebooks/98_tiny.ipynb`` and its ``profiles.yml`` under ``root``."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        nbformat.v4.new_code_cell(TINY_PARAMETERS, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(TINY_BODY),
    ]
    nbformat.write(nb, str(root / "notebooks" / f"{TINY}.ipynb"))
    (root / "notebooks" / "profiles.yml").write_text(TINY_PROFILES)
    return root


def start(cwd: Path, *arguments: str) -> subprocess.Popen:
    """Start ``python -m rmtlib ARGUMENTS`` in its own process group (so a kill reaches the kernel)."""
    return subprocess.Popen(
        [sys.executable, "-m", "rmtlib", *arguments],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "RMTLIB_PROGRESS": "0"},
    )


def finish(process: subprocess.Popen, timeout: float = 180) -> subprocess.CompletedProcess:
    """Wait for ``process``; on timeout kill its whole group and report exit code None."""
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        code = None
    return subprocess.CompletedProcess(process.args, code, out, err)


def cli(cwd: Path, *arguments: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``python -m rmtlib ARGUMENTS`` in ``cwd`` and return the finished process."""
    return finish(start(cwd, *arguments), timeout)


def error_lines(stderr: str) -> list[str]:
    """The lines of ``stderr`` that report an error (the CLI's refusals start with ``error:``)."""
    return [line for line in stderr.splitlines() if "error:" in line]


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The command exited with ``code`` after one error line holding every fragment, no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
