"""Tests of rmtlib.experiments.pruning: the T7 experiments against direct computations."""

import numpy as np
import pandas as pd
import pytest

from rmtlib.experiments import pruning
from rmtlib.experiments.pruning import (
    compare_rules,
    layer_fits,
    pruning_study,
    pruning_verdicts,
    rank_error_curve,
    synthetic_rule_study,
)
from rmtlib.experiments.rectangular import singular_spike_draws
from rmtlib.experiments.statistics import passed
from rmtlib.laws import Uniform
from rmtlib.pruning import (
    bulk_edge,
    noise_fit_threshold,
    noise_level,
    prune,
    shrink_singular_values,
    truncated_svd,
)
from rmtlib.samplers import low_rank_signal, rectangular_noise, rectangular_signal


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
    # the chapter's study: the rows of one network per generator, numbered by ``seed``
    study = pruning.network_study(
        hidden=[64],
        rank_fractions=[0.25, 1.0],
        max_iter=20,
        rngs=[np.random.default_rng(4), np.random.default_rng(5)],
    )
    assert study[study["seed"] == 0].drop(columns="seed").to_dict("records") == rows
    assert (study["seed"] == 1).sum() == len(rows)


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


def test_pruning_rule_counts_agree_with_the_equivalent():
    out = pruning.pruning_rule_counts(
        N=400, M=200, alpha=0.25, s_low=1.9, spacing=0.05, rng=np.random.default_rng(16)
    )
    assert out["r"] == 4
    # the Marchenko-Pastur edge of the true sigma keeps bulk directions; the equivalent predicts how many
    assert out["mp_edge_true_sigma_noise_kept"] > 5
    assert abs(out["mp_edge_true_sigma_noise_kept"] - out["predicted_mp_edge_true_sigma_noise_kept"]) <= 3
    assert out["equivalent_edge_oracle_noise_kept"] == 0
    assert out["gavish_donoho_true_sigma"] > out["mp_edge_true_sigma"] - 0.1
    with pytest.raises(ValueError, match="below the separation threshold"):
        pruning.pruning_rule_counts(N=400, M=200, alpha=0.25, s_low=1.0, rng=np.random.default_rng(0))


# ----------------------------------------------------------------------------- the chapter's tables


def test_miscalibration_is_the_mean_of_each_column():
    full = pd.DataFrame(
        {
            "sigma_fit": [1.1, 1.3],
            "threshold_mp_edge_true_sigma": [2.0, 2.2],
            "threshold_mp_edge": [2.4, 2.6],
            "threshold_free_edge": [2.8, 3.0],
            "kept_mp_edge_true_sigma": [10.0, 14.0],
        }
    )
    out = pruning.miscalibration(full, sigma=1.0, n_outliers=3, actual_edge=2.5)
    assert out["sigma fitted to the middle quantiles"] == pytest.approx(1.2)
    assert out["free-convolution edge (Monte Carlo, 95%)"] == pytest.approx(2.9)
    assert out["bulk singular values kept, MP edge of the true sigma"] == pytest.approx(12.0 - 3)
    assert out["largest bulk singular value of W (one draw)"] == 2.5 and out["true sigma"] == 1.0


def test_bulk_width_sweep_is_compare_rules_on_the_same_draws():
    N, M, outliers = 60, 30, [4.0, 3.0]
    sweep = pruning.bulk_width_sweep(
        N=N, M=M, bulk_widths=[0.5, 1.0], outliers_of_S=outliers, sigma=1.0, rng=np.random.default_rng(4)
    )
    g = np.random.default_rng(4)
    for width, row in zip([0.5, 1.0], sweep.to_dict("records"), strict=True):
        S, _, _, values = rectangular_signal(
            N, M, bulk=Uniform(0.0, width), outliers=outliers, return_vectors=True, rng=g
        )
        W = S + rectangular_noise(N, M, sigma=1.0, rng=g)
        direct = pruning.compare_rules(W, S, sigma=1.0, signal_bulk=values[:-2], rng=g)
        assert row == {"bulk_width": width, **direct}


def test_rule_count_tables_read_the_counts_by_name():
    counts = pruning.rule_counts_by_rank(
        N=120, M=60, alphas=[0.0, 0.5], sigma=1.0, s_low=2.5, spacing=0.1, rng=np.random.default_rng(5)
    )
    g = np.random.default_rng(5)
    direct = [
        pruning.pruning_rule_counts(N=120, M=60, alpha=a, sigma=1.0, s_low=2.5, spacing=0.1, rng=g)
        for a in (0.0, 0.5)
    ]
    assert list(counts.index) == [1, round(60**0.5)] and counts.index.name == "r"
    assert counts.to_dict("records") == direct
    rules = pruning.PRUNING_THRESHOLDS
    table = pruning.rule_count_table(counts, rules)
    extremes = pruning.rule_count_extremes(counts, rules)
    for rule in rules:
        assert (
            table.loc[1, rule]
            == f"{direct[0][f'{rule}_signal_dropped']:.0f} / {direct[0][f'{rule}_noise_kept']:.0f}"
        )
        assert extremes[f"noise_kept_{rule}"] == direct[0][f"{rule}_noise_kept"]
        assert extremes[f"signal_dropped_max_{rule}"] == direct[-1][f"{rule}_signal_dropped"]
    assert extremes["pred_noise_kept_mp"] == direct[0]["predicted_mp_edge_true_sigma_noise_kept"]
