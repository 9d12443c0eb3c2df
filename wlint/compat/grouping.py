"""One change, one finding (DESIGN §2).

Comparing every class of a diff reports a change again for every class that
contains it (`Block`, then `Transformer` with `layers.{i}.`, then `LM` with
`transformer.layers.{i}.`) and for every sibling copy (`layers.0` ... `layers.31`,
from the default-config comparison, next to the symbolic `layers.{i}`). This
module folds those into one finding, in three passes over the findings of a
whole diff:

1. `merge_siblings`: within one class, findings that differ only by the index
   of a repeated child (a `{i}` placeholder, or numeric children that all
   have the same type) become one, keyed with `{i}`; the copies stay listed
   in `extra["siblings"]` with their full keys and shapes.
2. `attach_containers`: a finding of class C whose keys lie inside an
   instance of a user class T (module prefix P in C's tree) and that says the
   same thing as one of T's own findings, relative to P, is moved into that
   finding's `containers` list (`{"class", "path", "key", "old_key",
   "renamed_keys"}` plus its remap rules): T's code changed, C only holds it.
3. `relocate_removals`: a removal (WL201) points at the base revision's line;
   it is moved to the head line where the removed statement stood (by a line
   diff of the file) and keeps `base_line` / `base_path`.

`expand` undoes 1 and 2 for one class: the per-class view that accounting
checks and per-class remap functions need.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from wlint.compat import remap
from wlint.findings import Finding, Shape, natural_key
from wlint.model.prediction import Prediction

PLACEHOLDER = "{i}"
_NUMBER = re.compile(r"^\d+$")
MOVERS = ("WL203", "WL205")
# messages name a copy by its prefix; the config-variant suffix is not part of the change
_VARIANT = re.compile(r" \(with the default [^)]*\)")
_AFFECTED = re.compile(r" \[affected: [^\]]*\]")

ReadText = Callable[[str], Optional[str]]


def _is_index(part: str) -> bool:
    return bool(_NUMBER.match(part)) or (part.startswith("{") and part.endswith("}"))


class KeyNormalizer:
    """Replaces the index of a repeated child by `{i}`: a container whose children are
    a placeholder (`layers.{i}`) or at least two numeric children of one type. Other
    indices (`net.0` Linear next to `net.2` Linear with a GELU between) stay."""

    def __init__(self, predictions: Iterable[Optional[Prediction]]) -> None:
        self.repeating: Set[str] = set()
        records = [(m.prefix, m.type) for p in predictions if p is not None
                   for m in p.modules if m.prefix]
        for depth in sorted({prefix.count(".") for prefix, _ in records}):
            kids: Dict[str, Dict[str, Set[str]]] = {}
            for prefix, typ in records:
                if prefix.count(".") != depth:
                    continue
                parent, _, last = prefix.rpartition(".")
                if _is_index(last):
                    kids.setdefault(self.norm(parent) or "", {}).setdefault(last, set()).add(typ)
            for parent, children in kids.items():
                types = set().union(*children.values())
                if any(c.startswith("{") for c in children) or (len(children) >= 2
                                                                and len(types) == 1):
                    self.repeating.add(parent)

    def norm(self, key: Optional[str]) -> Optional[str]:
        if key is None:
            return None
        out: List[str] = []
        for part in key.split("."):
            if _is_index(part) and ".".join(out) in self.repeating:
                part = PLACEHOLDER
            out.append(part)
        return ".".join(out)


# -- what a finding says, independent of where ------------------------------------------


def _strip(key: Optional[str], prefix: str) -> Optional[str]:
    if key is None or not prefix:
        return key
    if key.startswith(prefix + "."):
        return key[len(prefix) + 1:]
    return "\x00" + key  # outside the prefix: never equal to a relative key


def _has_symbol(shape: Optional[Shape]) -> bool:
    return shape is None or any(isinstance(d, str) for d in shape)


def _shapes_agree(a: Finding, b: Finding) -> bool:
    """Equal shapes, or one side symbolic (the bare-class comparison) and the other
    concrete (a default-config comparison): the same change seen at two precisions."""
    for x, y in ((a.old_shape, b.old_shape), (a.new_shape, b.new_shape)):
        if x != y and not (_has_symbol(x) or _has_symbol(y)):
            return False
    return True


def _signature(f: Finding, rel: Callable[[Optional[str]], Optional[str]]) -> Tuple[Any, ...]:
    """The change a finding reports, with keys made relative and sibling-normalised."""
    detail: Tuple[Any, ...] = ()
    if f.code in MOVERS:
        detail = tuple(sorted({(rel(o), rel(n)) for o, n in
                               (f.extra.get("renamed_keys") or {}).items()}))
        if f.code == "WL205":
            detail += (tuple(sorted((f.extra.get("index_map") or {}).items())),)
    elif f.code == "WL206":
        detail = (f.extra.get("old_type"), f.extra.get("new_type"), f.extra.get("change"),
                  rel(f.extra.get("swapped_with")))
    return (f.code, rel(f.key), rel(f.old_key), detail)


def _core_message(f: Finding) -> str:
    return _AFFECTED.sub("", _VARIANT.sub("", f.message))


# -- pass 1: sibling copies -----------------------------------------------------------


def merge_siblings(findings: Sequence[Finding], normalizer: KeyNormalizer) -> List[Finding]:
    """One finding per change repeated in sibling copies (same class)."""
    buckets: Dict[Tuple[Any, ...], List[List[int]]] = {}
    order: List[List[int]] = []
    for i, f in enumerate(findings):
        sig = (f.cls, f.severity) + _signature(f, normalizer.norm)
        for bucket in buckets.setdefault(sig, []):
            if all(_shapes_agree(findings[j], f) for j in bucket):
                bucket.append(i)
                break
        else:
            buckets[sig].append([i])
            order.append(buckets[sig][-1])
    out: List[Finding] = []
    for bucket in order:
        members = [findings[i] for i in bucket]
        out.append(members[0] if len(members) == 1 else _merged(members, normalizer))
    return out


def _copies(f: Finding) -> List[Dict[str, Any]]:
    """The copies a finding stands for (itself when it was never merged)."""
    listed = f.extra.get("siblings")
    if listed:
        return list(listed)
    return [{"key": f.key, "old_key": f.old_key,
             "old_shape": list(f.old_shape) if f.old_shape is not None else None,
             "new_shape": list(f.new_shape) if f.new_shape is not None else None}]


def _merged(members: List[Finding], normalizer: KeyNormalizer) -> Finding:
    rep = min(members, key=lambda f: (not _placeholder_in(f), _numeric_order(f)))
    concrete = [f for f in members if not _placeholder_in(f)]
    copies: Dict[Tuple[Any, Any], Dict[str, Any]] = {}
    for f in sorted(concrete or [rep], key=_numeric_order):
        for c in _copies(f):
            copies.setdefault((c["key"], c["old_key"]), c)
    extra = dict(rep.extra)
    extra["siblings"] = list(copies.values())
    if rep.code in MOVERS or rep.fix:
        renamed: Dict[str, str] = {}
        rules: List[Tuple[str, str]] = []
        drops: List[str] = []
        exact: Dict[str, str] = {}
        for f in [rep] + [m for m in members if m is not rep]:
            renamed.update(f.extra.get("renamed_keys") or {})
            rules.extend(tuple(r) for r in f.extra.get("rules", ()))  # type: ignore[misc]
            drops.extend(f.extra.get("drop", ()))
            exact.update(f.extra.get("exact", {}))
        extra["renamed_keys"] = dict(sorted(renamed.items(), key=lambda kv: natural_key(kv[0])))
        extra["rules"] = remap.prune_rules(rules)
        extra["drop"] = sorted(set(drops), key=natural_key)
        if exact:
            extra["exact"] = exact
    key, old_key = normalizer.norm(rep.key), normalizer.norm(rep.old_key)
    message = _renamed_in_text(rep.message, rep.key or rep.old_key or "",
                               key or old_key or "")
    fix = rep.fix
    if rep.fix:
        first = rep.fix.splitlines()[0]
        title = _renamed_in_text(first[2:], rep.key or rep.old_key or "",
                                 key or old_key or "") if first.startswith("# ") else ""
        fix = remap.snippet(extra.get("rules", []), extra.get("exact", {}), title=title,
                            drop=extra.get("drop", []))
    return rep.with_(key=key, old_key=old_key, message=message, extra=extra, fix=fix)


def _placeholder_in(f: Finding) -> bool:
    return "{" in (f.key or "") or "{" in (f.old_key or "")


def _numeric_order(f: Finding) -> Tuple[Any, ...]:
    return natural_key(f.key or f.old_key)


def _renamed_in_text(message: str, concrete: str, normal: str) -> str:
    """Say `layers.{i}.attn.proj` where the representative copy said `layers.0.attn.proj`."""
    a, b = concrete.split("."), normal.split(".")
    if len(a) != len(b) or a == b:
        return message
    last = max(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    old_prefix, new_prefix = ".".join(a[:last + 1]), ".".join(b[:last + 1])
    return re.sub(r'(?<=["\s(])' + re.escape(old_prefix) + r'(?=[."\s])', new_prefix, message)


# -- pass 2: containers -----------------------------------------------------------------


class _ClassInfo:
    """One compared class: its name, file and predictions (both sides)."""

    def __init__(self, cls: str, path: str, predictions: Sequence[Optional[Prediction]]) -> None:
        self.cls = cls
        self.path = path
        self.normalizer = KeyNormalizer(predictions)
        self.types: Dict[str, Set[str]] = {}  # normalised module prefix -> types
        self.uses: Set[Tuple[str, str]] = set()
        for p in predictions:
            if p is None:
                continue
            self.uses.update((u[0], u[1]) for u in (p.uses or []))
            for m in p.modules:
                if m.prefix:
                    self.types.setdefault(self.normalizer.norm(m.prefix) or "", set()).add(m.type)

    def type_at(self, prefix: str) -> Optional[str]:
        types = self.types.get(prefix, set())
        return next(iter(types)) if len(types) == 1 else None


def attach_containers(findings: Sequence[Finding], classes: Mapping[int, _ClassInfo],
                      by_name: Mapping[str, List[_ClassInfo]]) -> List[Finding]:
    """Move each finding that repeats a contained class's own finding into that finding's
    `containers`. `classes` maps id(finding) to its class."""
    own: Dict[Tuple[int, Tuple[Any, ...]], int] = {}  # (id(class), signature) -> index
    for i, f in enumerate(findings):
        info = classes.get(id(f))
        if info is not None:
            own.setdefault((id(info), _signature(f, info.normalizer.norm)), i)
    target: Dict[int, Tuple[int, str]] = {}  # index -> (index of the finding it repeats, prefix)
    for i, f in enumerate(findings):
        info = classes.get(id(f))
        if info is None:
            continue
        hit = _contained_match(f, info, findings, by_name, own)
        if hit is not None:
            target[i] = hit
    entries: Dict[int, List[Dict[str, Any]]] = {}
    for i, (j, _) in target.items():
        seen = {i}
        while j in target and j not in seen:  # a chain ends at the innermost class
            seen.add(j)
            j = target[j][0]
        entries.setdefault(j, []).append(_container_entry(findings[i], classes[id(findings[i])]))
    out: List[Finding] = []
    for i, f in enumerate(findings):
        if i in target:
            continue
        if i in entries:
            listed = list(f.extra.get("containers") or []) + entries[i]
            listed.sort(key=lambda c: (c["key"] or c["old_key"] or "").count("."))
            f = f.with_(extra={**f.extra, "containers": listed})
        out.append(f)
    return out


def _contained_match(f: Finding, info: _ClassInfo, findings: Sequence[Finding],
                     by_name: Mapping[str, List[_ClassInfo]],
                     own: Mapping[Tuple[int, Tuple[Any, ...]], int]) -> Optional[Tuple[int, str]]:
    key = info.normalizer.norm(f.key or f.old_key)
    if not key:
        return None
    parts = key.split(".")
    for n in range(len(parts) - 1, 0, -1):  # innermost holder first
        prefix = ".".join(parts[:n])
        typ = info.type_at(prefix)
        if typ is None or typ == info.cls:
            continue
        for inner in by_name.get(typ, []):
            if len(by_name[typ]) > 1 and (inner.path, typ) not in info.uses:
                continue
            def rel(k: Optional[str], _p: str = prefix) -> Optional[str]:
                return _strip(info.normalizer.norm(k), _p)

            j = own.get((id(inner), _signature(f, rel)))
            if j is not None and _shapes_agree(findings[j], f):
                return j, prefix
    return None


def _container_entry(f: Finding, info: _ClassInfo) -> Dict[str, Any]:
    entry: Dict[str, Any] = {
        "class": info.cls, "path": info.path, "key": f.key, "old_key": f.old_key,
        "renamed_keys": f.extra.get("renamed_keys") if f.code in MOVERS else None,
    }
    for name in ("rules", "exact", "drop", "siblings", "containers", "swapped_with"):
        if f.extra.get(name):
            entry[name] = f.extra[name]
    if f.old_shape is not None:
        entry["old_shape"] = list(f.old_shape)
    if f.new_shape is not None:
        entry["new_shape"] = list(f.new_shape)
    return entry


# -- pass 3: removals point at the head -------------------------------------------------


def head_line(base_text: str, head_text: str, line: int) -> int:
    """The head line where base line `line` stood: the same line when it survived, the
    line now at its place when it was deleted or replaced."""
    old, new = base_text.splitlines(), head_text.splitlines()
    i = line - 1
    # Common head and tail first (as git does): SequenceMatcher's alignment is not a
    # longest common subsequence, and may call a line deleted that only moved down.
    prefix = _common_prefix(old, new)
    suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
    if i < prefix:
        return line
    if i >= len(old) - suffix:
        return i + len(new) - len(old) + 1
    middle_old, middle_new = old[prefix:len(old) - suffix], new[prefix:len(new) - suffix]
    matcher = difflib.SequenceMatcher(None, middle_old, middle_new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i1 <= i - prefix < i2:
            if tag == "equal":
                return prefix + j1 + (i - prefix - i1) + 1
            if tag == "replace":
                return prefix + min(j1 + (i - prefix - i1), j2 - 1) + 1
            return min(prefix + j1, max(len(new) - 1, 0)) + 1
    return max(1, min(line, len(new)))


def _common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def relocate_removals(findings: Sequence[Finding], base_text: ReadText, head_text: ReadText,
                      renamed: Mapping[str, str]) -> List[Finding]:
    """WL201 findings at the head line of the removed statement, with `base_line`."""
    inverse = {new: old for old, new in renamed.items()}
    out = []
    for f in findings:
        if f.code != "WL201" or "base_line" in f.extra:
            out.append(f)
            continue
        # an affected finding was anchored in the container's (head) file
        bpath = inverse.get(f.path, f.path) if f.affected else f.path
        hpath = f.path if f.affected else renamed.get(f.path, f.path)
        old, new = base_text(bpath), head_text(hpath)
        extra = {**f.extra, "base_line": f.line}
        if bpath != hpath:
            extra["base_path"] = bpath
        if old is None or new is None:  # the file is gone: the base line is all there is
            out.append(f.with_(extra=extra))
            continue
        out.append(f.with_(path=hpath, line=head_line(old, new, f.line), extra=extra))
    return out


# -- the whole diff ----------------------------------------------------------------------


def group_findings(findings: Sequence[Finding], diffs: Mapping[str, Any], base_text: ReadText,
                   head_text: ReadText, renamed: Mapping[str, str]) -> List[Finding]:
    """The three passes over the findings of a diff. `diffs` maps "path::Class" to objects
    with `cls`, `head_path`, `base_path`, `base`, `head` and `findings` (ClassDiff)."""
    classes: Dict[int, _ClassInfo] = {}
    by_name: Dict[str, List[_ClassInfo]] = {}
    members: Dict[int, List[Finding]] = {}
    wanted = {id(f) for f in findings}
    for diff in diffs.values():
        info = _ClassInfo(diff.cls, diff.head_path or diff.base_path or "", [diff.base, diff.head])
        by_name.setdefault(diff.cls, []).append(info)
        mine = [f for f in diff.findings if id(f) in wanted]
        for f in mine:
            classes[id(f)] = info
        members[id(info)] = mine
    grouped: List[Finding] = [f for f in findings if id(f) not in classes]
    merged_classes: Dict[int, _ClassInfo] = {}
    for infos in by_name.values():
        for info in infos:
            for f in merge_siblings(members[id(info)], info.normalizer):
                merged_classes[id(f)] = info
                grouped.append(f)
    nested = attach_containers(grouped, merged_classes, by_name)
    return relocate_removals(nested, base_text, head_text, renamed)


def expand(findings: Iterable[Finding], cls: str) -> List[Finding]:
    """The findings class `cls` would get on its own, one per copy: its own findings with
    siblings unfolded, plus the container entries that name it (as findings)."""
    out: List[Finding] = []
    for f in findings:
        if f.cls == cls:
            out.extend(_unfold(f))
        for entry in _entries_for(f.extra.get("containers") or [], cls):
            extra = {k: v for k, v in entry.items() if k not in ("class", "path")}
            fix = None if f.fix is None else remap.snippet(
                entry.get("rules", []), entry.get("exact", {}), drop=entry.get("drop", []),
                title=f"{cls}: as {entry['key'] or entry['old_key']} ({f.code})")
            as_finding = f.with_(fix=fix, cls=cls, path=entry["path"], key=entry["key"],
                                 old_key=entry["old_key"], old_shape=_shape(entry, "old_shape"),
                                 new_shape=_shape(entry, "new_shape"), affected=True,
                                 extra={**extra, "renamed_keys": entry.get("renamed_keys") or {}})
            out.extend(_unfold(as_finding))
    return out


def _entries_for(entries: Iterable[Dict[str, Any]], cls: str) -> List[Dict[str, Any]]:
    return [e for e in all_entries(entries) if e["class"] == cls]


def all_entries(entries: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Container entries, nested ones (an absorbed finding's own containers) included."""
    found: List[Dict[str, Any]] = []
    for e in entries:
        found.append(e)
        found.extend(all_entries(e.get("containers") or []))
    return found


def _shape(entry: Mapping[str, Any], name: str) -> Optional[Shape]:
    value = entry.get(name)
    return tuple(value) if value is not None else None


def _unfold(f: Finding) -> List[Finding]:
    copies = f.extra.get("siblings")
    if not copies or f.code in MOVERS:
        return [f]
    return [f.with_(key=c["key"], old_key=c["old_key"],
                    old_shape=tuple(c["old_shape"]) if c.get("old_shape") is not None else None,
                    new_shape=tuple(c["new_shape"]) if c.get("new_shape") is not None else None)
            for c in copies]


def unfold_moves(findings: Iterable[Finding]) -> List[Finding]:
    """A merged module rename (WL203 `layers.{i}.attn` -> `layers.{i}.mix`) as one finding
    per sibling copy, with that copy's concrete keys, renames and remap rules (named
    models report concrete keys only; `{i}` would also claim copies that did not move)."""
    out: List[Finding] = []
    for f in findings:
        copies = f.extra.get("siblings")
        if f.code != "WL203" or not copies:
            out.append(f)
            continue
        for c in copies:
            out.append(_moved_copy(f, c))
    return out


def _moved_copy(f: Finding, copy: Dict[str, Any]) -> Finding:
    old = copy.get("old_key") or ""
    # the copy's own subtree: its old key up to the last sibling index (`layers.3`); the
    # modules moved with it (its renamed keys) all lie below that
    parts = (f.old_key or "").split(".")
    last = max((i for i, p in enumerate(parts) if "{" in p), default=len(parts) - 1)
    root = ".".join(old.split(".")[:last + 1])

    def inside(key: str) -> bool:
        return key == root or key.startswith(root + ".")

    extra = {k: v for k, v in f.extra.items() if k != "siblings"}
    extra["renamed_keys"] = {o: n for o, n in (f.extra.get("renamed_keys") or {}).items()
                             if inside(o)}
    extra["rules"] = [r for r in f.extra.get("rules", ()) if inside(r[0])]
    extra["drop"] = [d for d in f.extra.get("drop", ()) if inside(d)]
    if "exact" in f.extra:
        extra["exact"] = {o: n for o, n in f.extra["exact"].items() if inside(o)}
    fix = f.fix and remap.snippet(extra["rules"], extra.get("exact", {}), drop=extra["drop"],
                                  title=f"{f.cls}: {old} -> {copy.get('key')} ({f.code})")
    message = _renamed_in_text(_renamed_in_text(f.message, f.old_key or "", old),
                               f.key or "", copy.get("key") or "")
    return f.with_(key=copy.get("key"), old_key=old or None, extra=extra, fix=fix,
                   message=message,
                   old_shape=tuple(copy["old_shape"]) if copy.get("old_shape") else f.old_shape,
                   new_shape=tuple(copy["new_shape"]) if copy.get("new_shape") else f.new_shape)


# -- the --emit-remap script: one function per model class ------------------------------


class ClassRemap:
    """The remap rules of one model class: its own changes and those of the classes it
    contains, with its full keys."""

    def __init__(self, cls: str, path: str) -> None:
        self.cls = cls
        self.path = path
        self.rules: Dict[str, str] = {}
        self.exact: Dict[str, str] = {}
        self.drop: List[str] = []
        self.conflicts: List[str] = []

    def add(self, prefixes: Iterable[remap.Rule], exact: Mapping[str, str], drop: Iterable[str]) -> None:
        for old, new in prefixes:
            if self.rules.setdefault(old, new) != new:
                self.conflicts.append(f"{old} -> {new} (kept {old} -> {self.rules[old]})")
        self.exact.update(exact)
        self.drop.extend(d for d in drop if d not in self.drop)

    @property
    def empty(self) -> bool:
        return not (self.rules or self.exact or self.drop)


def class_remaps(findings: Sequence[Any]) -> List[ClassRemap]:
    """One ClassRemap per class with renames, index shifts or swaps, in finding order."""
    names: Dict[str, str] = {}
    for f in findings:
        if f.cls:
            names.setdefault(f.cls, f.path)
        for entry in all_entries(f.extra.get("containers") or []):
            names.setdefault(entry["class"], entry["path"])
    out = []
    for cls, path in names.items():
        view = [f for f in expand(findings, cls) if f.fix is not None]
        prefixes, exact = remap.rules_of(view)
        item = ClassRemap(cls, path)
        item.add(remap.prune_rules(prefixes), exact, remap.drops_of(view))
        if not item.empty:
            out.append(item)
    return out


def remap_script(findings: Sequence[Any], base: str, head: Optional[str]) -> Optional[str]:
    """The `--emit-remap` file (None when nothing is renamed, shifted or swapped)."""
    remaps = class_remaps(findings)
    if not remaps:
        return None
    lines = [f"# remap checkpoints saved at {base} to the names of {head or 'the working tree'}",
             "# (generated by wlint diff --emit-remap), one function per model class:",
             "#   model.load_state_dict(remap_state_dict(state_dict, model))",
             "# `model` (an instance, a class or a class name) picks the class; without it, the",
             "# class whose renames match the checkpoint's keys is used.",
             remap.ENGINE, 'NO_CHANGE = {"exact": {}, "drop": [], "rules": []}', ""]
    taken: Dict[str, int] = {}
    table = []
    for item in remaps:
        func = "remap_" + re.sub(r"\W", "_", item.cls)
        taken[func] = taken.get(func, 0) + 1
        if taken[func] > 1:
            func += f"_{taken[func]}"
        const = func.upper()
        lines.append(f"# {item.cls} ({item.path})")
        if item.conflicts:
            lines.append("# conflicting rules left out: " + "; ".join(item.conflicts))
        lines += [*remap.spec_lines(const, remap.ordered(item.rules.items()), item.exact, item.drop),
                  "", "", f"def {func}(state_dict):",
                  f'    """Keys of a {item.cls} checkpoint saved at {base}."""',
                  f"    return _apply_spec({const}, state_dict)", "", ""]
        table.append((item.cls, const))
    lines.append("REMAPS = {  # class name -> its rules")
    lines += [f"    {cls!r}: {const}," for cls, const in table]
    lines += ["}", "", "", remap.DISPATCH]
    return "\n".join(lines).rstrip() + "\n"
