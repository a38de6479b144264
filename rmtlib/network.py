"""A small fully connected network on scikit-learn's ``load_digits``, and its pruning.

The data set ships with scikit-learn (1797 images of 8 x 8 pixels, 10 classes);
nothing is downloaded. :func:`train_mlp` trains a ReLU network with
scikit-learn's ``MLPClassifier`` (Adam, a few seconds on one core) and returns
its weights as a :class:`Network`; :func:`prune_network` prunes every weight
matrix large enough for a Marchenko–Pastur fit with an RMT rule of
:mod:`rmtlib.pruning` or with a baseline (truncated SVD, magnitude pruning) at a
given rank per layer. The chapter's comparison of the rules, one network per seed, is
:func:`rmtlib.experiments.pruning.pruning_study`.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ._validation import check_array, check_choice, check_generator, check_int, check_real
from .pruning import MIN_SINGULAR_VALUES, magnitude_prune, prune, truncated_svd

__all__ = ["Network", "PrunedNetwork", "digits_split", "train_mlp", "prune_network"]

_METHODS = {"mp_edge", "shrinkage", "truncated_svd", "magnitude"}


@dataclasses.dataclass(frozen=True)
class Network:
    """A ReLU multilayer perceptron: ``weights[l]`` is ``fan_in x fan_out``; softmax output.

    Examples
    --------
    >>> net = Network(weights=(np.eye(2),), biases=(np.zeros(2),))
    >>> net.predict(np.array([[1.0, 0.0], [0.0, 2.0]])).tolist()
    [0, 1]
    """

    weights: tuple
    biases: tuple

    def predict(self, X) -> np.ndarray:
        """Class labels (argmax of the last layer) for the rows of ``X``."""
        h = check_array(X, "X", ndim=2)
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ W + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        return np.argmax(h, axis=1)

    def accuracy(self, X, y) -> float:
        """Fraction of rows of ``X`` classified as ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    @property
    def n_weights(self) -> int:
        """Number of weights (biases not counted)."""
        return int(sum(W.size for W in self.weights))


@dataclasses.dataclass(frozen=True)
class PrunedNetwork:
    """Result of :func:`prune_network`.

    Attributes
    ----------
    network : Network
        The pruned network (biases unchanged).
    method : str
    ranks : tuple
        Rank kept in each layer (``None`` for a layer left dense).
    n_parameters : int
        Weights needed to store it: ``k (N + M)`` for a factored layer (or the
        kept entries for magnitude pruning), ``N M`` for a dense one.
    fraction_removed : float
        ``1 - n_parameters / n_weights`` of the dense network.
    refused : tuple
        Indices of layers an RMT rule left dense because the Marchenko–Pastur fit
        was refused or the layer is too small.
    """

    network: Network
    method: str
    ranks: tuple
    n_parameters: int
    fraction_removed: float
    refused: tuple


def _prunable(W) -> bool:
    return min(W.shape) >= MIN_SINGULAR_VALUES


def digits_split(*, test_fraction: float = 0.25, rng) -> tuple:
    """Stratified train/test split of ``load_digits``, standardized with the training statistics.

    Returns
    -------
    X_train, X_test, y_train, y_test

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = digits_split(rng=np.random.default_rng(0))
    >>> X_train.shape, X_test.shape
    ((1347, 64), (450, 64))
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_fraction = check_real(test_fraction, "test_fraction", minimum=0.05, maximum=0.95)
    rng = check_generator(rng)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_fraction, stratify=y, random_state=int(rng.integers(2**31))
    )
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0  # constant border pixels
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def train_mlp(X, y, *, hidden=(256, 256), max_iter: int = 200, rng) -> Network:
    """Train a ReLU MLP with scikit-learn (Adam, default L2 penalty 1e-4) and return its weights.

    Training stops when the loss stalls (scikit-learn's ``tol``) or after
    ``max_iter`` epochs; a convergence warning at ``max_iter`` is silenced.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X_train, X_test, y_train, y_test = digits_split(rng=rng)
    >>> net = train_mlp(X_train, y_train, hidden=(32,), max_iter=50, rng=rng)
    >>> [W.shape for W in net.weights]
    [(64, 32), (32, 10)]
    >>> net.accuracy(X_test, y_test) > 0.9
    True
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X = check_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got shape {y.shape}")
    hidden = tuple(check_int(h, "hidden[i]", minimum=1) for h in hidden)
    if not hidden:
        raise ValueError("hidden must list at least one layer width")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    rng = check_generator(rng)
    model = MLPClassifier(hidden_layer_sizes=hidden, max_iter=max_iter, random_state=int(rng.integers(2**31)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return Network(weights=tuple(model.coefs_), biases=tuple(model.intercepts_))


def prune_network(net: Network, method: str, *, ranks=None, confidence: float = 0.95) -> PrunedNetwork:
    """Prune every layer of ``net`` with at least 20 singular values (smaller ones stay dense).

    Parameters
    ----------
    net : Network
    method : {"mp_edge", "shrinkage", "truncated_svd", "magnitude"}
        ``"mp_edge"``/``"shrinkage"``: the RMT rules of :func:`rmtlib.pruning.prune`
        (noise level fitted per layer, Tracy–Widom threshold at ``confidence``);
        a layer whose fit is refused stays dense. ``"truncated_svd"``: rank
        ``ranks[l]`` per layer. ``"magnitude"``: keep the ``ranks[l] (N + M)``
        largest entries of layer ``l``, the parameter count of a rank-``ranks[l]``
        factorization.
    ranks : sequence, optional
        One rank (or ``None`` = dense) per layer; required by the baselines.
    confidence : float
        Tracy–Widom level of the RMT threshold.

    Returns
    -------
    PrunedNetwork

    Examples
    --------
    >>> W = np.diag([5.0] + [0.1] * 29)
    >>> net = Network(weights=(W,), biases=(np.zeros(30),))
    >>> prune_network(net, "truncated_svd", ranks=[1]).fraction_removed
    0.9333333333333333
    """
    method = check_choice(method, "method", _METHODS)
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    n_layers = len(net.weights)
    if method in {"truncated_svd", "magnitude"}:
        if ranks is None or len(ranks) != n_layers:
            raise ValueError(f"method={method!r} needs ranks: one rank (or None) per layer ({n_layers})")
    new_weights, new_ranks, refused, n_parameters = [], [], [], 0
    for i, W in enumerate(net.weights):
        N, M = W.shape
        rank = None
        if method in {"mp_edge", "shrinkage"}:
            result = None
            if _prunable(W):
                try:
                    result = prune(W, method, confidence=confidence)
                except ValueError:  # the Marchenko–Pastur fit was refused
                    pass
            if result is None:
                refused.append(i)
                new_W = W
            else:
                rank, new_W = result.kept, result.matrix
        elif ranks[i] is None:
            new_W = W
        else:
            rank = check_int(ranks[i], f"ranks[{i}]", minimum=0, maximum=min(N, M))
            if method == "truncated_svd":
                new_W = truncated_svd(W, rank)
            else:
                new_W = magnitude_prune(W, min(rank * (N + M), N * M))
        new_weights.append(new_W)
        new_ranks.append(rank)
        n_parameters += N * M if rank is None else min(rank * (N + M), N * M)
    return PrunedNetwork(
        network=Network(weights=tuple(new_weights), biases=net.biases),
        method=method,
        ranks=tuple(new_ranks),
        n_parameters=int(n_parameters),
        fraction_removed=1 - n_parameters / net.n_weights,
        refused=tuple(refused),
    )
