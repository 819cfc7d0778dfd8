"""What genrelib code a module, or a chapter's code, depends on: the library's import graph, and the
definitions code reaches through it (read here, by the build; genrelib itself never imports this).

Both are read from the source with ``ast``, lazy imports inside functions included, so they hold every
module and definition that code can run.

* :func:`import_graph`: each module -> the modules it imports (a test keeps it free of cycles).
* :func:`reached_definitions`: the top-level definitions (functions, classes, constants) that code
  uses, and those they use in turn, each with a digest of its syntax tree. The book's cache keys a
  chapter on them: editing a function re-executes the chapters that reach it, not every chapter that
  imports its module (chapter 1 imports ``report``, which imports ``models``, yet uses no model). Besides
  those, a module's import-time statements (whatever is neither a definition nor an import) count for
  every chapter that imports the module; comments and formatting count for none.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "genrelib"  # the library, read from its source
WHOLE, IMPORT_TIME = "*", ""  # unit names for a whole module and for its import-time statements


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = Path(path).resolve().relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bindings(node: ast.Import | ast.ImportFrom, modules: set[str], package: str) -> dict[str, tuple[str, str]]:
    """The names an import statement binds -> (genrelib module, name imported from it, or WHOLE for the module
    itself); relative imports resolved against ``package``, other packages left out."""
    bound = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in modules:  # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b
                target = alias.name if alias.asname else alias.name.split(".")[0]
                bound[alias.asname or target] = (target, WHOLE)
        return bound
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    if base in modules:
        for alias in node.names:
            # `from pkg import submodule` imports the submodule; `from pkg import name` a name of the package
            submodule = f"{base}.{alias.name}"
            bound[alias.asname or alias.name] = (submodule, WHOLE) if submodule in modules else (base, alias.name)
    return bound


def imported(tree: ast.AST, modules: set[str], package: str = "") -> set[str]:
    """The modules among ``modules`` that ``tree`` imports anywhere in its body (relative imports resolved
    against ``package``, the package the code lives in)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= {module for module, _ in _bindings(node, modules, package).values()}
    return found


def _package_of(path: Path, package: Path = PACKAGE) -> str:
    name = module_name(path, package)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports_of(path: Path, modules: set[str], package: Path = PACKAGE) -> set[str]:
    """The modules among ``modules`` that the module at ``path`` imports (itself left out)."""
    return imported(ast.parse(path.read_text()), modules, _package_of(path, package)) - {module_name(path, package)}


def module_paths(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    paths = module_paths(package)
    return {name: imports_of(path, set(paths), package) for name, path in paths.items()}


def closure(roots: set[str], graph: dict[str, set[str]]) -> set[str]:
    """``roots`` and every module they reach, with the packages whose ``__init__`` importing them runs."""
    reached, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in reached or name not in graph:
            continue
        reached.add(name)
        parts = name.split(".")
        todo += graph[name] | {".".join(parts[:i]) for i in range(1, len(parts))}
    return reached


class _Uses(ast.NodeVisitor):
    """The (module, name) units a piece of code refers to: names bound to genrelib definitions or modules,
    ``module.name`` attribute chains, and lazy imports."""

    def __init__(self, resolve, modules: set[str], package: str):
        self.resolve, self.modules, self.package, self.found = resolve, modules, package, set()

    def visit_Attribute(self, node):
        chain, root = [], node
        while isinstance(root, ast.Attribute):
            chain.insert(0, root.attr)
            root = root.value
        target = self.resolve(root.id) if isinstance(root, ast.Name) else None
        if target is None or target[1] != WHOLE:
            return self.generic_visit(node)
        module = target[0]
        while chain and f"{module}.{chain[0]}" in self.modules:
            module += "." + chain.pop(0)
        self.found.add((module, chain[0] if chain else WHOLE))

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and (target := self.resolve(node.id)):
            self.found.add(target)

    def visit_Import(self, node):  # inside a definition: a lazy import
        self.found |= set(_bindings(node, self.modules, self.package).values())

    visit_ImportFrom = visit_Import


def _digest(nodes: list[ast.AST]) -> str:
    return hashlib.sha256("\n".join(ast.dump(n) for n in nodes).encode()).hexdigest()[:16]


@dataclass
class _Module:
    definitions: dict[str, list[ast.AST]] = field(default_factory=dict)  # top-level name -> its statement(s)
    bindings: dict[str, tuple[str, str]] = field(default_factory=dict)  # top-level imports
    import_time: list[ast.AST] = field(default_factory=list)


def _read(tree: ast.Module, modules: set[str], package: str) -> _Module:
    read = _Module()
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            read.bindings.update(_bindings(node, modules, package))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            read.definitions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        read.definitions.setdefault(name.id, []).append(node)
        elif not (index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            read.import_time.append(node)  # the docstring aside: statements that run when the module is imported
    return read


@dataclass(frozen=True)
class _Library:
    modules: dict[str, _Module]
    packages: dict[str, str]  # module -> the package its relative imports start from
    graph: dict[str, set[str]]


@cache
def _library(package: Path, stamp: tuple) -> _Library:
    """Every module of the package read, as the package is on disk (``stamp``: the state of its files)."""
    paths = module_paths(package)
    names = set(paths)
    packages = {name: _package_of(path, package) for name, path in paths.items()}
    return _Library({name: _read(ast.parse(path.read_text()), names, packages[name]) for name, path in paths.items()},
                    packages, import_graph(package))


def _stamp(package: Path) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(package.rglob("*.py")))


def reached_definitions(code: str, package: Path = PACKAGE) -> dict[str, str]:
    """``module.name`` -> digest of each definition of the package (genrelib) that ``code`` (a chapter's cells,
    say) reaches, and ``module:import-time`` -> digest of the import-time statements of each module it imports."""
    library = _library(package, _stamp(package))
    names = set(library.modules)
    tree = ast.parse(code)
    chapter = _read(tree, names, "")

    def uses(node, module: str | None) -> set[tuple[str, str]]:
        read = library.modules[module] if module else chapter

        def resolve(name: str):
            return (module, name) if module and name in read.definitions else read.bindings.get(name)

        visitor = _Uses(resolve, names, library.packages[module] if module else "")
        visitor.visit(node)
        return {canonical(unit) for unit in visitor.found}

    def canonical(unit):
        """A unit named where it is defined, re-exports followed; IMPORT_TIME for a name that no definition
        binds (one set inside an ``if`` or a ``try``, say)."""
        while unit[1] not in (WHOLE, IMPORT_TIME):
            module = library.modules[unit[0]]
            if unit[1] in module.definitions:
                return unit
            unit = module.bindings.get(unit[1], (unit[0], IMPORT_TIME))
        return unit

    statements = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    todo, reached = [unit for node in statements for unit in uses(node, None)], set()
    while todo:
        unit = todo.pop()
        if unit in reached:
            continue
        reached.add(unit)
        module, name = unit
        if name == WHOLE:
            todo += [(module, n) for n in library.modules[module].definitions]
        elif name != IMPORT_TIME:
            for node in library.modules[module].definitions[name]:
                todo += uses(node, module)
    digests = {f"{m}.{n}": _digest(library.modules[m].definitions[n]) for m, n in reached
               if n not in (WHOLE, IMPORT_TIME)}
    imported_modules = {m for m, _ in reached} | {m for m, _ in chapter.bindings.values()}
    for m in closure(imported_modules, library.graph):
        if library.modules[m].import_time:
            digests[f"{m}:import-time"] = _digest(library.modules[m].import_time)
    return dict(sorted(digests.items()))
