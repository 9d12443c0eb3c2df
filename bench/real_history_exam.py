"""Real-history exam: `wlint diff` against torch on consecutive commits of public model files.

For every target (a public repository, the model file, a constructor EXPR with
a small config) the newest commits that touched the watched files, walking
back from a pinned commit (``Target.until``, listed below), are read from the
local git mirror (``--mirror-root``, see bench/real_code_exam.py).  Each
commit C gives a pair (C^, C).  For each pair:

* torch truth: the real module is imported at both commits (a fresh process
  per commit and import setup, cached on disk) and EXPR is built on the meta
  device; true removed / added / reshaped state_dict keys follow;
* a throwaway git repository in a temp dir gets the two versions of the
  extracted files as two commits, and the wlint checkout under test
  (``--wlint``, default: the current directory) runs
  ``wlint diff --base HEAD~1 --head HEAD --format json --no-cache PATH`` on the
  model's file — once as is ("plain": findings of EXPR's class, or of a class
  whose ``containers`` list it) and once with ``--model PATH:EXPR`` ("model":
  findings carrying ``"model"``) when that wlint supports ``--model``
  (otherwise the column says n/a);
* scores: *detected* = a changing pair (torch's state_dict differs) gets at
  least one error finding (WL201-WL205, WL207) for the model; *false alarm* =
  an unchanged pair gets one; *exact* = wlint's removed/added/reshaped claims
  for the model equal torch's key by key (``{i}`` placeholders and module
  prefixes match the concrete keys they cover; WL203/WL205 moves are expanded
  per key); *crash* = a traceback, a timeout or an exit code other than 0/1.

Pairs where EXPR does not build at one of the two commits (the constructor's
API changed, a dependency the deps folder lacks) are n/a and not counted.

Usage (offline once the mirrors and the deps folder exist)::

    python bench/real_history_exam.py --mirror-root /work/.mirror [--wlint DIR] [--deps DIR]
        [--only SUBSTR] [--max-pairs N] [--json-out FILE] [--markdown FILE] [-j N]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce

ERROR_CODES = ("WL201", "WL202", "WL203", "WL204", "WL205", "WL207")


@dataclass(frozen=True)
class Target:
    """A model file's history and the EXPR that builds it at every commit."""

    id: str
    case: rce.Case  # repo, files, module, expr (its commit is replaced per pair)
    watch: Tuple[str, ...]  # paths whose history gives the pairs
    max_pairs: int = 20
    until: str = ""  # newest commit of the walk ("" = the pinned commit of the repository)


# the newest commit of each repository's walk: the code exam's pinned commits
PINS: Dict[str, str] = {
    "karpathy/nanoGPT": rce.NANOGPT, "karpathy/minGPT": rce.MINGPT, "pytorch/vision": rce.TV,
    "milesial/Pytorch-UNet": rce.UNET, "openai/CLIP": rce.CLIP, "lucidrains/vit-pytorch": rce.VIT,
    "mlfoundations/open_clip": rce.OPENCLIP, "pytorch/examples": rce.EXAMPLES,
    "huggingface/pytorch-image-models": rce.TIMM, "lucidrains/x-transformers": rce.XT,
    "Lightning-AI/litgpt": rce.LITGPT, "meta-llama/llama": rce.LLAMA, "openai/whisper": rce.WHISPER,
    "facebookresearch/demucs": rce.DEMUCS, "facebookresearch/detectron2": rce.D2,
}

_GPT = "GPT(GPTConfig(n_layer=2, n_head=2, n_embd=64, block_size=32, vocab_size=100))"
_VIT = "ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=2, mlp_dim=128)"

TARGETS: List[Target] = [
    Target("nanogpt", rce.Case("nanogpt", "karpathy/nanoGPT", "", ("model.py",), "model.py", "model", _GPT),
           ("model.py",), 40),
    Target("nanogpt-default-vocab", rce.Case(
        "nanogpt-dv", "karpathy/nanoGPT", "", ("model.py",), "model.py", "model",
        "GPT(GPTConfig(n_layer=1, n_head=2, n_embd=32, block_size=16))"), ("model.py",), 40),
    Target("mingpt", rce.Case(
        "mingpt", "karpathy/minGPT", "", ("mingpt",), "mingpt/model.py", "mingpt.model",
        "GPT(CN(model_type=None, n_layer=2, n_head=2, n_embd=64, embd_pdrop=0.1, resid_pdrop=0.1,"
        " attn_pdrop=0.1, vocab_size=100, block_size=32))"), ("mingpt/model.py",), 20),
    Target("mingpt-old-config", rce.Case(
        "mingpt-old", "karpathy/minGPT", "", ("mingpt",), "mingpt/model.py", "mingpt.model",
        "GPT(GPTConfig(100, 32, n_layer=2, n_head=2, n_embd=64))"), ("mingpt/model.py",), 20),
    Target("tv-resnet-basic", rce.Case(
        "tv-resnet", "pytorch/vision", "", rce._TV_FILES, "torchvision/models/resnet.py",
        "torchvision.models.resnet", "ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)",
        stubs=("torchvision-light", "torchvision-ops:post"), packages=rce._TV_PKGS), ("torchvision/models/resnet.py",), 40),
    Target("tv-resnet50", rce.Case(
        "tv-resnet50", "pytorch/vision", "", rce._TV_FILES, "torchvision/models/resnet.py",
        "torchvision.models.resnet", "resnet50(num_classes=10)",
        stubs=("torchvision-light", "torchvision-ops:post"), packages=rce._TV_PKGS), ("torchvision/models/resnet.py",), 40),
    Target("unet", rce.Case(
        "unet", "milesial/Pytorch-UNet", "", ("unet",), "unet/unet_model.py", "unet.unet_model",
        "UNet(3, 2)", packages=("unet",)), ("unet",), 20),
    Target("clip", rce.Case(
        "clip", "openai/CLIP", "", ("clip/model.py",), "clip/model.py", "model",
        "CLIP(embed_dim=32, image_resolution=32, vision_layers=2, vision_width=64, vision_patch_size=8,"
        " context_length=16, vocab_size=100, transformer_width=64, transformer_heads=2,"
        " transformer_layers=2)", root="clip"), ("clip/model.py",), 20),
    Target("vit", rce.Case(
        "vit", "lucidrains/vit-pytorch", "", ("vit_pytorch/vit.py",), "vit_pytorch/vit.py",
        "vit_pytorch.vit", _VIT, packages=("vit_pytorch",)), ("vit_pytorch/vit.py",), 25),
    Target("simple-vit", rce.Case(
        "simple-vit", "lucidrains/vit-pytorch", "", ("vit_pytorch/simple_vit.py",), "vit_pytorch/simple_vit.py",
        "vit_pytorch.simple_vit", "Simple" + _VIT, packages=("vit_pytorch",)), ("vit_pytorch/simple_vit.py",), 20),
    Target("cait", rce.Case(
        "cait", "lucidrains/vit-pytorch", "", ("vit_pytorch/cait.py",), "vit_pytorch/cait.py", "vit_pytorch.cait",
        "CaiT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, cls_depth=1, heads=2, mlp_dim=128)",
        packages=("vit_pytorch",)), ("vit_pytorch/cait.py",), 20),
    Target("openclip-text", rce.Case(
        "openclip-text", "mlfoundations/open_clip", "", rce._OC_FILES, "src/open_clip/transformer.py",
        "open_clip.transformer",
        "TextTransformer(context_length=16, vocab_size=100, width=64, heads=2, layers=2, output_dim=32)",
        root="src", stubs=("frozen-bn",), packages=("open_clip",)), ("src/open_clip/transformer.py",), 15),
    Target("wlm-lstm", rce.Case(
        "wlm", "pytorch/examples", "", ("word_language_model/model.py",), "word_language_model/model.py",
        "model", "RNNModel('LSTM', 100, 32, 32, 2)", root="word_language_model"),
        ("word_language_model/model.py",), 20),
    Target("openclip-vit", rce.Case(
        "openclip", "mlfoundations/open_clip", "", rce._OC_FILES, "src/open_clip/model.py", "open_clip.model",
        "CLIP(embed_dim=32, vision_cfg=dict(layers=2, width=64, head_width=32, patch_size=8, image_size=32),"
        " text_cfg=dict(context_length=16, vocab_size=100, width=64, heads=2, layers=2))",
        root="src", stubs=("frozen-bn",), packages=("open_clip",)),
        ("src/open_clip/model.py", "src/open_clip/transformer.py"), 15),
]


def _from(case: rce.Case, id_: str, expr: str) -> rce.Case:
    """A code-exam case of the same repository setup with another EXPR (commit set per pair)."""
    return replace(case, id=id_, commit="", expr=expr)


def _code_case(case_id: str) -> rce.Case:
    return next(c for c in rce.CASES if c.id == case_id)


# timm pairs are few: a cold `wlint diff` of a timm model file takes minutes on a loaded 2-core machine
_TIMM_VIT = "VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10)"
TARGETS += [
    Target("timm-resnet18", _from(_code_case("timm-resnet18"), "h-timm-resnet18", "resnet18(num_classes=10)"),
           ("timm/models/resnet.py",), 6),
    Target("timm-vit", _from(_code_case("timm-vit-class"), "h-timm-vit", _TIMM_VIT),
           ("timm/models/vision_transformer.py",), 8),
    Target("timm-convnext", _from(_code_case("timm-convnext-atto"), "h-timm-convnext", "convnext_atto(num_classes=10)"),
           ("timm/models/convnext.py",), 5),
    Target("xt-decoder", _from(_code_case("xt-decoder"), "h-xt-decoder", _code_case("xt-decoder").expr),
           ("x_transformers/x_transformers.py",), 90),
    Target("litgpt-pythia", _from(_code_case("litgpt-pythia-14m"), "h-litgpt", "GPT(Config.from_name('pythia-14m'))"),
           ("litgpt/model.py",), 40),
    Target("whisper", _from(_code_case("whisper"), "h-whisper", _code_case("whisper").expr), ("whisper/model.py",), 20),
    Target("llama", _from(_code_case("llama-transformer"), "h-llama", _code_case("llama-transformer").expr),
           ("llama/model.py",), 20),
    Target("d2-resnet18", _from(_code_case("d2-resnet18"), "h-d2-resnet18", _code_case("d2-resnet18").expr),
           ("detectron2/modeling/backbone/resnet.py",), 25),
    Target("d2-bottleneck", _from(_code_case("d2-bottleneck"), "h-d2-bottleneck", _code_case("d2-bottleneck").expr),
           ("detectron2/modeling/backbone/resnet.py",), 25),
    Target("demucs", _from(_code_case("demucs"), "h-demucs", _code_case("demucs").expr), ("demucs/demucs.py",), 10),
    Target("hdemucs", _from(_code_case("hdemucs"), "h-hdemucs", _code_case("hdemucs").expr), ("demucs/hdemucs.py",), 10),
]


# --------------------------------------------------------------------- pairs
def _git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True,
                          text=True).stdout


def history_pairs(gitdir: Path, watch: Tuple[str, ...], limit: int, until: str) -> List[Tuple[str, str, str]]:
    """(base, head, subject) for the newest `limit` non-merge commits touching `watch`, up to `until`."""
    out = _git(gitdir, "log", "--no-merges", "--format=%H%x09%P%x09%s", until, "--", *watch)
    pairs = []
    for line in out.splitlines():
        sha, parents, subject = line.split("\t", 2)
        if not parents:
            continue  # the first commit: nothing to compare with
        pairs.append((parents.split()[0], sha, subject))
        if len(pairs) >= limit:
            break
    return pairs


def interleave(jobs: List[Job]) -> List[Job]:
    """Round-robin over targets, newest pairs first, so a partial run covers every repository."""
    by_target: Dict[str, List[Job]] = {}
    for job in jobs:
        by_target.setdefault(job[0].id, []).append(job)
    out: List[Job] = []
    queues = list(by_target.values())
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


# --------------------------------------------------------------------- truth
def _at(case: rce.Case, commit: str) -> rce.Case:
    return replace(case, commit=commit, id=f"{case.id}@{commit[:12]}")


def all_truths(jobs: List[Job], work: Path, mirror_root: Path, ns: argparse.Namespace) -> Dict[str, Any]:
    """Torch truth of every (target, commit) the pairs need, batched per commit and cached."""
    cases: Dict[str, rce.Case] = {}
    for t, base, head, _s, _g in jobs:
        for commit in (base, head):
            c = _at(t.case, commit)
            cases.setdefault(c.id, c)
    ready = [c for c in cases.values() if rce.prepare(c, work, mirror_root) is None]
    found = rce.run_truths(ready, work, ns.deps, ns.timeout, ns.jobs)
    for cid in cases:
        found.setdefault(cid, {"ok": False, "error": "extract failed"})
    return found


def truth_delta(base: Dict[str, Any], head: Dict[str, Any]) -> Dict[str, Set[str]]:
    b = {e["key"]: e["shape"] for e in base["entries"]}
    h = {e["key"]: e["shape"] for e in head["entries"]}
    return {
        "removed": {k for k in b if k not in h},
        "added": {k for k in h if k not in b},
        "reshaped": {k for k in b if k in h and b[k] != h[k]},
    }



# --------------------------------------------------------------------- wlint diff
def _commit_tree(repo: Path, src: Path, files: List[str], message: str) -> None:
    for rel in files:
        dst = repo / rel
        if dst.exists():
            dst.unlink()
    for p in sorted(src.rglob("*.py")):
        rel = p.relative_to(src)
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, repo / rel)
    env = ["-c", "user.name=exam", "-c", "user.email=exam@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *env, "add", "-A", "."], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", *env, "commit", "-q", "--allow-empty", "-m", message], cwd=repo, check=True,
                   capture_output=True)


def supports_model(wlint_dir: str) -> bool:
    """Whether the wlint under test has `diff --model SPEC`."""
    proc = subprocess.run([sys.executable, "-m", "wlint", "diff", "--help"], capture_output=True, text=True,
                          env=rce.wlint_env(wlint_dir))
    return "--model" in proc.stdout


def _pair_repo(case: rce.Case, base: str, head: str, work: Path, repo: Path) -> None:
    bdir = rce.case_dir(work, replace(case, commit=base))
    hdir = rce.case_dir(work, replace(case, commit=head))
    subprocess.run(["git", "init", "-q", "-b", "main", "."], cwd=repo, check=True, capture_output=True)
    old = [str(p.relative_to(bdir)) for p in bdir.rglob("*.py")]
    _commit_tree(repo, bdir, [], f"base {base[:10]}")
    _commit_tree(repo, hdir, old, f"head {head[:10]}")


def wlint_diff(case: rce.Case, base: str, head: str, work: Path, ns: argparse.Namespace,
               model: bool) -> Dict[str, Any]:
    """Two-commit throwaway repo with the extracted versions; `wlint diff PATH` in it."""
    with tempfile.TemporaryDirectory(prefix="wlint-hist-") as tmp:
        repo = Path(tmp)
        _pair_repo(case, base, head, work, repo)
        cmd = [sys.executable, "-m", "wlint", "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
               "--no-cache"]
        if model:
            cmd += ["--model", f"{case.path}:{case.expr}"]
        cmd.append(case.path)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=ns.timeout,
                                  env=rce.wlint_env(ns.wlint))
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timeout after {ns.timeout:.0f}s"}
        seconds = round(time.perf_counter() - t0, 2)
    err = proc.stderr.strip()
    if proc.returncode not in (0, 1) or "Traceback (most recent call last)" in err:
        return {"ok": False, "error": f"exit {proc.returncode}: {err[-600:]}", "seconds": seconds}
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return {"ok": False, "error": f"bad json: {exc}: {proc.stdout[:300]}", "seconds": seconds}
    return {"ok": True, "findings": data.get("findings", []), "seconds": seconds}


def model_findings(findings: List[Dict[str, Any]], cls: str, model: bool) -> List[Dict[str, Any]]:
    """The findings that speak about the model: its class's own, or a contained class's seen from it.

    With --model, the findings that carry "model".  Otherwise a finding on
    class `cls`, or on a class whose `containers` list `cls` (then with the
    container's full keys: one finding per entry, since a model holding the class
    twice, `patch_transformer` and `cls_transformer`, has an entry for each).
    """
    if model:
        return [f for f in findings if f.get("model")]
    out = []
    for f in findings:
        if f.get("class") == cls:
            out.append(f)
            continue
        for cont in f.get("containers") or []:
            if cont.get("class") == cls:
                out.append(dict(f, key=cont.get("key"), old_key=cont.get("old_key"),
                                renamed_keys=cont.get("renamed_keys"), container_of=f.get("class")))
    return out


def _pattern(key: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]*\})", key)
    body = "".join(r"[^.]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(body + r"(\..+)?")


def _moves(old: str, new: str, base_keys: Set[str], head_keys: Set[str]) -> List[Tuple[str, str]]:
    """(old key, new key) for every base key under the moved/renamed `old` (key or prefix)."""
    parts = re.split(r"(\{[^}]*\})", old)
    rx = re.compile("".join("([^.]+)" if p.startswith("{") and p.endswith("}") else re.escape(p)
                            for p in parts) + r"((?:\..+)?)")
    out = []
    for k in sorted(base_keys):
        m = rx.fullmatch(k)
        if not m:
            continue
        fills = list(m.groups()[:-1])
        target = re.sub(r"\{[^}]*\}", lambda _m, fills=fills: fills.pop(0) if fills else _m.group(0), new) + m.groups()[-1]
        out.append((k, target))
    return out


def _shape_of(f: Dict[str, Any], side: str) -> Optional[Tuple[Any, ...]]:
    shape = f.get(side)
    return tuple(shape) if isinstance(shape, list) and all(isinstance(x, int) for x in shape) else None


def net_status(findings: List[Dict[str, Any]], base_keys: Set[str],
               head_keys: Set[str]) -> Tuple[Dict[str, str], List[str]]:
    """wlint's claim for every concrete key, torch's vocabulary: removed/added/reshaped.

    A key that one finding removes (a move away, a rename) and another adds
    back (the layer now at that index) is present on both sides: it counts as
    reshaped, unless both findings give the same concrete shape (then it
    loads: unchanged).  Patterns that match no key at all are returned apart.
    """
    claims: Dict[str, Dict[str, List[Optional[Tuple[Any, ...]]]]] = {}
    spurious = []
    for f in findings:
        code, key, old = f.get("code"), f.get("key"), f.get("old_key")
        marks: List[Tuple[str, str, Optional[Tuple[Any, ...]]]] = []
        if code == "WL201" and (old or key):
            marks.append(("removed", old or key, _shape_of(f, "old_shape")))
        elif code == "WL202" and (key or old):
            marks.append(("added", key or old, _shape_of(f, "new_shape")))
        elif code in ("WL203", "WL205") and old and key:
            # every old key -> new key the finding maps (one finding may move several modules)
            renamed = f.get("renamed_keys") or {}
            pairs = [(old, key)] + [(o, n) for o, n in renamed.items() if isinstance(o, str) and isinstance(n, str)]
            moved = sorted({m for o, n in pairs for m in _moves(o, n, base_keys, head_keys)})
            if not moved:
                spurious.append(f"{code} move {old} -> {key}")
            for k_old, k_new in moved:
                claims.setdefault(k_old, {}).setdefault("removed", []).append(_shape_of(f, "old_shape"))
                claims.setdefault(k_new, {}).setdefault("added", []).append(_shape_of(f, "new_shape"))
        elif code in ("WL203", "WL205"):
            if old:
                marks.append(("removed", old, _shape_of(f, "old_shape")))
            if key:
                marks.append(("added", key, _shape_of(f, "new_shape")))
        elif code == "WL207":
            if key and not old:
                marks.append(("added", key, _shape_of(f, "new_shape")))
            elif old and not key:
                marks.append(("removed", old, _shape_of(f, "old_shape")))
        elif code == "WL204" and (key or old):
            marks.append(("reshaped", key or old, None))
        for what, pat, shape in marks:
            rx = _pattern(pat)
            # a removed key/prefix names base keys, an added one head keys, a reshaped one both
            keys = {"removed": base_keys, "added": head_keys}.get(what, base_keys & head_keys)
            hit = [k for k in keys if rx.fullmatch(k)]
            if not hit:
                spurious.append(f"{code} {what} {pat}")
            for k in hit:
                claims.setdefault(k, {}).setdefault(what, []).append(shape)
    status: Dict[str, str] = {}
    for k, c in claims.items():
        if "reshaped" in c or ("removed" in c and "added" in c):
            olds, news = c.get("removed", []), c.get("added", [])
            same = (len(olds) == 1 and len(news) == 1 and olds[0] is not None and olds[0] == news[0]
                    and "reshaped" not in c)
            status[k] = "unchanged" if same else "reshaped"
        elif "removed" in c:
            status[k] = "removed"
        elif "added" in c:
            status[k] = "added"
    return status, sorted(set(spurious))


def score(findings: List[Dict[str, Any]], tb: Dict[str, Any], th: Dict[str, Any]) -> Dict[str, Any]:
    """Detection, false alarm and key-by-key agreement of the model's findings with torch."""
    tdelta = truth_delta(tb, th)
    changed = any(tdelta.values())
    base_keys, head_keys = {e["key"] for e in tb["entries"]}, {e["key"] for e in th["entries"]}
    claimed, spurious = net_status(findings, base_keys, head_keys)
    truth_status = {k: kind for kind, ks in tdelta.items() for k in ks}
    wrong = sorted(
        f"{k}: torch {truth_status.get(k, 'unchanged')}, wlint {claimed.get(k, 'unchanged')}"
        for k in base_keys | head_keys if truth_status.get(k, "unchanged") != claimed.get(k, "unchanged")
    )
    errors = [f for f in findings if f.get("code") in ERROR_CODES]
    return {
        "changed": changed,
        "alarm": bool(errors),
        # every error says it holds only under a condition or with the default config: a claim
        # about other configurations of the class than the exam's EXPR (plain mode)
        "qualified": bool(errors) and all(_QUALIFIED.search(str(f.get("message"))) for f in errors),
        "exact": not wrong and not spurious,
        "key_mismatch": wrong,
        "spurious": spurious,
        "codes": sorted({str(f.get("code")) for f in findings}),
        "net": {kind: sorted(k for k, v in claimed.items() if v == kind) for kind in ("removed", "added", "reshaped")},
        "findings": [{k: f.get(k) for k in ("code", "class", "key", "old_key", "old_shape", "new_shape", "message",
                                            "container_of", "model")} for f in findings][:40],
    }


_QUALIFIED = re.compile(r"registered only when `|\(with the default ")

Job = Tuple[Target, str, str, str, Path]
MODES = ("plain", "model")


def run_pair(job: Job, truths: Dict[str, Any], work: Path, ns: argparse.Namespace,
             modes: Tuple[str, ...]) -> Dict[str, Any]:
    t, base, head, subject, _gitdir = job
    res: Dict[str, Any] = {"target": t.id, "repo": t.case.repo, "base": base, "head": head,
                           "subject": subject[:70], "expr": t.case.expr}
    tb, th = truths[_at(t.case, base).id], truths[_at(t.case, head).id]
    if not (tb.get("ok") and th.get("ok")):
        res["status"] = "n/a"
        res["error"] = (tb.get("error") if not tb.get("ok") else th.get("error")) or ""
        return res
    res["status"] = "ok"
    res["truth"] = {k: sorted(v) for k, v in truth_delta(tb, th).items()}
    res["changed"] = any(res["truth"].values())
    for mode in modes:
        wd = wlint_diff(t.case, base, head, work, ns, model=mode == "model")
        if not wd["ok"]:
            res[mode] = {"crash": True, "error": wd["error"], "seconds": wd.get("seconds")}
            continue
        res[mode] = score(model_findings(wd["findings"], th["class"], mode == "model"), tb, th)
        res[mode]["seconds"] = wd["seconds"]
        res[mode]["other"] = sorted({f"{f.get('code')}:{f.get('class')}" for f in wd["findings"]})[:20]
    return res


# --------------------------------------------------------------------- report
def _qualified(d: Dict[str, Any]) -> bool:
    """A scored mode's "qualified" flag (recomputed from its findings for older result files)."""
    if "qualified" in d:
        return bool(d["qualified"])
    errors = [f for f in d.get("findings", []) if f.get("code") in ERROR_CODES]
    return bool(errors) and all(_QUALIFIED.search(str(f.get("message"))) for f in errors)


def _frac(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.0f} %)" if b else "-"


def summary_rows(results: List[Dict[str, Any]], mode: str) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Dict[str, Any]]] = {}
    for r in results:
        groups.setdefault(r["repo"], []).append(r)
    rows = []
    for name, rs in list(groups.items()) + [("TOTAL", results)]:
        ok = [r for r in rs if r["status"] == "ok" and mode in r]
        scored = [r for r in ok if not r[mode].get("crash")]
        ch = [r for r in scored if r["changed"]]
        un = [r for r in scored if not r["changed"]]
        rows.append({
            "repo": name, "pairs": len(ok), "n/a": sum(1 for r in rs if r["status"] == "n/a"),
            "changing": len(ch), "detected": sum(1 for r in ch if r[mode]["alarm"]),
            "unchanged": len(un), "false_alarms": sum(1 for r in un if r[mode]["alarm"]),
            "qualified_alarms": sum(1 for r in un if r[mode]["alarm"] and _qualified(r[mode])),
            "exact_changing": sum(1 for r in ch if r[mode]["exact"]),
            # a changing pair wlint got wrong without a WL290 "could not see" note for the model
            "silent": sum(1 for r in ch if not r[mode]["exact"] and "WL290" not in r[mode].get("codes", [])),
            "exact_all": sum(1 for r in scored if r[mode]["exact"]),
            "crashes": len(ok) - len(scored),
        })
    return rows


def render_summary(results: List[Dict[str, Any]], modes: Tuple[str, ...]) -> str:
    lines = []
    for mode in MODES:
        title = "without --model" if mode == "plain" else "with --model PATH:EXPR"
        lines.append(f"\n**{title}**\n")
        if mode not in modes:
            lines.append("n/a: the wlint under test has no `diff --model`")
            continue
        lines.append("| repository | pairs | detected (recall) | false alarms | of which qualified "
                     "| exact on changing | inexact, silent | exact, all pairs | crashes | n/a |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in summary_rows(results, mode):
            name = f"**{row['repo']}**" if row["repo"] == "TOTAL" else row["repo"]
            lines.append(
                f"| {name} | {row['pairs']} | {_frac(row['detected'], row['changing'])} "
                f"| {_frac(row['false_alarms'], row['unchanged'])} | {row['qualified_alarms']} "
                f"| {_frac(row['exact_changing'], row['changing'])} | {row['silent']} "
                f"| {_frac(row['exact_all'], row['pairs'] - row['crashes'])} | {row['crashes']} | {row['n/a']} |")
    return "\n".join(lines)


def render(results: List[Dict[str, Any]], modes: Tuple[str, ...]) -> str:
    head = f"{'target':<22} {'base..head':<20} {'torch -/+/~':<12} " + " ".join(f"{m:<22}" for m in modes)
    lines = [head, "-" * len(head)]
    for r in results:
        tr = r.get("truth") or {}
        tcount = "/".join(str(len(tr.get(k, []))) for k in ("removed", "added", "reshaped")) if tr else "n/a"
        cols = []
        for m in modes:
            d = r.get(m) or {}
            if not d:
                cols.append(f"{'':<22}")
            elif d.get("crash"):
                cols.append(f"{'CRASH':<22}")
            else:
                verdict = ("exact" if d["exact"] else "differs") + (" alarm" if d["alarm"] else "")
                cols.append(f"{verdict + ' ' + str(d.get('seconds')) + 's':<22}")
        lines.append(f"{r['target']:<22} {r['base'][:8] + '..' + r['head'][:8]:<20} {tcount:<12} "
                     + " ".join(cols) + f" {r['subject'][:40]}")
    return "\n".join(lines) + "\n" + render_summary(results, modes)


def render_details(results: List[Dict[str, Any]], modes: Tuple[str, ...]) -> str:
    out = []
    for r in results:
        if r["status"] != "ok":
            continue
        bad = [m for m in modes if m in r and (r[m].get("crash") or not r[m]["exact"])]
        if not bad:
            continue
        out.append(f"### {r['target']} {r['base'][:10]}..{r['head'][:10]} — "
                   f"{'changing' if r['changed'] else 'unchanged'}")
        out.append(f"{r['subject']}  (`{r['expr']}`)")
        tr = r.get("truth") or {}
        out.append("- torch: " + "; ".join(f"{k} {rce._fmt_list(v, 4)}" for k, v in tr.items() if v))
        for m in bad:
            d = r[m]
            if d.get("crash"):
                out.append(f"- [{m}] CRASH: {d['error']}")
                continue
            verdict = "missed" if r["changed"] and not d["alarm"] else (
                ("FALSE ALARM" + (" (qualified)" if _qualified(d) else "")) if d["alarm"] and not r["changed"]
                else "inexact")
            out.append(f"- [{m}] {verdict}; codes {' '.join(d['codes'])}; "
                       f"keys ({len(d['key_mismatch'])}): {rce._fmt_list(d['key_mismatch'], 6)}")
            if d.get("spurious"):
                out.append(f"  - wlint keys matching no state_dict key: {rce._fmt_list(d['spurious'], 4)}")
            for f in d["findings"][:6]:
                out.append(f"  - {f.get('code')} {f.get('class')} key={f.get('key')} old_key={f.get('old_key')} "
                           f"{f.get('old_shape')}->{f.get('new_shape')}: {str(f.get('message'))[:120]}")
            if not d["findings"] and d.get("other"):
                out.append(f"  - other classes: {rce._fmt_list(d['other'], 6)}")
        out.append("")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--wlint", default=".", help="wlint checkout under test (default: current directory)")
    ap.add_argument("--deps", default=rce.DEFAULT_DEPS, help="pip --target folder of third-party packages (truth)")
    ap.add_argument("--work", default=None, help="extraction folder (default: a temp dir outside the repo)")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--repo", action="append", default=[], help="targets of this owner/name")
    ap.add_argument("--max-pairs", type=int, default=None, help="cap pairs per target")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--modes", default="plain,model", help="plain, model or both (model needs diff --model)")
    ap.add_argument("--list", action="store_true", help="list the pairs only")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--markdown", default=None)
    ap.add_argument("--progress", default=None, metavar="JSONL", help="append each pair's result as it is scored")
    ap.add_argument("--from-json", default=None, metavar="JSON", help="render a previous --json-out, run nothing")
    ns = ap.parse_args(argv)
    if ns.from_json:
        text = Path(ns.from_json).read_text()
        if ns.from_json.endswith(".jsonl"):  # a --progress file: one result per line
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            return emit(rows, tuple(rows[0]["modes"]) if rows else (), ns)
        data = json.loads(text)
        return emit(data["results"], tuple(data["modes"]), ns)
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-history-exam"
    mirror_root = Path(ns.mirror_root)
    jobs: List[Job] = []
    for t in TARGETS:
        if (ns.only and not any(s in t.id for s in ns.only)) or (ns.repo and t.case.repo not in ns.repo):
            continue
        gitdir = rce.find_gitdir(mirror_root, t.case.repo)
        until = t.until or PINS[t.case.repo]
        for base, head, subject in history_pairs(gitdir, t.watch, ns.max_pairs or t.max_pairs, until):
            jobs.append((t, base, head, subject, gitdir))
    jobs = interleave(jobs)
    if ns.list:
        for t, base, head, subject, _g in jobs:
            print(f"{t.id:<22} {base[:10]}..{head[:10]} {subject[:60]}")
        print(f"{len(jobs)} pairs, {len({j[0].case.repo for j in jobs})} repositories")
        return 0
    modes = tuple(m for m in ns.modes.split(",") if m in MODES)
    if "model" in modes and not supports_model(ns.wlint):
        modes = tuple(m for m in modes if m != "model")
    truths = all_truths(jobs, work, mirror_root, ns)

    lock = threading.Lock()

    def one(job: Job) -> Dict[str, Any]:
        res = run_pair(job, truths, work, ns, modes)
        if ns.progress:
            with lock, open(ns.progress, "a") as fh:
                fh.write(json.dumps(dict(res, modes=list(modes))) + "\n")
        brief = " ".join(f"{m}:{'crash' if res[m].get('crash') else ('exact' if res[m]['exact'] else 'differs')}"
                         for m in modes if m in res)
        print(f"[{res['status']}] {job[0].id} {job[1][:8]}..{job[2][:8]} {brief}", file=sys.stderr, flush=True)
        return res

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
        results = list(pool.map(one, jobs))
    if ns.json_out:
        Path(ns.json_out).write_text(json.dumps({"modes": modes, "results": results}, indent=1))
    return emit(results, modes, ns)


def emit(results: List[Dict[str, Any]], modes: Tuple[str, ...], ns: argparse.Namespace) -> int:
    """Print the table and the differences; write the markdown report."""
    table = render(results, modes)
    print(table)
    details = render_details(results, modes)
    if details.strip():
        print("\n" + details)
    if ns.markdown:
        Path(ns.markdown).write_text(render_summary(results, modes) + "\n\n```\n" + table + "\n```\n\n" + details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
