"""APIs a task forbids, found statically in the learner's function and the helpers it calls.

Some tasks are meant to be written by hand (a momentum step, an Adam step, a schedule,
clipping): calling `torch.optim.SGD` would pass them without the learning they are for.
Such a task declares what it may not use (`Task.forbids`), and this module finds those
uses in the learner's source without running it: `in_function` for the in-notebook
check (from the live function), `in_notebook` for the grader (from the notebook's cells).
Both share one walk, `_search`:

- it reads the learner's function, then every function or class of the same notebook
  that it names, transitively;
- it resolves each name to what it stands for: in the check through the function's
  globals (exact: a module's `__name__`, a class's or function's `__module__`), in the
  grader through the notebook's module-level imports and `name = dotted.path`
  assignments, and in both through imports inside the function itself;
- an entry with a dot ("torch.optim") forbids that module or object and everything in
  it; a bare entry ("clip_grad_norm_", "backward") forbids any attribute or imported
  object of that name, so a method of any object too (`loss.backward()`);
- a string literal that names an entry counts too (`getattr(torch, "optim")`).

It cannot see names built at run time (`getattr(torch, "op" + "tim")`, `exec` or `eval`
of a built string, `importlib.import_module` of a computed name), objects reached
through arguments, containers or other modules, nor code outside the notebook: it is a
rule learners can see and follow, not a sandbox.

The grader runs it on untrusted text. Source that is missing, over `MAX_CHARS`, does not
parse (the normal error path reports that), or is nested so deeply that the parser gives
up (RecursionError, MemoryError) gives no finding: "cannot tell". That is safe because a
finding only ever takes points away; without one, the answers are still judged against
the oracle on every probe, exactly as for any other task.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["MAX_CHARS", "Finding", "Notebook", "read_notebook", "in_notebook", "in_function"]

MAX_CHARS = 500_000  # larger source is not read (a real notebook's code is far smaller)
_CANNOT_TELL = (SyntaxError, ValueError, RecursionError, MemoryError)
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

Resolve = Callable[[str], "str | None"]  # a global name -> the dotted name it stands for


@dataclass(frozen=True)
class Finding:
    """A use of a forbidden API: which entry it matched, and what the code uses."""

    entry: str  # the declared entry, e.g. "torch.optim"
    api: str  # what the code uses, e.g. "torch.optim.SGD"
    called: bool  # whether it is called there (rather than only named)
    helper: str = ""  # the notebook function or class it is in, if not the learner's own

    @property
    def hint(self) -> str:
        verb = "calls" if self.called else "uses"
        through = f" (in {self.helper}, which your function uses)" if self.helper else ""
        return (
            f"this task asks you to write it yourself, without {self.entry}; "
            f"your function {verb} {self.api}{through}."
        )


@dataclass(frozen=True)
class _Definition:
    name: str
    node: ast.AST
    resolve: Resolve


# ------------------------------------------------------------------ the shared walk


def _search(start: _Definition, forbids, lookup) -> Finding | None:
    """The first forbidden use in `start` or in the notebook definitions it names.

    `lookup(name)` returns the notebook's definition of a name, or None.
    """
    seen, queue = {start.name}, [start]
    while queue:
        definition = queue.pop(0)
        found, names = _scan(definition, forbids)
        if found is not None:
            helper = "" if definition is start else definition.name
            return Finding(found.entry, found.api, found.called, helper)
        for name in sorted(names - seen):
            seen.add(name)
            helper = lookup(name)
            if helper is not None:
                queue.append(helper)
    return None


def _scan(definition: _Definition, forbids) -> tuple[Finding | None, set[str]]:
    """The first forbidden use in one definition, and the global names it reads."""
    nodes = list(ast.walk(definition.node))
    local: dict[str, str] = {}  # names bound by imports inside the definition
    variables: set[str] = set()  # other names bound inside it: they hide globals
    imported: list[str] = []
    called, docstrings = set(), set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            variables.add(node.id)
        elif isinstance(node, ast.arg):
            variables.add(node.arg)
        elif isinstance(node, ast.Call):
            called.add(id(node.func))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstrings.add(id(node.value))  # a bare string statement does nothing
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for bound, stands_for, dotted in _bindings(node):
                local[bound] = stands_for
                imported.append(dotted)
    for dotted in imported:  # importing a forbidden API inside the function is a use
        entry = _match(dotted.split("."), 0, forbids)
        if entry:
            return Finding(entry, dotted, False), set()

    def resolve(name: str) -> str | None:
        if name in local:
            return local[name]
        return None if name in variables else definition.resolve(name)

    names: set[str] = set()
    inner: set[int] = set()  # the inside of an attribute chain already read
    for node in nodes:
        if isinstance(node, ast.Attribute | ast.Name) and id(node) not in inner:
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                continue
            api, parts, first = _chain(node, resolve, inner, names)
            entry = _match(parts, first, forbids)
            if entry:
                return Finding(entry, api, id(node) in called), names
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            entry = id(node) not in docstrings and _match_string(node.value, forbids)
            if entry:
                return Finding(entry, f"the name {node.value!r}", False), names
    return None, names - variables - set(local)


def _chain(node, resolve: Resolve, inner: set[int], names: set[str]):
    """What an attribute chain (or a name) stands for: (shown as, parts, first part to match).

    The root of `loss.backward` is a local variable: its own name is not matched against
    bare entries (first = 1), only what follows it.
    """
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
        inner.add(id(node))
    attrs.reverse()
    if not isinstance(node, ast.Name):  # e.g. torch.mean(x).backward: the attributes alone
        root = f"{_text(node.func)}(…)" if isinstance(node, ast.Call) else "…"
        return ".".join([root, *attrs]), attrs, 0
    names.add(node.id)
    dotted = resolve(node.id)
    if dotted is None:
        return ".".join([node.id, *attrs]), [node.id, *attrs], 1
    parts = [*dotted.split("."), *attrs]
    return ".".join(parts), parts, 0


def _text(node) -> str:
    """How a name or attribute chain is written (`torch.mean`), or … for anything else."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    root = node.id if isinstance(node, ast.Name) else "…"
    return ".".join([root, *reversed(attrs)])


def _match(parts: list[str], first: int, forbids) -> str | None:
    """The entry that a dotted name matches, if any."""
    dotted = ".".join(parts)
    for entry in forbids:
        if "." in entry:
            if dotted == entry or dotted.startswith(entry + "."):
                return entry
        elif entry in parts[first:]:
            return entry
    return None


def _match_string(text: str, forbids) -> str | None:
    """The entry a string literal names: the entry itself, inside it, or its last parts."""
    if len(text) > 200 or not _DOTTED.fullmatch(text):
        return None
    for entry in forbids:
        if text == entry or text.startswith(entry + ".") or entry.endswith("." + text):
            return entry
    return None


def _bindings(node: ast.Import | ast.ImportFrom) -> Iterable[tuple[str, str, str]]:
    """(name bound, what it stands for, what is imported) for each name an import binds.

    `import torch.optim` binds torch (standing for torch) and imports torch.optim.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            root = alias.name.split(".")[0]
            yield alias.asname or root, alias.name if alias.asname else root, alias.name
    elif node.module and not node.level:  # relative imports name nothing of interest
        for alias in node.names:
            if alias.name == "*":
                yield "*", node.module, node.module
            else:
                dotted = f"{node.module}.{alias.name}"
                yield alias.asname or alias.name, dotted, dotted


def _parse(source: str) -> ast.Module | None:
    if len(source) > MAX_CHARS:
        return None
    try:
        return ast.parse(source)
    except _CANNOT_TELL:
        return None


# ------------------------------------------------------------------ the grader: cells


@dataclass(frozen=True)
class Notebook:
    """What the grader reads from a notebook's cells: its definitions and global aliases."""

    definitions: dict[str, ast.AST]  # the last def, class or assigned expression of a name
    aliases: dict[str, str]  # module-level imports and `name = dotted.path`


def read_notebook(cells: list[str], to_python: Callable[[str], str] = str) -> Notebook:
    """Read the code cells (through `to_python`, e.g. IPython's transformer) once.

    A cell that cannot be transformed or parsed is left out; so is everything when the
    cells are longer than MAX_CHARS altogether.
    """
    definitions: dict[str, ast.AST] = {}
    aliases: dict[str, str] = {}
    if sum(len(cell) for cell in cells) > MAX_CHARS:
        return Notebook(definitions, aliases)
    for cell in cells:
        try:
            tree = _parse(to_python(cell))
        except Exception:  # noqa: BLE001 - the transformer on hostile text: cannot tell
            tree = None
        for node in () if tree is None else _module_level(tree):
            if isinstance(node, _DEFINITIONS):
                definitions[node.name] = node
            elif isinstance(node, ast.Import | ast.ImportFrom):
                aliases.update((bound, stands_for) for bound, stands_for, _ in _bindings(node))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                _assignment(node.targets[0], node.value, definitions, aliases)
    return Notebook(definitions, aliases)


def _module_level(tree: ast.Module) -> Iterable[ast.AST]:
    """The statements outside any def or class, in source order, and the defs themselves."""
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*_DEFINITIONS, ast.Lambda)):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _assignment(target, value, definitions, aliases: dict[str, str]) -> None:
    """`name = expression` defines name by that expression (`step = lambda …`, `step =
    make_step()`); `SGD = torch.optim.SGD` or `opt = torch.optim.SGD(…)` also makes SGD
    or opt an alias."""
    if not isinstance(target, ast.Name):
        return
    definitions[target.id] = value
    root, dot, rest = _text(value.func if isinstance(value, ast.Call) else value).partition(".")
    if root in aliases:
        aliases[target.id] = aliases[root] + dot + rest
    else:
        aliases.pop(target.id, None)


def in_notebook(notebook: Notebook, name: str, forbids) -> Finding | None:
    """The first use of a forbidden API in the notebook's function `name`, or None."""
    if not forbids or name not in notebook.definitions:
        return None

    def lookup(helper: str) -> _Definition | None:
        node = notebook.definitions.get(helper)
        return None if node is None else _Definition(helper, node, notebook.aliases.get)

    try:
        return _search(lookup(name), tuple(forbids), lookup)
    except _CANNOT_TELL:
        return None


# ------------------------------------------------------------------ the check: live objects


def in_function(obj, forbids) -> Finding | None:
    """The first use of a forbidden API in a live function and its notebook helpers, or None.

    Names resolve through the function's globals, so every alias is exact. Without source
    (a builtin, a function made by `exec`) there is no finding.
    """
    if not forbids:
        return None
    home = getattr(obj, "__module__", None)
    namespace = getattr(obj, "__globals__", None)
    start = _live_definition(obj, home, namespace)
    if start is None:
        return None

    def lookup(name: str) -> _Definition | None:
        value = namespace.get(name)
        if isinstance(value, type | types.FunctionType) and value.__module__ == home:
            return _live_definition(value, home, namespace)
        return None

    try:
        return _search(start, tuple(forbids), lookup)
    except Exception:  # noqa: BLE001 - the learner's own objects, in their kernel: cannot tell
        return None


def _live_definition(obj, home, namespace) -> _Definition | None:
    """A live function or class read from its source, its names resolved in `namespace`."""
    namespace = getattr(obj, "__globals__", namespace)
    if not isinstance(namespace, dict):
        return None
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    tree = _parse(textwrap.dedent(source))
    if tree is None:
        return None

    def resolve(name: str) -> str | None:
        return _qualified(namespace[name], home) if name in namespace else None

    return _Definition(getattr(obj, "__name__", "?"), tree, resolve)


def _qualified(value, home) -> str | None:
    """The dotted name of a live object: a module's name, or where its class or function is
    defined; None for the notebook's own objects (they are read as helpers instead)."""
    if isinstance(value, types.ModuleType):
        return value.__name__
    kinds = type | types.FunctionType | types.BuiltinFunctionType
    named = value if isinstance(value, kinds) else type(value)
    module, name = getattr(named, "__module__", None), getattr(named, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or module == home:
        return None
    return f"{module}.{name}"
