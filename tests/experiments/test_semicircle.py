"""Tests of rmtlib.experiments.semicircle (T1): the chapter's verdicts under the model and a wrong one."""

import numpy as np
import pytest

from rmtlib.experiments import semicircle
from rmtlib.experiments.statistics import passed
from rmtlib.samplers import top_eigenvalue_tridiagonal, wigner


def test_semicircle_verdicts_pass_under_the_model_and_reject_a_wrong_variance():
    g = np.random.default_rng(6)
    spectra = {
        name: np.linalg.eigvalsh(wigner(400, entries=name, rng=g)) for name in ("gaussian", "rademacher")
    }
    specs = semicircle.semicircle_verdicts(spectra, sigma=1.0)
    assert [s["quantity"] for s in specs] == [
        "Kolmogorov distance to the semicircle, gaussian entries",
        "Kolmogorov distance to the semicircle, rademacher entries",
    ]
    assert all(passed(s) for s in specs) and {s["N"] for s in specs} == {400}
    wrong = semicircle.semicircle_verdicts(spectra, sigma=np.sqrt(2.0))  # twice sigma^2 in the prediction
    assert not any(passed(s) for s in wrong)


def test_edge_study_and_summary_against_the_sampler():
    edge = semicircle.edge_study(sizes=[100, 1000], samples=4, sigma=0.5, rng=np.random.default_rng(2))
    g = np.random.default_rng(2)
    direct = [top_eigenvalue_tridiagonal(N=n, sigma=0.5, rng=g) for n in (100, 1000) for _ in range(4)]
    assert edge["N"].tolist() == [100] * 4 + [1000] * 4
    assert edge["top"].tolist() == [d["top"] for d in direct]
    summary = semicircle.edge_summary(edge, sigma=0.5)
    tops = np.array([d["top"] for d in direct[4:]])
    assert summary.loc[1000, "top_mean"] == pytest.approx(tops.mean(), rel=1e-14)
    assert summary.loc[1000, "top_sd"] == pytest.approx(np.std(tops, ddof=1), rel=1e-12)
    assert summary.loc[1000, "gap"] == pytest.approx(1.0 - tops.mean(), rel=1e-12)
    assert 0 < summary.loc[1000, "gap"] < summary.loc[100, "gap"] + 0.1  # the top sits just under 2 sigma
