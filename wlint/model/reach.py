"""Which code could reach a given global, told from source text (no parse, no run).

The lazy import resolver (wlint.model.interp.lazy) asks, when a prediction
observes a registry container or a global that a function rebinds while some
modules are still deferred: could running those modules change it? Any path
from a module's top level to that object must name, at every step, the next
function, method, class, attribute or global it goes through. So: the
*tokens* are the object's own names plus, to a fixed point, the names of the
top-level functions, classes, methods and assignments of the loaded modules
whose text mentions a token; the deferred modules *could* change the object
when the text of any module they may import (transitively, imports followed
by regular expression) mentions a token outside its import lines. A token is a
name *of a module* (the registry's holder, the module of a definition): a bare
name in another module is that module's own global, local or builtin unless the
module imports the name, reaches it after a dot or reads names dynamically (a
star import, getattr, `__dict__`, globals(), sys.modules: `refers`), so every
model module's own `__all__` or `default_cfgs` is not another's. An
over-approximation: a false "could" only costs laziness.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set, Tuple


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")
_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_TOP_ASSIGN = re.compile(r"^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)")
# `m.NAME = ...` (not `self.NAME` / `cls.NAME`: an instance or class attribute, no global)
_ASSIGN_OP = r"(?:[-+*/%&|^@]|//|>>|<<|\*\*)?=(?!=)"  # `=` or an augmented one, not `==`
_ATTR_STORE = re.compile(
    r"(?<![\w.])(?!(?:self|cls)\b)\w+(?:\.\w+)*[ \t]*\.[ \t]*(\w+)[ \t]*(?::[^=\n]*)?" + _ASSIGN_OP)
_DOT_STORE = re.compile(r"\.[ \t]*(\w+)[ \t]*[-+*/%&|^@]?=(?!=)")
# setattr on something other than self/cls, a namespace dict: names may come from strings
_DYNAMIC_WRITE = re.compile(r"setattr\(\s*(?!self\b|cls\b)|(?<!self)\.__dict__\b|\bglobals\(|\bvars\(")
_BARE_DECORATOR = re.compile(r"@[\w.]+[ \t]*(?:#.*)?$")  # `@name`, `@a.b`: no call, no subscript
_GLOBAL = re.compile(r"^[ \t]*global[ \t]+([\w, \t]+)", re.M)
_DOCSTRING = re.compile(r"(\"\"\"|\'\'\')(.*?)\1", re.S)
MAX_TOKENS = 200  # names reaching a writer past which the answer is "anything could"
_DYNAMIC = frozenset({"setattr", "__dict__", "globals", "vars"})
_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")

_IMPORTS: Dict[str, Tuple[Tuple[str, int, Tuple[str, ...]], ...]] = {}
_EXECUTED: Dict[str, FrozenSet[str]] = {}
_REBINDS: Dict[str, FrozenSet[str]] = {}
_WORDS: Dict[str, FrozenSet[str]] = {}
_CHUNKS: Dict[str, Tuple[Definition, ...]] = {}


def imported_modules(text: str) -> Tuple[Tuple[str, int, Tuple[str, ...]], ...]:
    """(dotted, level, names) of every import line: the module it loads and, for
    `from a import b, c`, the names, which are submodules when `a` is a package; cached
    per text."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _IMPORTS.get(key)
    if hit is None:
        out: List[Tuple[str, int, Tuple[str, ...]]] = []
        for dots, module, names in _FROM.findall(text):
            words = tuple(w for w in _WORD.findall(names.replace(" as ", " , ")) if w != "import")
            out.append((module, len(dots), words))
        for names in _IMPORT.findall(text):
            for part in names.split(","):
                pieces = part.strip().split(" ")[0].split(".")
                out.extend((".".join(pieces[:i]), 0, ()) for i in range(1, len(pieces) + 1))
        hit = _IMPORTS[key] = tuple(out)
    return hit


def rebinds(text: str) -> FrozenSet[str]:
    """Every name the text may rebind in another module or its own globals: attributes
    it assigns (`m.NAME = ...`, not `self.`/`cls.`), names it declares `global`, and,
    next to setattr / `__dict__` / globals(), the words of its one-line strings. A
    global nobody rebinds needs no further look (cached per text)."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _REBINDS.get(key)
    if hit is None:
        out: Set[str] = set()
        for match in _DOT_STORE.finditer(text):
            if not _on_self(text, match.start()):
                out.add(match.group(1))
        if "global" in text:
            for names in _GLOBAL.findall(text):
                out.update(n.strip() for n in names.split(","))
        if any(word in text for word in _DYNAMIC) and _DYNAMIC_WRITE.search(text):
            for literal in _STRING.findall(_without_docstrings(text)):
                out.update(_WORD.findall(literal))
        hit = _REBINDS[key] = frozenset(out)
    return hit


def _on_self(text: str, dot: int) -> bool:
    """Whether the attribute written at `text[dot]` is one of `self.` / `cls.`."""
    for owner in ("self", "cls"):
        start = dot - len(owner)
        if text.startswith(owner, start) and (start == 0 or not (text[start - 1].isalnum() or
                                                                 text[start - 1] in "_.")):
            return True
    return False


def stores_attribute(text: str, name: str) -> bool:
    """Whether the text may assign an attribute `name` anywhere (`m.name = ...`)."""
    return name in text and re.search(
        r"\.[ \t]*" + re.escape(name) + r"[ \t]*(?::[^=\n]*)?" + _ASSIGN_OP,
        text) is not None


def executed(text: str) -> FrozenSet[str]:
    """The identifiers of what runs when the module is imported -- top-level statements,
    class bodies, decorators and def headers (defaults), not function bodies, import
    lines or docstrings (prose names no code); cached per text. A bare decorator of a function (`@register_model`
    over a `def`) is not run at import: the predictor calls a project's bare function
    decorator at the function's first call (interp/statements.py `decorate`), and a
    function of a module not loaded yet has not been called."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _EXECUTED.get(key)
    if hit is None:
        kept: List[str] = []  # the lines that run
        defs: List[int] = []  # indents of the enclosing def headers
        in_header = False
        lines = _IMPORT.sub("", _FROM.sub("", _without_docstrings(text))).splitlines()
        for number, line in enumerate(lines):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not in_header and _BARE_DECORATOR.match(stripped) and _decorates_def(lines, number):
                continue  # runs at the function's first call, not at import
            indent = len(line) - len(line.lstrip())
            if not in_header:
                while defs and indent <= defs[-1]:
                    defs.pop()
            match = _DEF.match(line) if not in_header else None
            if in_header or not defs:  # a def header runs its defaults, not its name
                kept.append(line[:match.start(2)] + line[match.end(2):] if match else line)
            if match and line.lstrip().startswith(("def", "async")):
                defs.append(indent)
                in_header = True
            if in_header and stripped.split("#")[0].rstrip().endswith(":"):
                in_header = False
        hit = _EXECUTED[key] = frozenset(_WORD.findall("\n".join(kept)))
    return hit


def _decorates_def(lines: List[str], number: int) -> bool:
    """Whether the decorator at `lines[number]` decorates a `def` (not a class)."""
    for line in lines[number + 1:]:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "@")):
            return stripped.startswith(("def ", "async def "))
    return False


class Definition(NamedTuple):
    """A top-level function, class, method (one level in) or top-level assignment."""

    names: Tuple[str, ...]  # what code names to run it: a method by its class (and its own
    # name unless a dunder: `__init__` runs by naming the class)
    body: str  # its text, docstrings blanked

    def facts(self) -> Facts:
        return _facts(self.body)


class Facts(NamedTuple):
    """What a definition's text mentions (read on demand, cached per text)."""

    words: FrozenSet[str]  # identifiers it mentions (in code, not in strings)
    stores: FrozenSet[str]  # attribute names it assigns (`x.NAME = ...`)
    strings: FrozenSet[str]  # identifiers inside its string literals (setattr(m, "NAME", v))


_FACTS: Dict[str, Facts] = {}


def definitions(text: str) -> Tuple[Definition, ...]:
    """The definitions of a module text (their spans; what they mention is read on
    demand by `Definition.facts`); cached per text."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _CHUNKS.get(key)
    if hit is None:
        lines = _without_docstrings(text).splitlines()
        spans: List[List[Any]] = []  # [names, first line, last line]
        open_spans: List[Tuple[int, List[Any]]] = []  # (indent, span)
        for number, line in enumerate(lines):
            stripped = line.lstrip()
            if not stripped or stripped[0] == "#":
                continue
            indent = len(line) - len(stripped)
            while open_spans and indent <= open_spans[-1][0]:
                open_spans.pop()
            for _, span in open_spans:
                span[2] = number
            names: Tuple[str, ...] = ()
            if indent <= 4 and stripped.startswith(("def ", "class ", "async ")):
                match = _DEF.match(line)
                if match and indent == 0:
                    names = (match.group(2),)
                elif match and open_spans and open_spans[0][1][3]:  # a method: by its class
                    own = match.group(2)
                    names = open_spans[0][1][0][:1] + (() if own.startswith("__") else (own,))
            elif indent == 0:  # (`__all__ = [...]` and other dunders are called by nobody)
                assign = _TOP_ASSIGN.match(line)
                names = (assign.group(1),) if assign and not assign.group(1).startswith("__") else ()
            if names:
                span = [names, number, number, stripped.startswith("class ")]
                spans.append(span)
                open_spans.append((indent, span))
        hit = _CHUNKS[key] = tuple(Definition(names, "\n".join(lines[first:last + 1]))
                                   for names, first, last, _ in spans)
    return hit


def _facts(body: str) -> Facts:
    hit = _FACTS.get(body)
    if hit is None:
        code = _STRING.sub(" ", body)
        strings = _WORD.findall(" ".join(_STRING.findall(body)))
        hit = _FACTS[body] = Facts(frozenset(_WORD.findall(code)), frozenset(_ATTR_STORE.findall(code)),
                                   frozenset(strings))
    return hit


def _without_docstrings(text: str) -> str:
    """Triple-quoted strings blanked (their lines kept): prose names no code."""
    return _DOCSTRING.sub(lambda m: "\n" * m.group(0).count("\n"), text)


Token = Tuple[str, str]  # (name, relpath of the module whose global or definition it is)


class Scope(NamedTuple):
    """How a module text may name what another module defines: the words of its import
    lines, the names it reads or writes after a dot, and whether any name at all may
    be another module's (a star import; getattr, `__dict__`, globals(), sys.modules
    and the like)."""

    imported: FrozenSet[str]
    attributes: FrozenSet[str]
    open: bool


_ATTRIBUTE = re.compile(r"\.[ \t]*([A-Za-z_]\w*)")
_STAR = re.compile(r"import[ \t(]*\*")  # `from m import *` (a superset: in strings too)
_OPEN_WORDS = frozenset({"getattr", "setattr", "delattr", "__dict__", "globals", "vars", "locals",
                         "__import__", "import_module", "__getattr__", "__builtins__", "builtins"})
# sys.modules, and eval/exec called as functions (not `model.eval()`)
_OPEN_CODE = re.compile(r"\bsys[ \t]*\.[ \t]*modules\b|(?<![\w.])(?:eval|exec)[ \t]*\(")
_SCOPES: Dict[str, Scope] = {}


def scope(text: str) -> Scope:
    """The `Scope` of a module text (cached per text)."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _SCOPES.get(key)
    if hit is None:
        imported: Set[str] = set()
        for match in _FROM.finditer(text):
            imported.update(_WORD.findall(match.group(0)))
        for match in _IMPORT.finditer(text):
            imported.update(_WORD.findall(match.group(0)))
        every = words(text)
        is_open = _STAR.search(text) is not None or not every.isdisjoint(_OPEN_WORDS) or \
            "modules" in imported or (not every.isdisjoint(("modules", "eval", "exec")) and
                                      _OPEN_CODE.search(text) is not None)
        hit = _SCOPES[key] = Scope(frozenset(imported), frozenset(_ATTRIBUTE.findall(text)), is_open)
    return hit


def refers(rel: str, text: str, token: Token) -> bool:
    """Whether module `rel` may name `token` -- a global or definition of module
    `token[1]`: by being that module, importing the name, reaching it as an attribute
    (`m.NAME`, `obj.method`) or reading names dynamically. A bare name in any other
    module is that module's own (a global, a local or a builtin)."""
    name, home = token
    if rel == home:
        return True
    sc = scope(text)
    return sc.open or name in sc.imported or name in sc.attributes


class CallGraph:
    """Who mentions what, over the texts of a set of modules; definitions are read
    only in the texts that mention a name asked about. Names are tokens: a bare
    name mentioned in a module is only another module's when that module may name it
    (`refers`)."""

    def __init__(self, texts: Dict[str, str]) -> None:
        self.texts = texts

    def _defs_mentioning(self, token: Token, in_strings: bool = False) -> Iterable[Tuple[str, Definition]]:
        word = token[0]
        for rel, text in self.texts.items():
            if word in text and word in words(text) and refers(rel, text, token):
                for d in definitions(text):
                    if word in d.body:
                        f = d.facts()
                        if word in f.words or word in f.stores or (in_strings and word in f.strings):
                            yield rel, d

    def expand(self, seeds: Iterable[Token], limit: int = MAX_TOKENS) -> Optional[FrozenSet[Token]]:
        """The seeds plus the names of every definition that mentions one, transitively;
        None past `limit` tokens (everything reaches everything: no point reading on)."""
        out = set(seeds)
        todo = list(out)
        while todo:
            for rel, d in self._defs_mentioning(todo.pop()):
                for name in d.names:
                    token = (name, rel)
                    if token not in out:
                        out.add(token)
                        todo.append(token)
            if len(out) > limit:
                return None
        return frozenset(out)

    def container_writers(self, seeds: Iterable[Token]) -> FrozenSet[Token]:
        """Definitions that may change a container of plain items (no container inside)
        known by a module global: those whose text uses the name other than to read it
        (`read_only_uses`). A function that only looks a key up, tests membership or
        iterates cannot fill a registry, so its callers need no further look."""
        out: Set[Token] = set()
        for seed in seeds:
            for rel, d in self._defs_mentioning(seed):
                if not read_only_uses(d.body, seed[0]):
                    out.update((n, rel) for n in d.names)
        return frozenset(out)

    def global_writers(self, relpath: str, name: str) -> FrozenSet[Token]:
        """Definitions that may rebind global `name` of `relpath`: there, those saying
        `global`; elsewhere, those assigning an attribute of that name or naming it
        in a string next to setattr / `__dict__` / globals()."""
        out: Set[Token] = set()
        for rel, d in self._defs_mentioning((name, relpath), in_strings=True):
            f = d.facts()
            if rel == relpath:
                if "global" in f.words and name in f.words:
                    out.update((n, rel) for n in d.names)
            elif name in f.stores or (name in f.strings and not f.words.isdisjoint(_DYNAMIC)):
                out.update((n, rel) for n in d.names)
        return frozenset(out)


def runs_token(rel: str, text: str, tokens: FrozenSet[Token]) -> bool:
    """Whether importing module `rel` runs code naming one of `tokens` (its top level,
    class bodies, decorators that run at import: `executed`)."""
    named = [t for t in tokens if t[0] in text and refers(rel, text, t)]
    if not named:
        return False
    run = executed(text)
    return any(t[0] in run for t in named)


def words(text: str) -> FrozenSet[str]:
    """Every identifier in the text, strings and comments included (cached per text)."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _WORDS.get(key)
    if hit is None:
        hit = _WORDS[key] = frozenset(_WORD.findall(text))
    return hit


# what may follow a container's name and only read it: a lookup method, or a subscript
# not stored into and not used further (`W[k]`, not `W[k] = v`, `W[k].append(v)`)
_READ_METHOD = re.compile(r"[ \t]*\.[ \t]*(?:get|keys|values|items|copy|count|index|__contains__)[ \t]*\(")
_COPYING_CALL = re.compile(
    r"(?<![\w.])(?:len|sorted|list|tuple|set|frozenset|dict|bool|any|all|iter|str|repr)[ \t]*\([ \t]*$")
_AFTER_IN = re.compile(r"(?<![\w.])in[ \t]+$")
_STORE = re.compile(r"[ \t]*" + _ASSIGN_OP)
_PLAIN_ASSIGN = re.compile(r"(?<![=!<>:])=(?!=)")
_PLAIN_REBIND = re.compile(r"[ \t]*=(?!=)")
_BLANKS = re.compile(r"[ \t]*")
_READ_ONLY: Dict[Tuple[str, str], bool] = {}


def read_only_uses(body: str, name: str) -> bool:
    """Whether every use of `name` in a definition's text only reads the container it
    names: `x in NAME`, `for x in NAME`, `NAME[k]` as a value, `NAME.get(...)` and the
    other lookup methods, `len(NAME)` and copies, and a plain rebinding `NAME = ...` at
    the start of a statement (a local, or the module's own definition). Anything else
    -- a method call that may mutate, a store into it, passing it on, an alias, `del`,
    a `global` declaration -- counts as a possible write (cached per text and name)."""
    key = (body, name)
    hit = _READ_ONLY.get(key)
    if hit is None:
        hit = _READ_ONLY[key] = _read_only(_STRING.sub(" ", body), name)
    return hit


def _read_only(code: str, name: str) -> bool:
    if re.search(r"(?<![\w.])(?:global|nonlocal)\b", code):
        return False
    for match in re.finditer(r"(?<![\w])" + re.escape(name) + r"(?!\w)", code):
        line_start = code.rfind("\n", 0, match.start()) + 1
        before = code[line_start:match.start()]
        pos = match.end()  # what follows is read in place: no copy of the rest per use
        if before.lstrip().startswith(("from ", "import ")):
            line_end = code.find("\n", pos)
            if " as " in code[line_start:line_end if line_end >= 0 else len(code)]:
                return False
            continue  # `from m import NAME`: later uses are uses of the same name
        if before.rstrip().endswith(("del", "for")) or before.endswith("."):
            return False  # `del NAME[k]`, `for NAME[k] in ...`; `obj.NAME`: not this name
        if _READ_METHOD.match(code, pos):
            continue
        blanks = _BLANKS.match(code, pos)
        nxt = blanks.end() if blanks else pos
        following = code[nxt:nxt + 1]
        if following == "[":
            end = _closing_bracket(code, nxt)
            if end < 0:
                return False
            stop = code.find("\n", end)
            rest = code[end:stop if stop >= 0 else len(code)]
            if _STORE.match(rest) or rest.lstrip(" \t")[:1] in (".", "(", "[") or \
                    _PLAIN_ASSIGN.search(rest):
                return False  # a store, a call on the item, or perhaps a target (`a[k], b = ...`)
            continue
        if (_AFTER_IN.search(before) and following not in (".", "(", "[")) or (
                _COPYING_CALL.search(before) and following == ")"):
            continue
        if not before.strip() and _PLAIN_REBIND.match(code, pos):
            continue  # `NAME = ...` rebinds a name (`global` was ruled out above)
        return False
    return True


def _closing_bracket(code: str, start: int) -> int:
    """The index just past the `]` closing the `[` at `code[start]`; -1 when it does
    not close."""
    depth = 0
    for i in range(start, len(code)):
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1
