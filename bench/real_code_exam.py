"""Real-code exam: wlint's state_dict prediction against torch on public model files.

Each case names a public repository, a commit, the files to extract and a
constructor EXPR with a small config.  The files are extracted from local git
mirrors (``--mirror-root``, one ``owner+name/repo`` git dir per repository, as
brought by the fetch tool) into a scratch folder OUTSIDE this repository;
nothing of theirs is committed here.  For every case:

* torch truth: a worker process imports the real module (with small
  ``sys.modules`` stubs for non-model imports, see ``STUBS``), evaluates EXPR
  in the module namespace under ``with torch.device("meta"):`` and records the
  ordered ``state_dict()`` keys, shapes and parameter/buffer kind;
* prediction: ``wlint.model.api.predict(path, expr)`` (or the CLI
  ``wlint keys PATH EXPR --format json`` with ``--via cli``) on the same file;
* comparison: ordered keys, shapes, kinds.  "exact" means all three agree.

Usage::

    python bench/real_code_exam.py --mirror-root /work/.mirror [--work DIR]
        [--only SUBSTR] [--json-out FILE] [--markdown FILE] [-j N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve()


@dataclass(frozen=True)
class Case:
    """One exam question: a public file at a commit and a constructor expression."""

    id: str
    repo: str  # owner/name
    commit: str
    extract: Tuple[str, ...]  # paths (files or folders) to extract from the commit
    path: str  # the analysed file, relative to the repository root
    module: str  # dotted module name torch truth imports (import root: see root)
    expr: str
    root: str = ""  # import root relative to the repository root ("" = repository root)
    stubs: Tuple[str, ...] = ()  # names of STUBS entries to install before the import
    packages: Tuple[str, ...] = ()  # packages pre-registered empty (their __init__ is skipped)
    note: str = ""
    device: str = "meta"  # "cpu" only where the constructor calls .item() (meta cannot)


NANOGPT = "3adf61e154c3fe3fca428ad6bc3818b27a3b8291"
MINGPT = "37baab71b9abea1b76ab957409a1cc2fbfba8a26"
UNET = "21d7850f2af30a9695bbeea75f3136aa538cfc4a"
CLIP = "d05afc436d78f1c48dc0dbf8e5980a9d471f35f6"
OPENCLIP = "89fb801f1e6087880e951fc8354b8a2077b79c6d"
VIT = "69d24fe9e3024c0d4b02761123b8583a24ebed1e"
TV = "677fc939b21a8893f07db4c1f90482b648b6573f"  # tpet/torchvision: a full-history fork of pytorch/vision
EXAMPLES = "77f55b912142e11fcfdf5b530231fb9c52f181e8"

_TV_FILES = (
    "torchvision/__init__.py",
    "torchvision/_utils.py",
    "torchvision/_internally_replaced_utils.py",
    "torchvision/utils.py",
    "torchvision/models",
    "torchvision/ops",
    "torchvision/transforms",
)
_TV_PKGS = ("torchvision", "torchvision.models", "torchvision.ops", "torchvision.transforms")
_OC_FILES = ("src/open_clip",)
_GPT_SMALL = "n_layer=2, n_head=2, n_embd=64, block_size=32, vocab_size=100"
_MINGPT_CFG = (
    "embd_pdrop=0.1, resid_pdrop=0.1, attn_pdrop=0.1, vocab_size=100, block_size=32"
)
_VIT_SMALL = "image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=2, mlp_dim=128"


def _vit(id_: str, mod: str, expr: str, note: str = "", device: str = "meta") -> Case:
    return Case(
        id_, "lucidrains/vit-pytorch", VIT, (f"vit_pytorch/{mod}.py", "vit_pytorch/__init__.py"),
        f"vit_pytorch/{mod}.py", f"vit_pytorch.{mod}", expr, packages=("vit_pytorch",), note=note,
        device=device,
    )


def _tv(id_: str, mod: str, expr: str, note: str = "", device: str = "meta") -> Case:
    return Case(
        id_, "pytorch/vision", TV, _TV_FILES, f"torchvision/models/{mod}.py",
        f"torchvision.models.{mod}", expr, stubs=("torchvision-light", "torchvision-ops:post"),
        packages=_TV_PKGS, note=note, device=device,
    )


def _ex(id_: str, path: str, mod: str, expr: str, stubs: Tuple[str, ...] = ()) -> Case:
    root = str(Path(path).parent)
    return Case(id_, "pytorch/examples", EXAMPLES, (path,), path, mod, expr, root=root, stubs=stubs)


CASES: List[Case] = [
    # nanoGPT: dataclass config, ModuleDict of ModuleList, weight tying, flash-dependent buffer
    Case("nanogpt-gpt", "karpathy/nanoGPT", NANOGPT, ("model.py",), "model.py", "model",
         f"GPT(GPTConfig({_GPT_SMALL}))"),
    Case("nanogpt-gpt-nobias", "karpathy/nanoGPT", NANOGPT, ("model.py",), "model.py", "model",
         "GPT(GPTConfig(n_layer=1, n_head=4, n_embd=32, block_size=16, vocab_size=50, bias=False))"),
    Case("nanogpt-block", "karpathy/nanoGPT", NANOGPT, ("model.py",), "model.py", "model",
         "Block(GPTConfig(n_embd=32, n_head=2, block_size=8))"),
    # nanoGPT's first commit: the causal-mask buffer is always registered
    Case("nanogpt-first-gpt", "karpathy/nanoGPT", "fe8042867ca499aef1df0d6c2606aabae3124b26", ("model.py",),
         "model.py", "model", f"GPT(GPTConfig({_GPT_SMALL}))"),
    # minGPT: CfgNode(**kwargs) config, model_type presets merged from a dict
    Case("mingpt-gpt", "karpathy/minGPT", MINGPT, ("mingpt/model.py", "mingpt/utils.py", "mingpt/__init__.py"),
         "mingpt/model.py", "mingpt.model",
         f"GPT(CN(model_type=None, n_layer=2, n_head=2, n_embd=64, {_MINGPT_CFG}))"),
    Case("mingpt-gpt-nano", "karpathy/minGPT", MINGPT, ("mingpt/model.py", "mingpt/utils.py", "mingpt/__init__.py"),
         "mingpt/model.py", "mingpt.model",
         f"GPT(CN(model_type='gpt-nano', n_layer=None, n_head=None, n_embd=None, {_MINGPT_CFG}))"),
    # Pytorch-UNet: two files, star import of the parts
    Case("unet-transposed", "milesial/Pytorch-UNet", UNET, ("unet",), "unet/unet_model.py", "unet.unet_model",
         "UNet(n_channels=3, n_classes=2, bilinear=False)", packages=("unet",)),
    Case("unet-bilinear", "milesial/Pytorch-UNet", UNET, ("unet",), "unet/unet_model.py", "unet.unet_model",
         "UNet(3, 2, bilinear=True)", packages=("unet",)),
    Case("unet-up-part", "milesial/Pytorch-UNet", UNET, ("unet",), "unet/unet_parts.py", "unet.unet_parts",
         "Up(16, 8, bilinear=True)", packages=("unet",)),
    # openai/CLIP: ViT and ModifiedResNet towers chosen by the type of vision_layers
    Case("clip-vit", "openai/CLIP", CLIP, ("clip/model.py",), "clip/model.py", "model",
         "CLIP(embed_dim=32, image_resolution=32, vision_layers=2, vision_width=64, vision_patch_size=8,"
         " context_length=16, vocab_size=100, transformer_width=64, transformer_heads=2, transformer_layers=2)",
         root="clip"),
    Case("clip-rn", "openai/CLIP", CLIP, ("clip/model.py",), "clip/model.py", "model",
         "CLIP(embed_dim=32, image_resolution=64, vision_layers=(1, 1, 1, 1), vision_width=16,"
         " vision_patch_size=None, context_length=16, vocab_size=100, transformer_width=32,"
         " transformer_heads=2, transformer_layers=1)", root="clip"),
    Case("clip-visual-vit", "openai/CLIP", CLIP, ("clip/model.py",), "clip/model.py", "model",
         "VisionTransformer(input_resolution=32, patch_size=8, width=64, layers=2, heads=2, output_dim=32)",
         root="clip"),
    # open_clip: CLIP over model.py + transformer.py + modified_resnet.py, dict configs
    Case("openclip-vit", "mlfoundations/open_clip", OPENCLIP, _OC_FILES, "src/open_clip/model.py",
         "open_clip.model",
         "CLIP(embed_dim=32, vision_cfg=dict(layers=2, width=64, head_width=32, patch_size=8, image_size=32),"
         " text_cfg=dict(context_length=16, vocab_size=100, width=64, heads=2, layers=2))",
         root="src", stubs=("frozen-bn",), packages=("open_clip",)),
    Case("openclip-rn", "mlfoundations/open_clip", OPENCLIP, _OC_FILES, "src/open_clip/model.py",
         "open_clip.model",
         "CLIP(embed_dim=32, vision_cfg=dict(layers=[1, 1, 1, 1], width=16, image_size=64),"
         " text_cfg=dict(context_length=16, vocab_size=100, width=32, heads=2, layers=1))",
         root="src", stubs=("frozen-bn",), packages=("open_clip",)),
    Case("openclip-text", "mlfoundations/open_clip", OPENCLIP, _OC_FILES, "src/open_clip/transformer.py",
         "open_clip.transformer",
         "TextTransformer(context_length=16, vocab_size=100, width=64, heads=2, layers=2, output_dim=32)",
         root="src", stubs=("frozen-bn",), packages=("open_clip",)),
    # vit-pytorch: einops layers (no parameters), nn.Parameter positional embeddings
    _vit("vit", "vit", f"ViT({_VIT_SMALL})"),
    _vit("vit-mean-pool", "vit", f"ViT({_VIT_SMALL}, pool='mean', channels=1, dim_head=16)"),
    _vit("simple-vit", "simple_vit", f"SimpleViT({_VIT_SMALL})"),
    _vit("deepvit", "deepvit", f"DeepViT({_VIT_SMALL})"),
    _vit("cait", "cait", "CaiT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, cls_depth=1,"
         " heads=2, mlp_dim=128)"),
    _vit("vit-1d", "vit_1d", "ViT(seq_len=64, patch_size=8, num_classes=10, dim=32, depth=2, heads=2,"
         " mlp_dim=64)"),
    _vit("vit-3d", "vit_3d", "ViT(image_size=16, frames=8, image_patch_size=8, frame_patch_size=2,"
         " num_classes=10, dim=32, depth=1, heads=2, mlp_dim=64)"),
    _vit("vit-small-dataset", "vit_for_small_dataset", f"ViT({_VIT_SMALL})"),
    _vit("levit", "levit", "LeViT(image_size=32, num_classes=10, dim=(32, 64, 96), depth=1, heads=(2, 2, 2),"
         " mlp_mult=2, dim_key=8, dim_value=16)"),
    _vit("cvt", "cvt", "CvT(num_classes=10, s1_emb_dim=16, s2_emb_dim=32, s2_heads=2, s3_emb_dim=64,"
         " s3_heads=2, s3_depth=2)"),
    _vit("t2t", "t2t", "T2TViT(image_size=32, num_classes=10, dim=64, depth=2, heads=2, mlp_dim=128,"
         " t2t_layers=((7, 4), (3, 2)))"),
    _vit("cross-vit", "cross_vit", "CrossViT(image_size=32, num_classes=10, sm_dim=32, lg_dim=64,"
         " sm_patch_size=8, lg_patch_size=16, sm_enc_mlp_dim=64, lg_enc_mlp_dim=64, lg_enc_depth=1,"
         " sm_enc_heads=2, lg_enc_heads=2, cross_attn_depth=1, cross_attn_heads=2, depth=2)"),
    _vit("pit", "pit", "PiT(image_size=32, patch_size=4, num_classes=10, dim=32, depth=(1, 1, 1), heads=2,"
         " mlp_dim=64)"),
    _vit("nest", "nest", "NesT(image_size=32, patch_size=4, num_classes=10, dim=32, heads=2,"
         " num_hierarchies=2, block_repeats=(1, 1))"),
    _vit("mobile-vit", "mobile_vit", "MobileViT(image_size=(64, 64), dims=[32, 48, 64],"
         " channels=[8, 8, 16, 16, 24, 24, 32, 32, 40, 40, 96], num_classes=10)"),
    _vit("max-vit", "max_vit", "MaxViT(num_classes=10, dim=32, depth=(1, 1), dim_head=16, window_size=4)"),
    _vit("xcit", "xcit", "XCiT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, cls_depth=1,"
         " heads=2, mlp_dim=128)"),
    _vit("regionvit", "regionvit", "RegionViT(dim=(16, 32, 48, 64), depth=(1, 1, 1, 1), window_size=2,"
         " num_classes=10)"),
    _vit("cct", "cct", "CCT(img_size=(32, 32), embedding_dim=64, n_conv_layers=2, kernel_size=3, stride=1,"
         " padding=1, pooling_kernel_size=3, pooling_stride=2, pooling_padding=1, num_layers=2, num_heads=2,"
         " mlp_ratio=2.0, num_classes=10)", device="cpu"),  # its __init__ calls .item()
    # torchvision (pytorch/vision history, via a full-history fork small enough to fetch)
    _tv("tv-resnet18", "resnet", "resnet18()"),
    _tv("tv-resnet50", "resnet", "resnet50(num_classes=10)"),
    _tv("tv-resnet-basic", "resnet", "ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)"),
    _tv("tv-resnext", "resnet", "resnext50_32x4d(num_classes=10)"),
    _tv("tv-wide-resnet", "resnet", "wide_resnet50_2(num_classes=10)"),
    _tv("tv-vgg11-bn", "vgg", "vgg11_bn(num_classes=10)"),
    _tv("tv-alexnet", "alexnet", "alexnet(num_classes=10)"),
    _tv("tv-squeezenet", "squeezenet", "squeezenet1_1(num_classes=10)"),
    _tv("tv-densenet", "densenet", "DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16,"
        " num_classes=10)"),
    _tv("tv-mobilenet-v2", "mobilenetv2", "mobilenet_v2(num_classes=10, width_mult=0.5)"),
    _tv("tv-shufflenet", "shufflenetv2", "shufflenet_v2_x0_5(num_classes=10)"),
    _tv("tv-densenet121", "densenet", "densenet121(num_classes=10)"),
    _tv("tv-mobilenet-v3", "mobilenetv3", "mobilenet_v3_small(num_classes=10)"),
    _tv("tv-efficientnet-b0", "efficientnet", "efficientnet_b0(num_classes=10)"),
    _tv("tv-convnext", "convnext", "convnext_tiny(num_classes=10)"),
    _tv("tv-regnet", "regnet", "regnet_y_400mf(num_classes=10)", device="cpu"),  # meta: no data
    _tv("tv-vit", "vision_transformer", "VisionTransformer(image_size=32, patch_size=8, num_layers=2,"
        " num_heads=2, hidden_dim=64, mlp_dim=128, num_classes=10)"),
    _tv("tv-swin", "swin_transformer", "swin_t(num_classes=10)"),
    _tv("tv-googlenet", "googlenet", "googlenet(num_classes=10, aux_logits=True, init_weights=False)"),
    _tv("tv-mnasnet", "mnasnet", "mnasnet0_5(num_classes=10)"),
    Case("openclip-custom-text", "mlfoundations/open_clip", OPENCLIP, _OC_FILES, "src/open_clip/model.py",
         "open_clip.model",
         "CustomTextCLIP(embed_dim=32, vision_cfg=dict(layers=1, width=64, head_width=32, patch_size=8,"
         " image_size=32), text_cfg=dict(context_length=16, vocab_size=100, width=64, heads=2, layers=1))",
         root="src", stubs=("frozen-bn",), packages=("open_clip",)),
    # pytorch/examples
    _ex("ex-mnist", "mnist/main.py", "main", "Net()", stubs=("permissive-torchvision",)),
    _ex("ex-wlm-lstm", "word_language_model/model.py", "model", "RNNModel('LSTM', 100, 32, 32, 2)"),
    _ex("ex-wlm-gru-tied", "word_language_model/model.py", "model",
        "RNNModel('GRU', 100, 32, 32, 2, tie_weights=True)"),
    _ex("ex-wlm-transformer", "word_language_model/model.py", "model", "TransformerModel(100, 32, 2, 64, 2)"),
    _ex("ex-super-resolution", "super_resolution/model.py", "model", "Net(upscale_factor=3)"),
    _ex("ex-fast-neural-style", "fast_neural_style/neural_style/transformer_net.py", "transformer_net",
        "TransformerNet()"),
    _ex("ex-fsdp2-transformer", "distributed/FSDP2/model.py", "model",
        "Transformer(ModelArgs(n_layers=2, vocab_size=100, max_seq_len=32, dim=64, n_heads=4))"),
    _ex("ex-translation", "language_translation/src/model.py", "model",
        "Translator(num_encoder_layers=1, num_decoder_layers=1, embed_size=32, num_heads=2,"
        " src_vocab_size=100, tgt_vocab_size=120, dim_feedforward=64, dropout=0.1)"),
    _ex("ex-llama2-tp", "distributed/tensor_parallelism/llama2_model.py", "llama2_model",
        "Transformer(ModelArgs(dim=64, n_layers=2, n_heads=4, vocab_size=100, max_seq_len=32))"),
]


# --------------------------------------------------------------------- stubs (our own code)
# torchvision from PyPI does not work with the installed torch, and the model files
# import a few non-model helpers (API-usage logging, inference presets).  The
# real _api/_utils/_meta/ops.misc files are imported from the extraction; only
# these two modules are replaced.  pytorch/examples' mnist imports
# torchvision.datasets/transforms at module level: a permissive stub suffices.
STUBS: Dict[str, str] = {
    "torchvision-light": '''
import sys, types
def _mod(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m
def _log_api_usage_once(obj):
    return None
def _make_ntuple(x, n):
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return tuple([x] * n)
class _Preset:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
_mod("torchvision.utils", _log_api_usage_once=_log_api_usage_once, _make_ntuple=_make_ntuple)
import enum
class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
_mod("torchvision.transforms._presets", ImageClassification=_Preset, ObjectDetection=_Preset,
     SemanticSegmentation=_Preset, VideoClassification=_Preset, OpticalFlow=_Preset,
     InterpolationMode=InterpolationMode)
_mod("torchvision.transforms.functional", InterpolationMode=InterpolationMode)
''',
    # run after the empty packages exist: torchvision.ops's __init__ (skipped) would
    # re-export these layers from the real ops files.
    "torchvision-ops:post": '''
import sys, importlib
_ops = sys.modules["torchvision.ops"]
for _sub, _names in (("misc", ("Conv2dNormActivation", "SqueezeExcitation", "MLP", "Permute",
                               "FrozenBatchNorm2d")),
                     ("stochastic_depth", ("StochasticDepth", "stochastic_depth"))):
    try:
        _m = importlib.import_module("torchvision.ops." + _sub)
    except ImportError:
        continue
    for _n in _names:
        if hasattr(_m, _n):
            setattr(_ops, _n, getattr(_m, _n))
''',
    # open_clip's utils.py imports torchvision.ops.misc.FrozenBatchNorm2d (used only
    # by freeze_batch_norm_2d, never while constructing).
    "frozen-bn": '''
import sys, types
import torch.nn as nn
class FrozenBatchNorm2d(nn.Module):
    pass
for _n in ("torchvision", "torchvision.ops"):
    _m = types.ModuleType(_n)
    _m.__path__ = []
    sys.modules[_n] = _m
sys.modules["torchvision.ops.misc"] = types.ModuleType("torchvision.ops.misc")
sys.modules["torchvision.ops.misc"].FrozenBatchNorm2d = FrozenBatchNorm2d
''',
    "permissive-torchvision": '''
import sys, types
class _Anything:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Anything()
    def __getattr__(self, name): return _Anything()
class _Permissive(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()
for _n in ("torchvision", "torchvision.datasets", "torchvision.transforms", "torchvision.models"):
    sys.modules[_n] = _Permissive(_n)
''',
}


# --------------------------------------------------------------------- extraction
def find_gitdir(mirror_root: Path, repo: str) -> Path:
    """The git dir of a fetched repository: <root>/<owner+name>/repo[/.git]."""
    base = mirror_root / repo.replace("/", "+") / "repo"
    if repo == "pytorch/vision" and not base.exists():
        base = mirror_root / "tpet+torchvision" / "repo"
    for cand in (base / ".git", base):
        if (cand / "HEAD").exists() and (cand / "objects").exists():
            return cand
    raise FileNotFoundError(f"no git mirror for {repo} under {mirror_root}")


_EXTRACT_LOCK = threading.Lock()


def extract(gitdir: Path, commit: str, paths: Tuple[str, ...], dest: Path) -> None:
    """Write the given paths at `commit` under dest (git archive | tar)."""
    with _EXTRACT_LOCK:
        _extract(gitdir, commit, paths, dest)


def _extract(gitdir: Path, commit: str, paths: Tuple[str, ...], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    stamp = dest / ".extracted"
    want = "\n".join(sorted(paths))
    if stamp.exists() and stamp.read_text() == want:
        return
    tree = subprocess.run(
        ["git", f"--git-dir={gitdir}", "ls-tree", "-r", "--name-only", commit, "--", *paths],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    keep = [p for p in tree if p.endswith(".py")]
    if not keep:
        raise FileNotFoundError(f"{paths} not found at {commit} in {gitdir}")
    arch = subprocess.run(
        ["git", f"--git-dir={gitdir}", "archive", "--format=tar", commit, "--", *keep],
        check=True, capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    stamp.write_text(want)


def case_dir(work: Path, case: Case) -> Path:
    return work / f"{case.repo.replace('/', '+')}@{case.commit[:10]}"


# --------------------------------------------------------------------- torch truth (worker)
def _install_packages(root: Path, names: Tuple[str, ...]) -> None:
    """Register packages as empty modules so `import a.b` skips heavy __init__ files."""
    import types

    for name in names:
        mod = types.ModuleType(name)
        mod.__path__ = [str(root / name.replace(".", "/"))]  # type: ignore[attr-defined]
        mod.__package__ = name
        sys.modules[name] = mod
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, mod)


def torch_truth(case: Case, repo_dir: Path) -> Dict[str, Any]:
    """Import the real module and build EXPR on the meta device."""
    import contextlib
    import importlib
    import io

    import torch

    root = repo_dir / case.root if case.root else repo_dir
    sys.path.insert(0, str(root))
    for stub in case.stubs:
        if not stub.endswith(":post"):
            exec(compile(STUBS[stub], f"<stub {stub}>", "exec"), {})
    _install_packages(root, case.packages)
    for stub in case.stubs:
        if stub.endswith(":post"):
            exec(compile(STUBS[stub], f"<stub {stub}>", "exec"), {})
    with contextlib.redirect_stdout(io.StringIO()):
        mod = importlib.import_module(case.module)
        with torch.device(case.device):
            model = eval(case.expr, vars(mod))
    params = {k for k, _ in model.named_parameters(remove_duplicate=False)}
    entries = []
    for key, val in model.state_dict(keep_vars=True).items():
        kind = "parameter" if key in params else "buffer"
        shape = list(val.shape) if hasattr(val, "shape") else None
        entries.append({"key": key, "shape": shape, "kind": kind})
    return {"class": type(model).__name__, "entries": entries}


# --------------------------------------------------------------------- prediction (worker)
def wlint_predict(case: Case, repo_dir: Path, via: str) -> Dict[str, Any]:
    path = repo_dir / case.path
    if via == "cli":
        proc = subprocess.run(
            [sys.executable, "-m", "wlint", "keys", str(path), case.expr, "--format", "json"],
            capture_output=True, text=True, cwd=str(repo_dir),
        )
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"wlint keys exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        data = json.loads(proc.stdout)
        return {
            "entries": [{"key": e["key"], "shape": e["shape"], "kind": e["kind"]} for e in data["entries"]],
            "unresolved": data.get("unresolved", []),
        }
    from wlint.model.api import predict

    pred = predict(str(path), case.expr)
    return {
        "entries": [
            {"key": e.key, "shape": list(e.shape) if e.shape is not None else None, "kind": e.kind,
             "condition": e.condition}
            for e in pred.entries
        ],
        "unresolved": [u.to_json() for u in pred.unresolved],
    }


def case_from_json(text: str) -> Case:
    data = json.loads(text)
    for name in ("extract", "stubs", "packages"):
        data[name] = tuple(data[name])
    return Case(**data)


def worker(case_json: str, repo_dir: str, what: str, via: str) -> None:
    """Entry point of the child process: prints one JSON object."""
    case = case_from_json(case_json)
    t0 = time.perf_counter()
    try:
        if what == "truth":
            out = torch_truth(case, Path(repo_dir))
        else:
            out = wlint_predict(case, Path(repo_dir), via)
        out["ok"] = True
    except BaseException as exc:  # report, never crash the table
        import traceback

        out = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
               "trace": traceback.format_exc()[-2000:]}
    out["seconds"] = round(time.perf_counter() - t0, 3)
    sys.stdout.write("\n@@RESULT@@" + json.dumps(out) + "\n")


def run_child(case: Case, repo_dir: Path, what: str, via: str, timeout: float) -> Dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--worker", json.dumps(asdict(case)), "--repo-dir", str(repo_dir),
           "--what", what, "--via", via]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(repo_dir))
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f}s"}
    marker = proc.stdout.rfind("@@RESULT@@")
    if marker < 0:
        return {"ok": False, "error": f"worker died (exit {proc.returncode}): {proc.stderr.strip()[-800:]}"}
    return json.loads(proc.stdout[marker + len("@@RESULT@@"):])


# --------------------------------------------------------------------- comparison
def _norm_shape(shape: Any) -> Any:
    if shape is None:
        return None
    out = []
    for item in shape:
        if isinstance(item, str) and item.strip().lstrip("-").isdigit():
            item = int(item)
        out.append(item)
    return out


def compare(truth: Dict[str, Any], pred: Dict[str, Any]) -> Dict[str, Any]:
    """Ordered keys, shapes and kinds; lists every difference."""
    t = [(e["key"], _norm_shape(e["shape"]), e["kind"]) for e in truth["entries"]]
    p = [(e["key"], _norm_shape(e["shape"]), e["kind"]) for e in pred["entries"]]
    tkeys, pkeys = [k for k, _, _ in t], [k for k, _, _ in p]
    tmap, pmap = {k: (s, kd) for k, s, kd in t}, {k: (s, kd) for k, s, kd in p}
    missing = [k for k in tkeys if k not in pmap]
    extra = [k for k in pkeys if k not in tmap]
    shape_diff = [(k, pmap[k][0], tmap[k][0]) for k in tkeys if k in pmap and pmap[k][0] != tmap[k][0]]
    kind_diff = [(k, pmap[k][1], tmap[k][1]) for k in tkeys if k in pmap and pmap[k][1] != tmap[k][1]]
    common_t = [k for k in tkeys if k in pmap]
    common_p = [k for k in pkeys if k in tmap]
    order_ok = common_t == common_p and len(set(pkeys)) == len(pkeys)
    keys_exact = tkeys == pkeys
    return {
        "exact": keys_exact and not shape_diff and not kind_diff,
        "keys_exact": keys_exact,
        "keyset_equal": set(tkeys) == set(pkeys),
        "order_ok": order_ok,
        "n_truth": len(t),
        "n_pred": len(p),
        "n_right": sum(1 for k, s, kd in t if k in pmap and pmap[k] == (s, kd)),
        "missing": missing,
        "extra": extra,
        "shape_diff": shape_diff,
        "kind_diff": kind_diff,
    }


# --------------------------------------------------------------------- driver
def run_case(case: Case, work: Path, mirror_root: Path, via: str, timeout: float) -> Dict[str, Any]:
    res: Dict[str, Any] = {"id": case.id, "repo": case.repo, "commit": case.commit, "path": case.path,
                           "expr": case.expr}
    try:
        repo_dir = case_dir(work, case)
        extract(find_gitdir(mirror_root, case.repo), case.commit, case.extract, repo_dir)
    except Exception as exc:
        res["status"] = "setup-error"
        res["error"] = f"{type(exc).__name__}: {exc}"
        return res
    truth = run_child(case, repo_dir, "truth", via, timeout)
    res["truth"] = truth
    if not truth.get("ok"):
        res["status"] = "truth-error"
        return res
    pred = run_child(case, repo_dir, "predict", via, timeout)
    res["pred"] = pred
    if not pred.get("ok"):
        res["status"] = "wlint-error"
        return res
    res["cmp"] = compare(truth, pred)
    res["status"] = "exact" if res["cmp"]["exact"] else "differs"
    return res


def _fmt_list(items: List[Any], limit: int = 12) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def render(results: List[Dict[str, Any]]) -> str:
    lines = []
    head = f"{'case':<24} {'status':<12} {'truth':>5} {'pred':>5} {'right':>5}  order  unres  note"
    lines.append(head)
    lines.append("-" * len(head))
    for r in results:
        cmp_ = r.get("cmp") or {}
        unres = len((r.get("pred") or {}).get("unresolved") or [])
        lines.append(
            f"{r['id']:<24} {r['status']:<12} {cmp_.get('n_truth', ''):>5} {cmp_.get('n_pred', ''):>5}"
            f" {cmp_.get('n_right', ''):>5}  {('ok' if cmp_.get('order_ok') else '--') if cmp_ else '':<5}"
            f"  {unres if r.get('pred') else '':>5}"
        )
    n = len(results)
    exact = sum(1 for r in results if r["status"] == "exact")
    keyset = sum(1 for r in results if (r.get("cmp") or {}).get("keyset_equal"))
    keys_exact = sum(1 for r in results if (r.get("cmp") or {}).get("keys_exact"))
    tot_truth = sum((r.get("cmp") or {}).get("n_truth", 0) for r in results)
    tot_right = sum((r.get("cmp") or {}).get("n_right", 0) for r in results)
    lines.append("")
    lines.append(f"EXACT (ordered keys + shapes + kinds): {exact} / {n} cases")
    lines.append(f"ordered keys exact: {keys_exact} / {n}; key sets equal: {keyset} / {n}")
    lines.append(f"entries right (key+shape+kind): {tot_right} / {tot_truth}")
    return "\n".join(lines)


def render_details(results: List[Dict[str, Any]]) -> str:
    out = []
    for r in results:
        if r["status"] == "exact":
            continue
        out.append(f"### {r['id']} — {r['status']}")
        out.append(f"`{r['repo']}@{r['commit'][:10]}` `{r['path']}` `{r['expr']}`")
        if r.get("error"):
            out.append(f"- error: {r['error']}")
        for side in ("truth", "pred"):
            d = r.get(side) or {}
            if d and not d.get("ok"):
                out.append(f"- {side} error: {d.get('error')}")
                if d.get("trace"):
                    out.append("```\n" + d["trace"][-1200:] + "\n```")
        cmp_ = r.get("cmp")
        if cmp_:
            if cmp_["missing"]:
                out.append(f"- missing ({len(cmp_['missing'])}): {_fmt_list(cmp_['missing'])}")
            if cmp_["extra"]:
                out.append(f"- extra ({len(cmp_['extra'])}): {_fmt_list(cmp_['extra'])}")
            if cmp_["shape_diff"]:
                out.append("- shape (key: wlint vs torch): "
                           + _fmt_list([f"{k}: {p} vs {t}" for k, p, t in cmp_["shape_diff"]], 8))
            if cmp_["kind_diff"]:
                out.append("- kind (key: wlint vs torch): "
                           + _fmt_list([f"{k}: {p} vs {t}" for k, p, t in cmp_["kind_diff"]], 8))
            if not cmp_["order_ok"]:
                out.append("- order differs on common keys")
        unres = (r.get("pred") or {}).get("unresolved") or []
        if unres:
            out.append("- wlint unresolved: " + _fmt_list(
                [f"{u.get('path', '') or 'L'}:{u['line']} {u['reason']}" for u in unres], 6))
        out.append("")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror", help="folder of fetched git mirrors")
    ap.add_argument("--work", default=None, help="extraction folder (default: a temp dir outside the repo)")
    ap.add_argument("--only", action="append", default=[], help="run cases whose id contains this")
    ap.add_argument("--via", choices=("api", "cli"), default="api")
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--markdown", default=None, help="write table + per-case diffs as markdown")
    ap.add_argument("--truth-only", action="store_true", help="check that torch truth builds for every case")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--repo-dir", help=argparse.SUPPRESS)
    ap.add_argument("--what", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        worker(ns.worker, ns.repo_dir, ns.what, ns.via)
        return 0
    cases = [c for c in CASES if not ns.only or any(s in c.id for s in ns.only)]
    if ns.list:
        for c in cases:
            print(f"{c.id:<24} {c.repo}@{c.commit[:10]} {c.path}  {c.expr}")
        return 0
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-code-exam"
    mirror_root = Path(ns.mirror_root)
    if ns.truth_only:
        bad = 0
        for c in cases:
            d = case_dir(work, c)
            extract(find_gitdir(mirror_root, c.repo), c.commit, c.extract, d)
            t = run_child(c, d, "truth", ns.via, ns.timeout)
            print(f"{c.id:<24} {'ok' if t.get('ok') else 'FAIL'} {len(t.get('entries', []))} "
                  f"{t.get('error', '')}")
            bad += not t.get("ok")
        return 1 if bad else 0
    def one(case: Case) -> Dict[str, Any]:
        res = run_case(case, work, mirror_root, ns.via, ns.timeout)
        cmp_ = res.get("cmp") or {}
        print(f"[{res['status']}] {case.id} {cmp_.get('n_right', '')}/{cmp_.get('n_truth', '')}",
              file=sys.stderr, flush=True)
        return res

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
        results = list(pool.map(one, cases))
    table = render(results)
    print(table)
    details = render_details(results)
    if details.strip():
        print("\n" + details)
    if ns.json_out:
        Path(ns.json_out).write_text(json.dumps(results, indent=1))
    if ns.markdown:
        Path(ns.markdown).write_text("```\n" + table + "\n```\n\n" + details)
    exact = sum(1 for r in results if r["status"] == "exact")
    return 0 if exact == len(results) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
