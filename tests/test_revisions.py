"""End-to-end revision cases: fixtures/revisions/<case>/{before,after}/ + expect.json.

Each case becomes a throwaway git repository (before committed; after as a
commit, staged in the index, or left in the working tree) and `diff_revisions`
runs on it. Truth comes from torch: both revisions of every listed class are
built on the `meta` device and their real state_dicts give the removed,
added and reshaped keys that wlint's findings must account for, exactly.
Where torch cannot tell (WL203 vs WL201+WL202, WL205, WL206, affected
marking, severity) the case's expect.json lists the expected codes; and the
attached remap snippets must move every old tensor onto the new key wlint
says it feeds (and nothing onto a key it does not), so that with no key
added, removed or resized `load_state_dict(strict=True)` accepts the result.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

from wlint.compat import diff_revisions
from wlint.compat.compare import drops_of, rules_of
from wlint.compat.grouping import all_entries, expand
from wlint.compat.remap import apply_rules, snippet
from wlint.findings import Finding

CASES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "revisions"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expect.json").is_file())
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=ENV).stdout


def make_repo(case: Path, dest: Path, head_mode: str) -> Tuple[str, Optional[str]]:
    """Build the case's repository; returns (base, head) for diff_revisions."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(case / "before", dest, ignore=ignore, copy_function=shutil.copy)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "before")
    for item in dest.iterdir():
        if item.name != ".git":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    shutil.copytree(case / "after", dest, dirs_exist_ok=True, ignore=ignore,
                    copy_function=shutil.copy)
    # same size and second as the old file: make git look at the content, not the stat
    git(dest, "update-index", "-q", "--really-refresh")
    if head_mode == "commit":
        git(dest, "add", "-A")
        git(dest, "commit", "-qm", "after")
        return "HEAD~1", "HEAD"
    if head_mode == "index":
        git(dest, "add", "-A")
        return "HEAD", ":index"
    return "HEAD", None


# -- torch truth --------------------------------------------------------------------


def torch_state(root: Path, relpath: str, expr: str) -> Dict[str, Tuple[int, ...]]:
    """The real state_dict (key -> shape) of `expr` evaluated in the module at relpath,
    built on the meta device."""
    torch = pytest.importorskip("torch")
    modname = relpath[:-3].replace("/", ".")
    if modname.endswith(".__init__"):
        modname = modname[: -len(".__init__")]
    tops = {p.name[:-3] if p.suffix == ".py" else p.name for p in root.iterdir()}
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in tops}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        module = importlib.import_module(modname)
        with torch.device("meta"):
            model = eval(expr, vars(module))
        return {k: tuple(v.shape) for k, v in model.state_dict().items()}
    finally:
        sys.dont_write_bytecode = dont_write
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] in tops]:
            del sys.modules[name]
        sys.modules.update(saved)


def load_strict(root: Path, relpath: str, expr: str, state: Dict[str, Any]) -> None:
    """Keys and shapes of `state` equal the model's: load_state_dict(strict=True) passes."""
    pytest.importorskip("torch")
    shapes = torch_state(root, relpath, expr)
    assert set(state) == set(shapes), (
        f"missing {sorted(set(shapes) - set(state))}, unexpected {sorted(set(state) - set(shapes))}")
    for key, shape in shapes.items():
        assert tuple(state[key]) == shape, f"size mismatch for {key}: {state[key]} vs {shape}"


def remap_through(fixes: List[str], keys: Dict[str, Any]) -> Dict[str, Any]:
    state: Dict[str, Any] = dict(keys)
    for fix in fixes:
        namespace: Dict[str, Any] = {}
        exec(compile(fix, "<fix>", "exec"), namespace)
        state = namespace["remap_state_dict"](state)
    return state


# -- the cases ------------------------------------------------------------------------


def load_expect(name: str) -> Dict[str, Any]:
    return json.loads((CASES_DIR / name / "expect.json").read_text())


def test_there_are_enough_cases() -> None:
    codes: Set[str] = set()
    noops = 0
    for name in CASES:
        exp = load_expect(name)
        codes |= set(exp["codes"])
        noops += not exp["codes"]
    assert len(CASES) >= 40
    assert noops >= 10
    assert {f"WL20{i}" for i in range(1, 8)} <= codes


def findings_of(findings: List[Finding], cls: str, paths: Set[str]) -> List[Finding]:
    """What the findings say about one class: its own (sibling copies unfolded) and the
    container entries naming it inside the findings of the classes it contains."""
    return [f for f in expand(findings, cls) if f.path in paths or f.affected]


def affected_classes(findings: List[Finding]) -> List[str]:
    """path::Class of every class reported only as containing a changed class."""
    named = {f"{e['path']}::{e['class']}" for f in findings
             for e in all_entries(f.extra.get("containers") or [])}
    return sorted(named | {f"{f.path}::{f.cls}" for f in findings if f.affected})


@pytest.mark.parametrize("name", CASES)
def test_revision_case(name: str, tmp_path: Path) -> None:
    case = CASES_DIR / name
    exp = load_expect(name)
    repo = tmp_path / "repo"
    base, head = make_repo(case, repo, exp.get("head", "commit"))
    result = diff_revisions(str(repo), base, head, use_cache=False)
    found = result.findings
    detail = "\n".join(f"{f.path}:{f.line}: {f.code} [{f.cls}] {f.message}" for f in found)

    assert sorted({f.code for f in found}) == exp["codes"], detail
    if not exp["codes"]:
        assert found == [], detail
    assert affected_classes(found) == sorted(exp.get("affected", [])), detail
    for key in exp.get("unaffected_keys", []):  # a class's own change is not "affected"
        mine = [f for f in found if key in (f.key, f.old_key)]
        assert mine and not any(f.affected for f in mine), detail
    if "max_findings" in exp:  # repeated changes are merged, not listed per copy
        assert len(found) <= exp["max_findings"], detail
    if "severity" in exp:
        assert {f.severity for f in found} == {exp["severity"]}, detail

    for spec in exp["classes"]:
        check_class_against_torch(case, spec, found, detail)


def check_class_against_torch(case: Path, spec: Dict[str, Any], found: List[Finding],
                              detail: str) -> None:
    path, cls, expr = spec["path"], spec["cls"], spec["torch"]
    base_path = spec.get("base_path", path)
    mine = findings_of(found, cls, {path, base_path})
    old = torch_state(case / "before", base_path, spec.get("base_torch", expr))
    if spec.get("deleted"):
        assert [f.code for f in mine] == ["WL201"], detail
        return
    new = torch_state(case / "after", path, expr)
    images = check_accounting(old, new, mine, detail)
    movers = [f for f in mine if f.fix and f.code in ("WL203", "WL205")]
    if movers:
        remapped = check_remap(old, new, movers, images, detail)
        if not any(f.code in ("WL201", "WL202", "WL204") for f in mine):
            # the remap snippet makes old checkpoints load strictly into the new model
            load_strict(case / "after", path, expr, remapped)
    for f in mine:
        assert f.line >= 1 and f.message


def check_remap(old: Dict[str, Tuple[int, ...]], new: Dict[str, Tuple[int, ...]],
                movers: List[Finding], images: Dict[str, str], detail: str) -> Dict[str, Any]:
    """The remap of all the class's findings together (what --emit-remap writes) carries
    each old tensor to the new key it is the image of, and no other old tensor onto a new
    key; with one finding, its own snippet does the same. Returns the remapped state."""
    prefixes, exact = rules_of(movers)
    combined = snippet(prefixes, exact, drop=drops_of(movers))
    fixes = [combined] + ([f.fix for f in movers if f.fix] if len(movers) == 1 else [])
    state: Dict[str, Any] = {}
    for fix in fixes:
        tags = remap_through([fix], {k: k for k in old})  # value = the old key it came from
        for target, source in images.items():
            assert tags.get(target) == source, (
                f"{target} gets {tags.get(target)}, expected {source}\n{fix}\n{detail}")
        for k, source in tags.items():
            assert k in images or k not in new, f"removed {source} lands on {k}\n{fix}\n{detail}"
        state = {k: old[source] for k, source in tags.items()}
    return state


def check_accounting(old: Dict[str, Tuple[int, ...]], new: Dict[str, Tuple[int, ...]],
                     mine: List[Finding], detail: str) -> Dict[str, str]:
    """Every key of torch's old and new state_dicts is explained exactly once.

    wlint's findings define a key mapping old -> new: WL203/WL205 moves, identity
    otherwise; WL201 (and WL207 old_key) claim removals, WL202 (and WL207 key)
    additions, WL204 (old_key -> key) size changes, where old_key differs from key
    only for a key the same findings moved. Checked against torch: every mapped key
    exists in the new model, shapes differ exactly where WL204 says, claimed
    removals have no counterpart, and each new key is either claimed added or the
    image of exactly one old key. Returns the images (new key -> old key).
    """
    moved: Dict[str, str] = {}
    repeated: List[Tuple[str, str]] = []  # `layers.{i}.attn.proj.weight`: any index
    for f in mine:
        if f.code in ("WL203", "WL205"):
            for o, n in (f.extra.get("renamed_keys") or {}).items():
                if "{" in o:
                    repeated.append((o, n))
                else:
                    moved[o] = n
    for k in old:
        for rule in repeated if k not in moved else ():
            if apply_rules(k, [rule], {}) != k:
                moved[k] = apply_rules(k, [rule], {}) or k
                break
    removed = {f.old_key for f in mine if f.code in ("WL201", "WL207") and f.old_key}
    added = {f.key for f in mine if f.code in ("WL202", "WL207") and f.key}
    resized = {(f.old_key, f.key) for f in mine if f.code == "WL204"}
    images: Dict[str, str] = {}
    for k in old:
        if k in removed:
            assert k not in moved, f"{k} both removed and moved\n{detail}"
            assert k not in new or k in moved.values(), f"{k} claimed removed\n{detail}"
            continue
        target = moved.get(k, k)
        assert target in new, f"old key {k} unexplained (-> {target})\n{detail}"
        assert target not in images, f"{target} fed by {images.get(target)} and {k}\n{detail}"
        images[target] = k
        assert (old[k] != new[target]) == ((k, target) in resized), (
            f"{k}->{target}: {old[k]} vs {new[target]}\n{detail}")
    for k in new:
        assert (k in added) != (k in images), f"new key {k}: added={k in added}\n{detail}"
    for old_key, key in resized:
        assert images.get(key) == old_key, f"WL204 {old_key}->{key}: fed by {images.get(key)}\n{detail}"
    wl204 = [f for f in mine if f.code == "WL204"]
    assert len(wl204) == len(resized), f"a size mismatch reported twice\n{detail}"
    return images


def iter_cases() -> Iterator[str]:  # pragma: no cover - helper for manual runs
    yield from CASES
