"""Source bytes -> text -> `ast`, the one way every command reads Python.

Files on disk and git blobs alike (`wlint check`, `keys`, `diff`, `review`):
- `read_text(data)` decodes as Python does (UTF-8 BOM, PEP 263 coding cookie,
  else UTF-8). Bytes that do not decode are kept as lone surrogates
  (surrogateescape) instead of failing the read, and `parse()` reports them.
- `parse(text)` is the one parse: a syntax error, undecodable bytes, nesting
  too deep for the parser (RecursionError / MemoryError) and NUL bytes all come
  back as a `ParseError` (WL901), never as an exception. Parses are cached by
  content, so one `wlint diff` parses each blob once however many stages
  (class summary, config check, predictor) read it.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import tokenize
from typing import Dict, NamedTuple, Optional, Tuple

from wlint.codes import CodeDoc, register

PARSE_ERROR = "WL901"

WL901 = register(CodeDoc(
    code=PARSE_ERROR, name="syntax-error", severity="error",
    summary="The file cannot be parsed (at this revision).",
    why="Nothing in it can be checked; wlint reports it and continues with the other files.",
    bad="""\
def forward(self, x)
    return x""",
    good="""\
def forward(self, x):
    return x""",
))

UNDECODABLE = "not valid UTF-8 or declared encoding"
_BOM = b"\xef\xbb\xbf"


def decode_source(data: bytes) -> str:
    """Bytes -> text the way Python does: a BOM or `# -*- coding: ... -*-` cookie,
    else UTF-8. Raises UnicodeDecodeError / SyntaxError / LookupError when that fails."""
    if data.startswith(_BOM):
        return data[3:].decode("utf-8")
    head = data.split(b"\n", 2)[:2]
    if any(b"coding" in line for line in head):
        lines = iter(line + b"\n" for line in head)
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
        return data.decode(encoding)
    return data.decode("utf-8")


def read_text(data: bytes) -> str:
    """`decode_source`, or when that fails UTF-8 with the undecodable bytes kept as
    lone surrogates: the read succeeds and `parse()` reports the file as WL901."""
    try:
        return decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError):
        body = data[3:] if data.startswith(_BOM) else data
        return body.decode("utf-8", errors="surrogateescape")


def content_id(text: str) -> str:
    """A stable id of a file's text (the parse cache key)."""
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class ParseError(NamedTuple):
    """Why a text did not parse: position (1-based line, 0-based column) and reason."""

    line: int
    col: int
    kind: str  # SyntaxError, UndecodableSource, RecursionError, ...
    message: str

    def describe(self) -> str:
        """`SyntaxError: invalid syntax (line 3)`."""
        return f"{self.kind}: {self.message} (line {self.line})"


Parsed = Tuple[Optional[ast.Module], Optional[ParseError]]

_CACHE: Dict[str, Parsed] = {}
_CACHE_MAX = 4096
PARSES = [0]  # how many times ast.parse ran (a test counts one parse per blob)


def parse(text: str, filename: str = "<unknown>", cache: bool = True) -> Parsed:
    """(module, None) or (None, ParseError); cached by content unless `cache` is False
    (`wlint check` reads each file once and keeps no trees)."""
    if not cache:
        return _parse(text, filename)
    key = text  # keyed by the text itself: a string hashes once, a sha1 costs a pass per lookup
    hit = _CACHE.get(key)
    if hit is None:
        hit = _parse(text, filename)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


def _parse(text: str, filename: str) -> Parsed:
    """The standard `ast` (line numbers built in, ~13x cheaper than libcst: wlint reads
    code and never rewrites it); the collector paused, as parsing makes no cycles."""
    PARSES[0] += 1
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, filename=filename), None
    except SyntaxError as exc:
        return None, ParseError(exc.lineno or 1, max((exc.offset or 1) - 1, 0), "SyntaxError",
                                str(exc.msg))
    except UnicodeEncodeError:  # lone surrogates: bytes read_text() could not decode
        return None, _undecodable(text)
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes (< 3.12), depth
        reason = str(exc) or "nested too deeply"
        return None, ParseError(1, 0, type(exc).__name__, reason)
    finally:
        if enabled:
            gc.enable()


def _undecodable(text: str) -> ParseError:
    """Reported on line 1 (the file as a whole cannot be read), the first bad byte named."""
    at = next((i for i, ch in enumerate(text) if "\udc80" <= ch <= "\udcff"), 0)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1)
    byte = ord(text[at]) - 0xDC00 if at < len(text) else 0
    return ParseError(1, 0, "UndecodableSource",
                      f"{UNDECODABLE} (byte 0x{byte:02x} at line {line}, column {col + 1})")


def dotted_name(node: ast.AST) -> Optional[str]:
    """`a.b.c` for a chain of attributes on a name (`torch.nn.Linear`), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
