"""Seeds and task keys of a sweep: functions of the sweep seed, the parameters and the replicate only.

So the numbers of a task do not depend on the executor, the number of workers or the order
of completion, and any stored row can be recomputed with :func:`task_rng`.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = ["canonical_json", "notebook_seed", "task_key", "task_rng"]


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def task_key(target: str, seed: int, params: dict, replicate: int) -> str:
    text = canonical_json({"target": target, "seed": seed, "params": params, "replicate": replicate})
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _seed_sequence(seed: int, params: dict, replicate: int) -> np.random.SeedSequence:
    digest = hashlib.sha256(canonical_json(params).encode()).digest()
    words = tuple(int(w) for w in np.frombuffer(digest[:16], dtype="<u4"))
    return np.random.SeedSequence(seed, spawn_key=(*words, replicate))


def task_rng(seed: int, params: dict, replicate: int = 0) -> np.random.Generator:
    """The Generator a sweep task draws from: a function of the sweep seed, params and replicate only.

    ``params`` are the task's parameters as stored (the ``params`` JSON of a
    row, or the parameter columns of :func:`load_results`), so any row can be
    recomputed by calling the experiment with ``rng=task_rng(...)``.

    Examples
    --------
    >>> a = task_rng(7, {"N": 100, "theta": 2.0}, 0).random()
    >>> b = task_rng(7, {"theta": 2.0, "N": 100}, 0).random()   # key order does not matter
    >>> a == b, a == task_rng(7, {"N": 100, "theta": 2.0}, 1).random()
    (True, False)
    """
    return np.random.default_rng(_seed_sequence(seed, params, replicate))


def notebook_seed(seed: int, params: dict, replicate: int) -> int:
    """The ``seed`` parameter a notebook task runs with (a notebook draws its own generator from it)."""
    return int(_seed_sequence(seed, params, replicate).generate_state(1)[0])
