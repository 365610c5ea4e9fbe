"""No import cycle between fleetctl's modules that runs, deferred imports included.

grimp (import-linter's own graph builder) reads every import statement, also those inside
functions: a cycle hidden behind a function-local import still runs (the first call imports
it). Imports under ``if TYPE_CHECKING:`` never run and are left out. A cycle is reported as its
path, ``a -> b -> a``, with the line of each import.
"""

from __future__ import annotations

import itertools

import grimp
import pytest


def find_cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One cycle of the graph as a path of modules (first == last), or None. Depth-first."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    done: set[str] = set()  # every module reachable from these is known to be cycle-free
    for start in edges:
        if start in done:
            continue
        path = [start]
        walks = [iter(edges[start])]
        while walks:
            nxt = next(walks[-1], None)
            if nxt is None:
                walks.pop()
                done.add(path.pop())
            elif nxt in path:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in done:
                path.append(nxt)
                walks.append(iter(edges[nxt]))
    return None


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    steps = []
    for importer, imported in itertools.pairwise(cycle):
        lines = sorted(
            d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
        )
        steps.append(f"  {importer} -> {imported} (line {', '.join(map(str, lines))})")
    return "import cycle:\n" + "\n".join(steps)


def test_fleetctl_has_no_import_cycle() -> None:
    graph = grimp.build_graph(
        "fleetctl", include_external_packages=False, exclude_type_checking_imports=True
    )
    cycle = find_cycle(graph)
    assert cycle is None, describe(graph, cycle)


def _graph(imports: list[tuple[str, str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    return graph


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        pytest.param([("a", "b"), ("b", "c"), ("a", "c")], None, id="diamond-no-cycle"),
        pytest.param([("a", "b"), ("b", "a")], ["a", "b", "a"], id="two-modules"),
        pytest.param(
            [("a", "b"), ("b", "c"), ("c", "d"), ("d", "b")], ["b", "c", "d", "b"], id="tail-loop"
        ),
        pytest.param([("a", "a")], ["a", "a"], id="self-import"),
    ],
)
def test_find_cycle_finds_the_path(
    imports: list[tuple[str, str]], expected: list[str] | None
) -> None:
    """The checker above can fail: it finds cycles of every length, and only cycles."""
    assert find_cycle(_graph(imports)) == expected
