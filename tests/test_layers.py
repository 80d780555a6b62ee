"""Layers import downward only, and no module imports itself round a circle.

In the spirit of import-linter's layered contract: every module of the installed package
(hooks/ and pipeline/ are iamgate.hooks and iamgate.pipeline) is read with ``ast``, and each
import it names counts wherever it is written: at module level, under ``if TYPE_CHECKING``,
inside a function (the lazy imports that keep start-up lean), in relative form
(``from . import x``), or as ``importlib.import_module("...")`` with a literal name. A module
may import its own layer and the layers below it; the groups of one layer (written ``|``)
do not import each other. The README's development section draws the same table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = {
    "iamgate": REPO / "iamgate",
    "iamgate.hooks": REPO / "hooks",
    "iamgate.pipeline": REPO / "pipeline",
}

# Bottom to top. A name covers the module and, for a package, everything inside it; the
# longest name that covers a module places it.
LAYERS: list[tuple[str, list[list[str]]]] = [
    # Imports nothing above it: the version, findings, the configuration, its schema's
    # validator and its caches, terminal colour, the worker pool, the parser's error wording.
    (
        "foundation",
        [
            [
                "iamgate",  # the package itself: __version__
                "iamgate.findings",
                "iamgate.config",
                "iamgate.config_cache",
                "iamgate.config_schema",
                "iamgate.config_yaml",
                "iamgate.schema_compiler",
                "iamgate.cache_store",
                "iamgate.colour",
                "iamgate.parallel",
                "iamgate.cli_parser",
            ]
        ],
    ),
    ("document", [["iamgate.document", "iamgate.fmt"]]),
    ("grammar", [["iamgate.grammar"]]),
    ("model", [["iamgate.model"]]),
    ("catalog", [["iamgate.catalog"]]),
    ("evaluator", [["iamgate.evaluator"]]),
    # org_policy_types: what tells SCPs from RCPs (and later types), read by organization.
    ("project", [["iamgate.org_policy_types", "iamgate.organization", "iamgate.project"]]),
    ("delegation proofs", [["iamgate.delegation"]]),
    ("escalation table", [["iamgate.escalation"]]),
    ("rules", [["iamgate.rules"]]),
    # rule_references: the configuration's rule ids checked against the registry.
    ("lint", [["iamgate.lint", "iamgate.rule_references", "iamgate.result_cache"]]),
    ("reports | explain", [["iamgate.reports"], ["iamgate.explain"]]),
    # cli runs the command modules of both sides by name (its COMMANDS table, so that only
    # the chosen one is imported): a dispatch, not an import; completion imports cli.
    (
        "commands | pipeline",
        [["iamgate.cli", "iamgate.__main__", "iamgate.commands"], ["iamgate.pipeline"]],
    ),
    ("hooks", [["iamgate.hooks"]]),
]


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if package == "iamgate" and parts[0] in ("hooks", "pipeline"):
                continue  # not there in a checkout; never part of iamgate/ itself
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported name loads: itself, else its nearest package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, source: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``source`` (the text of ``module``) imports."""
    package = module if is_package else module.rpartition(".")[0]
    named: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # `from pkg import name`: the submodule when name is one, else the package.
            named += [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            named.append(node.args[0].value)
    out = {_known(name, modules) for name in named if name.split(".")[0] == "iamgate"}
    return {target for target in out if target is not None and target != module}


def _graph() -> dict[str, set[str]]:
    return {
        module: imports_of(module, path.read_text("utf-8"), path.name == "__init__.py", MODULES)
        for module, path in MODULES.items()
    }


GRAPH = _graph()


def place(module: str) -> tuple[int, int] | None:
    """(layer, group) of ``module``: the longest name of the table that covers it."""
    best: tuple[int, int, int] | None = None
    for layer, (_, groups) in enumerate(LAYERS):
        for group, names in enumerate(groups):
            for name in names:
                covers = module == name or (name != "iamgate" and module.startswith(name + "."))
                if covers and (best is None or len(name) > best[0]):
                    best = (len(name), layer, group)
    return None if best is None else (best[1], best[2])


def _describe(module: str) -> str:
    where = place(module)
    return f"{module} ({LAYERS[where[0]][0]})" if where else module


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in MODULES if place(module) is None)
    assert not unplaced, f"add these modules to LAYERS in {__name__}: {unplaced}"


def test_layers_import_downward_only() -> None:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        here = place(module)
        for target in sorted(targets):
            there = place(target)
            if here is None or there is None:
                continue
            upward = there[0] > here[0]
            sideways = there[0] == here[0] and there[1] != here[1]
            if upward or sideways:
                wrong.append(f"{_describe(module)} imports {_describe(target)}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert _circles(GRAPH) == []


def test_the_readme_draws_this_table() -> None:
    """The development section's diagram lists these layers, top first."""
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split("its table is this one:\n\n```\n", 1)[1].split("```", 1)[0]
    drawn = [re.split(r" {3,}", line)[0] for line in block.splitlines() if line[:1].strip()]
    assert drawn == [name for name, _ in reversed(LAYERS)]
    for _, groups in LAYERS:
        for name in (name for names in groups for name in names if name != "iamgate"):
            assert name.removeprefix("iamgate.") in block, name


# The reader itself: each form of import is seen, so the checks above cannot pass by
# reading nothing.

_FAKE = {
    name: Path(name)
    for name in (
        "iamgate",
        "iamgate.a",
        "iamgate.a.low",
        "iamgate.a.high",
        "iamgate.b",
        "iamgate.c",
        "iamgate.d",
        "iamgate.e",
    )
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import iamgate.b", {"iamgate.b"}),
        ("from iamgate.a import low", {"iamgate.a.low"}),
        ("from iamgate.a import some_function", {"iamgate.a"}),
        ("from . import low", {"iamgate.a.low"}),
        ("from .low import thing", {"iamgate.a.low"}),
        ("from .. import c", {"iamgate.c"}),
        ("def f():\n    from iamgate import d\n", {"iamgate.d"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from iamgate.b import X\n",
            {"iamgate.b"},
        ),
        ("import importlib\nimportlib.import_module('iamgate.e')", {"iamgate.e"}),
        ("from importlib import import_module\nimport_module('iamgate.c')", {"iamgate.c"}),
        ("import json\nfrom collections import abc", set()),
    ],
)
def test_the_reader_sees_every_form_of_import(source: str, expected: set[str]) -> None:
    assert imports_of("iamgate.a.high", source, False, _FAKE) == expected


def test_the_checks_catch_an_upward_import_and_a_circle() -> None:
    rules, model = place("iamgate.rules.base"), place("iamgate.model")
    assert rules is not None and model is not None and rules[0] > model[0]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []
