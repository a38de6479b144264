"""Tests of rmtlib.experiments.semicircle (T1): the chapter's verdicts under the model and a wrong one."""

import numpy as np

from rmtlib.experiments import semicircle
from rmtlib.experiments.statistics import passed
from rmtlib.samplers import wigner


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
