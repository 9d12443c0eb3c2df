"""Source bytes -> text the way Python reads them, and WL901 for what cannot be read.

Used for files on disk and git blobs alike (`wlint check`, `keys`, `diff`, `review`),
so a file that one command reads is read the same way by every other one.
"""

from __future__ import annotations

import tokenize

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


def decode_source(data: bytes) -> str:
    """Bytes -> text the way Python does: a BOM or `# -*- coding: ... -*-` cookie,
    else UTF-8. Raises UnicodeDecodeError / SyntaxError / LookupError when that fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    head = data.split(b"\n", 2)[:2]
    if any(b"coding" in line for line in head):
        lines = iter(line + b"\n" for line in head)
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
        return data.decode(encoding)
    return data.decode("utf-8")
