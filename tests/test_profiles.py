"""Tests of rmtlib.profiles: the profiles file and the rerun note a chapter shows."""

from __future__ import annotations

import shlex
import shutil

import pytest

from rmtlib import profiles
from rmtlib.pipeline.parameters import parse_cli_value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01_x: [1, 2]\n", "expected a mapping"),
        ("01_x:\n  nightly: {N: 3}\n", "unknown keys \\['nightly'\\]"),
        ("01_x:\n  ci: [1]\n", "01_x.ci: expected a mapping"),
        ("01_x:\n  rules: {N: {minimum: 2}}\n", "rules.N: expected a mapping with keys among"),
    ],
)
def test_load_profiles_refuses_malformed_files(tmp_path, text, message):
    path = tmp_path / "profiles.yml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        profiles.load_profiles(path)


def test_rerun_command_quotes_lists_and_strings():
    command = profiles.rerun_command(
        "05_x",
        {"Ns": [100, 200], "alphas": [0.25, 0.5], "entries": ["a", "b"], "label": "two words", "fast": True},
    )
    assert command == (
        "python -m rmtlib run notebooks/05_x.ipynb -p Ns '[100, 200]' -p alphas '[0.25, 0.5]' "
        "-p entries '[a, b]' -p label 'two words' -p fast true"
    )
    parsed = dict(zip(command.split(" -p ")[1:], [None] * 5, strict=True))
    assert len(parsed) == 5


def test_rerun_command_round_trips_through_the_cli_parser():
    parameters = {"N": 120, "Ns": [10, 20], "entries": "rademacher", "sigma": 0.5, "fail": False}
    words = shlex.split(profiles.rerun_command("99_placeholder", parameters))
    parsed = {words[i + 1]: parse_cli_value(words[i + 2]) for i in range(5, len(words), 3)}
    assert parsed == parameters


def test_rerun_markdown_without_runtime(tmp_path, monkeypatch):
    (tmp_path / "profiles.yml").write_text("01_x:\n  full: {N: 4}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RMTLIB_PROFILES", raising=False)
    monkeypatch.delenv("RMTLIB_PROFILE", raising=False)
    text = profiles.rerun_markdown("01_x")
    assert "(the published `full` profile):" in text and "-p N 4`" in text
    with pytest.raises(ValueError, match="no 'full' profile for 02_y"):
        profiles.rerun_markdown("02_y")
    shutil.move(tmp_path / "profiles.yml", tmp_path / "elsewhere.yml")
    with pytest.raises(FileNotFoundError, match="no profiles.yml found"):
        profiles.profiles_file()
    # a chapter opened on its own (Colab): the note says where the profiles are, and does not fail
    alone = profiles.rerun_markdown("01_x")
    assert "edit the parameters cell above" in alone and "python -m rmtlib run notebooks/01_x.ipynb" in alone
