"""T8 and T7 experiments: the chapter's verdict statistics pass under the correct model and fail
with the noise variance 10% off (ci sizes), and the pruning-rule counts and paired comparisons."""

import numpy as np
import pandas as pd
import pytest

from rmtlib.experiments import pruning, rectangular_growing, statistics


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_bulk_verdict_rejects_a_wrong_noise_variance(gamma):
    outcome = {}
    for factor in (1.0, 1.1, 0.9):
        res = rectangular_growing.rectangular_bulk(
            N=150, gamma=gamma, n_draws=5, noise_variance_factor=factor, rng=np.random.default_rng(11)
        )
        test = statistics.pooled_t_check(res.mean_errors())
        outcome[factor] = abs(test["mean"]) <= test["tolerance"]
    assert outcome == {1.0: True, 1.1: False, 0.9: False}


def test_outlier_verdicts_reject_a_wrong_noise_variance():
    """The outlier locations move less than the bulk (a 10% error in the noise variance moves them by
    about 0.6%, below what 16 matrices at N = 200 resolve): at ci sizes the check rejects 25%."""
    outcome = {}
    for factor in (1.0, 1.25, 0.75):
        rng = np.random.default_rng(12)
        runs = [
            rectangular_growing.rectangular_growing_outliers(
                N=200, alpha=a, noise_variance_factor=factor, rng=rng
            )
            for a in (0.5, 0.75)
            for _ in range(8)
        ]
        test = rectangular_growing.outlier_residual_test(runs, "equivalent")
        outcome[factor] = abs(test["mean"]) <= test["tolerance"]
    assert outcome == {1.0: True, 1.25: False, 0.75: False}


def test_first_order_fails_where_outliers_are_a_fraction_of_the_spectrum():
    rng = np.random.default_rng(13)
    runs = [
        rectangular_growing.rectangular_growing_outliers(N=200, alpha=0.8, family="crowded", rng=rng)
        for _ in range(4)
    ]
    first = rectangular_growing.outlier_residual_test(runs, "first_order")
    equiv = rectangular_growing.outlier_residual_test(runs, "equivalent")
    assert abs(first["mean"]) > first["tolerance"]
    assert abs(equiv["mean"]) <= equiv["tolerance"]


def test_pooled_t_check_false_alarm_rate():
    rng = np.random.default_rng(14)
    fails = sum(
        abs(t["mean"]) > t["tolerance"]
        for t in (statistics.pooled_t_check(rng.standard_normal(6), level=0.9) for _ in range(4000))
    )
    assert fails / 4000 == pytest.approx(0.1, abs=0.015)


def test_loglog_slope_interval_covers_the_true_slope():
    rng = np.random.default_rng(15)
    sizes = np.repeat([100, 200, 400, 800], 5)
    table = pd.DataFrame({"N": sizes, "e": sizes**-0.5 * np.exp(0.1 * rng.standard_normal(sizes.size))})
    fit = statistics.loglog_slope_interval(table, x="N", y="e", level=0.99, rng=rng)
    assert fit["low"] < -0.5 < fit["high"] and fit["high"] - fit["low"] < 0.2


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


def test_paired_rule_comparison():
    study = pd.DataFrame(
        {
            "seed": np.repeat(np.arange(5), 2),
            "method": ["a", "b"] * 5,
            "at": "rmt",
            "accuracy": [0.9, 0.8, 0.91, 0.85, 0.88, 0.87, 0.93, 0.9, 0.9, 0.9],
        }
    )
    row = statistics.paired_rule_comparison(study).iloc[0]
    d = np.array([0.1, 0.06, 0.01, 0.03, 0.0])
    assert row["mean difference"] == pytest.approx(d.mean())
    assert row["t"] == pytest.approx(d.mean() / (d.std(ddof=1) / np.sqrt(5)))
    assert row["first ahead"] == 4
    same = statistics.paired_rule_comparison(study.assign(accuracy=0.5)).iloc[0]
    assert (same["t"], same["p-value"]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="lacks the columns"):
        statistics.paired_rule_comparison(study.drop(columns="seed"))
