"""Real-history exam: `wlint diff` against torch on consecutive commits of public model files.

For every target (a public repository, the model file(s), a constructor EXPR
with a small config) the commits that touched the file are listed from the
local git mirror (``--mirror-root``, see bench/real_code_exam.py).  Each
commit C gives a pair (C^, C).  For each pair:

* a throwaway git repository in a temp dir gets the two versions of the
  files as two commits, and ``wlint diff --base HEAD~1 --head HEAD --format
  json`` runs in it;
* torch truth: the real module is imported at both commits and EXPR is built
  on the meta device; true removed / added / reshaped state_dict keys follow;
* agreement: wlint's findings for EXPR's class, mapped to (removed, added,
  reshaped) key sets — WL201 removed, WL202 added, WL204 reshaped, WL203
  rename and WL205 index shift = old key removed + new key added, WL207 =
  added or removed by the side it is on — must equal torch's sets.  wlint
  keys may carry placeholders (``h.{i}.attn.bias``) and may name a module
  prefix; they match the concrete keys they cover.

Pairs where EXPR does not build at one of the two commits (the constructor's
API changed) are listed as n/a and not counted.

Usage::

    python bench/real_history_exam.py --mirror-root /work/.mirror [--only SUBSTR]
        [--max-pairs N] [--json-out FILE] [--markdown FILE] [-j N]
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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce


@dataclass(frozen=True)
class Target:
    """A model file's history and the EXPR that builds it at every commit."""

    id: str
    case: rce.Case  # repo, files, module, expr (its commit is replaced per pair)
    watch: Tuple[str, ...]  # paths whose history gives the pairs
    max_pairs: int = 20


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


# --------------------------------------------------------------------- pairs
def _git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True,
                          text=True).stdout


def history_pairs(gitdir: Path, watch: Tuple[str, ...], limit: int) -> List[Tuple[str, str, str]]:
    """(base, head, subject) for the newest `limit` non-merge commits touching `watch`."""
    out = _git(gitdir, "log", "--no-merges", "--format=%H%x09%s", "HEAD", "--", *watch)
    pairs = []
    for line in out.splitlines():
        sha, _, subject = line.partition("\t")
        parents = _git(gitdir, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        if not parents:
            continue  # the first commit: nothing to compare with
        pairs.append((parents[0], sha, subject))
        if len(pairs) >= limit:
            break
    return pairs


# --------------------------------------------------------------------- truth
def truth_at(case: rce.Case, commit: str, work: Path, gitdir: Path, timeout: float) -> Dict[str, Any]:
    """state_dict of EXPR at `commit` (cached on disk by commit and case)."""
    c = replace(case, commit=commit)
    cache = work / "truth" / f"{case.id}@{commit[:12]}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    d = rce.case_dir(work, c)
    try:
        rce.extract(gitdir, commit, c.extract, d)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        return {"ok": False, "error": f"extract: {exc}"}
    res = rce.run_child(c, d, "truth", "api", timeout)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(res))
    return res


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


def wlint_diff(case: rce.Case, base: str, head: str, work: Path, timeout: float) -> Dict[str, Any]:
    """Two-commit throwaway repo with the extracted versions; `wlint diff` in it."""
    bdir = rce.case_dir(work, replace(case, commit=base))
    hdir = rce.case_dir(work, replace(case, commit=head))
    with tempfile.TemporaryDirectory(prefix="wlint-hist-") as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", "-b", "main", "."], cwd=repo, check=True, capture_output=True)
        old = [str(p.relative_to(bdir)) for p in bdir.rglob("*.py")]
        _commit_tree(repo, bdir, [], f"base {base[:10]}")
        _commit_tree(repo, hdir, old, f"head {head[:10]}")
        cmd = [sys.executable, "-m", "wlint", "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
               "--no-cache"]
        try:
            proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timeout after {timeout:.0f}s"}
    if proc.returncode not in (0, 1):
        return {"ok": False, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}"}
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return {"ok": False, "error": f"bad json: {exc}: {proc.stdout[:300]}"}
    return {"ok": True, "findings": data.get("findings", [])}


def wlint_delta(findings: List[Dict[str, Any]], cls: str) -> Tuple[Dict[str, Set[str]], List[str]]:
    """(removed, added, reshaped) key patterns of class `cls`, plus the codes seen."""
    out: Dict[str, Set[str]] = {"removed": set(), "added": set(), "reshaped": set()}
    codes = []
    for f in findings:
        if f.get("class") != cls:
            continue
        code, key, old = f.get("code"), f.get("key"), f.get("old_key")
        codes.append(code)
        if code in ("WL201",) and (old or key):
            out["removed"].add(old or key)
        elif code == "WL202" and (key or old):
            out["added"].add(key or old)
        elif code in ("WL203", "WL205"):
            if old:
                out["removed"].add(old)
            if key:
                out["added"].add(key)
        elif code == "WL207":
            if key and not old:
                out["added"].add(key)
            elif old and not key:
                out["removed"].add(old)
        elif code == "WL204" and (key or old):
            out["reshaped"].add(key or old)
    return out, codes


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


def agree(truth: Set[str], wl: Set[str]) -> Tuple[bool, List[str], List[str]]:
    """Every truth key covered by a wlint pattern and every pattern covering a truth key."""
    pats = {w: _pattern(w) for w in wl}
    uncovered = sorted(t for t in truth if not any(p.fullmatch(t) for p in pats.values()))
    spurious = sorted(w for w, p in pats.items() if not any(p.fullmatch(t) for t in truth))
    return not uncovered and not spurious, uncovered, spurious


# --------------------------------------------------------------------- driver
Job = Tuple["Target", str, str, str, Path]


def select_jobs(jobs: List[Job], work: Path, max_unchanged: int, timeout: float, n: int) -> List[Job]:
    """Every pair torch sees change, plus up to `max_unchanged` unchanged pairs per target."""

    def delta(job: Job) -> Optional[bool]:
        t, base, head, _, gitdir = job
        tb = truth_at(t.case, base, work, gitdir, timeout)
        th = truth_at(t.case, head, work, gitdir, timeout)
        if not (tb.get("ok") and th.get("ok")):
            return None
        return any(truth_delta(tb, th).values())

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, n)) as pool:
        changed = list(pool.map(delta, jobs))
    kept: List[Job] = []
    unchanged_seen: Dict[str, int] = {}
    for job, ch in zip(jobs, changed):
        if ch is None:
            continue
        if not ch:
            unchanged_seen[job[0].id] = unchanged_seen.get(job[0].id, 0) + 1
            if unchanged_seen[job[0].id] > max_unchanged:
                continue
        kept.append(job)
    return kept


def run_pair(t: Target, base: str, head: str, subject: str, work: Path, gitdir: Path,
             timeout: float) -> Dict[str, Any]:
    res: Dict[str, Any] = {"target": t.id, "repo": t.case.repo, "base": base, "head": head,
                           "subject": subject[:70], "expr": t.case.expr}
    tb = truth_at(t.case, base, work, gitdir, timeout)
    th = truth_at(t.case, head, work, gitdir, timeout)
    if not (tb.get("ok") and th.get("ok")):
        res["status"] = "n/a"
        res["error"] = (tb.get("error") if not tb.get("ok") else th.get("error")) or ""
        return res
    cls = th["class"]
    tdelta = truth_delta(tb, th)
    res["truth"] = {k: sorted(v) for k, v in tdelta.items()}
    wd = wlint_diff(t.case, base, head, work, timeout)
    if not wd["ok"]:
        res["status"] = "wlint-error"
        res["error"] = wd["error"]
        return res
    res["findings"] = [f for f in wd["findings"] if f.get("class") == cls]
    res["other_findings"] = sorted({f"{f.get('code')}:{f.get('class')}" for f in wd["findings"]
                                    if f.get("class") != cls})
    score(res, tb, th)
    return res


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
            moved = _moves(old, key, base_keys, head_keys)
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


def score(res: Dict[str, Any], tb: Dict[str, Any], th: Dict[str, Any]) -> None:
    """Key-level agreement (primary) and the raw set comparison (for reference)."""
    tdelta = truth_delta(tb, th)
    findings = res["findings"]
    wdelta, codes = wlint_delta(findings, th["class"])
    res["wlint"] = {k: sorted(v) for k, v in wdelta.items()}
    res["codes"] = codes
    raw_ok = True
    res["raw_mismatch"] = {}
    for kind in ("removed", "added", "reshaped"):
        good, unc, spur = agree(tdelta[kind], wdelta[kind])
        if not good:
            raw_ok = False
            res["raw_mismatch"][kind] = {"torch_not_wlint": unc, "wlint_not_torch": spur}
    base_keys, head_keys = {e["key"] for e in tb["entries"]}, {e["key"] for e in th["entries"]}
    universe = base_keys | head_keys
    claimed, spurious = net_status(findings, base_keys, head_keys)
    truth_status = {k: kind for kind, ks in tdelta.items() for k in ks}
    wrong = sorted(
        f"{k}: torch {truth_status.get(k, 'unchanged')}, wlint {claimed.get(k, 'unchanged')}"
        for k in universe if truth_status.get(k, "unchanged") != claimed.get(k, "unchanged")
    )
    res["key_mismatch"] = wrong
    res["spurious"] = spurious
    res["net"] = {kind: sorted(k for k, v in claimed.items() if v == kind)
                  for kind in ("removed", "added", "reshaped")}
    res["changed"] = any(tdelta.values())
    res["raw_agree"] = raw_ok
    res["status"] = "agree" if not wrong and not spurious else "disagree"


def render(results: List[Dict[str, Any]]) -> str:
    lines = []
    head = f"{'target':<22} {'base..head':<22} {'status':<11} {'torch -/+/~':<12} {'wlint -/+/~':<12} subject"
    lines += [head, "-" * len(head)]
    for r in results:
        tr, wl = r.get("truth") or {}, r.get("net") or {}
        tcount = "/".join(str(len(tr.get(k, []))) for k in ("removed", "added", "reshaped")) if tr else ""
        wcount = "/".join(str(len(wl.get(k, []))) for k in ("removed", "added", "reshaped")) if wl else ""
        lines.append(f"{r['target']:<22} {r['base'][:10] + '..' + r['head'][:8]:<22} {r['status']:<11} "
                     f"{tcount:<12} {wcount:<12} {r['subject'][:50]}")
    counted = [r for r in results if r["status"] in ("agree", "disagree", "wlint-error")]
    agree_n = sum(1 for r in counted if r["status"] == "agree")
    changed = [r for r in counted if r.get("changed")]
    agree_changed = sum(1 for r in changed if r["status"] == "agree")
    lines.append("")
    lines.append(f"AGREEMENT: {agree_n} / {len(counted)} pairs "
                 f"(n/a: {sum(1 for r in results if r['status'] == 'n/a')})")
    raw = sum(1 for r in counted if r.get("raw_agree"))
    lines.append(f"(raw set comparison without netting remove+add of one key: {raw} / {len(counted)})")
    lines.append(f"pairs where torch's state_dict changed: {agree_changed} / {len(changed)} agree; "
                 f"unchanged: {agree_n - agree_changed} / {len(counted) - len(changed)} agree")
    return "\n".join(lines)


def render_details(results: List[Dict[str, Any]]) -> str:
    out = []
    for r in results:
        if r["status"] in ("agree", "n/a"):
            continue
        out.append(f"### {r['target']} {r['base'][:10]}..{r['head'][:10]} — {r['status']}")
        out.append(f"{r['subject']}  (`{r['expr']}`)")
        if r.get("error"):
            out.append(f"- error: {r['error']}")
        if r.get("key_mismatch"):
            out.append(f"- keys ({len(r['key_mismatch'])}): {rce._fmt_list(r['key_mismatch'], 8)}")
        if r.get("spurious"):
            out.append(f"- wlint keys matching no state_dict key: {rce._fmt_list(r['spurious'], 6)}")
        for f in (r.get("findings") or [])[:12]:
            out.append(f"  - {f.get('code')} key={f.get('key')} old_key={f.get('old_key')} "
                       f"{f.get('old_shape')}->{f.get('new_shape')}: {str(f.get('message'))[:140]}")
        if r.get("codes"):
            out.append(f"- wlint codes for the class: {' '.join(sorted(set(r['codes'])))}")
        out.append("")
    return "\n".join(out)


def _emit(results: List[Dict[str, Any]], ns: argparse.Namespace) -> int:
    table = render(results)
    print(table)
    details = render_details(results)
    if details.strip():
        print("\n" + details)
    if ns.json_out:
        Path(ns.json_out).write_text(json.dumps(results, indent=1))
    if ns.markdown:
        Path(ns.markdown).write_text("```\n" + table + "\n```\n\n" + details)
    counted = [r for r in results if r["status"] != "n/a"]
    return 0 if all(r["status"] == "agree" for r in counted) else 1


def rescore(path: Path, work: Path, mirror_root: Path, ns: argparse.Namespace) -> int:
    targets = {t.id: t for t in TARGETS}
    results = json.loads(path.read_text())
    for r in results:
        if "findings" not in r:
            continue
        t = targets[r["target"]]
        gitdir = rce.find_gitdir(mirror_root, t.case.repo)
        score(r, truth_at(t.case, r["base"], work, gitdir, ns.timeout),
              truth_at(t.case, r["head"], work, gitdir, ns.timeout))
    return _emit(results, ns)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--work", default=None, help="extraction folder (default: a temp dir outside the repo)")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--max-pairs", type=int, default=None, help="cap pairs per target")
    ap.add_argument("--timeout", type=float, default=240.0)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--max-unchanged", type=int, default=None,
                    help="keep every pair whose torch state_dict changes, and at most N unchanged pairs per "
                         "target (newest first); pairs that do not build are dropped")
    ap.add_argument("--truth-only", action="store_true", help="list pairs and torch deltas only")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--markdown", default=None)
    ap.add_argument("--rescore", default=None, metavar="JSON",
                    help="re-score a previous --json-out (stored findings, cached truth) without running wlint")
    ns = ap.parse_args(argv)
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-history-exam"
    mirror_root = Path(ns.mirror_root)
    if ns.rescore:
        return rescore(Path(ns.rescore), work, mirror_root, ns)
    jobs = []
    for t in TARGETS:
        if ns.only and not any(s in t.id for s in ns.only):
            continue
        gitdir = rce.find_gitdir(mirror_root, t.case.repo)
        for base, head, subject in history_pairs(gitdir, t.watch, ns.max_pairs or t.max_pairs):
            jobs.append((t, base, head, subject, gitdir))

    if ns.max_unchanged is not None and not ns.truth_only:
        jobs = select_jobs(jobs, work, ns.max_unchanged, ns.timeout, ns.jobs)

    def one(job: Job) -> Dict[str, Any]:
        t, base, head, subject, gitdir = job
        if ns.truth_only:
            tb = truth_at(t.case, base, work, gitdir, ns.timeout)
            th = truth_at(t.case, head, work, gitdir, ns.timeout)
            ok = tb.get("ok") and th.get("ok")
            return {"target": t.id, "base": base, "head": head, "subject": subject, "status": "ok" if ok else "n/a",
                    "truth": {k: sorted(v) for k, v in truth_delta(tb, th).items()} if ok else None,
                    "error": (tb.get("error") or th.get("error")) if not ok else ""}
        res = run_pair(t, base, head, subject, work, gitdir, ns.timeout)
        print(f"[{res['status']}] {t.id} {base[:8]}..{head[:8]}", file=sys.stderr, flush=True)
        return res

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
        results = list(pool.map(one, jobs))
    if ns.truth_only:
        for r in results:
            tr = r.get("truth") or {}
            cnt = "/".join(str(len(tr.get(k, []))) for k in ("removed", "added", "reshaped")) if tr else ""
            print(f"{r['target']:<22} {r['base'][:8]}..{r['head'][:8]} {r['status']:<4} {cnt:<10} "
                  f"{r['subject'][:50]} {str(r['error'])[:80]}")
        return 0
    return _emit(results, ns)


if __name__ == "__main__":
    sys.exit(main())
