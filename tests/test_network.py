"""Tests of rmtlib.network: the digits MLP, its forward pass and its pruning."""

import numpy as np
import pytest

from rmtlib.network import Network, digits_split, prune_network, train_mlp
from rmtlib.pruning import prune


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X_train, X_test, y_train, y_test = digits_split(rng=rng)
    net = train_mlp(X_train, y_train, hidden=(96, 48), max_iter=60, rng=rng)
    return net, X_test, y_test


def test_digits_split_is_stratified_and_standardized():
    X_train, X_test, y_train, y_test = digits_split(test_fraction=0.25, rng=np.random.default_rng(1))
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    # training columns have mean 0 and standard deviation 1 (or are constant)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    assert set(np.round(X_train.std(axis=0), 12)) <= {0.0, 1.0}
    # stratified: class proportions agree to one sample
    assert np.all(np.abs(np.bincount(y_test) / 450 - np.bincount(y_train) / 1347) < 2 / 450)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_forward_pass_matches_sklearn():
    """Network.predict is an independent forward pass; it must agree with MLPClassifier.predict."""
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, _ = digits_split(rng=np.random.default_rng(2))
    model = MLPClassifier(hidden_layer_sizes=(40, 30), max_iter=30, random_state=3).fit(X_train, y_train)
    net = Network(weights=tuple(model.coefs_), biases=tuple(model.intercepts_))
    np.testing.assert_array_equal(net.predict(X_test), model.predict(X_test))


def test_trained_network_is_accurate(trained):
    net, X_test, y_test = trained
    assert [W.shape for W in net.weights] == [(64, 96), (96, 48), (48, 10)]
    assert net.n_weights == 64 * 96 + 96 * 48 + 48 * 10
    assert net.accuracy(X_test, y_test) > 0.93


def test_rmt_pruning_accounts_parameters_and_leaves_small_layers_dense(trained):
    net, _, _ = trained
    pruned = prune_network(net, "mp_edge")
    assert pruned.ranks[2] is None and 2 in pruned.refused  # 48 x 10 has 10 < 20 singular values
    for i in (0, 1):
        expected = prune(net.weights[i], "mp_edge")
        assert pruned.ranks[i] == expected.kept
        np.testing.assert_allclose(pruned.network.weights[i], expected.matrix)
    k0, k1 = pruned.ranks[:2]
    n_params = k0 * (64 + 96) + k1 * (96 + 48) + 48 * 10
    assert pruned.n_parameters == n_params
    assert pruned.fraction_removed == pytest.approx(1 - n_params / net.n_weights)
    np.testing.assert_array_equal(pruned.network.weights[2], net.weights[2])


def test_baselines_use_the_same_parameter_count(trained):
    net, _, _ = trained
    ranks = [5, 3, None]
    svd = prune_network(net, "truncated_svd", ranks=ranks)
    mag = prune_network(net, "magnitude", ranks=ranks)
    assert svd.n_parameters == mag.n_parameters == 5 * 160 + 3 * 144 + 480
    assert np.linalg.matrix_rank(svd.network.weights[0]) == 5
    assert np.count_nonzero(mag.network.weights[0]) == 5 * 160
    assert np.count_nonzero(mag.network.weights[1]) == 3 * 144


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda net: prune_network(net, "random"), ValueError, "method"),
        (lambda net: prune_network(net, "magnitude"), ValueError, "ranks"),
        (lambda net: prune_network(net, "truncated_svd", ranks=[1000, None, None]), ValueError, "ranks"),
        (lambda net: prune_network("net", "mp_edge"), TypeError, "Network"),
        (
            lambda net: train_mlp(np.ones((5, 2)), [0, 1], rng=np.random.default_rng(0)),
            ValueError,
            "one label",
        ),
        (
            lambda net: train_mlp(np.ones((2, 2)), [0, 1], hidden=(), rng=np.random.default_rng(0)),
            ValueError,
            "hidden",
        ),
        (lambda net: digits_split(rng=1), TypeError, "rng"),
    ],
)
def test_bad_inputs(trained, call, error, match):
    with pytest.raises(error, match=match):
        call(trained[0])
