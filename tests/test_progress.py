"""Tests of rmtlib.pipeline.progress: bars on interactively, off under the runner."""

from __future__ import annotations

import pytest
from tqdm import tqdm

from rmtlib.pipeline.progress import PROGRESS_ENV, progress_bar, progress_enabled


@pytest.mark.parametrize("value", ["0", "off", "False", " no "])
def test_runner_setting_switches_bars_off(monkeypatch, value):
    monkeypatch.setenv(PROGRESS_ENV, value)
    items = [1, 2, 3]
    assert not progress_enabled()
    bar = progress_bar(items, desc="x")
    assert bar.disable and list(bar) == items


def test_bars_show_by_default(monkeypatch, capsys):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    bar = progress_bar(range(3), desc="sizes")
    assert isinstance(bar, tqdm)
    assert list(bar) == [0, 1, 2]
    assert "sizes" in capsys.readouterr().err


def test_a_bar_without_iterable_counts_steps_and_can_be_switched_off(monkeypatch, capsys):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    bar = progress_bar(total=2, desc="tasks", unit="task")
    bar.update()
    bar.update()
    bar.close()
    assert bar.n == 2 and "tasks" in capsys.readouterr().err
    quiet = progress_bar(total=2, desc="quiet", enabled=False)
    quiet.update()
    quiet.close()
    assert "quiet" not in capsys.readouterr().err
