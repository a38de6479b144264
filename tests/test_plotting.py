"""Tests of rmtlib.plotting: house style and savefig."""

from __future__ import annotations

import re

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


# --------------------------------------------------------------------------- tables and players


def test_table_rounds_to_significant_digits_and_keeps_integers():
    import pandas as pd

    t = plotting.table(pd.DataFrame({"x (s)": [0.00101898, 123456.7, float("nan")], "n": [1, 20, 3000]}),
                       digits=3, caption="Runtimes")
    text = repr(t)
    assert text.splitlines()[0] == "Runtimes"
    assert "0.00102" in text and "1.23e+05" in text and "3,000" in text and "–" in text
    assert "0.00101898" not in t._repr_html_()
    assert "overflow-x:auto" in t._repr_html_()


def test_table_headers_read_as_words_without_row_numbers():
    import pandas as pd

    html_text = plotting.table(pd.DataFrame({"bulk_width": [1.5], "n": [2]}))._repr_html_()
    assert "<th>bulk width</th>" in html_text and "<th>0</th>" not in html_text
    indexed = plotting.table(pd.DataFrame({"x": [1.0]}, index=pd.Index(["a"], name="law_name")))._repr_html_()
    assert "<th>law name</th>" in indexed and "<th>a</th>" in indexed  # a named index stays
    series = plotting.table(pd.Series([0.5, 0.25]))._repr_html_()
    assert "<th>value</th>" in series and "<th>0</th>" not in series


@pytest.mark.parametrize("digits", [0, 16, 2.5, True])
def test_table_refuses_bad_digits(digits):
    import pandas as pd

    with pytest.raises(ValueError, match="digits must be an integer"):
        plotting.table(pd.DataFrame({"a": [1.0]}), digits=digits)


def test_table_refuses_non_frames():
    with pytest.raises(TypeError, match="DataFrame or Series"):
        plotting.table([[1, 2]])


def _frames(thetas, N=200, seed=0):
    import numpy as np

    from rmtlib.experiments.frames import spectrum_frame
    from rmtlib.laws import DiscreteLaw

    rng = np.random.default_rng(seed)
    return [spectrum_frame(N=N, nu=DiscreteLaw([0.0]), thetas=[t], rng=rng) for t in thetas]


def test_spectrum_player_has_one_inline_image_per_frame_and_a_slider():
    frames = _frames([0.5, 2.0, 3.0])
    player = plotting.spectrum_player(frames, ["a", "b", "c"])
    page = player._repr_html_()
    assert player.n_frames == 3 and repr(player) == "<interactive player: 3 frames>"
    assert page.count("data:image/webp;base64") == 3 + 1  # each frame, and the first as the image's source
    assert "data:image/png" not in page  # WebP frames: a third of the weight of PNG ones
    assert 'type="range"' in page
    assert re.search(r'<label class="anim-label" for="_anim_slider[0-9a-f]+">', page)
    assert "http://" not in page and "https://" not in page
    assert 'class="fa' not in page and "▶" in page
    assert len(page) < 150_000


def test_spectrum_player_frames_are_the_same_images_compressed():
    import base64
    import io

    from PIL import Image

    frames = _frames([0.5, 2.0])
    page = plotting.spectrum_player(frames, ["a", "b"])._repr_html_()
    shown = re.findall(r'frames\[\d+\] = "data:image/webp;base64,([^"]+)"', page)
    assert len(shown) == 2
    sizes = {Image.open(io.BytesIO(base64.b64decode(b))).size for b in shown}
    import matplotlib

    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = 72 if dpi == "figure" else dpi  # the player's figure: 6.4 x 3.4 in at 72 dpi
    assert sizes == {(int(6.4 * dpi), int(3.4 * dpi))}  # the frames keep every pixel
    jpeg = 'frames[0] = "data:image/jpeg;base64,AA"'
    assert plotting._webp_frames(jpeg) == jpeg  # only PNG frames are re-encoded


def test_spectrum_player_carries_alt_text():
    frames = _frames([0.5, 2.0])
    page = plotting.spectrum_player(frames, ["a", "b"], alt='Spectra as "theta" grows')._repr_html_()
    assert page.count('alt="Spectra as &quot;theta&quot; grows"') == 1
    # the image shows the first frame before the script runs (no empty src)
    assert re.search(r'<img src="data:image/webp;base64,[A-Za-z0-9+/=]+" alt=', page)
    with pytest.raises(TypeError, match="alt must be a string"):
        plotting.spectrum_player(frames, ["a", "b"], alt=3)


def test_spectrum_player_refuses_mismatched_labels_and_single_frames():
    frames = _frames([0.5, 2.0])
    with pytest.raises(ValueError, match="one title per frame"):
        plotting.spectrum_player(frames, ["only one"])
    with pytest.raises(ValueError, match="at least two"):
        plotting.spectrum_player(frames[:1], ["x"])


def test_spectrum_frame_marks_only_separated_spikes():
    import numpy as np

    below, above = _frames([0.5, 3.0], N=400, seed=1)
    assert below.n_separated == 0 and np.isnan(below.predicted).all()
    assert above.n_separated == 1 and above.predicted[0] == pytest.approx(3.0 + 1 / 3.0)
    assert above.threshold == pytest.approx(1.0) and above.edge == pytest.approx(2.0)
    assert abs(above.eigenvalues[-1] - above.predicted[0]) < 4 * np.sqrt(2.0 / 400)
    with pytest.raises(ValueError, match="fewer than N"):
        from rmtlib.experiments.frames import spectrum_frame
        from rmtlib.laws import DiscreteLaw

        spectrum_frame(N=3, nu=DiscreteLaw([0.0]), thetas=[1, 2, 3], rng=np.random.default_rng(0))
