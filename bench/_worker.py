"""A timing worker for ``bench/run_all.py``: one process per side of a comparison.

Runs under any interpreter (the project's or a peer's environment) and imports only the
standard library itself. It reads one JSON request per line on stdin and answers one
JSON line on its original stdout (anything the timed code prints goes to stderr):

* ``{"setup": CODE}``: executes CODE, which must define ``call()`` (the timed work) and
  may define ``summary(result)`` (a JSON-able digest of the last result, e.g. values
  used for an accuracy check). Afterwards the peak resident set is reset to the
  current one, so that the peak memory reported later excludes the setup (inputs).
* ``{"cmd": "time"}``: one call; answers its wall and CPU seconds.
* ``{"cmd": "summary"}``: ``summary(last result)``.
* ``{"cmd": "memory"}``: the peak resident set since the setup minus the resident set
  after it (``VmHWM`` and ``VmRSS`` of ``/proc/self/status``, peak reset through
  ``/proc/self/clear_refs``; elsewhere the growth of ``ru_maxrss``, then only a lower bound), and
  the largest ``ru_maxrss`` of the finished child processes (pools, sub-builds).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import sys
import time
import traceback


def _status_kib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _release_free_memory() -> None:
    """Hand memory freed by the setup back to the system (glibc), so the calls cannot reuse it unseen."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def main() -> None:
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the timed code's prints (Python or C level) go to stderr
    sys.stdout = sys.stderr
    namespace: dict = {"__name__": "bench_case"}
    last = None
    base_kib = 0.0
    exact = False
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if "setup" in request:
                exec(compile(request["setup"], "<bench setup>", "exec"), namespace)
                _release_free_memory()
                exact = _reset_peak()
                rusage = resource.getrusage(resource.RUSAGE_SELF)
                base_kib = _status_kib("VmRSS") if exact else rusage.ru_maxrss
                answer = {"ok": True, "exact_memory": exact}
            elif request["cmd"] == "time":
                wall, cpu = time.perf_counter(), time.process_time()
                last = namespace["call"]()
                answer = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
            elif request["cmd"] == "summary":
                answer = {"summary": namespace["summary"](last) if "summary" in namespace else None}
            elif request["cmd"] == "memory":
                peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                answer = {"peak_mib": max(peak - base_kib, 0.0) / 1024, "children_mib": children / 1024}
            else:
                answer = {"error": f"unknown request {request!r}"}
        except Exception:  # reported to the parent, which raises
            answer = {"error": traceback.format_exc()}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()


if __name__ == "__main__":
    main()
