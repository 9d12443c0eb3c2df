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
by regular expression) mentions a token outside its import lines. An
over-approximation: a false "could" only costs laziness. Not seen: names built
at run time (`getattr(m, "set_" + x)`), `eval`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set, Tuple

from wlint.source import content_id

_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")
_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_TOP_ASSIGN = re.compile(r"^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)")
# `m.NAME = ...` (not `self.NAME` / `cls.NAME`: an instance or class attribute, no global)
_ATTR_STORE = re.compile(
    r"(?<![\w.])(?!(?:self|cls)\b)\w+(?:\.\w+)*[ \t]*\.[ \t]*(\w+)[ \t]*(?::[^=\n]*)?"
    r"(?:[-+*/%&|^@]|//|>>|<<|\*\*)?=(?!=)")
_DOT_STORE = re.compile(r"\.[ \t]*(\w+)[ \t]*[-+*/%&|^@]?=(?!=)")
# setattr on something other than self/cls, a namespace dict: names may come from strings
_DYNAMIC_WRITE = re.compile(r"setattr\(\s*(?!self\b|cls\b)|(?<!self)\.__dict__\b|\bglobals\(|\bvars\(")
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
    key = content_id(text)
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
    key = content_id(text)
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
        r"\.[ \t]*" + re.escape(name) + r"[ \t]*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|>>|<<|\*\*)?=(?!=)",
        text) is not None


def executed(text: str) -> FrozenSet[str]:
    """The identifiers of what runs when the module is imported -- top-level statements,
    class bodies, decorators and def headers (defaults), not function bodies and not
    import lines; cached per text."""
    key = content_id(text)
    hit = _EXECUTED.get(key)
    if hit is None:
        words: List[str] = []
        defs: List[int] = []  # indents of the enclosing def headers
        in_header = False
        for line in _IMPORT.sub("", _FROM.sub("", text)).splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            if not in_header:
                while defs and indent <= defs[-1]:
                    defs.pop()
            match = _DEF.match(line) if not in_header else None
            if in_header or not defs:  # a def header runs its defaults, not its name
                words.extend(w for w in _WORD.findall(line) if not match or w != match.group(2))
            if match and line.lstrip().startswith(("def", "async")):
                defs.append(indent)
                in_header = True
            if in_header and stripped.split("#")[0].rstrip().endswith(":"):
                in_header = False
        hit = _EXECUTED[key] = frozenset(words)
    return hit


class Definition(NamedTuple):
    """A top-level function, class, method (one level in) or top-level assignment."""

    names: Tuple[str, ...]  # what code names to run it: a method by its class (and its own
    # name unless a dunder: `__init__` runs by naming the class)
    words: FrozenSet[str]  # identifiers it mentions (in code, not in strings)
    stores: FrozenSet[str]  # attribute names it assigns (`x.NAME = ...`)
    strings: FrozenSet[str]  # identifiers inside its string literals (setattr(m, "NAME", v))


def definitions(text: str) -> Tuple[Definition, ...]:
    """The definitions of a module text with what they mention; cached per text."""
    key = content_id(text)
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
        hit = _CHUNKS[key] = tuple(_definition(names, "\n".join(lines[first:last + 1]))
                                   for names, first, last, _ in spans)
    return hit


def _definition(names: Tuple[str, ...], body: str) -> Definition:
    code = _STRING.sub(" ", body)
    strings = _WORD.findall(" ".join(_STRING.findall(body)))
    return Definition(names, frozenset(_WORD.findall(code)), frozenset(_ATTR_STORE.findall(code)),
                      frozenset(strings))


def _without_docstrings(text: str) -> str:
    """Triple-quoted strings blanked (their lines kept): prose names no code."""
    return _DOCSTRING.sub(lambda m: "\n" * m.group(0).count("\n"), text)


class CallGraph:
    """Who mentions what, over the texts of a set of modules; definitions are read
    only in the texts that mention a name asked about."""

    def __init__(self, texts: Dict[str, str]) -> None:
        self.texts = texts

    def _defs_mentioning(self, word: str, in_strings: bool = False) -> Iterable[Tuple[str, Definition]]:
        for rel, text in self.texts.items():
            if word in text and word in words(text):
                for d in definitions(text):
                    if word in d.words or word in d.stores or (in_strings and word in d.strings):
                        yield rel, d

    def expand(self, seeds: Iterable[str], limit: int = MAX_TOKENS) -> Optional[FrozenSet[str]]:
        """The seeds plus the names of every definition that mentions one, transitively;
        None past `limit` names (everything reaches everything: no point reading on)."""
        out = set(seeds)
        todo = list(out)
        while todo:
            for _, d in self._defs_mentioning(todo.pop()):
                for name in d.names:
                    if name not in out:
                        out.add(name)
                        todo.append(name)
            if len(out) > limit:
                return None
        return frozenset(out)

    def global_writers(self, relpath: str, name: str) -> FrozenSet[str]:
        """Definitions that may rebind global `name` of `relpath`: there, those saying
        `global`; elsewhere, those assigning an attribute of that name or naming it
        in a string next to setattr / `__dict__` / globals()."""
        out: Set[str] = set()
        for rel, d in self._defs_mentioning(name, in_strings=True):
            if rel == relpath:
                if "global" in d.words and name in d.words:
                    out.update(d.names)
            elif name in d.stores or (name in d.strings and not d.words.isdisjoint(_DYNAMIC)):
                out.update(d.names)
        return frozenset(out)


def words(text: str) -> FrozenSet[str]:
    """Every identifier in the text, strings and comments included (cached per text)."""
    key = content_id(text)
    hit = _WORDS.get(key)
    if hit is None:
        hit = _WORDS[key] = frozenset(_WORD.findall(text))
    return hit
