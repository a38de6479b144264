"""T9's experiments: the small-kappa law, Monte Carlo against the law, and the chapter's verdicts."""

import numpy as np
import pytest

from rmtlib.experiments import group_threshold
from rmtlib.experiments.statistics import passed

SMALL_KAPPAS = np.geomspace(1e-8, 1e-3, 10)


def chapter_specs(*, noise_variance_factor=1.0, N=1000, seeds=3, seed=9):
    """The chapter's verdicts at its ci size with fewer points: two square points and one rectangular point on
    each side of the threshold, and the small-kappa fits of the square and one rectangular model."""
    rng = np.random.default_rng(seed)

    def point(kappa, offset, gamma=None):
        strength = float(group_threshold.threshold_curve([kappa], gamma=gamma)[0]) + offset
        return group_threshold.monte_carlo_point(
            N=N,
            kappa=kappa,
            strength=strength,
            seeds=seeds,
            gamma=gamma,
            noise_variance_factor=noise_variance_factor,
            rng=rng,
        )

    square = [point(0.05, 0.4), point(0.2, -0.3)]
    rectangular = [point(0.1, 0.4, 2.0), point(0.1, -0.3, 2.0)]
    fits = [group_threshold.small_kappa_fit(SMALL_KAPPAS, gamma=g) for g in (None, 2.0)]
    return group_threshold.group_threshold_verdicts(
        square_points=square, rectangular_points=rectangular, fits=fits
    )


def test_cusp_constant_closed_forms_and_transpose():
    assert group_threshold.cusp_constant(sigma=2.0) == 3.0
    assert group_threshold.cusp_constant(sigma=1.0, gamma=1.0) == pytest.approx(
        0.75 * 2 ** (2 / 3), rel=1e-14
    )
    # gamma < 1 is the transpose: sigma sqrt(gamma), 1/gamma
    assert group_threshold.cusp_constant(sigma=1.0, gamma=0.25) == pytest.approx(
        group_threshold.cusp_constant(sigma=0.5, gamma=4.0), rel=1e-14
    )


@pytest.mark.parametrize("gamma", [None, 0.5, 1.0, 2.0])
def test_small_kappa_fit_recovers_the_derived_law(gamma):
    fit = group_threshold.small_kappa_fit(SMALL_KAPPAS, gamma=gamma)
    assert fit["exponent"] == pytest.approx(1 / 3, abs=3e-3)
    assert fit["constant"] == pytest.approx(fit["derived_constant"], rel=1e-3)


def test_square_next_order_from_the_closed_form():
    # sigma ((1 - k)^(1/3) + k^(1/3))^(3/2) = sigma (1 + (3/2) e + (3/8) e^2 - (9/16) e^3 + ...), e = k^(1/3):
    # over e <= 0.01 the e^3 term moves the fitted D by about 1.5%
    fit = group_threshold.small_kappa_fit(np.geomspace(1e-9, 1e-6, 8))
    assert fit["next_order"] == pytest.approx(3 / 8, rel=0.05)


def test_group_spectrum_sizes_and_noise_variance():
    rng = np.random.default_rng(0)
    lam, r = group_threshold.group_spectrum(
        N=400, kappa=0.1, strength=0.0, noise_variance_factor=2.0, rng=rng
    )
    assert (lam.size, r) == (400, 40)
    assert np.mean(lam**2) == pytest.approx(2.0, rel=0.03)  # semicircle of variance 2
    s, r = group_threshold.group_spectrum(N=300, kappa=0.1, strength=0.0, gamma=2.0, rng=rng)
    assert (s.size, r) == (300, 30)
    assert np.mean(s**2) == pytest.approx(2.0, rel=0.03)  # mean squared singular value: sigma^2 gamma


def test_monte_carlo_point_sees_the_predicted_gap_and_count():
    rng = np.random.default_rng(3)
    above = group_threshold.monte_carlo_point(N=500, kappa=0.1, strength=2.3, seeds=2, rng=rng)
    assert above["separated"] and above["distance"] > 10 * above["edge_scale"]
    assert all(s["count_above_gap"] == above["r"] == 50 for s in above["seeds"])
    assert all(s["gap_ratio"] > 5 for s in above["seeds"])
    below = group_threshold.monte_carlo_point(N=500, kappa=0.1, strength=1.3, seeds=2, rng=rng)
    assert not below["separated"] and all(s["gap_ratio"] < 5 for s in below["seeds"])


def test_chapter_verdicts_pass_under_the_correct_model():
    specs = chapter_specs()
    assert len(specs) == 2 * 2 + 2 + (3 + 1) * 2  # counts, fits, edges
    assert all(passed(s) for s in specs), [s["quantity"] for s in specs if not passed(s)]
    assert all(s["detectable"] is not None and s["detectable"] > 0 for s in specs)


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_chapter_verdicts_fail_with_the_noise_variance_ten_percent_off(factor):
    failed = [s["quantity"] for s in chapter_specs(noise_variance_factor=factor) if not passed(s)]
    assert sum("edge" in q for q in failed) >= 3


def test_chapter_verdicts_fail_with_a_square_root_kappa_law(monkeypatch):
    true = group_threshold.group_separation_threshold

    def square_root_law(kappa, *, sigma, **model):
        bbp = group_threshold.single_spike_threshold(sigma=sigma, **model)
        excess = true(kappa, sigma=sigma, **model) - bbp
        return bbp + excess * np.sqrt(kappa) / np.cbrt(kappa)  # same constant, kappa^(1/2)

    monkeypatch.setattr(group_threshold, "group_separation_threshold", square_root_law)
    failed = [s["quantity"] for s in chapter_specs() if not passed(s)]
    assert sum("exponent" in q for q in failed) == 2
    assert sum("constant" in q for q in failed) == 2


def test_gap_opening_rows_and_reference():
    rows = group_threshold.gap_opening(
        sizes=[300], offsets=[0.3, -0.1], kappa=0.1, seeds=1, rng=np.random.default_rng(1)
    )
    assert [r["offset"] for r in rows] == [-0.1, 0.3]
    assert rows[0]["predicted_gap"] == 0.0 and rows[1]["predicted_gap"] > 0.05
    assert rows[0]["gap_ratio"] < 4 < rows[1]["gap_ratio"]
    assert rows[1]["opening_offset"] == 0.3 and rows[1]["opened"] and not rows[0]["opened"]
    with pytest.raises(ValueError, match="offsets"):
        group_threshold.gap_opening(
            sizes=[300], offsets=[0.1], kappa=0.1, seeds=1, rng=np.random.default_rng(1)
        )


def test_edge_rule_fraction_ramp():
    strengths = np.array([0.8, 1.19, 1.6, 2.0, 3.0])
    small = group_threshold.edge_rule_fraction(kappa=1e-3, strengths=strengths)
    large = group_threshold.edge_rule_fraction(kappa=0.2, strengths=strengths)
    assert np.all(np.diff(small) >= 0) and np.all(np.diff(large) >= 0)
    assert small[0] < 0.01 and small[-1] == 1.0 and large[-1] == pytest.approx(1.0, abs=1e-12)
    # a small group is kept almost like a spike; a large one is a ramp
    assert small[3] == 1.0 and large[3] < 0.8


def test_phase_labels_and_sweep_point_follow_the_threshold():
    kappas, strengths = np.array([0.01, 0.1]), np.linspace(0.5, 2.5, 9)
    labels = group_threshold.phase_labels(kappas, strengths, gamma=2.0)
    curve = group_threshold.threshold_curve(kappas, gamma=2.0)
    assert labels.shape == (2, 9) and np.array_equal(labels, strengths[None, :] > curve[:, None])
    point = group_threshold.threshold_point(kappa=0.1, gamma=2.0)
    assert point["threshold"] == curve[1] and point["bbp"] == pytest.approx(2.0**0.25, rel=1e-13)
    square = group_threshold.threshold_point(kappa=0.1, model="square", gamma=5.0)  # gamma ignored
    assert square["threshold"] == pytest.approx((0.9 ** (1 / 3) + 0.1 ** (1 / 3)) ** 1.5, rel=1e-13)


def test_monte_carlo_table_means_over_seeds_and_blanks_an_absorbed_group():
    seeds = [
        {"below": 1.0, "above": 3.0, "top": 4.0, "count_above_gap": 5, "gap_ratio": 6.0},
        {"below": 2.0, "above": 5.0, "top": 6.0, "count_above_gap": 4, "gap_ratio": 8.0},
    ]
    point = {
        "kappa": 0.1,
        "r": 5,
        "strength": 2.0,
        "threshold": 1.5,
        "distance": 0.5,
        "edge_scale": 0.01,
        "separated": True,
        "bulk_edge": 1.4,
        "group_edge": 3.9,
        "top_edge": 5.1,
        "seeds": seeds,
    }
    absorbed = {**point, "separated": False, "bulk_edge": np.nan, "group_edge": np.nan}
    table = group_threshold.monte_carlo_table({"square": [point], "rectangular": [absorbed]})
    square, rect = table.to_dict("records")
    assert square["model"] == "square" and square["distance / N^(-2/3)"] == pytest.approx(50.0)
    assert (square["bulk top: mean"], square["group bottom: mean"], square["top: mean"]) == (1.5, 4.0, 5.0)
    assert square["count above gap / r"] == 0.9 and square["gap / local spacing"] == 7.0
    assert square["predicted"] == "separated" and rect["predicted"] == "absorbed"
    assert (
        np.isnan(rect["bulk top: mean"])
        and np.isnan(rect["count above gap / r"])
        and rect["top: mean"] == 5.0
    )


def test_component_counts_and_fit_table():
    kappas = np.geomspace(1e-3, 0.3, 6)
    models = {"square": None, "rectangular": 2.0}
    curves = {name: group_threshold.threshold_curve(kappas, gamma=g) for name, g in models.items()}
    counts = group_threshold.component_counts(kappas, curves, models, step=3)
    direct = [
        len(group_threshold.group_law_support(kappa=float(kappas[i]), strength=f * curves[name][i], gamma=g))
        for name, g in models.items()
        for i in (0, 3)
        for f in (0.8, 1.25)
    ]
    assert counts == direct
    assert counts[0::2] == [1, 1, 1, 1] and counts[1::2] == [2, 2, 2, 2]  # below / above the threshold
    fit = {"bbp": 1.0, "exponent": 0.5, "constant": 2.2, "derived_constant": 2.0, "next_order": 0.1}
    table = group_threshold.fit_table({"square": fit})
    assert table.loc["square", "relative difference"] == pytest.approx(0.1)
    assert table.loc["square", "fitted exponent"] == 0.5 and table.index.name == "model"
