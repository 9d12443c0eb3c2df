"""Comparison logic of `wlint.compat.compare` on hand-built predictions.

These tests are about how two given predictions are compared (which code,
which keys, which line, the remap snippet), not about what the predictor
predicts; the end-to-end revision tests (test_revisions.py) take their truth
from torch.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from wlint.compat import compare
from wlint.compat.compare import Anchor, CompareOptions
from wlint.compat.align import Child
from wlint.compat.remap import apply_rules
from wlint.findings import Finding
from wlint.model.prediction import Entry, ModuleRecord, Prediction

Layer = Tuple[str, str, int, Dict[str, Tuple[int, ...]], Tuple[Tuple[str, str], ...]]


def build(layers: Sequence[Layer], cls: str = "Net", path: str = "net.py",
          nonpersistent: Sequence[Tuple[str, Tuple[int, ...], int]] = (),
          migrates: bool = False) -> Prediction:
    """layers: (prefix, type, line, {tensor: shape}, behaviour args)."""
    entries: List[Entry] = []
    modules = [ModuleRecord("", cls, 1)]
    for prefix, typ, line, tensors, args in layers:
        modules.append(ModuleRecord(prefix, typ, line, args=args))
        for name, shape in tensors.items():
            kind = "buffer" if name.startswith("running_") else "parameter"
            key = f"{prefix}.{name}" if prefix else name
            entries.append(Entry(key, shape, kind, line, owner=prefix, layer=typ))
    nonp = [Entry(k, s, "buffer", ln, owner="", layer=cls) for k, s, ln in nonpersistent]
    return Prediction(path, cls, cls, entries=entries, modules=modules, nonpersistent=nonp,
                      migrates_checkpoints=migrates)


def lin(prefix: str, i: int, o: int, line: int = 5) -> Layer:
    return (prefix, "Linear", line, {"weight": (o, i), "bias": (o,)}, ())


def conv(prefix: str, line: int = 5, stride: str = "1", c: int = 16) -> Layer:
    return (prefix, "Conv2d", line, {"weight": (c, c, 3, 3), "bias": (c,)},
            (("stride", stride), ("padding", "0")))


def act(prefix: str, typ: str = "ReLU", line: int = 6, **args: str) -> Layer:
    return (prefix, typ, line, {}, tuple(sorted(args.items())))


def codes(findings: Sequence[Finding]) -> List[str]:
    return sorted(f.code for f in findings)


def state(pred: Prediction) -> Dict[str, Optional[Tuple[int, ...]]]:
    return {e.key: e.shape for e in pred.entries}  # type: ignore[misc]


def remap_with(fix: str, keys: Sequence[str]) -> List[str]:
    namespace: Dict[str, object] = {}
    exec(compile(fix, "<fix>", "exec"), namespace)
    out = namespace["remap_state_dict"]({k: None for k in keys})  # type: ignore[operator]
    return list(out)


def test_identical_predictions_give_nothing() -> None:
    p = build([lin("fc1", 10, 5), act("act"), lin("fc2", 5, 2, line=7)])
    assert compare(p, build([lin("fc1", 10, 5), act("act"), lin("fc2", 5, 2, line=7)])) == []


def test_line_moves_alone_are_not_findings() -> None:
    base = build([lin("fc1", 10, 5, line=5), lin("fc2", 5, 2, line=6)])
    head = build([lin("fc2", 5, 2, line=9), lin("fc1", 10, 5, line=12)])
    assert compare(base, head) == []


def test_shape_change_uses_torch_size_mismatch_wording() -> None:
    base = build([lin("fc", 256, 10)])
    head = build([lin("fc", 512, 10, line=8)])
    found = compare(base, head)
    assert codes(found) == ["WL204"]
    f = found[0]
    assert f.key == f.old_key == "fc.weight" and f.line == 8
    assert f.old_shape == (10, 256) and f.new_shape == (10, 512)
    assert "size mismatch for fc.weight: copying a param with shape torch.Size([10, 256])" in f.message
    assert "the shape in current model is torch.Size([10, 512])" in f.message
    assert f.severity == "error"


def test_symbolic_shape_change_is_rendered_as_expressions() -> None:
    base = build([("mlp", "Linear", 4, {"weight": ("4*n_embd", "n_embd")}, ())])
    head = build([("mlp", "Linear", 4, {"weight": ("2*n_embd", "n_embd")}, ())])
    (f,) = compare(base, head)
    assert f.code == "WL204" and "torch.Size([4*n_embd, n_embd])" in f.message


def test_added_and_removed_keys() -> None:
    base = build([lin("fc1", 8, 8), lin("proj", 8, 4, line=9)])
    head = build([lin("fc1", 8, 8), ("norm", "LayerNorm", 11, {"weight": (3,), "bias": (3,)}, ())])
    found = compare(base, head)
    removed = sorted(f.old_key for f in found if f.code == "WL201")
    added = sorted(f.key for f in found if f.code == "WL202")
    assert removed == ["proj.bias", "proj.weight"] and added == ["norm.bias", "norm.weight"]
    assert all(f.line == 9 for f in found if f.code == "WL201")  # base line for removals
    assert all(f.key is None for f in found if f.code == "WL201")
    assert all(f.old_key is None for f in found if f.code == "WL202")
    assert any('Unexpected key(s) in state_dict: "proj.weight"' in f.message for f in found)
    assert any('Missing key(s) in state_dict: "norm.weight"' in f.message for f in found)


def test_module_rename_is_one_wl203_with_a_working_snippet() -> None:
    base = build([conv("conv1"), conv("conv10", line=6), lin("fc1", 8, 8, line=7)])
    head = build([conv("convolution_one"), conv("conv10", line=6), lin("fc1", 8, 8, line=7)])
    found = compare(base, head)
    assert codes(found) == ["WL203"]
    f = found[0]
    assert (f.old_key, f.key) == ("conv1", "convolution_one")
    assert f.fix and "def remap_state_dict" in f.fix
    # the snippet maps every old key to the new names and leaves conv10 alone
    assert sorted(remap_with(f.fix, list(state(base)))) == sorted(state(head))


def test_renamed_subtree_is_one_finding() -> None:
    layers = [lin("layers.0.fc", 8, 8), lin("layers.1.fc", 8, 8), lin("proj", 8, 4)]
    base = build([(f"encoder.{p}", t, ln, ts, a) for p, t, ln, ts, a in layers] + [lin("head", 4, 2)])
    head = build([(f"backbone.{p}", t, ln, ts, a) for p, t, ln, ts, a in layers] + [lin("head", 4, 2)])
    found = compare(base, head)
    assert codes(found) == ["WL203"]
    assert (found[0].old_key, found[0].key) == ("encoder", "backbone")
    assert sorted(remap_with(found[0].fix or "", list(state(base)))) == sorted(state(head))


def test_rename_with_different_shapes_is_not_a_rename() -> None:
    found = compare(build([lin("fc1", 8, 8)]), build([lin("fc_one", 8, 16)]))
    assert codes(found) == ["WL201", "WL201", "WL202", "WL202"]


def test_sequential_insertion_is_one_index_shift() -> None:
    seq = ("features", "Sequential", 3, {}, ())
    base = build([seq, conv("features.0", 4), act("features.1"), conv("features.2", 4, c=32),
                  act("features.3"), conv("features.4", 4, c=64)])
    head = build([seq, conv("features.0", 4), act("features.1"),
                  act("features.2", "Dropout", 4, p="0.1"), conv("features.3", 4, c=32),
                  act("features.4"), conv("features.5", 4, c=64)])
    found = compare(base, head)
    assert codes(found) == ["WL205"]
    f = found[0]
    assert f.extra["index_map"] == {"2": "3", "4": "5"}  # layers with keys
    assert sorted(remap_with(f.fix or "", list(state(base)))) == sorted(state(head))
    # the snippet does not cascade 2->3->4
    mapped = remap_with(f.fix or "", ["features.2.weight", "features.4.weight"])
    assert mapped == ["features.3.weight", "features.5.weight"]


def test_append_at_end_is_a_plain_addition() -> None:
    seq = ("features", "Sequential", 3, {}, ())
    base = build([seq, lin("features.0", 8, 8), act("features.1")])
    head = build([seq, lin("features.0", 8, 8), act("features.1"), lin("features.2", 8, 2, 9)])
    assert codes(compare(base, head)) == ["WL202", "WL202"]


def test_modulelist_shift_of_same_shape_layers_reports_silent_misload() -> None:
    ml = ("blocks", "ModuleList", 3, {}, ())
    base = build([ml, lin("blocks.0", 8, 8), lin("blocks.1", 8, 8)])
    head = build([ml, lin("blocks.0", 8, 16), lin("blocks.1", 16, 8), lin("blocks.2", 8, 8)])
    found = compare(base, head)
    assert "WL205" in codes(found)


def test_behaviour_argument_change_is_wl206_warning() -> None:
    base = build([conv("conv", stride="1")])
    head = build([conv("conv", stride="2", line=9)])
    (f,) = compare(base, head)
    assert f.code == "WL206" and f.severity == "warning" and f.line == 9
    assert "stride 1 -> 2" in f.message


def test_inplace_is_not_behaviour() -> None:
    base = build([act("act", inplace="False")])
    head = build([act("act", inplace="True")])
    assert compare(base, head) == []


def test_activation_class_change_is_wl206() -> None:
    (f,) = compare(build([act("act", "ReLU")]), build([act("act", "GELU")]))
    assert f.code == "WL206" and "ReLU -> GELU" in f.message


def test_swapped_definitions_are_one_wl206_with_swap_snippet() -> None:
    base = build([conv("a", 5, stride="1"), conv("b", 6, stride="2")])
    head = build([conv("a", 5, stride="2"), conv("b", 6, stride="1")])
    found = compare(base, head)
    assert codes(found) == ["WL206"]
    assert "swapped" in found[0].message
    assert remap_with(found[0].fix or "", ["a.weight", "b.weight"]) == ["b.weight", "a.weight"]


def test_persistence_flip_is_wl207_not_add_remove() -> None:
    base = build([lin("fc", 4, 4)], nonpersistent=[])
    base.entries.append(Entry("mask", (4, 4), "buffer", 7))
    head = build([lin("fc", 4, 4)], nonpersistent=[("mask", (4, 4), 7)])
    (f,) = compare(base, head)
    assert f.code == "WL207" and f.old_key == "mask" and "Unexpected key(s)" in f.message
    (g,) = compare(head, base)
    assert g.code == "WL207" and g.key == "mask" and "Missing key(s)" in g.message


def test_migrating_class_drops_to_info() -> None:
    base = build([lin("fc", 4, 4)])
    head = build([lin("fc", 8, 4)], migrates=True)
    (f,) = compare(base, head)
    assert f.severity == "info" and "migrates old checkpoints itself" in f.message


def test_hf_ignore_patterns_make_declared_keys_info() -> None:
    base = build([lin("fc", 4, 4)])
    head = build([lin("fc", 4, 4), lin("lm_head", 4, 9, line=8)])
    found = compare(base, head, ignore_missing=[r"lm_head\.weight"])
    sev = {f.key: f.severity for f in found}
    assert sev == {"lm_head.weight": "info", "lm_head.bias": "error"}


def test_affected_class_points_at_its_own_file() -> None:
    base = build([("h.0", "Block", 12, {}, ()), lin("h.0.fc", 8, 8, line=4)], cls="GPT",
                 path="gpt.py")
    head = build([("h.0", "Block", 12, {}, ()), lin("h.0.fc", 8, 16, line=4)], cls="GPT",
                 path="gpt.py")
    head.entries[:] = [e.__class__(**{**e.__dict__, "path": "blocks.py"}) for e in head.entries]
    head.modules[:] = [m if m.prefix != "h.0.fc" else ModuleRecord("h.0.fc", "Linear", 4,
                                                                   path="blocks.py")
                       for m in head.modules]
    opts = CompareOptions(affected_by="Block (blocks.py)", anchor=Anchor("gpt.py", 20))
    found = compare(base, head, opts)
    assert {f.code for f in found} == {"WL204"}
    assert all(f.affected and f.path == "gpt.py" and f.line == 12 for f in found)
    assert all(f.key and f.key.startswith("h.0.fc.") for f in found)


def test_direct_parameter_rename_on_user_module() -> None:
    base = build([])
    base.entries.append(Entry("scale", (8,), "parameter", 4, owner="", layer="Net"))
    head = build([])
    head.entries.append(Entry("gamma", (8,), "parameter", 4, owner="", layer="Net"))
    (f,) = compare(base, head)
    assert f.code == "WL203" and (f.old_key, f.key) == ("scale", "gamma")
    assert remap_with(f.fix or "", ["scale"]) == ["gamma"]


def test_apply_rules_matches_whole_components() -> None:
    rules = [("conv1", "c1")]
    assert apply_rules("conv10.weight", rules, {}) == "conv10.weight"
    assert apply_rules("conv1.weight", rules, {}) == "c1.weight"


def test_placeholder_rules_carry_the_index() -> None:
    rules = [("layers.{i}.norm", "blocks.{i}.ln")]
    assert apply_rules("layers.3.norm.weight", rules, {}) == "blocks.3.ln.weight"
    assert apply_rules("layers.3.normal.weight", rules, {}) == "layers.3.normal.weight"
    from wlint.compat.remap import snippet

    fix = snippet(rules, {})
    assert remap_with(fix, ["layers.0.norm.weight", "layers.12.norm.bias", "head.weight"]) == [
        "blocks.0.ln.weight", "blocks.12.ln.bias", "head.weight"]


def test_no_rename_into_a_different_number_of_repeats() -> None:
    base = build([("norm_slots", "LayerNorm", 5, {"weight": (8,)}, ())])
    head = build([("mlps.{i}.0", "LayerNorm", 5, {"weight": (8,)}, ())])
    assert codes(compare(base, head)) == ["WL201", "WL202"]


def test_same_change_in_every_block_is_one_finding() -> None:
    def blocks(stride: str, dropout: bool) -> Prediction:
        layers: List[Layer] = [("blocks", "ModuleList", 3, {}, ())]
        for b in range(3):
            layers.append((f"blocks.{b}", "Block", 3, {}, ()))
            layers.append((f"blocks.{b}.mlp", "Sequential", 4, {}, ()))
            layers.append(lin(f"blocks.{b}.mlp.0", 8, 8))
            i = 1
            if dropout:
                layers.append(act(f"blocks.{b}.mlp.1", "Dropout", 7, p="0.1"))
                i = 2
            layers.append(lin(f"blocks.{b}.mlp.{i}", 8, 8, line=8))
            layers.append(conv(f"blocks.{b}.conv", 9, stride=stride))
        return build(layers)

    base, head = blocks("1", False), blocks("2", True)
    found = compare(base, head)
    assert codes(found) == ["WL205", "WL206"]
    shift = next(f for f in found if f.code == "WL205")
    assert (shift.key, shift.old_key) == ("blocks.{i}.mlp.2", "blocks.{i}.mlp.1")
    assert [c["key"] for c in shift.extra["siblings"]] == [f"blocks.{b}.mlp.2" for b in range(3)]
    assert sorted(remap_with(shift.fix or "", list(state(base)))) == sorted(state(head))
    behaviour = next(f for f in found if f.code == "WL206")
    assert behaviour.key == "blocks.{i}.conv" and '"blocks.{i}.conv"' in behaviour.message
    assert len(behaviour.extra["siblings"]) == 3


def test_unbalanced_same_type_layers_are_not_guessed_into_renames() -> None:
    norm = {"weight": (8,), "bias": (8,)}
    base = build([("layers.0.0.norm", "LayerNorm", 5, norm, ()),
                  ("layers.0.1.norm", "LayerNorm", 6, norm, ()), lin("head", 8, 2)])
    head = build([("layers.0.1.net.0", "LayerNorm", 9, norm, ()), lin("head", 8, 2)])
    found = compare(base, head)
    assert "WL203" not in codes(found)
    assert codes(found) == ["WL201"] * 4 + ["WL202"] * 2


# -- index shifts aligned by module type (issue 4 item 4) -----------------------------


def _head(hidden: int, dropout: bool) -> Prediction:
    layers: List[Layer] = [("head", "Sequential", 3, {}, ()), act("head.0", "Flatten", 4)]
    i = 1
    if dropout:
        layers.append(act("head.1", "Dropout", 5, p="0.1"))
        i = 2
    layers += [lin(f"head.{i}", 1024, hidden, 6), act(f"head.{i + 1}", line=7),
               lin(f"head.{i + 2}", hidden, 10, 8)]
    return build(layers)


def test_insert_and_resize_is_one_shift_plus_size_mismatches_on_new_keys() -> None:
    base, head = _head(256, False), _head(512, True)
    found = compare(base, head)
    assert codes(found) == ["WL204"] * 3 + ["WL205"]
    shift = next(f for f in found if f.code == "WL205")
    assert shift.extra["index_map"] == {"1": "2", "3": "4"}
    assert "Dropout inserted at index 1" in shift.message
    resized = {(f.old_key, f.key): (f.old_shape, f.new_shape) for f in found if f.code == "WL204"}
    assert resized == {("head.1.weight", "head.2.weight"): ((256, 1024), (512, 1024)),
                       ("head.1.bias", "head.2.bias"): ((256,), (512,)),
                       ("head.3.weight", "head.4.weight"): ((10, 256), (10, 512))}
    assert all('"head.1' in f.message or '"head.3' in f.message
               for f in found if f.code == "WL204")  # the old key is named
    assert sorted(remap_with(shift.fix or "", list(state(base)))) == sorted(state(head))


def test_pure_shift_with_equal_shapes_is_one_wl205() -> None:
    found = compare(_head(256, False), _head(256, True))
    assert codes(found) == ["WL205"]


def test_shapes_break_a_tie_between_same_type_layers() -> None:
    seq = ("net", "Sequential", 3, {}, ())
    base = build([seq, lin("net.0", 10, 32), lin("net.1", 32, 4)])
    head = build([seq, lin("net.0", 10, 32), lin("net.1", 32, 32), lin("net.2", 32, 4)])
    found = compare(base, head)
    assert codes(found) == ["WL202", "WL202", "WL205"]
    assert next(f for f in found if f.code == "WL205").extra["index_map"] == {"1": "2"}


def test_same_layers_appended_are_additions_not_a_shift() -> None:
    ml = ("blocks", "ModuleList", 3, {}, ())
    base = build([ml, lin("blocks.0", 8, 8), lin("blocks.1", 8, 8)])
    head = build([ml, lin("blocks.0", 8, 8), lin("blocks.1", 8, 8), lin("blocks.2", 8, 8)])
    assert codes(compare(base, head)) == ["WL202", "WL202"]


def test_ambiguous_alignment_pairs_nothing_it_cannot_be_sure_of() -> None:
    seq = ("net", "Sequential", 3, {}, ())
    base = build([seq, lin("net.0", 10, 32), act("net.1"), lin("net.2", 32, 4)])
    head = build([seq, lin("net.0", 10, 64), act("net.1"), act("net.2", "Dropout", 5),
                  lin("net.3", 64, 64), act("net.4"), lin("net.5", 64, 4)])
    found = compare(base, head)
    assert "WL205" not in codes(found)  # net.2 could be net.3 or net.5: not guessed
    removed = sorted(f.old_key or "" for f in found if f.code == "WL201")
    added = sorted(f.key or "" for f in found if f.code == "WL202")
    assert removed == ["net.2.bias", "net.2.weight"]
    assert added == ["net.3.bias", "net.3.weight", "net.5.bias", "net.5.weight"]


def test_ambiguity_keeps_the_sure_moves() -> None:
    """Two Conv2d and three Linear of one shape each: the Linear pairing is ambiguous
    (3 ways), the Conv2d behind them moved for sure."""
    seq = ("net", "Sequential", 3, {}, ())
    base = build([seq, act("net.0", "Flatten"), lin("net.1", 8, 8), lin("net.2", 8, 8),
                  conv("net.3", 9)])
    head = build([seq, act("net.0", "Identity"), act("net.1", "Flatten"), lin("net.2", 8, 16),
                  lin("net.3", 16, 16), lin("net.4", 16, 8), conv("net.5", 9)])
    found = compare(base, head)
    shift = next(f for f in found if f.code == "WL205")
    assert shift.extra["index_map"] == {"3": "5"}
    assert "ambiguous" in shift.message
    keys = {k for f in found for k in (f.key, f.old_key) if k}
    assert {"net.1.weight", "net.2.weight", "net.3.weight", "net.4.weight"} <= keys


def test_delete_middle_layer_drops_its_keys_in_the_snippet() -> None:
    seq = ("f", "Sequential", 3, {}, ())
    bn = ("f.1", "BatchNorm2d", 4, {"weight": (16,), "bias": (16,), "running_mean": (16,)}, ())
    base = build([seq, conv("f.0"), bn, conv("f.2"), act("f.3")])
    head = build([seq, conv("f.0"), conv("f.1", c=32), act("f.2")])
    found = compare(base, head)
    assert codes(found) == ["WL201"] * 3 + ["WL204"] * 2 + ["WL205"]
    shift = next(f for f in found if f.code == "WL205")
    assert shift.extra["drop"] == ["f.1"]
    out = remap_with(shift.fix or "", ["f.0.weight", "f.1.weight", "f.1.running_mean",
                                       "f.2.weight", "f.2.bias"])
    assert out == ["f.0.weight", "f.1.weight", "f.1.bias"]
    assert apply_rules("f.1.weight", shift.extra["rules"], {}, shift.extra["drop"]) is None


def _tower(inner_dropout: bool, adapter: bool, wide_last: bool) -> Prediction:
    layers: List[Layer] = [("blocks", "ModuleList", 3, {}, ())]
    slots = ["Block", "Adapter", "Block", "Block"] if adapter else ["Block", "Block", "Block"]
    for b, typ in enumerate(slots):
        p = f"blocks.{b}"
        if typ == "Adapter":
            layers.append((p, "Adapter", 4, {"scale": (8,)}, ()))
            continue
        layers.append((p, "Block", 5, {}, ()))
        layers.append((f"{p}.mlp", "Sequential", 6, {}, ()))
        width = 64 if wide_last and b == len(slots) - 1 else 32
        layers.append(lin(f"{p}.mlp.0", 8, width, 7))
        i = 1
        if inner_dropout:
            layers.append(act(f"{p}.mlp.1", "Dropout", 8, p="0.1"))
            i = 2
        layers.append(lin(f"{p}.mlp.{i}", width, 8, 9))
    return build(layers, cls="Tower")


def test_insert_in_modulelist_of_changed_blocks_aligns_both_levels() -> None:
    """Block gained a Dropout inside its Sequential (every block's keys move), an Adapter is
    inserted between the blocks, and the last block is wider."""
    base = _tower(False, False, False)
    head = _tower(True, True, True)
    found = compare(base, head)
    assert sorted(set(codes(found))) == ["WL202", "WL204", "WL205"]
    assert [f.key for f in found if f.code == "WL202"] == ["blocks.1.scale"]
    outer = next(f for f in found if f.code == "WL205" and f.extra["container"] == "blocks")
    assert outer.extra["index_map"] == {"1": "2", "2": "3"}
    resized = sorted((f.old_key, f.key) for f in found if f.code == "WL204")
    assert resized == [("blocks.2.mlp.0.bias", "blocks.3.mlp.0.bias"),
                       ("blocks.2.mlp.0.weight", "blocks.3.mlp.0.weight"),
                       ("blocks.2.mlp.1.weight", "blocks.3.mlp.2.weight")]
    from wlint.compat.compare import drops_of, rules_of
    from wlint.compat.remap import snippet

    prefixes, exact = rules_of(found)
    fix = snippet(prefixes, exact, drop=drops_of(found))
    remapped = remap_with(fix, list(state(base)))
    assert sorted(remapped) == sorted(k for k in state(head) if k != "blocks.1.scale")


def test_placeholder_container_aligns_inside_each_repeat() -> None:
    def rep(dropout: bool) -> Prediction:
        layers: List[Layer] = [("blocks.{i}.mlp", "Sequential", 4, {}, ()),
                               lin("blocks.{i}.mlp.0", 8, 32, 5)]
        if dropout:
            layers.append(act("blocks.{i}.mlp.1", "Dropout", 6))
        layers.append(lin("blocks.{i}.mlp.2" if dropout else "blocks.{i}.mlp.1", 32, 8, 7))
        return build(layers)

    found = compare(rep(False), rep(True))
    assert codes(found) == ["WL205"]
    assert remap_with(found[0].fix or "", ["blocks.7.mlp.1.weight", "blocks.7.mlp.0.weight"]) == [
        "blocks.7.mlp.2.weight", "blocks.7.mlp.0.weight"]


def test_unknown_number_of_children_is_not_aligned() -> None:
    ml = ("blocks", "ModuleList", 3, {}, ())
    base = build([ml, lin("blocks.0", 8, 8), lin("blocks.{i + 1}", 8, 8)])
    head = build([ml, act("blocks.0", "Identity"), lin("blocks.1", 8, 8),
                  lin("blocks.{i + 2}", 8, 8)])
    assert "WL205" not in codes(compare(base, head))


def _brute_force(old: Sequence[Child], new: Sequence[Child]) -> Tuple[List[Tuple[int, int]], bool]:
    """Every order-preserving pairing of same-type children, scored as align() documents."""
    import itertools

    def score(pairs: Sequence[Tuple[int, int]]) -> Tuple[int, int, int, int]:
        total = [0, 0, 0, 0]
        for i, j in pairs:
            o, c = old[i], new[j]
            same_names = o.names == c.names
            total[0] += 1
            total[1] += same_names
            total[2] += same_names and o.keyed and o.shapes == c.shapes
            total[3] += o.index == c.index
        return tuple(total)  # type: ignore[return-value]

    options = []
    for k in range(min(len(old), len(new)) + 1):
        for oi in itertools.combinations(range(len(old)), k):
            for nj in itertools.combinations(range(len(new)), k):
                pairs = list(zip(oi, nj))
                if all(old[i].type == new[j].type for i, j in pairs):
                    options.append((score(pairs), set(pairs)))
    best = max(s for s, _ in options)
    optimal = [p for s, p in options if s == best]
    return sorted(set.intersection(*optimal)), len(optimal) > 1


def test_alignment_matches_brute_force() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from wlint.compat.align import align

    child = st.tuples(st.sampled_from(["Linear", "ReLU"]), st.booleans(), st.sampled_from([4, 8]))

    def make(specs: List[Tuple[str, bool, int]]) -> List[Child]:
        return [Child(i, typ, frozenset({("weight", "parameter")}) if keyed else frozenset(),
                      (("weight", (size,)),) if keyed else ())
                for i, (typ, keyed, size) in enumerate(specs)]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(child, max_size=5), st.lists(child, max_size=5))
    def check(a: List[Tuple[str, bool, int]], b: List[Tuple[str, bool, int]]) -> None:
        old, new = make(a), make(b)
        got = align(old, new)
        assert (sorted(got.sure), got.ambiguous) == _brute_force(old, new)

    check()
