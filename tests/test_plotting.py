"""Tests of rmtlib.plotting: house style and savefig."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rmtlib import plotting  # noqa: E402


@pytest.fixture
def figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    yield fig
    plt.close(fig)


def test_house_style_uses_the_colour_blind_safe_palette():
    with matplotlib.rc_context():
        plotting.use_house_style()
        cycle = [c.upper() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
        assert cycle == list(plotting.PALETTE)
        assert matplotlib.rcParams["savefig.dpi"] >= 150
        assert matplotlib.rcParams["savefig.bbox"] == "tight"


def test_savefig_defaults_to_figures_in_the_working_directory(figure, tmp_path, monkeypatch):
    monkeypatch.delenv(plotting.FIGURES_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    path = plotting.savefig(figure, "density")
    assert path == tmp_path / "figures" / "density.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_savefig_follows_the_runner_directory_and_suffix(figure, tmp_path, monkeypatch):
    monkeypatch.setenv(plotting.FIGURES_DIR_ENV, str(tmp_path / "chapter"))
    path = plotting.savefig(figure, "edge.svg")
    assert path == tmp_path / "chapter" / "edge.svg"
    assert path.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("../escape", ValueError),
        ("a/b", ValueError),
        ("", ValueError),
        ("fig.jpg", ValueError),
        (3, ValueError),
    ],
)
def test_savefig_refuses_bad_names(figure, tmp_path, monkeypatch, name, error):
    monkeypatch.setenv(plotting.FIGURES_DIR_ENV, str(tmp_path))
    with pytest.raises(error, match="name must"):
        plotting.savefig(figure, name)
    assert not list(tmp_path.iterdir())


def test_savefig_refuses_a_non_figure(tmp_path, monkeypatch):
    monkeypatch.setenv(plotting.FIGURES_DIR_ENV, str(tmp_path))
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure, got list"):
        plotting.savefig([1, 2], "x")
