"""Thin chapters, checked on the code of every chapter (parsed with ``ast``, nothing executed).

* A collapsed (``hide-input``) cell only draws: it binds no name that a later cell reads, and
  draws no random numbers (no ``rng``, no ``np.random``).
* No positional access to table rows (``row._2`` of ``itertuples``, ``.iloc[...]``, ``.iat[...]``): rows
  are read by column name or index label.
* No table assembled in a chapter: a ``DataFrame`` or ``Series`` built from a comprehension, or from a
  list that a loop of the same cell appends to, is a named library function instead.
* No statistic is computed in a chapter (no ``ddof=``): the statistics live in
  :mod:`rmtlib.experiments.statistics`.
* A chapter imports its experiments module by name (``from rmtlib.experiments import full_rank``),
  never the package's flat namespace (``experiments.X``).
* The last code cell is the verdict cell: ``specs = <module>.<subject>_verdicts(...)``, then
  ``verdicts = [check(**spec) for spec in specs]`` and ``verdict_table(verdicts)`` (``check`` only
  records: without the table a failed verdict would neither show nor stop the build).

Each rule is also run on a small counter-example, so that the test can fail.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RANDOM = {"rng", "default_rng", "random"}
POSITIONAL_INDEXERS = {"iloc", "iat"}
TABLE_TYPES = {"DataFrame", "Series"}
COMPREHENSIONS = (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)
POSITIONAL = re.compile(r"^_\d+$")


def code_cells(chapter):
    """``(tags, source)`` of each code cell of a chapter, in order."""
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return [
        (set(c["metadata"].get("tags", [])), "".join(c["source"]))
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def _bound_and_read(tree):
    """Names a cell binds anywhere, and names it reads without binding them in the same cell."""
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else loaded).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.alias)):
            bound.add(getattr(node, "asname", None) or node.name.split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, loaded - bound


def hidden_cell_leaks(cells) -> list[str]:
    """Names bound in a ``hide-input`` cell that a later cell reads before binding them itself."""
    last_binder = {}
    leaks = []
    for index, (tags, source) in enumerate(cells):
        bound, free = _bound_and_read(ast.parse(source))
        leaks += [
            f"cell {last_binder[n]} binds {n!r}, cell {index} reads it"
            for n in sorted(free)
            if n in last_binder
        ]
        for name in bound:
            if "hide-input" in tags:
                last_binder[name] = index
            else:
                last_binder.pop(name, None)
    return leaks


def draws_random_numbers(source) -> bool:
    """Whether code touches a random generator: the name ``rng``, ``np.random`` or ``default_rng``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in RANDOM:
            return True
        if isinstance(node, ast.Attribute) and node.attr in RANDOM:
            return True
        if isinstance(node, ast.keyword) and node.arg == "rng":
            return True
    return False


def positional_row_access(source) -> list[str]:
    """Attributes like ``row._2`` (positional fields of ``itertuples``)."""
    return [
        n.attr
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Attribute) and POSITIONAL.match(n.attr)
    ]


def positional_indexing(source) -> list[str]:
    """``.iloc`` / ``.iat`` anywhere in the code: rows and elements read by position."""
    return [
        n.attr
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Attribute) and n.attr in POSITIONAL_INDEXERS
    ]


def _table_constructor(node) -> bool:
    """``pd.DataFrame(...)``, ``pd.Series(...)`` or the bare names."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in TABLE_TYPES


def tables_built_by_hand(source) -> list[str]:
    """Tables assembled in the code: a ``DataFrame``/``Series`` whose arguments hold a comprehension, or
    read a list that a loop of the same code appends to (``rows.append(...)`` inside ``for``)."""
    tree = ast.parse(source)
    appended = {
        call.func.value.id
        for loop in ast.walk(tree)
        if isinstance(loop, (ast.For, ast.While))
        for call in ast.walk(loop)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("append", "extend")
        and isinstance(call.func.value, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not _table_constructor(node):
            continue
        inside = [sub for arg in [*node.args, *(k.value for k in node.keywords)] for sub in ast.walk(arg)]
        if any(isinstance(sub, COMPREHENSIONS) for sub in inside):
            found.append(f"line {node.lineno}: a table built from a comprehension")
        found += [
            f"line {node.lineno}: a table built from {sub.id!r}, appended to in a loop"
            for sub in inside
            if isinstance(sub, ast.Name) and sub.id in appended
        ]
    return found


def computes_a_statistic(source) -> bool:
    """A sample variance or standard error written out in the chapter (``ddof=``)."""
    return any(isinstance(n, ast.keyword) and n.arg == "ddof" for n in ast.walk(ast.parse(source)))


def flat_experiments_access(source) -> bool:
    """``experiments.X`` or ``from rmtlib import experiments``: the flat namespace, not a chapter module."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "experiments"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "rmtlib"
            and any(a.name == "experiments" for a in node.names)
        ):
            return True
    return False


def _is_check_of_spec(node) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "check"
        and not node.args
        and len(node.keywords) == 1
        and node.keywords[0].arg is None
        and isinstance(node.keywords[0].value, ast.Name)
        and node.keywords[0].value.id == "spec"
    )


def verdict_cell_module(source) -> str | None:
    """The chapter module whose ``<subject>_verdicts`` the cell calls, if the cell has the verdict
    shape; ``None`` otherwise."""
    body = ast.parse(source).body
    if len(body) != 3:
        return None
    first = body[0]
    if not (
        isinstance(first, ast.Assign)
        and [t.id for t in first.targets if isinstance(t, ast.Name)] == ["specs"]
        and isinstance(first.value, ast.Call)
        and isinstance(first.value.func, ast.Attribute)
        and isinstance(first.value.func.value, ast.Name)
        and first.value.func.attr.endswith("_verdicts")
    ):
        return None
    module = first.value.func.value.id
    collect, show = body[1], body[2]  # verdicts = [check(**spec) for spec in specs]; verdict_table(verdicts)
    ok = (
        isinstance(collect, ast.Assign)
        and [t.id for t in collect.targets if isinstance(t, ast.Name)] == ["verdicts"]
        and isinstance(collect.value, ast.ListComp)
        and _is_check_of_spec(collect.value.elt)
        and len(collect.value.generators) == 1
        and isinstance(collect.value.generators[0].iter, ast.Name)
        and collect.value.generators[0].iter.id == "specs"
        and isinstance(show, ast.Expr)
        and isinstance(show.value, ast.Call)
        and isinstance(show.value.func, ast.Name)
        and show.value.func.id == "verdict_table"
        and [a.id for a in show.value.args if isinstance(a, ast.Name)] == ["verdicts"]
    )
    return module if ok else None


def experiments_modules_imported(cells) -> set[str]:
    """Names imported with ``from rmtlib.experiments import ...``."""
    return {
        alias.asname or alias.name
        for _, source in cells
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "rmtlib.experiments"
        for alias in node.names
    }


# ----------------------------------------------------------------------------- the chapters


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_collapsed_cells_only_draw(chapter):
    cells = code_cells(chapter)
    assert hidden_cell_leaks(cells) == [], chapter
    for tags, source in cells:
        if "hide-input" in tags:
            assert not draws_random_numbers(source), (chapter, source[:80])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_positional_rows_no_hand_made_tables_no_statistics_no_flat_namespace(chapter):
    for _, source in code_cells(chapter):
        assert positional_row_access(source) == [], (chapter, source[:80])
        assert positional_indexing(source) == [], (chapter, source[:80])
        assert tables_built_by_hand(source) == [], (chapter, source[:80])
        assert ".itertuples(" not in source, (chapter, source[:80])
        assert not computes_a_statistic(source), (chapter, source[:80])
        assert not flat_experiments_access(source), (chapter, source[:80])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_last_cell_is_the_verdict_cell(chapter):
    cells = code_cells(chapter)
    module = verdict_cell_module(cells[-1][1])
    assert module is not None, (chapter, cells[-1][1])
    assert module in experiments_modules_imported(cells), (chapter, module)


# ----------------------------------------------------------------------------- the rules can fail

LOOP = "specs = full_rank.full_rank_verdicts(results, N=N)\nfor spec in specs:\n    check(**spec)\n"
GOOD_TABLE = (
    "specs = spikes.spike_verdicts(draws, N=N)\nverdicts = [check(**spec) for spec in specs]\n"
    "verdict_table(verdicts)\n"
)


def test_verdict_shape_accepts_the_table_and_nothing_else():
    assert verdict_cell_module(GOOD_TABLE) == "spikes"
    for bad in (
        LOOP,  # checks recorded but never shown, and a failure would not stop the build
        GOOD_TABLE + "print(specs)\n",  # anything more
        GOOD_TABLE.replace("spike_verdicts", "spike_checks"),  # not a verdict function
        "for spec in specs:\n    check(**spec)\n",  # specs made elsewhere
        'specs = m.x_verdicts()\nfor spec in specs:\n    check("T1", **spec)\n',  # hand-made arguments
        "specs = m.x_verdicts()\nfor spec in specs:\n    check(**spec)\n    print(spec)\n",
        "check(**spec)\n",
    ):
        assert verdict_cell_module(bad) is None, bad


def test_hidden_cell_rules_catch_a_leak_and_a_draw():
    leak = [
        (set(), "x = 1"),
        ({"hide-input"}, "fig, ax = plt.subplots()\nrows = [x]\nax.plot(rows)"),
        (set(), "table = pd.DataFrame(rows)"),
    ]
    assert hidden_cell_leaks(leak) == ["cell 1 binds 'rows', cell 2 reads it"]
    rebound = [*leak[:2], (set(), "rows = []\ntable = pd.DataFrame(rows)")]
    assert hidden_cell_leaks(rebound) == []
    # a name read by a hidden cell but bound by a visible one is fine; a visible rebinding resets
    assert hidden_cell_leaks([({"hide-input"}, "x = 2"), (set(), "x = 3"), (set(), "print(x)")]) == []
    assert draws_random_numbers("res = growing_outliers(N=10, rng=rng)")
    assert draws_random_numbers("z = np.random.default_rng(1).normal()")
    assert draws_random_numbers("z = f(rng=g)")
    assert not draws_random_numbers("ax.hist(values, bins=30)")


def test_row_statistic_and_namespace_rules_catch_offenders():
    assert positional_row_access("for row in t.itertuples():\n    f(row._2, row.name)") == ["_2"]
    assert positional_row_access("for row in t.to_dict('records'):\n    f(row['mean'])") == []
    assert positional_indexing("x = t['slope'].iloc[-1]") == ["iloc"]
    assert positional_indexing("v = t.iat[0, 1]") == ["iat"]
    assert positional_indexing("x = t.loc[t.index.max(), 'slope']") == []
    assert computes_a_statistic("t = x.mean() / (x.std(ddof=1) / np.sqrt(x.size))")
    assert not computes_a_statistic("t = statistics.t_statistic(x)")
    assert flat_experiments_access("from rmtlib import experiments")
    assert flat_experiments_access("experiments.spike(N=10, rng=rng)")
    assert not flat_experiments_access("from rmtlib.experiments import spikes\nspikes.spike(N=10, rng=rng)")


def test_table_rule_catches_comprehensions_and_loops_of_appends():
    assert tables_built_by_hand("t = pd.DataFrame([{'n': n, **f(n)} for n in sizes])")
    assert tables_built_by_hand("t = pd.DataFrame({k: [g(v) for v in x] for k in keys}, index=i)")
    assert tables_built_by_hand("s = pd.Series({k: h(k) for k in keys})")
    assert tables_built_by_hand("t = DataFrame(dict(a=list(f(x) for x in xs)))")
    loop = "rows = []\nfor p in points:\n    rows.append({'kappa': p['kappa']})\ntable = pd.DataFrame(rows)\n"
    assert tables_built_by_hand(loop) == ["line 4: a table built from 'rows', appended to in a loop"]
    # a library function's table, a frame of one call's records, and a list of frames are fine
    assert tables_built_by_hand("t = growing.crossover_table(cross, N=N, sigma=sigma)") == []
    assert tables_built_by_hand("opening = pd.DataFrame(group_threshold.gap_opening(sizes=s, rng=rng))") == []
    assert tables_built_by_hand("frames = [f(a) for a in alphas]\nplayer(frames)") == []
