"""Tests of rmtlib.experiments.pruning: the T6 and T7 experiments against direct computations."""

import numpy as np
import pytest

from rmtlib.experiments.pruning import (
    compare_rules,
    layer_fits,
    pruning_study,
    pruning_verdicts,
    rank_error_curve,
    synthetic_rule_study,
)
from rmtlib.experiments.rectangular import singular_spike_draws, singular_spike_table, spiked_singular_triplet
from rmtlib.experiments.statistics import passed
from rmtlib.outliers import predict_singular_outliers
from rmtlib.pruning import (
    bulk_edge,
    noise_fit_threshold,
    noise_level,
    prune,
    shrink_singular_values,
    truncated_svd,
)
from rmtlib.samplers import low_rank_signal, rectangular_noise


def test_rank_error_curve_matches_direct_computation():
    rng = np.random.default_rng(11)
    N, M, sigma = 120, 60, 1.0
    S = low_rank_signal(N, M, [3.0, 2.0], rng=rng)
    W = S + rectangular_noise(N, M, sigma=sigma, rng=rng)
    curve = rank_error_curve(W, S, sigma=sigma, max_rank=6)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    shrunk = shrink_singular_values(s, gamma=M / N, sigma=sigma)
    for k in range(7):
        hard = np.linalg.norm(truncated_svd(W, k) - S)
        shrink = np.linalg.norm((U[:, :k] * shrunk[:k]) @ Vt[:k] - S)
        assert curve["hard"][k] == pytest.approx(hard, rel=1e-9)
        assert curve["shrinkage"][k] == pytest.approx(shrink, rel=1e-9)
    # the rule's choice is on the curve
    res = prune(W, "shrinkage", sigma=sigma)
    assert curve["shrinkage"][res.kept] == pytest.approx(np.linalg.norm(res.matrix - S), rel=1e-9)


def test_spiked_singular_triplet_follows_bgn():
    """Mean over 4 draws at N = 600, gamma = 2: location and both overlaps to ~4 standard errors."""
    N, M, s, sigma = 600, 1200, 2.0, 1.0
    rng = np.random.default_rng(12)
    draws = [spiked_singular_triplet(N=N, M=M, s=s, sigma=sigma, rng=rng) for _ in range(4)]
    a, b = sigma**2, sigma**2 * M / N  # the BGN closed forms, written out independently
    rho = np.sqrt((s**2 + a) * (s**2 + b)) / s
    assert np.mean([d["top"] for d in draws]) == pytest.approx(rho, abs=0.05)
    left = 1 - a * (b + s**2) / (s**2 * (s**2 + a))
    right = 1 - b * (a + s**2) / (s**2 * (s**2 + b))
    assert np.mean([d["overlap_left"] for d in draws]) == pytest.approx(left, abs=0.05)
    assert np.mean([d["overlap_right"] for d in draws]) == pytest.approx(right, abs=0.05)
    p = predict_singular_outliers([s], gamma=M / N, sigma=sigma)
    assert (p.rho[0], p.overlap_left[0], p.overlap_right[0]) == pytest.approx((rho, left, right), rel=1e-12)


def test_singular_spike_table_averages_the_draws_and_predicts_at_each_cell():
    """The table is the mean and sd of the draws, in draw order, beside predict_singular_outliers."""
    N, gammas, ratios, n_seeds = 120, [0.5, 2.0], [0.5, 3.0], 3
    table = singular_spike_table(
        singular_spike_draws(
            N=N, gammas=gammas, s_over_threshold=ratios, n_seeds=n_seeds, rng=np.random.default_rng(8)
        )
    )
    assert len(table) == len(gammas) * len(ratios)
    rng = np.random.default_rng(8)
    for gamma in gammas:
        M = round(gamma * N)
        threshold = (M / N) ** 0.25
        for ratio in ratios:
            draws = [spiked_singular_triplet(N=N, M=M, s=ratio * threshold, rng=rng) for _ in range(n_seeds)]
            row = table[(table["gamma"] == M / N) & (table["s"] == ratio * threshold)]
            tops = [d["top"] for d in draws]
            assert float(row[("top", "mean")].iloc[0]) == pytest.approx(np.mean(tops), rel=1e-14)
            assert float(row[("top", "std")].iloc[0]) == pytest.approx(np.std(tops, ddof=1), rel=1e-12)
            p = predict_singular_outliers([ratio * threshold], gamma=M / N, sigma=1.0)
            assert float(row["rho"].iloc[0]) == p.rho[0]
            assert float(row["pred_left"].iloc[0]) == p.overlap_left[0]
            assert float(row["threshold"].iloc[0]) == pytest.approx(threshold, rel=1e-15)
    below = table[table[("ratio", "mean")] < 1]
    assert np.all(below["pred_left"] == 0) and np.allclose(below["rho"], 1 + np.sqrt(below["gamma"]))


def test_compare_rules_equals_prune_rule_by_rule():
    """compare_rules shares one SVD among the rules; prune recomputes it for each: same answers."""
    rng = np.random.default_rng(5)
    N, M = 200, 100
    bulk = np.linspace(0.0, 0.5, M)
    S = np.zeros((N, M))
    S[np.arange(M), np.arange(M)] = bulk
    S += low_rank_signal(N, M, [3.0], rng=rng)
    W = S + rectangular_noise(N, M, sigma=1.0, rng=rng)
    out = compare_rules(W, S, sigma=1.0, signal_bulk=bulk, n_draws=6, rng=np.random.default_rng(6))
    fit = noise_level(W)
    assert out["sigma_fit"] == pytest.approx(fit.sigma, rel=1e-12)
    expected = {
        "mp_edge": prune(W, "mp_edge", sigma=fit.sigma),
        "shrinkage": prune(W, "shrinkage", sigma=fit.sigma),
        "mp_edge_true_sigma": prune(W, "mp_edge", sigma=1.0),
        "free_edge": prune(
            W, "free_edge", sigma=1.0, signal_bulk=bulk, n_draws=6, rng=np.random.default_rng(6)
        ),
    }
    for name, res in expected.items():
        assert out[f"kept_{name}"] == res.kept
        assert out[f"threshold_{name}"] == pytest.approx(res.threshold, rel=1e-12)
        assert out[f"error_{name}"] == pytest.approx(np.linalg.norm(res.matrix - S), rel=1e-9)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rank_error_curve(np.eye(3), np.eye(4), sigma=1.0, max_rank=1), "S must have the shape of W"),
        (lambda: compare_rules(np.eye(3), [[1j]], sigma=1.0, rng=np.random.default_rng(0)), "S must be real"),
        (
            lambda: singular_spike_draws(
                N=100, gammas=[-1.0], s_over_threshold=[1.0], n_seeds=1, rng=np.random.default_rng(0)
            ),
            "gammas and s_over_threshold must be positive",
        ),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_pruning_study_rows():
    rows = pruning_study(hidden=(64,), rank_fractions=(0.25, 1.0), max_iter=20, rng=np.random.default_rng(4))
    methods = [(r["method"], r["at"]) for r in rows]
    assert methods[:5] == [
        ("dense", "dense"),
        ("mp_edge", "rmt"),
        ("shrinkage", "rmt"),
        ("truncated_svd", "rmt"),
        ("magnitude", "rmt"),
    ]
    rmt = {r["method"]: r for r in rows if r["at"] == "rmt"}
    assert rmt["truncated_svd"]["accuracy"] == rmt["mp_edge"]["accuracy"]  # same rank, same matrix
    assert len({r["fraction_removed"] for r in rmt.values()}) == 1
    full_rank = [r for r in rows if r["at"] == "grid" and r["ranks"][0] == 64]
    assert all(
        r["accuracy"] == pytest.approx(rows[0]["accuracy"])
        for r in full_rank
        if r["method"] == "truncated_svd"
    )


def test_singular_spike_draws_scale_only_the_noise():
    """noise_variance_factor multiplies the noise variance of the draws; the grid of s stays sigma's."""
    grid = {"N": 150, "gammas": [1.0], "s_over_threshold": [3.0], "n_seeds": 2}
    plain = singular_spike_draws(**grid, rng=np.random.default_rng(3))
    louder = singular_spike_draws(**grid, noise_variance_factor=1.21, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(plain["s"], louder["s"])
    s = float(plain["s"][0])
    direct = spiked_singular_triplet(N=150, M=150, s=s, sigma=1.1, rng=np.random.default_rng(3))
    assert louder["top"][0] == pytest.approx(direct["top"], rel=1e-12)


def test_layer_fits_is_noise_level_per_layer():
    g = np.random.default_rng(21)
    layers = [rectangular_noise(120, 60, sigma=0.3, rng=g), rectangular_noise(80, 100, sigma=2.0, rng=g)]
    fits = layer_fits(layers)
    assert fits["layer"].tolist() == [0, 1] and fits["shape"].tolist() == [(120, 60), (80, 100)]
    for W, fit in zip(layers, fits.to_dict("records"), strict=True):
        direct = noise_level(W, max_distance=1.0)
        assert fit["sigma"] == direct.sigma and fit["ks_distance"] == direct.distance
        assert fit["refusal_threshold"] == noise_fit_threshold(min(W.shape))
        edge = bulk_edge(*W.shape, direct.sigma)
        assert fit["kept_above_threshold"] == int(np.sum(np.linalg.svd(W, compute_uv=False) > edge))
    assert fits["sigma"].round(1).tolist() == [0.3, 2.0]


def test_pruning_verdicts_pass_under_the_model_and_reject_twice_sigma_squared():
    g = np.random.default_rng(22)
    spikes, outliers_of_S = [5.0, 3.0, 0.4], [5.0, 3.5]
    finite, _ = synthetic_rule_study(
        N=100, M=50, signal="finite_rank", spikes=spikes, n_seeds=6, max_rank=10, rng=g
    )
    full, _ = synthetic_rule_study(
        N=100, M=50, signal="full_rank", outliers_of_S=outliers_of_S, n_seeds=1, max_rank=10, rng=g
    )
    fits = layer_fits([rectangular_noise(100, 50, sigma=0.3, rng=g)])
    common = {"spikes": spikes, "outliers_of_S": outliers_of_S, "gamma": 0.5, "N": 100}
    good = pruning_verdicts(finite, full, fits, sigma=1.0, **common)
    assert len(good) == 4 and {s["theorem"] for s in good} == {"T7"}
    assert [s["quantity"] for s in good if not passed(s)] == []
    assert good[0]["seeds"] == 6 and good[2]["seeds"] == 1 and good[3]["N"] == 50
    wrong = pruning_verdicts(
        finite, full, fits, sigma=np.sqrt(2.0), **common
    )  # sigma^2 doubled in the prediction
    assert not passed(wrong[0])  # the BGN error; the count of spikes above threshold is unchanged
