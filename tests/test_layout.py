"""The package's layering: the mathematics never imports the pipeline, and no module imports itself back.

Read statically from the source (module-level imports only: an import inside a function
runs late and cannot form an import-time cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rmtlib"
#: The two front doors of the pipeline, the only modules outside it that name it: ``python -m
#: rmtlib`` and the public re-export of the sweep functions (``rmtlib.sweep.load_results``...).
PUBLIC_FACADES = {"rmtlib.__main__", "rmtlib.sweep"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The rmtlib modules that ``name`` imports at module level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m in modules and m != name}


def test_the_mathematics_never_imports_the_pipeline():
    modules = _modules()
    offenders = {
        name: sorted(m for m in _imports(name, path, modules) if m.startswith("rmtlib.pipeline"))
        for name, path in modules.items()
        if not name.startswith("rmtlib.pipeline") and name not in PUBLIC_FACADES
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # a package imports its submodules' parents implicitly; a submodule importing its own package
    # (``from . import x``) is resolved to ``x`` above, so any remaining cycle is real
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_import_reader_sees_relative_and_absolute_imports(tmp_path):
    probe = tmp_path / "laws.py"
    probe.write_text(
        "from .pipeline.runner import execute\nimport rmtlib.verdict\n\n\ndef f():\n    import rmtlib.site\n"
    )
    modules = dict.fromkeys(["rmtlib.laws", "rmtlib.pipeline.runner", "rmtlib.verdict", "rmtlib.site"], probe)
    assert _imports("rmtlib.laws", probe, modules) == {"rmtlib.pipeline.runner", "rmtlib.verdict"}


#: The shared modules of :mod:`rmtlib.experiments`: every other module there is one chapter's.
EXPERIMENTS_SHARED = {"rmtlib.experiments.statistics", "rmtlib.experiments.frames"}


def test_experiments_are_cut_by_chapter():
    """The mathematics never imports the experiments; a chapter's module imports the shared modules
    (statistics, frames) and no other chapter's (the sweep examples may reuse one experiment)."""
    modules = _modules()
    experiments = {name for name in modules if name.startswith("rmtlib.experiments.")}
    offenders = {}
    for name, path in modules.items():
        found = _imports(name, path, modules)
        if name.startswith("rmtlib.experiments") or name.startswith("rmtlib.pipeline"):
            reused = {"rmtlib.experiments.spikes"} if name.endswith("sweep_examples") else set()
            allowed = EXPERIMENTS_SHARED | reused
            bad = {m for m in found & experiments if m not in allowed} if name in experiments else set()
        else:
            bad = {m for m in found if m.startswith("rmtlib.experiments")}
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}
    assert {"rmtlib.experiments.statistics", "rmtlib.experiments.full_rank"} <= experiments
