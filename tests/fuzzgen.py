"""Hostile inputs and their oracles, shared by tests/test_fuzz.py (a bounded
hypothesis run in the suite) and bench/fuzz_campaign.py (the long campaign).

Every input class is a function `(rng, workdir) -> Failure or None`: it builds
one input from the seeded `random.Random`, runs wlint on it (in-process through
`wlint.cli.main` where that is safe, so a run costs milliseconds) and returns a
one-line description of what went wrong, or None. What counts as wrong is the
contract of issue 11: a traceback, an exit code outside {0, 1, 2}, output that
is not the promised JSON, a `--fix` whose result does not parse, is not
idempotent, edits anything but a loader call or changes the line endings, a
file read that it should never have made, or a run over its time bound.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import random
import signal
import stat
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

Failure = Optional[str]
InputClass = Callable[[random.Random, Path], Failure]

# Characters some line splitter treats as a line break and Python's tokenizer does not.
ODD_BREAKS = ["\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\v"]
LOADER_CALLS = {"load", "load_state_dict_from_url", "load_url"}
ADDED_KEYWORDS = {"map_location", "weights_only"}


class RunTimeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in wlint cannot eat it."""


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def fire(*_: object) -> None:
        raise RunTimeout()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: Sequence[str], cwd: Optional[Path] = None,
            timeout: float = 30.0) -> Tuple[Optional[int], str, str, Failure]:
    """(exit code, stdout, stderr, failure) of `wlint ARGV` run in-process; stdout is a
    strict UTF-8 stream like a real one (surrogates raise), a traceback is a failure."""
    from wlint.cli import main

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", newline="")
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace", newline="")
    old_out, old_err, old_cwd = sys.stdout, sys.stderr, os.getcwd()
    code: Optional[int] = None
    failure: Failure = None
    try:
        sys.stdout, sys.stderr = out, err
        if cwd is not None:
            os.chdir(cwd)
        with _alarm(timeout):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
    except RunTimeout:
        failure = f"no answer within {timeout:.0f} s"
    except BaseException as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = frames[-1] if frames else None
        place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        failure = f"traceback {type(exc).__name__}{place}: {str(exc)[:120]}"
    finally:
        with contextlib.suppress(Exception):  # a stream that cannot flush failed already
            out.flush()
            err.flush()
        sys.stdout, sys.stderr = old_out, old_err
        os.chdir(old_cwd)
    if failure is None and code not in (0, 1, 2):
        failure = f"exit {code}"
    stdout = out_bytes.getvalue().decode("utf-8", "replace")
    stderr = err_bytes.getvalue().decode("utf-8", "replace")
    if failure is None and "Traceback (most recent call last)" in stderr:
        failure = "traceback on stderr"
    if failure is None and code == 2 and stderr.count("\n") != 1:
        failure = f"exit 2 with {stderr.count(chr(10))} stderr lines"
    return code, stdout, stderr, failure


def json_failure(code: Optional[int], stdout: str) -> Failure:
    """The JSON formats must print one JSON document unless the run was a usage error."""
    if code == 2:
        return None
    try:
        json.loads(stdout)
    except ValueError as exc:
        return f"stdout is not JSON ({exc})"
    return None


# ------------------------------------------------------------------ programs
def _junk(rng: random.Random) -> Tuple[str, str]:
    """Odd characters mixed with multi-byte ones, and the same text with every odd
    character replaced by a plain one (what a correct fixer cannot tell apart)."""
    chars = [rng.choice(ODD_BREAKS + ["a", " ", "é", "€"]) for _ in range(rng.randint(1, 5))]
    return "".join(chars), "".join("a" if c in ODD_BREAKS else c for c in chars)


def _junk_line(rng: random.Random, call: str) -> Tuple[str, str]:
    """A line with a loader call and odd line-break characters where Python allows
    them (comments, strings, a leading form feed), plus its plain twin."""
    junk, plain = _junk(rng)
    form = rng.randint(0, 4)
    if form == 0:
        return f"# note {junk}\nx = {call}", f"# note {plain}\nx = {call}"
    if form == 1:
        return f"s = '{junk}'; x = {call}", f"s = '{plain}'; x = {call}"
    if form == 2:
        return f"\x0cx = {call}  # {junk}", f" x = {call}  # {plain}".replace(" x", "x", 1)
    if form == 3:
        return f"x = ('{junk}', {call})", f"x = ('{plain}', {call})"
    return f"x = {call}", f"x = {call}"


def _call(rng: random.Random) -> str:
    """A loader call in one of the shapes --fix must handle, possibly nested."""
    forms = [
        "torch.load(p)", "torch.load(p, map_location='cpu')", "torch.load(p, weights_only=False)",
        "json.load(torch.load(p))", "f(torch.load(a), torch.load(b))",
        "torch.load(torch.load(p))", "torch.load(p, **kw)", "torch.load(*args)",
        "torch.hub.load_state_dict_from_url(u)", "torch.jit.load(p)",
        "torch.load(\n        p,\n    )", "torch.load(p,\n               mmap=True)",
        "torch.load(p, pickle_module=pickle)", "json.load(open(p))", "yaml.load(s)",
        "torch.load(p)[0]", "[torch.load(q) for q in ps]", "g(h=torch.load(p))",
        "json.load(torch.load('é€'))", "{'é': torch.load(p)}",
    ]
    return rng.choice(forms)


def _endings(text: str, style: int, rng: random.Random) -> str:
    if style == 1:
        return text.replace("\n", "\r\n")
    if style == 2:
        return text.replace("\n", "\r\n", 1)
    if style == 3:
        return "".join(line + ("\r\n" if rng.random() < 0.5 else "\n")
                       for line in text.split("\n")[:-1])
    return text


def fix_program_pair(rng: random.Random) -> Tuple[str, str]:
    """A small module with loader calls, odd characters before them and a random
    line-ending style (LF, CRLF, CRLF on the first line only, mixed); and its twin
    with the odd characters replaced by plain ones."""
    head = ["import json", "import pickle", "import torch", ""]
    lines, plain = list(head), list(head)
    for _ in range(rng.randint(1, 5)):
        line, twin = _junk_line(rng, _call(rng))
        lines.append(line)
        plain.append(twin)
    style, seed = rng.randint(0, 3), rng.random()
    return (_endings("\n".join(lines) + "\n", style, random.Random(seed)),
            _endings("\n".join(plain) + "\n", style, random.Random(seed)))


def fix_program(rng: random.Random) -> str:
    return fix_program_pair(rng)[0]


def _aliases(tree: ast.AST) -> Dict[str, str]:
    """Local name -> what it was imported as (`lsd` -> `torch.hub.load_state_dict_from_url`)."""
    table: Dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                table[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                table[a.asname or a.name] = f"{node.module}.{a.name}"
    return table


def _full_name(func: ast.expr, aliases: Dict[str, str]) -> str:
    """The dotted name called (`<expr>` when the callee is computed, e.g. `f(x)(y)`)."""
    node = func
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        return "<expr>"
    name = ast.unparse(func)
    head, _, rest = name.partition(".")
    full = aliases.get(head, head)
    return f"{full}.{rest}" if rest else full


def _calls(tree: ast.AST, aliases: Dict[str, str]) -> List[Tuple[str, Tuple[str, ...]]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.append((_full_name(node.func, aliases), tuple(k.arg or "**" for k in node.keywords)))
    return found


def _is_loader(name: str) -> bool:
    return name.startswith("torch.") and name.rsplit(".", 1)[-1] in LOADER_CALLS


def _strip_added(tree: ast.AST, aliases: Dict[str, str]) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_loader(_full_name(node.func, aliases)):
            node.keywords = [k for k in node.keywords if k.arg not in ADDED_KEYWORDS]
    return ast.dump(tree)


def fix_edit_failure(before: str, after: str) -> Failure:
    """`after` parses, differs from `before` only by keywords on torch loader calls,
    and keeps the line-ending style."""
    try:
        new_tree = ast.parse(after)
    except SyntaxError as exc:
        return f"--fix output does not parse: {exc.msg}"
    old_tree = ast.parse(before)
    aliases = _aliases(old_tree)
    old_calls, new_calls = _calls(old_tree, aliases), _calls(new_tree, aliases)
    if len(old_calls) != len(new_calls):
        return "--fix changed the number of calls"
    for (name, old_kw), (new_name, new_kw) in zip(old_calls, new_calls):
        if name != new_name:
            return "--fix reordered calls"
        if old_kw != new_kw and not _is_loader(name):
            return f"--fix added {set(new_kw) - set(old_kw)} to {name}()"
        if not set(new_kw) - set(old_kw) <= ADDED_KEYWORDS:
            return f"--fix added unexpected keywords to {name}()"
    if _strip_added(old_tree, aliases) != _strip_added(new_tree, aliases):
        return "--fix changed code other than loader keywords"
    if "\r\n" not in before and "\r\n" in after:
        return "--fix added CRLF to an LF file"
    if before.replace("\r\n", "").count("\n") == 0 and after.replace("\r\n", "").count("\n"):
        return "--fix added bare LF to a CRLF file"
    return None


def _fix_in_place(path: Path) -> Tuple[Optional[str], Failure]:
    _, _, _, failure = run_cli(["check", "--no-config", "--fix", str(path)])
    return (None if failure else path.read_bytes().decode("utf-8")), failure


def fix_separators(rng: random.Random, work: Path) -> Failure:
    """check --fix over a program with odd characters and mixed line endings: the
    result parses, is idempotent, touches only loader calls, keeps the endings, and
    equals the fix of its plain twin (odd characters must not move an edit)."""
    text, plain = fix_program_pair(rng)
    try:
        ast.parse(text)
    except SyntaxError:
        return None  # not a program; nothing to promise about its fix
    path = work / f"m{rng.randint(0, 10**9)}.py"
    path.write_bytes(text.encode("utf-8"))
    once, failure = _fix_in_place(path)
    if failure or once is None:
        return failure
    failure = fix_edit_failure(text, once)
    if failure:
        return failure
    twice, failure = _fix_in_place(path)
    if failure or twice != once:
        return failure or "--fix is not idempotent"
    path.write_bytes(plain.encode("utf-8"))
    plain_fixed, failure = _fix_in_place(path)
    if failure or plain_fixed is None:
        return failure
    table = {ord(c): "a" for c in ODD_BREAKS}
    if once.replace("\x0cx = ", "x = ").translate(table) != plain_fixed:
        return "odd line-break characters changed what --fix edits"
    return None


# ------------------------------------------------------------------ mutations
def _fixture_texts() -> List[bytes]:
    files = sorted((FIXTURES / "rules").rglob("*.py")) + sorted((FIXTURES / "models").rglob("*.py"))
    return [p.read_bytes() for p in files]


_FIXTURE_CACHE: List[bytes] = []


def mutate(rng: random.Random, data: bytes) -> bytes:
    """A few byte-level edits: deletions, duplications, splices of odd bytes."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not data:
            break
        i = rng.randrange(len(data))
        op = rng.randint(0, 4)
        if op == 0:
            del data[i:i + rng.randint(1, 20)]
        elif op == 1:
            j = rng.randrange(len(data))
            data[i:i] = data[j:j + rng.randint(1, 40)]
        elif op == 2:
            data[i:i] = rng.choice(ODD_BREAKS + ["\r", "\r\n", "\x00", "(", ")", "\ufeff"]).encode()
        elif op == 3:
            data[i] = rng.randrange(256)
        else:
            data[i:i] = rng.choice([b"torch.load(p)", b"json.load(torch.load(p))", b"\n" * 3,
                                    b"    ", b"nn.Linear(2, 3)"])
    return bytes(data)


def _mutant(rng: random.Random) -> bytes:
    if not _FIXTURE_CACHE:
        _FIXTURE_CACHE.extend(_fixture_texts())
    return mutate(rng, rng.choice(_FIXTURE_CACHE))


def check_mutated(rng: random.Random, work: Path) -> Failure:
    """check --format json|sarif|gitlab over a mutated fixture: JSON out, no traceback."""
    path = work / f"mut{rng.randint(0, 10**9)}.py"
    path.write_bytes(_mutant(rng))
    fmt = rng.choice(["json", "sarif", "gitlab"])
    code, out, _, failure = run_cli(["check", "--no-config", "--format", fmt, str(path)])
    return failure or json_failure(code, out)


def fix_mutated(rng: random.Random, work: Path) -> Failure:
    """check --fix over a mutated fixture (or generated program): parses, idempotent,
    only loader calls touched."""
    data = _mutant(rng) if rng.random() < 0.5 else mutate(rng, fix_program(rng).encode())
    try:
        before = data.decode("utf-8")
        ast.parse(before)
    except (UnicodeDecodeError, SyntaxError, ValueError):
        before = None
    path = work / f"fx{rng.randint(0, 10**9)}.py"
    path.write_bytes(data)
    _, _, _, failure = run_cli(["check", "--no-config", "--fix", str(path)])
    if failure:
        return failure
    once = path.read_bytes()
    if before is None:
        return None if once == data else "--fix rewrote a file that does not parse"
    failure = fix_edit_failure(before, once.decode("utf-8"))
    if failure:
        return failure
    _, _, _, failure = run_cli(["check", "--no-config", "--fix", str(path)])
    return failure or (None if path.read_bytes() == once else "--fix is not idempotent")


def keys_generated(rng: random.Random, work: Path) -> Failure:
    """keys --format json over a generated model, sometimes mutated."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import modelgen
    finally:
        sys.path.pop(0)
    text, expr = modelgen.generate(rng.randint(0, 10**9))
    data = text.encode()
    if rng.random() < 0.6:
        data = mutate(rng, data)
    path = work / f"gen{rng.randint(0, 10**9)}.py"
    path.write_bytes(data)
    code, out, _, failure = run_cli(["keys", "--format", "json", str(path), expr], timeout=30)
    return failure or json_failure(code, out)


def diff_generated(rng: random.Random, work: Path) -> Failure:
    """diff --format json between a generated model and a mutant (or another model)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import modelgen
    finally:
        sys.path.pop(0)
    text, _ = modelgen.generate(rng.randint(0, 10**9))
    repo = work / f"repo{rng.randint(0, 10**9)}"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "model.py").write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    head = mutate(rng, text.encode()) if rng.random() < 0.7 else \
        modelgen.generate(rng.randint(0, 10**9))[0].encode()
    (repo / "model.py").write_bytes(head)
    code, out, _, failure = run_cli(["diff", "--no-cache", "--base", "HEAD", "--format", "json"],
                                    cwd=repo, timeout=30)
    return failure or json_failure(code, out)


# ------------------------------------------------------------------ file system
OUTSIDE = ("import torch\nfrom torch import nn\nSECRET = torch.load('outside')\n\n"
           "class Sub(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.secret_outside = nn.Linear(2, 2)\n")


def _special_target(rng: random.Random, work: Path, name: str,
                    kind: Optional[int] = None) -> Path:
    """A `.py` path that is a FIFO, a link to /dev/zero, a link out of the tree or a
    socket; the content outside the tree must never show up."""
    path = work / name
    kind = rng.randint(0, 3) if kind is None else kind
    if kind == 0:
        os.mkfifo(path)
    elif kind == 1:
        os.symlink("/dev/zero", path)
    elif kind == 2:
        outside = work.parent / f"outside_{rng.randint(0, 10**9)}.py"
        outside.write_text(OUTSIDE)
        os.symlink(str(outside), path)
    else:
        import socket

        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.bind(str(path))
        finally:
            sock.close()
    return path


def fs_special(rng: random.Random, work: Path, kind: Optional[int] = None,
               which: Optional[int] = None) -> Failure:
    """check / keys / --fix over a tree holding a FIFO, /dev/zero or an outside link."""
    tree = work / f"tree{rng.randint(0, 10**9)}"
    tree.mkdir()
    (tree / "model.py").write_text(
        "import torch\nfrom torch import nn\nfrom special import Sub\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(2, 3)\n        self.sub = Sub()\n")
    which = rng.randint(0, 3) if which is None else which
    if which == 3:
        return _diff_special(rng, tree, kind)
    _special_target(rng, tree, "special.py", kind)
    if which == 0:
        code, out, _, failure = run_cli(["check", "--no-config", "--format", "json", str(tree)],
                                        timeout=20)
    elif which == 1:
        code, out, _, failure = run_cli(["check", "--no-config", "--fix", str(tree)], timeout=20)
        out = "{}"
    else:
        code, out, _, failure = run_cli(["keys", "--format", "json", str(tree / "model.py"),
                                         "Net()"], cwd=tree, timeout=20)
    if failure:
        return failure
    if "secret_outside" in out:
        return "content from outside the tree was read"
    if any(p.read_text() != OUTSIDE for p in work.parent.glob("outside_*.py")):
        return "a file outside the tree was rewritten"
    return json_failure(code, out)


def _git(tree: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.name=f", "-c", "user.email=f@x", *args], cwd=tree,
                   check=True, capture_output=True)


def _diff_special(rng: random.Random, tree: Path, kind: Optional[int] = None) -> Failure:
    """`wlint diff` in a repository whose head commits `special.py` as a link to
    /dev/zero or out of the tree, or holds it as a FIFO: no hang, no outside content."""
    _git(tree, "init", "-q")
    (tree / "special.py").write_text("from torch import nn\n\nclass Sub(nn.Module):\n"
                                    "    def __init__(self):\n        super().__init__()\n"
                                    "        self.inside = nn.Linear(2, 2)\n")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "base")
    (tree / "special.py").unlink()
    commit = rng.random() < 0.5 if kind is None else kind in (1, 2)
    _special_target(rng, tree, "special.py", rng.randint(1, 2) if kind is None and commit else kind)
    model = tree / "model.py"
    model.write_text(model.read_text().replace("Linear(2, 3)", "Linear(2, 4)"))
    if commit:
        _git(tree, "add", "-A")
        _git(tree, "commit", "-qm", "head")
        argv = ["diff", "--no-cache", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"]
    else:
        argv = ["diff", "--no-cache", "--base", "HEAD", "--format", "json"]
    code, out, _, failure = run_cli(argv, cwd=tree, timeout=20)
    if failure:
        return failure
    if "secret_outside" in out:
        return "content from outside the tree was read"
    return json_failure(code, out)


def names_surrogate(rng: random.Random, work: Path) -> Failure:
    """A non-UTF-8 file name through every JSON format, to stdout and to -o."""
    folder = os.fsencode(str(work))
    raw = folder + b"/" + bytes([rng.randint(0x80, 0xFF)]) + b"m\xff.py"
    with open(raw, "wb") as handle:
        handle.write(b"import torch\nx = torch.load('p')\n")
    name = os.fsdecode(raw)
    fmt = rng.choice(["json", "sarif", "gitlab", "text", "github"])
    argv = ["check", "--no-config", "--format", fmt, name]
    target = None
    if rng.random() < 0.5:
        target = work / f"out{rng.randint(0, 10**9)}"
        argv += ["-o", str(target)]
    code, out, _, failure = run_cli(argv)
    if failure:
        return failure
    if target is not None and code != 2:  # (a text report holds the name's own bytes)
        out = target.read_bytes().decode("utf-8", "surrogateescape") if target.exists() else ""
    return json_failure(code, out) if fmt in ("json", "sarif", "gitlab") else None


def output_paths(rng: random.Random, work: Path) -> Failure:
    """-o into a missing folder, a folder, a read-only folder or a FIFO: exit 2, one line."""
    src = work / f"src{rng.randint(0, 10**9)}.py"
    src.write_text("import torch\nx = torch.load('p')\n")
    kind = rng.randint(0, 2)
    if kind == 0:
        target = work / "missing" / "deeper" / "out.json"
    elif kind == 1:
        target = work / f"adir{rng.randint(0, 10**9)}"
        target.mkdir()
    else:
        ro = work / f"ro{rng.randint(0, 10**9)}"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "out.json"
    code, _, _, failure = run_cli(["check", "--no-config", "--format", "json", str(src),
                                   "-o", str(target)])
    if failure:
        return failure
    if os.geteuid() != 0 and code != 2:
        return f"-o into an unwritable path gave exit {code}"
    return None


def fix_filesystem(rng: random.Random, work: Path) -> Failure:
    """--fix on a symlink, a hard link, a read-only file or in a read-only folder."""
    folder = work / f"fs{rng.randint(0, 10**9)}"
    folder.mkdir()
    real = folder / "real.py"
    real.write_text("import torch\nx = torch.load('p')\n")
    kind = rng.randint(0, 3)
    target = real
    if kind == 0:
        target = folder / "link.py"
        os.symlink("real.py", target)
    elif kind == 1:
        target = folder / "hard.py"
        os.link(real, target)
    elif kind == 2:
        real.chmod(0o444)
    else:
        folder.chmod(0o555)
    try:
        code, _, _, failure = run_cli(["check", "--no-config", "--fix", str(target)])
    finally:
        folder.chmod(0o755)
    if failure:
        return failure
    fixed = "weights_only=True" in real.read_text()
    if kind in (0, 1):
        if not fixed:
            return "the link's target was not fixed"
        if kind == 0 and not target.is_symlink():
            return "the symlink was replaced by a file"
        if kind == 1 and os.stat(real).st_ino != os.stat(target).st_ino:
            return "the hard link was split"
    elif os.geteuid() != 0 and code == 0:
        return "a file that could not be fixed was reported clean"
    elif kind == 2 and os.geteuid() != 0 and fixed:
        return "a read-only file was rewritten"
    return None


def cache_shapes(rng: random.Random, work: Path) -> Failure:
    """Cache entries that are valid JSON of the wrong shape are misses, never a traceback."""
    from wlint.cache import Cache

    cache = Cache(str(work / f"cache{rng.randint(0, 10**9)}"))
    bad = rng.choice([[1], [None], ["x"], [{"deps": 1}], [{"deps": [1]}], [{"deps": [[1, 2, 3]]}],
                      [{"deps": "ab"}], [{"value": 1}], {"a": 1}, 3, "s", [[]],
                      [{"deps": [["p", None]], "value": [1]}]])

    class Tree:
        root = str(work)

        def read(self, rel: str) -> Optional[str]:
            return "x = 1\n"

    key = "m.py\0" + _blob_of("x = 1\n") + "\0Net()"
    cache.store("pred", key, bad)
    try:
        value = cache.get_prediction(Tree(), "m.py", "Net()")
        cache.put_prediction(Tree(), "m.py", "Net()", {"entries": []}, {"m.py": None})
    except Exception as exc:
        return f"traceback {type(exc).__name__}: {exc}"
    if value is not None and not isinstance(value, dict):
        return f"a wrong-shape cache entry was returned as a prediction: {value!r}"
    return None


def _blob_of(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()


# ------------------------------------------------------------------ GitHub
TOKEN = "ghs_FUZZtoken0123456789abcdefSECRETXYZ"


class _Hostile:
    """A fake GitHub on 127.0.0.1 that answers every request with one chosen
    malformed (or hostile) response."""

    def __init__(self, kind: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.kind = kind
        self.patched: List[str] = []
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                hostile.answer(self)

            do_POST = do_PATCH = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *_: object) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, h: object) -> None:
        import time

        h = h  # type: ignore[assignment]
        length = int(h.headers.get("Content-Length") or 0)  # type: ignore[attr-defined]
        if length:
            h.rfile.read(length)  # type: ignore[attr-defined]
        path = h.path.split("?")[0]  # type: ignore[attr-defined]
        if h.command == "PATCH":  # type: ignore[attr-defined]
            self.patched.append(path)
        status, headers, body = 200, {}, b"[]"
        if path == "/user":
            body = b'{"login": "wlint-bot"}'
        elif self.kind == "marker-without-id":
            body = json.dumps([{"body": "<!-- wlint-review -->", "user": {"login": "wlint-bot"}}]).encode()
        elif self.kind == "marker-by-stranger":
            body = json.dumps([{"id": 5, "body": "<!-- wlint-review -->",
                                "user": {"login": "mallory"}}]).encode()
        elif self.kind == "huge-ratelimit-reset":
            status, headers = 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9" * 40}
            body = b'{"message": "API rate limit exceeded"}'
        elif self.kind == "retry-after-superscript":
            status, headers, body = 429, {"Retry-After": "\u00b2"}, b"{}"
        elif self.kind == "token-in-error":
            status = 422
            body = json.dumps({"message": "x" * 190 + TOKEN}).encode()
        elif self.kind == "not-json":
            body = b"<html>" * 10
        elif self.kind == "list-of-junk":
            body = b'[1, "a", null, {"id": "x", "body": "<!-- wlint-review -->"}]'
        elif self.kind == "oversized":
            body = b"[" + b"0," * (12 << 20) + b"0]"
        elif self.kind == "drip":
            h.send_response(200)  # type: ignore[attr-defined]
            h.send_header("Content-Length", "100")  # type: ignore[attr-defined]
            h.end_headers()  # type: ignore[attr-defined]
            try:
                for _ in range(100):
                    h.wfile.write(b" ")  # type: ignore[attr-defined]
                    h.wfile.flush()  # type: ignore[attr-defined]
                    time.sleep(0.5)
            except OSError:
                pass
            return
        h.send_response(status)  # type: ignore[attr-defined]
        for k, v in headers.items():
            h.send_header(k, v.encode("utf-8").decode("latin-1"))  # type: ignore[attr-defined]
        h.send_header("Content-Length", str(len(body)))  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            h.wfile.write(body)  # type: ignore[attr-defined]


GITHUB_KINDS = ["marker-without-id", "marker-by-stranger", "huge-ratelimit-reset",
                "retry-after-superscript", "token-in-error", "not-json", "list-of-junk",
                "oversized", "drip", "event-dev-zero"]


def github_hostile(rng: random.Random, work: Path, kind: Optional[str] = None) -> Failure:
    """The review bot's client against one hostile answer: a one-line GitHubError or a
    correct result, within the run deadline, never the token on the error line."""
    from wlint.integrations import github_api as gh

    kind = kind or rng.choice(GITHUB_KINDS)
    if kind == "event-dev-zero":
        try:
            with _alarm(10):
                gh.pull_request_from_env({"GITHUB_REPOSITORY": "o/r",
                                          "GITHUB_EVENT_PATH": "/dev/zero"})
        except gh.GitHubError as exc:
            return None if "\n" not in str(exc) else "multi-line error"
        except RunTimeout:
            return "GITHUB_EVENT_PATH=/dev/zero: no answer within 10 s"
        except BaseException as exc:
            return f"traceback {type(exc).__name__}: {str(exc)[:100]}"
        return "GITHUB_EVENT_PATH=/dev/zero was accepted"
    server = _Hostile(kind)
    try:
        client = gh.GitHubClient(TOKEN, server.url, timeout=1.0, max_retries=1,
                                 backoff_base=0.01, max_wait=2.0, sleep=lambda s: None)
        for name, value in (("deadline", 3.0), ("run_deadline", 6.0)):
            if hasattr(client, name):
                setattr(client, name, value)
        pr = gh.PullRequest("o/r", 1)
        with _alarm(15):
            gh.upsert_comment(client, pr, "report")
    except gh.GitHubError as exc:
        text = str(exc)
        if "\n" in text:
            return f"{kind}: multi-line error"
        if any(TOKEN[i:i + 8] in text for i in range(len(TOKEN) - 7)):
            return f"{kind}: part of the token reached the error line"
        return None
    except RunTimeout:
        return f"{kind}: no answer within 15 s"
    except BaseException as exc:
        return f"{kind}: traceback {type(exc).__name__}: {str(exc)[:100]}"
    finally:
        server.close()
    if kind == "marker-by-stranger" and server.patched:
        return "a stranger's marker comment was patched"
    if kind in ("oversized", "drip", "not-json", "huge-ratelimit-reset",
                "retry-after-superscript", "token-in-error"):
        return f"{kind}: accepted as success"
    return None


# ------------------------------------------------------------------ the budget
LIMIT_WORDS = ("value too large to follow", "step budget exhausted")


def budget_pathological(rng: random.Random, work: Path) -> Failure:
    """keys on a pathological input of tests/hostile_inputs.py at a random size: no
    traceback, an answer in time, and either a note naming the limit or the whole model
    (a size below the limits is simply computed)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import hostile_inputs
    finally:
        sys.path.pop(0)
    h = hostile_inputs.random_input(rng)
    path = work / f"{h.name}.py"
    path.write_text(h.source)
    timeout = float(os.environ.get("WLINT_FUZZ_BUDGET_TIMEOUT", "60"))  # a bench knob
    code, out, _, failure = run_cli(["keys", "--no-config", "--format", "json", str(path),
                                     h.expr], timeout=timeout)
    if failure or code == 2:  # exit 2: one stderr line (checked by run_cli), e.g. unparsable
        return f"{h.name}: {failure}" if failure else None
    failure = json_failure(code, out)
    if failure:
        return f"{h.name}: {failure}"
    report = json.loads(out)
    noted = any(word in n["reason"] for n in report["unresolved"] for word in LIMIT_WORDS)
    keys = {e["key"] for e in report["entries"]}
    if not noted and not {"fc.weight", "fc.bias"} <= keys:
        return f"{h.name}: neither a limit note nor the whole model"
    return None


CLASSES: Dict[str, InputClass] = {
    "fix-separators": fix_separators,
    "fix-mutated": fix_mutated,
    "fix-filesystem": fix_filesystem,
    "check-mutated": check_mutated,
    "keys-generated": keys_generated,
    "diff-generated": diff_generated,
    "fs-special": fs_special,
    "names-surrogate": names_surrogate,
    "output-paths": output_paths,
    "cache-shapes": cache_shapes,
    "github-hostile": github_hostile,
    "budget-pathological": budget_pathological,
}


def is_regular(path: Path) -> bool:
    return stat.S_ISREG(os.lstat(path).st_mode)
