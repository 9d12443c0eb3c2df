"""Key-remapping snippets for WL203 renames and WL205 index shifts.

A snippet is plain Python a user can paste next to `load_state_dict`: a
`remap_state_dict(state_dict)` function that renames the keys of checkpoints
saved from the base revision to the head revision's names (and drops the keys
of layers removed next to shifted ones, which would otherwise collide with a
moved layer's new name). Exact renames are
a dict lookup; module renames and index moves are prefix rules matched on
whole dotted components (`conv1` never matches `conv10.weight`), most
specific first, and each key is rewritten at most once, so swaps and shifts
(`2 -> 3`, `3 -> 4`) do not cascade. A `{i}` in a module path (a layer
repeated an unknown number of times) matches any index and is carried over.
Rules are anchored at the start of a key, after wrapper prefixes (`module.` of
DataParallel/DDP, `_orig_mod.` of torch.compile) are set aside and put back, so
a checkpoint saved from a wrapped model is remapped too.

`grouping.remap_script` writes the `--emit-remap` file: one rule table and one
`remap_<Class>` function per model class (a rename inside `Block` is
`attn.proj` for a Block checkpoint and `layers.{i}.attn.proj` for a
Transformer one), and `remap_state_dict(state_dict, model=None)` choosing
by class, or by which class's renames the keys match.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

Rule = Tuple[str, str]  # (old, new): module prefix without trailing dot
_PLACEHOLDER = "{i}"


def rules_from_mapping(mapping: Mapping[str, str]) -> List[Rule]:
    """Sorted, de-duplicated rules, longest old name first."""
    seen: Dict[str, str] = {}
    for old, new in mapping.items():
        if old != new:
            seen.setdefault(old, new)
    return ordered(seen.items())


def ordered(rules: Iterable[Rule]) -> List[Rule]:
    return sorted(set(rules), key=lambda r: (-r[0].count("."), -len(r[0]), r[0]))


def prune_rules(rules: Iterable[Rule]) -> List[Rule]:
    """De-duplicated rules without the concrete copies a `{i}` rule already covers
    (`layers.3.attn.proj -> layers.3.attn.out_proj` next to the `layers.{i}.` rule)."""
    unique = ordered(tuple(r) for r in rules)  # type: ignore[misc]
    general = [r for r in unique if _PLACEHOLDER in r[0]]
    return [r for r in unique if _PLACEHOLDER in r[0]
            or not any(apply_rules(r[0], [g], {}) == r[1] for g in general)]


def to_regex(rule: Rule) -> Tuple[str, str]:
    """(pattern, replacement) for re.sub: the old prefix up to a component boundary."""
    old, new = rule
    parts = old.split(_PLACEHOLDER)
    pattern = "^" + r"(\d+)".join(re.escape(p) for p in parts) + r"(?=\.|$)"
    pieces = new.split(_PLACEHOLDER)
    if len(pieces) > len(parts):  # more unknown indices than the old name provides
        raise ValueError(f"cannot remap {old!r} -> {new!r}")
    repl = pieces[0].replace("\\", "\\\\")
    for n, piece in enumerate(pieces[1:], start=1):
        repl += f"\\g<{n}>" + piece.replace("\\", "\\\\")
    return pattern, repl


def drop_regex(prefix: str) -> str:
    """Pattern of the keys under an old module prefix (or one old key)."""
    return to_regex((prefix, ""))[0]


WRAPPERS = ("module.", "_orig_mod.")  # DataParallel / DDP, torch.compile


def apply_rules(key: str, prefixes: Iterable[Rule], exact: Mapping[str, str],
                drop: Iterable[str] = ()) -> Optional[str]:
    """What the generated snippet does to one key (None: dropped); wrapper prefixes are
    set aside while no rule matches."""
    rules = [to_regex(r) for r in ordered(prefixes)]
    drops = [drop_regex(d) for d in drop]
    wrapped = ""
    while True:
        matched, new = _rename_once(key, rules, exact, drops)
        if matched:
            return None if new is None else wrapped + new
        wrapper = next((w for w in WRAPPERS if key.startswith(w)), None)
        if wrapper is None:
            return wrapped + key
        wrapped, key = wrapped + wrapper, key[len(wrapper):]


def _rename_once(key: str, rules: Sequence[Tuple[str, str]], exact: Mapping[str, str],
                 drops: Sequence[str]) -> Tuple[bool, Optional[str]]:
    if any(re.match(d, key) for d in drops):
        return True, None
    if key in exact:
        return True, exact[key]
    for pattern, repl in rules:
        if re.match(pattern, key):
            return True, re.sub(pattern, repl, key, count=1)
    return False, key


# The generated code: the same algorithm as apply_rules, self-contained.
ENGINE = '''\
import re

WRAPPERS = ("module.", "_orig_mod.")  # DataParallel / DDP, torch.compile wrappers


def _renamed_key(spec, key):
    """The new name of one key (None: drop it); wrapper prefixes are set aside."""
    wrapped = ""
    while True:
        if any(re.match(pattern, key) for pattern in spec["drop"]):
            return None
        if key in spec["exact"]:
            return wrapped + spec["exact"][key]
        for pattern, repl in spec["rules"]:
            if re.match(pattern, key):
                return wrapped + re.sub(pattern, repl, key, count=1)
        wrapper = next((w for w in WRAPPERS if key.startswith(w)), None)
        if wrapper is None:
            return wrapped + key
        wrapped, key = wrapped + wrapper, key[len(wrapper):]


def _apply_spec(spec, state_dict):
    out = type(state_dict)()  # keeps an OrderedDict an OrderedDict
    for key, value in state_dict.items():
        new_key = _renamed_key(spec, key)
        if new_key is not None:
            out[new_key] = value
    if hasattr(state_dict, "_metadata"):
        out._metadata = state_dict._metadata
    return out
'''

DISPATCH = '''\
def _matches(spec, state_dict):
    return sum(1 for key in state_dict if _renamed_key(spec, key) != key)


def remap_state_dict(state_dict, model=None):
    """Rename the keys of an old checkpoint of `model`'s class (an instance, a class or a
    class name); without `model`, of the class whose renames match the keys."""
    if model is not None:
        name = model if isinstance(model, str) else getattr(model, "__name__", type(model).__name__)
        return _apply_spec(REMAPS.get(name, NO_CHANGE), state_dict)
    scores = {name: _matches(spec, state_dict) for name, spec in REMAPS.items()}
    best = max(scores.values(), default=0)
    if best == 0:
        return _apply_spec(NO_CHANGE, state_dict)
    winners = [name for name, score in scores.items() if score == best]
    if len({tuple(_apply_spec(REMAPS[name], state_dict)) for name in winners}) > 1:
        raise ValueError("these keys match the renames of " + ", ".join(winners)
                         + ": pass model= (the class of the checkpoint)")
    return _apply_spec(REMAPS[winners[0]], state_dict)
'''

_USAGE = ('model.load_state_dict(remap_state_dict(torch.load(path, map_location="cpu", '
          'weights_only=True)))')


def spec_lines(name: str, prefixes: Iterable[Rule], exact: Mapping[str, str],
                drop: Iterable[str]) -> List[str]:
    """`NAME = {"exact": ..., "drop": ..., "rules": ...}` as readable Python."""
    regexes = []
    for rule in ordered(prefixes):
        try:
            regexes.append((rule, to_regex(rule)))
        except ValueError:
            continue
    lines = [f"{name} = {{"]
    if exact:
        lines.append('    "exact": {  # old key -> new key')
        lines += [f"        {old!r}: {new!r}," for old, new in sorted(exact.items())]
        lines.append("    },")
    else:
        lines.append('    "exact": {},  # old key -> new key')
    drops = sorted(set(drop))
    if drops:
        lines.append('    "drop": [  # old layers that are gone (their keys would collide)')
        lines += [f"        {drop_regex(d)!r},  # {d}" for d in drops]
        lines.append("    ],")
    else:
        lines.append('    "drop": [],')
    if regexes:
        lines.append('    "rules": [  # old module -> new module, most specific first')
        lines += [f"        ({pattern!r}, {repl!r}),  # {old} -> {new}"
                  for (old, new), (pattern, repl) in regexes]
        lines.append("    ],")
    else:
        lines.append('    "rules": [],')
    lines.append("}")
    return lines


def snippet(prefixes: Iterable[Rule], exact: Mapping[str, str], title: str = "",
            drop: Iterable[str] = ()) -> str:
    """A self-contained `remap_state_dict` function for these rules; keys under a `drop`
    prefix (old names) are left out; `module.` / `_orig_mod.` prefixes are kept."""
    lines = [f"# {title}"] if title else []
    lines += [ENGINE, *spec_lines("REMAP", prefixes, exact, drop), "", "",
              "def remap_state_dict(state_dict):",
              '    """Rename keys of checkpoints saved before this change (generated by wlint).',
              "", f"    {_USAGE}", '    """',
              "    return _apply_spec(REMAP, state_dict)"]
    return "\n".join(lines) + "\n"


def drops_of(findings: Iterable[Any]) -> List[str]:
    """Old key prefixes the WL205 snippets drop (layers removed next to moved ones)."""
    out: Set[str] = set()
    for f in findings:
        if f.fix is not None:
            out.update(f.extra.get("drop", ()))
    return sorted(out)



def rules_of(findings: Iterable[Any]) -> Tuple[List[Tuple[str, str]], Dict[str, str]]:
    """All remap rules carried by WL203/WL205/WL206-swap findings (for --emit-remap)."""
    prefixes: List[Tuple[str, str]] = []
    exact: Dict[str, str] = {}
    for f in findings:
        if f.fix is None:
            continue
        prefixes.extend(tuple(r) for r in f.extra.get("rules", ()))  # type: ignore[misc]
        exact.update(f.extra.get("exact", {}))
        if "swapped_with" in f.extra and f.key and f.old_key:
            prefixes.extend([(f.key, f.old_key), (f.old_key, f.key)])
    return prefixes, exact
