"""Tests of rmtlib.experiments.deformed_wigner (T2): the Kolmogorov distance, the slopes and the
split-bulk counts against direct computations, and the chapter's verdicts under the model and
under wrong ones."""

import numpy as np
import pandas as pd
import pytest

from rmtlib.experiments import deformed_wigner, statistics
from rmtlib.experiments.statistics import passed
from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.laws import DiscreteLaw, Semicircle
from rmtlib.samplers import deformed_wigner as deformed_wigner_matrix
from rmtlib.samplers import wigner
from rmtlib.spectra import kolmogorov_distance


def rng(seed=0):
    return np.random.default_rng(seed)


ATOMS = DiscreteLaw([-2.0, 0.0, 2.0], weights=[0.3, 0.4, 0.3])


def test_ks_slopes_recover_a_power_law():
    sizes = [100, 400, 1600]
    ks_mean = pd.DataFrame(
        {"mean": [2.0 * n**-0.5 for n in sizes] + [n**-1.0 for n in sizes]},
        index=pd.MultiIndex.from_product([["a", "b"], sizes], names=["nu", "N"]),
    )
    slopes = deformed_wigner.ks_slopes(ks_mean, ["b", "a"])
    assert list(slopes) == ["b", "a"]
    assert slopes["a"] == pytest.approx(-0.5, abs=1e-12) and slopes["b"] == pytest.approx(-1.0, abs=1e-12)


def _split(sigma_data, N=400, seed=31):
    s = ATOMS.quantiles(N)
    ev = np.linalg.eigvalsh(deformed_wigner_matrix(s, sigma=sigma_data, rng=np.random.default_rng(seed)))
    return s, ev


def test_split_bulk_counts_match_a_direct_count():
    s, ev = _split(0.5)
    law = FreeConvolutionSemicircle(ATOMS, 0.5)
    split = deformed_wigner.split_bulk_counts(s, ev, law)
    assert len(split["intervals"]) == 3 and split["atoms"] == 3 and split["N"] == 400
    assert split["counts_S"] == [120, 160, 120]  # the weights 0.3, 0.4, 0.3 of 400
    inside = [int(np.sum((ev >= a - 0.05) & (ev <= b + 0.05))) for a, b in split["intervals"]]
    assert split["counts_H"] == inside == split["counts_S"]  # exact separation


def test_deformed_verdicts_pass_under_the_model_and_reject_wrong_ones():
    s, ev = _split(0.5)
    law = FreeConvolutionSemicircle(ATOMS, 0.5)
    split = deformed_wigner.split_bulk_counts(s, ev, law)
    good = deformed_wigner.deformed_verdicts(
        {"three atoms": ev}, {"three atoms": ATOMS}, sigma=0.5, split=split
    )
    assert [sp["quantity"] for sp in good][1:] == [
        "number of split-bulk intervals",
        *[f"eigenvalues of H in interval {k} of the split bulk" for k in (1, 2, 3)],
    ]
    assert all(passed(sp) for sp in good) and {sp["N"] for sp in good} == {400}
    # twice sigma^2 in the data: the Kolmogorov distance to the model's law is rejected
    _, wide = _split(0.5 * np.sqrt(2.0))
    wrong = deformed_wigner.deformed_verdicts({"three atoms": wide}, {"three atoms": ATOMS}, sigma=0.5)
    assert not passed(wrong[0])
    # a law whose support does not split (sigma 2.4 times too large) fails the interval count
    merged = deformed_wigner.split_bulk_counts(s, ev, FreeConvolutionSemicircle(ATOMS, 1.2))
    counts = deformed_wigner.deformed_verdicts({}, {}, sigma=1.2, split=merged)
    assert counts[0]["quantity"] == "number of split-bulk intervals" and not passed(counts[0])


def test_deformed_ks_with_delta0_is_the_semicircle_distance():
    out = deformed_wigner.deformed_ks(N=300, nu=DiscreteLaw([0.0]), rng=rng(8))
    direct = kolmogorov_distance(np.linalg.eigvalsh(wigner(300, rng=rng(8))), Semicircle(sigma=1.0))
    assert out["ks"] == pytest.approx(direct, abs=1e-9)
    assert out["tolerance"] == statistics.ks_tolerance(300)


def test_edge_table_reads_the_support_and_the_extreme_eigenvalues():
    law = FreeConvolutionSemicircle(DiscreteLaw([-0.8, 0.8]), 1.0)
    ev = np.sort(rng(3).normal(size=50))
    table = deformed_wigner.edge_table({"two-point": ev}, {"two-point": law}, N=50)
    support = law.support()
    left, right = support[0][0], support[-1][1]
    row = table.loc["two-point"]
    assert (row["left edge"], row["right edge"]) == (left, right)
    assert (row["smallest eigenvalue"], row["largest eigenvalue"]) == (ev.min(), ev.max())
    assert row["left gap x N^(2/3)"] == pytest.approx((ev.min() - left) * 50 ** (2 / 3), rel=1e-14)
    assert row["right gap x N^(2/3)"] == pytest.approx((ev.max() - right) * 50 ** (2 / 3), rel=1e-14)


def test_ks_study_is_deformed_ks_in_the_order_of_its_loops():
    nus = {"a": DiscreteLaw([0.0]), "b": DiscreteLaw([-0.5, 0.5])}
    table = deformed_wigner.ks_study(nus, sizes=[40, 80], seeds=2, sigma=1.0, rng=rng(6))
    g = rng(6)
    direct = [
        deformed_wigner.deformed_ks(N=n, nu=nus[name], sigma=1.0, rng=g)["ks"]
        for name in nus
        for n in (40, 80)
        for _ in range(2)
    ]
    assert table["ks"].tolist() == direct
    assert table["nu"].tolist() == ["a"] * 4 + ["b"] * 4 and table["N"].tolist() == [40, 40, 80, 80] * 2
