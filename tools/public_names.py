"""Every public name of the aelab package and where it is used outside tests/.

A public name is a module-level function, class or constant of an aelab module whose name does
not start with "_", or a name listed in the module's ``__all__`` (private modules, ``_x.py``,
have none). It counts as used when something other than the tests reaches it:

  lesson     notebooks/src/*.py (the one source of every notebook)
  app        notebooks/*.ipynb beside the lessons (the explorer of `make explore`)
  tool       tools/*.py and benchmarks/*.py (this script excepted)
  command    a documented command: README.md, CONTRIBUTING.md, data/README.md, the Makefile and
             postBuild name it, or run its module with ``python -m`` (then the names the
             module's ``if __name__ == "__main__"`` block calls count)
  package    another module of aelab uses it (a checker compares with a reference model,
             setup_check reads runtime.FRAMEWORKS, ...)
  exercise   a lesson checker registers it as an exercise's reference: ``check.run(...).use()``
             hands it to the notebook
  by name    a setting names it in a string ("aelab.lab_server.NoDelay..." for Jupyter)
  own        only other code of its own module uses it (a helper of a used function, the
             class a factory returns): it could be private

A name re-exported by another module (``aelab.setup`` is ``aelab.runtime.setup``) is used where
the re-export is. ``--unused`` lists the names with no use at all, not even in their module.

Usage is read from the source (imports, attribute access on an imported module, ``reference=``
of ``@exercise``), never by importing torch or tensorflow.

    python tools/public_names.py            # the table: module.name  where it is used
    python tools/public_names.py --unused   # only the names nothing but the tests use
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aelab"
DOCUMENTS = ("README.md", "CONTRIBUTING.md", "data/README.md", "Makefile", "postBuild")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    """{"aelab.metrics": path, ...}: every public module of the package (no ``_x.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.startswith("_") and path.name != "__init__.py":
            continue
        found[_module_name(path)] = path
    return found


def _all_list(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                 for t in node.targets)):
            try:
                return [str(v) for v in ast.literal_eval(node.value)]
            except ValueError:  # computed (aelab/__init__.py): its own names are defined below
                return []
    return []


def public_names(path: Path) -> list[str]:
    """The public names a module defines (def, class, assignment) or lists in ``__all__``."""
    tree = ast.parse(path.read_text())
    names = set(_all_list(tree))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    submodules = {p.stem for p in path.parent.glob("*.py")} if path.name == "__init__.py" else set()
    return sorted(n for n in names if not n.startswith("_") and n not in submodules)


def _resolve(module: str | None, level: int, here: str, is_package: bool) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in module ``here``."""
    if level == 0:
        return module or ""
    base = here.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


class _Uses(ast.NodeVisitor):
    """(module, name) pairs a Python file reaches: ``from m import name``, ``alias.name`` where
    alias is bound to module m, and strings naming a reference model (``reference="vae.kl"``)."""

    def __init__(self, here: str, is_package: bool, modules: set[str]):
        self.here, self.is_package, self.modules = here, is_package, modules
        self.aliases: dict[str, str] = {}   # local name -> module
        self.found: set[tuple[str, str]] = set()
        self.references: set[str] = set()   # names passed as @exercise(reference=...)
        self.by_name: set[tuple[str, str]] = set()   # "aelab.x.Name" written in a string

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node):
        source = _resolve(node.module, node.level, self.here, self.is_package)
        for alias in node.names:
            full = f"{source}.{alias.name}" if source else alias.name
            if full in self.modules:
                self.aliases[alias.asname or alias.name] = full
            else:
                self.found.add((source, alias.name))

    def _dotted(self, node) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            inner = self._dotted(node.value)
            return f"{inner}.{node.attr}" if inner else None
        return None

    def visit_Attribute(self, node):
        owner = self._dotted(node.value)
        if owner:
            self.found.add((owner, node.attr))
        self.generic_visit(node)

    def visit_Constant(self, node):
        # a dotted path in a string: "aelab.lab_server.NoDelayKernelWebsocketConnection" is a
        # server setting that Jupyter imports by name
        if isinstance(node.value, str):
            for path in re.findall(r"\baelab(?:\.\w+)+", node.value):
                module, _, name = path.rpartition(".")
                if module in self.modules:
                    self.by_name.add((module, name))
            # code in a string (a generated notebook cell): import_module("aelab.grading").grade
            for module, name in re.findall(r"import_module\(['\"](aelab(?:\.\w+)*)['\"]\)\.(\w+)", node.value):
                if module in self.modules:
                    self.by_name.add((module, name))

    def visit_Call(self, node):
        # importlib.import_module(f"aelab.models.vae_{framework}") binds nothing by name; the
        # checkers name reference models as "topic.name" strings (see aelab.check.exercise).
        func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if func == "exercise":
            for keyword in node.keywords:
                if keyword.arg != "reference":
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    topic, _, name = value.value.partition(".")
                    for framework in ("torch", "keras"):
                        self.found.add((f"aelab.models.{topic}_{framework}", name))
                elif isinstance(value, ast.Name):
                    self.references.add(value.id)
        self.generic_visit(node)


# A lesson source is a template: {{fw}} etc. become each track's words (tools/build_notebooks.py)
TRACK_WORDS = ({"fw": "torch", "framework": "PyTorch", "track": "pytorch"},
               {"fw": "keras", "framework": "TensorFlow/Keras", "track": "keras"})


def _python_uses(path: Path, modules: set[str]) -> tuple[set, set, set]:
    """(names reached, names passed as an exercise's reference, names written in strings)."""
    here = _module_name(path) if PACKAGE in path.parents else "__main__"
    visitor = _Uses(here, path.name == "__init__.py", modules)
    text = path.read_text()
    for words in TRACK_WORDS if "{{" in text else ({},):
        source = re.sub(r"\{\{(\w+)\}\}", lambda m: words.get(m.group(1), m.group(0)), text)
        visitor.visit(ast.parse(source))
    return visitor.found, visitor.references, visitor.by_name


def _notebook_uses(path: Path, modules: set[str]) -> set:
    """Names reached by the code cells of a notebook (its IPython magics left out)."""
    import json

    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    visitor = _Uses("__main__", False, modules)
    visitor.visit(ast.parse(code))
    return visitor.found


def _defined_by(node) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for t in targets if isinstance(t, ast.Name)}
    return set()


def _is_main_block(node) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def module_graph(path: Path) -> tuple[dict[str, set[str]], set[str]]:
    """({top-level name: names its definition refers to}, names the ``__main__`` block uses).
    Statements that define nothing (an ``if``, an expression) refer on behalf of "<module>"."""
    graph: dict[str, set[str]] = {}
    main: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if _is_main_block(node):
            main |= used
            continue
        for name in _defined_by(node) or {"<module>"}:
            if name != "__all__":
                graph.setdefault(name, set()).update(used - {name})
    return graph, main


def _reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def usage() -> dict[tuple[str, str], set[str]]:
    """{(module, name): {"lesson: 05_variational_autoencoder", "package: aelab.check", ...}}."""
    modules = package_modules()
    table = {(m, n): set() for m, path in modules.items() for n in public_names(path)}
    module_set = set(modules)

    reexports = {}   # (module, name) -> (module it comes from, name), for ``from .x import name``
    for module, path in modules.items():
        for source, name in _python_uses(path, module_set)[0]:
            if (source, name) in table and source != module:
                reexports[module, name] = (source, name)

    def record(found, where, exclude_module=None):
        for module, name in found:
            key = reexports.get((module, name), (module, name))
            if key in table and module != exclude_module:
                table[key].add(where)

    for path in sorted((ROOT / "notebooks" / "src").glob("*.py")):
        record(_python_uses(path, module_set)[0], f"lesson: {path.stem}")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):   # apps beside the lessons (make explore)
        record(_notebook_uses(path, module_set), f"app: notebooks/{path.name}")
    for folder in ("tools", "benchmarks"):
        for path in sorted((ROOT / folder).glob("*.py")):
            if path.resolve() != Path(__file__).resolve():
                record(_python_uses(path, module_set)[0], f"tool: {folder}/{path.name}")
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _module_name(path)
        found, references, by_name = _python_uses(path, module_set)
        owner = here if here in modules else None
        record(found, f"package: {here}", exclude_module=owner)
        record(by_name, f"imported by name: a string in {here}")
        for name in references:
            if (here, name) in table:
                table[here, name].add("exercise: reference of check.run(...).use()")
    text = "\n".join((ROOT / d).read_text() for d in DOCUMENTS if (ROOT / d).exists())
    for module, path in modules.items():
        short = module.split(".", 1)[-1]
        graph, main = module_graph(path)
        main_file = path.parent / "__main__.py" if path.name == "__init__.py" else None
        if main_file and main_file.exists():
            main |= {name for m, name in _python_uses(main_file, module_set)[0] if m == module}
        if re.search(rf"-m {re.escape(module)}\b", text):
            for name in _reachable(graph, main):
                if (module, name) in table:
                    table[module, name].add(f"command: python -m {module}")
        for name in set().union(*[refs for owner, refs in graph.items()] or [set()]):
            if (module, name) in table and any(name in refs for owner, refs in graph.items()
                                               if owner != name):
                table[module, name].add("own module")
        for (m, name), where in table.items():
            if m == module and re.search(rf"\b(aelab\.)?{re.escape(short)}\.{re.escape(name)}\b",
                                         text):
                where.add("command: documented in " + ", ".join(
                    d for d in DOCUMENTS if (ROOT / d).exists()
                    and re.search(rf"\b{re.escape(short)}\.{re.escape(name)}\b",
                                  (ROOT / d).read_text())))
    return table


def unused() -> list[str]:
    """``module.name`` of every public name that nothing but the tests uses."""
    return sorted(f"{m}.{n}" for (m, n), where in usage().items() if not where)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unused", action="store_true", help="only names nothing but tests use")
    args = parser.parse_args(argv)
    table = usage()
    width = max(len(f"{m}.{n}") for m, n in table)
    for (module, name), where in sorted(table.items()):
        if args.unused and where:
            continue
        kinds = sorted(where)
        shown = "; ".join(kinds[:3]) + (f"; +{len(kinds) - 3} more" if len(kinds) > 3 else "")
        print(f"{module}.{name}".ljust(width), " ", shown or "UNUSED (tests only)")
    count = sum(1 for where in table.values() if not where)
    own = sum(1 for where in table.values() if where == {"own module"})
    print(f"\n{len(table)} public names: {count} used by nothing but the tests, {own} only "
          f"inside their own module", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
