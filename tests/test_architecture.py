"""The shape of the package: no import cycles in the core, the query path apart from the
build path, and no Discord in the core."""

from __future__ import annotations

import ast
import subprocess
import sys

from support import REPO

CORE = REPO / "index"
BUILD_PATH = ("articles", "build", "catalog", "chunking", "dedup")


def core_imports() -> dict[str, set[str]]:
    """Each core module and the core modules it imports (at any level of the file)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(CORE.glob("*.py")):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "newsdesk.index":
                    imported |= {a.name for a in node.names}
                elif node.module.startswith("newsdesk.index."):
                    imported.add(node.module.split(".")[2])
        graph[path.stem] = imported - {path.stem}
    return graph


def test_the_core_has_no_import_cycles() -> None:
    graph = core_imports()
    assert graph["answer"] and graph["cli"], "the graph was read"
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "import cycle: " + " -> ".join([*path, module])
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*path, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_the_query_path_imports_nothing_of_the_build_path_nor_discord() -> None:
    code = (
        "import sys, newsdesk.index.answer, newsdesk.index.interfaces\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "newsdesk.index.retrieve" in loaded
    assert not {f"newsdesk.index.{m}" for m in BUILD_PATH} & loaded
    assert "discord" not in loaded and not any(m.startswith("newsdesk.bot") for m in loaded)


def test_nothing_in_the_core_imports_the_bot() -> None:
    for path in CORE.glob("*.py"):
        assert "newsdesk.bot" not in path.read_text(), path.name
