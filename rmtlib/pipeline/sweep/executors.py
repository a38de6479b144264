"""Run the tasks of a sweep on local processes or a Dask cluster, recording each in the store."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import signal
import socket
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path

from ..._validation import check_int, check_real
from ..progress import progress_bar
from ..signals import Terminated
from .config import SweepConfig, SweepConfigError, Task, checked, load_config
from .store import Store
from .worker import execute, init_local_worker, utc_now

__all__ = ["SweepInterrupted", "SweepSummary", "run_sweep"]

#: Tasks whose keys are looked up in the store at once (to skip the finished ones).
_LOOKUP_BATCH = 512


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM stopped a sweep: ``recorded`` tasks of this run are in the store.

    A ``KeyboardInterrupt``, so that an interrupted sweep in a notebook reads as an interrupt.
    """

    def __init__(self, recorded: int, signum: int):
        super().__init__(f"sweep interrupted by {signal.Signals(signum).name}: {recorded} task(s) recorded")
        self.recorded = recorded
        self.signum = signum


@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What a call of :func:`run_sweep` did.

    ``done`` tasks ran and finished now, ``skipped`` were already finished in
    the store, ``failed`` ran and raised; ``failures`` lists ``(params,
    replicate, error)`` for the failed ones.
    """

    name: str
    store: Path
    executor: str
    total: int
    done: int
    skipped: int
    failed: int
    failures: tuple
    wall_s: float

    def to_text(self) -> str:
        """A few lines for the terminal: counts, then the failures grouped by reason."""
        lines = [
            f"sweep {self.name!r} on {self.executor}: {self.total} tasks - {self.done} done, "
            f"{self.skipped} skipped (already in the store), {self.failed} failed "
            f"[{self.wall_s:.1f} s; store {self.store}]"
        ]
        by_reason = Counter(error for _, _, error in self.failures)
        for error, count in by_reason.most_common():
            params, replicate, _ = next(f for f in self.failures if f[2] == error)
            lines.append(
                f"  failed {count} x {error}  (e.g. {_format_params(params)}, replicate {replicate})"
            )
        return "\n".join(lines)


def _probe(address: str, timeout: float) -> None:
    """Fail fast, naming the address, when nothing listens there (before Dask retries) or when what
    listens does not greet like a Dask scheduler (which sends its handshake first) within ``timeout``."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        protocol, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise SweepConfigError(
            f"scheduler address {address!r} is not of the form tcp://HOST:PORT ({exc})"
        ) from None
    if protocol not in ("tcp", "tls"):
        raise SweepConfigError(
            f"scheduler address {address!r}: rmtlib sweeps reach a Dask scheduler over tcp:// or tls:// "
            f"(not {protocol}://)"
        )
    deadline = time.monotonic() + timeout
    try:
        connection = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise SweepConfigError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({exc}); "
            f"start one with `dask scheduler` and workers with `dask worker {address}`"
        ) from None
    with connection:
        if protocol == "tls":  # the client speaks first in TLS
            return
        greeting = b""
        while len(greeting) < 8 and (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            try:
                chunk = connection.recv(8 - len(greeting))
            except OSError:
                break
            if not chunk:
                break
            greeting += chunk
    if len(greeting) < 8:
        raise SweepConfigError(
            f"something listens at {address} but it did not answer as a Dask scheduler within "
            f"{timeout:g} s: check the address and port (`dask scheduler` prints them)"
        )
    # A Dask comm opens with the size of its first message as 8 bytes, little-endian: a small
    # number. Text (an SSH or SMTP banner) read that way is astronomically large.
    if int.from_bytes(greeting, "little") > _LARGEST_HANDSHAKE:
        raise SweepConfigError(
            f"the server at {address} is not a Dask scheduler (it greets with {greeting!r}): "
            "check the address and port (`dask scheduler` prints them)"
        )


#: The largest size of a Dask scheduler's first message the probe accepts (bytes).
_LARGEST_HANDSHAKE = 2**26


def _connect(scheduler: str, timeout: float):
    from distributed import Client

    _probe(scheduler, timeout)
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as exc:
        raise SweepConfigError(
            f"cannot connect to a Dask scheduler at {scheduler} within {timeout:g} s "
            f"({type(exc).__name__}: {exc})"
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        raise SweepConfigError(
            f"the Dask scheduler at {scheduler} has no workers (waited {timeout:g} s); "
            f"start some with `dask worker {scheduler} --nthreads 1`"
        ) from None
    return client


def _run_local(specs, workers: int, on_result) -> None:
    """Run ``specs`` (an iterator) on ``workers`` processes, keeping at most two tasks per worker
    submitted, so that memory stays bounded and rows are recorded from the first finished task on."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    cancel = context.Event()
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_local_worker, initargs=(cancel,)
    )
    in_flight: dict = {}
    finished = False
    try:
        while True:
            for spec in itertools.islice(specs, 2 * workers - len(in_flight)):
                in_flight[executor.submit(execute, spec)] = spec
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                spec = in_flight.pop(future)
                try:
                    row = future.result()
                except BrokenProcessPool:
                    row = _lost_row(spec, f"BrokenProcessPool: {_BROKEN_POOL_HINT}")
                on_result(spec, row)
        finished = True
    finally:
        if not finished:  # interrupted: stop the workers now, drop what is in flight
            cancel.set()
        executor.shutdown(wait=finished, cancel_futures=not finished)


_BROKEN_POOL_HINT = (
    "a worker process died (out of memory, a crash in compiled code, or a script that starts "
    "a sweep outside `if __name__ == '__main__':`)"
)


def _run_dask(client, specs, on_result) -> None:
    """Run ``specs`` (an iterator) on the cluster, keeping at most two tasks per worker thread
    submitted (at least 8)."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]  # fresh keys: never collide with a cancelled earlier run
    window = max(8, 2 * sum(client.nthreads().values()))
    in_flight: dict = {}

    def submit(spec):
        future = client.submit(execute, spec, key=f"rmtlib-sweep-{spec['key']}-{token}")
        in_flight[future] = spec
        return future

    finished = False
    try:
        pending = as_completed([submit(spec) for spec in itertools.islice(specs, window)], loop=client.loop)
        for future in pending:
            spec = in_flight.pop(future)
            try:
                row = future.result()
            except Exception as exc:  # e.g. KilledWorker: the task took its worker down
                row = _lost_row(spec, f"{type(exc).__name__}: {exc}")
            on_result(spec, row)
            for spec in itertools.islice(specs, window - len(in_flight)):
                pending.add(submit(spec))
        finished = True
    finally:
        if not finished:
            client.cancel(list(in_flight))


def _lost_row(spec: dict, error: str) -> dict:
    now = utc_now()
    return {
        "task_key": spec["key"],
        "status": "failed",
        "metrics": None,
        "error": error,
        "traceback": None,
        "wall_s": None,
        "cpu_s": None,
        "rmtlib_version": None,
        "host": None,
        "started_at": None,
        "finished_at": now,
    }


def _format_params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"


def run_sweep(
    config,
    *,
    store=None,
    workers: int | None = None,
    scheduler: str | None = None,
    local_cluster: int | None = None,
    connect_timeout: float = 10.0,
    progress: bool = True,
) -> SweepSummary:
    """Run every task of a sweep that the store does not hold finished yet.

    Parameters
    ----------
    config : str, os.PathLike, mapping or SweepConfig
        The sweep (see :func:`load_config`).
    store : str or os.PathLike, optional
        The SQLite file; default: the config's ``store``, else ``<name>.sqlite``
        in the current directory. Created (with its folder) only once the
        configuration and the scheduler have been checked.
    workers : int, optional
        Local worker processes (default: the usable cores, at most one per task).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``; the
        tasks run on its workers (which must have rmtlib installed).
    local_cluster : int, optional
        Start a ``dask.distributed.LocalCluster`` with this many single-threaded
        worker processes on 127.0.0.1 for this sweep (to try the Dask path).
    connect_timeout : float, optional
        Seconds to wait for the scheduler and for its first worker.
    progress : bool, optional
        Show a tqdm progress bar (with ETA) on stderr.

    Returns
    -------
    SweepSummary
        Counts of tasks done now, skipped (already finished), failed (with reasons).

    Raises
    ------
    SweepConfigError
        Bad configuration, unknown experiment or parameter, empty grid, wrong
        types, unreachable scheduler: raised before anything is written.

    Notes
    -----
    Each worker process runs with one BLAS/OpenMP thread (the ``*_NUM_THREADS``
    variables and :mod:`threadpoolctl`), so that ``w`` workers use ``w`` cores.
    Each finished task is one SQLite transaction: killing the sweep loses only
    the tasks in flight, and running it again computes only what is missing.
    Failed tasks are recorded with their error, do not stop the sweep, and are
    tried again by the next run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> config = {"name": "demo", "experiment": "rmtlib.experiments.sweep_examples:timed_draw",
    ...           "seed": 5, "grid": {"delay": [0.0, 0.01]}, "replicates": 2}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = run_sweep(config, store=pathlib.Path(tmp, "s.sqlite"), workers=1, progress=False)
    ...     again = run_sweep(config, store=pathlib.Path(tmp, "s.sqlite"), workers=1, progress=False)
    >>> (first.done, first.skipped, again.done, again.skipped)
    (4, 0, 0, 4)
    """
    config = config if isinstance(config, SweepConfig) else load_config(config)
    if scheduler is not None and local_cluster is not None:
        raise SweepConfigError("give either scheduler (an existing cluster) or local_cluster, not both")
    if workers is not None and (scheduler is not None or local_cluster is not None):
        raise SweepConfigError("workers sets local processes; on a Dask cluster the cluster decides")
    if workers is not None:
        workers = checked(check_int, workers, "workers", minimum=1)
    if local_cluster is not None:
        local_cluster = checked(check_int, local_cluster, "local_cluster", minimum=1)
    connect_timeout = checked(check_real, connect_timeout, "connect_timeout", positive=True)
    if scheduler is not None and not isinstance(scheduler, str):
        raise SweepConfigError(f"scheduler must be an address such as tcp://HOST:PORT, got {scheduler!r}")
    store_path = Path(store) if store is not None else config.store or Path(f"{config.name}.sqlite")

    client = cluster = None
    if scheduler is not None:
        client = _connect(scheduler, connect_timeout)
        executor = f"Dask scheduler {scheduler}"
    elif local_cluster is not None:
        from distributed import Client, LocalCluster

        cores = _usable_cores()
        if local_cluster > cores:
            warnings.warn(
                f"local_cluster={local_cluster} starts more workers than the {cores} usable core(s): "
                "they share the cores and the sweep runs slower, not faster",
                stacklevel=2,
            )
        cluster = LocalCluster(
            n_workers=local_cluster,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        client = Client(cluster, set_as_default=False)
        executor = f"Dask LocalCluster ({local_cluster} workers)"
    try:
        db = Store(store_path)
        try:
            db.bind(config)
            return _run(config, db, executor if client else None, client, workers, progress)
        finally:
            db.close()
    finally:
        _close_quietly(client, cluster)


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _close_quietly(client, cluster) -> None:
    """Close the Dask client and cluster without the connection-closed tracebacks of their shutdown."""
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    finally:
        quiet.setLevel(level)


def _pending(config: SweepConfig, db: Store, on_skip):
    """Yield the spec of each task the store does not hold finished, looking keys up in batches:
    tasks are made as they are submitted, never listed whole."""
    tasks = config.tasks()
    while batch := list(itertools.islice(tasks, _LOOKUP_BATCH)):
        finished = db.finished(config, [task.key for task in batch])
        for task in batch:
            if task.key in finished:
                on_skip()
                continue
            yield {
                "key": task.key,
                "kind": config.kind,
                "target": config.target,
                "params": task.params,
                "seed": config.seed,
                "replicate": task.replicate,
                "notebook_files": config.notebook_files,
                "kernel": config.kernel,
            }


def _run(config, db, dask_executor, client, workers, progress) -> SweepSummary:
    t0 = time.perf_counter()
    total = config.task_count
    if dask_executor is None:
        workers = max(1, min(workers or _usable_cores(), total))
        executor = f"{workers} local process{'es' if workers > 1 else ''}"
    else:
        executor = dask_executor
    run_id = db.start_run(config, executor)
    counts = Counter()
    failures = []
    bar = progress_bar(total=total, desc=config.name, unit="task", enabled=progress)

    def on_skip():
        counts["skipped"] += 1
        bar.update()

    def on_result(spec, row):
        task = Task(spec["key"], spec["params"], spec["replicate"])
        db.record(config, task, row, run_id)
        counts[row["status"]] += 1
        if row["status"] == "failed":
            failures.append((task.params, task.replicate, row["error"]))
            bar.set_postfix(failed=counts["failed"])
        bar.update()

    specs = _pending(config, db, on_skip)
    interrupted = None
    try:
        if client is not None:
            _run_dask(client, specs, on_result)
        else:
            _run_local(specs, workers, on_result)
    except KeyboardInterrupt:
        interrupted = signal.SIGINT
    except Terminated as exc:
        interrupted = exc.signum
    finally:
        bar.close()
        if not counts["done"] + counts["failed"] and interrupted is None:
            executor = "no workers (nothing left to run)"
        db.finish_run(run_id, executor, counts["done"], counts["skipped"], counts["failed"])
    if interrupted is not None:  # the command line says how many tasks it kept
        raise SweepInterrupted(counts["done"] + counts["failed"], interrupted) from None
    return SweepSummary(
        name=config.name,
        store=db.path,
        executor=executor,
        total=total,
        done=counts["done"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        failures=tuple(failures),
        wall_s=time.perf_counter() - t0,
    )
