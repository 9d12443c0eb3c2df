"""Real-code exam: `wlint keys` against torch on public model files it was not developed on.

Each case names a public repository, a pinned commit, the files to extract
and a constructor EXPR with a small config.  The files are extracted from
local git mirrors (``--mirror-root``: one ``owner+name/repo`` git dir per
repository, as the fetch tool brings them) into a scratch folder OUTSIDE this
repository; nothing of theirs is committed here.  For every case:

* torch truth (a fresh worker process): the real module is imported from the
  extraction (third-party packages the model code needs come from
  ``--deps``, a ``pip install --target`` folder, see below; non-model helpers
  that cannot be installed are replaced by our own stubs, ``STUBS`` and
  ``Case.permissive``, in this worker only), EXPR is evaluated in the module
  namespace under ``with torch.device(case.device)`` and the ordered
  ``state_dict()`` keys, shapes, parameter/buffer kind and, for every
  submodule, the class (file and line) that built it are recorded;
* prediction: ``wlint keys PATH EXPR --format json`` of the wlint checkout
  given by ``--wlint`` (default: the current directory) in a fresh process;
* comparison: ordered keys, shapes, kinds ("exact" = all three agree), and
  every difference classified as
  - *declared*: the key is covered by a ``{i}`` placeholder, the shape item is
    symbolic, the entry carries a ``condition``, or an ``unresolved`` note
    lies in a class on the key's module path (or at module level of a file
    such a class is defined in: factory functions);
  - *silent*: none of these (a wrong integer, a missing or extra key nobody
    warned about).  "silent, no note at all" = the prediction had an empty
    ``unresolved`` list.
  Crashes: a traceback, a timeout or an exit code other than 0/1 (exit 2 with
  a one-line message counts as "rejected", a declared miss of the whole case).

Third-party packages (``--deps``). The truth worker imports them; the wlint process
gets the folder on its ``PYTHONPATH``, as in the environment of a user who trains
the model (llama users have fairscale installed), so wlint reads their installed
*source* like project code (never importing it, see ``wlint.model.site``);
``--no-wlint-deps`` leaves it off (the figures before issue 12's third-party part)::

    pip install --no-deps --target /tmp/wlint-exam-deps einops==0.8.2 fairscale==0.4.13 \\
        julius==0.2.8 pillow fvcore iopath yacs termcolor tabulate portalocker tqdm

Usage (offline once the mirrors and deps exist)::

    python bench/real_code_exam.py --mirror-root /work/.mirror [--wlint DIR] [--deps DIR]
        [--only SUBSTR] [--repo OWNER/NAME] [--json-out FILE] [--markdown FILE] [-j N]
    python bench/real_code_exam.py --list        # the cases and their pinned commits
    python bench/real_code_exam.py --truth-only  # check that torch builds every case

Not part of the test suite (it needs the mirrors and takes minutes).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve()
DEFAULT_DEPS = os.environ.get("WLINT_EXAM_DEPS", "/tmp/wlint-exam-deps")


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
    permissive: Tuple[str, ...] = ()  # modules replaced by permissive stubs in the truth worker


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



# --------------------------------------------------------------------- pinned commits, new repositories
TIMM = "aa4b5850c1543fa488abf260f18390eda46cf85d"
XT = "cc436b3cf5e8354b0ea9c5ae85fbb85290d226a5"  # before einx/loguru became imports
LITGPT = "26857050fe3ff627cd714fe92f5838f51a3d5efa"
LLAMA = "689c7f261b9c5514636ecc3c5fefefcbb3e6eed7"
WHISPER = "c0d2f624c09dc18e709e37c2ad90c039a4eb72a2"
DEMUCS = "e976d93ecc3865e5757426930257e200846a520a"
D2 = "02b5c4e295e990042a714712c21dc79b731e8833"
SD = "21f890f9da3cfbeaba8e2ac3c425ee9e998d5229"

# torchvision is not installable beside torch 2.13: packages that import it for
# data/ops helpers get a permissive stand-in in the truth worker.
TV_PERMISSIVE = (
    "torchvision", "torchvision.ops", "torchvision.ops.misc", "torchvision.ops.boxes",
    "torchvision.transforms", "torchvision.transforms.functional", "torchvision.transforms.v2",
    "torchvision.transforms.v2.functional", "torchvision.datasets", "torchvision.io",
    "torchvision.models", "torchvision.utils",
)


def _timm(id_: str, mod: str, expr: str, note: str = "", device: str = "meta") -> Case:
    return Case(id_, "huggingface/pytorch-image-models", TIMM, ("timm",), f"timm/models/{mod}.py",
                f"timm.models.{mod}", expr, permissive=TV_PERMISSIVE, note=note, device=device)


def _xt(id_: str, expr: str, mod: str = "x_transformers") -> Case:
    return Case(id_, "lucidrains/x-transformers", XT, ("x_transformers",), f"x_transformers/{mod}.py",
                f"x_transformers.{mod}", expr, packages=("x_transformers",))


def _litgpt(id_: str, expr: str) -> Case:
    # older config.py imports find_multiple from litgpt.utils, which imports lightning
    return Case(id_, "Lightning-AI/litgpt", LITGPT,
                ("litgpt/model.py", "litgpt/config.py", "litgpt/__init__.py", "litgpt/utils.py"),
                "litgpt/model.py", "litgpt.model", expr, packages=("litgpt", "litgpt.scripts"),
                permissive=("litgpt.scripts.convert_hf_checkpoint", "lightning.*", "lightning_utilities.*", "psutil.*"))


def _whisper(id_: str, expr: str) -> Case:
    return Case(id_, "openai/whisper", WHISPER, ("whisper",), "whisper/model.py", "whisper.model", expr,
                packages=("whisper",), permissive=("whisper.decoding", "whisper.transcribe"))


def _demucs(id_: str, mod: str, expr: str) -> Case:
    return Case(id_, "facebookresearch/demucs", DEMUCS, ("demucs",), f"demucs/{mod}.py", f"demucs.{mod}", expr,
                packages=("demucs",),
                permissive=("omegaconf", "dora", "dora.log", "openunmix", "openunmix.filtering"))


def _llama(id_: str, expr: str) -> Case:
    return Case(id_, "meta-llama/llama", LLAMA, ("llama",), "llama/model.py", "llama.model", expr,
                packages=("llama",), stubs=("fairscale-mp1", "cuda-noop"))


def _d2(id_: str, mod: str, expr: str) -> Case:
    return Case(id_, "facebookresearch/detectron2", D2, ("detectron2",), f"detectron2/modeling/backbone/{mod}.py",
                f"detectron2.modeling.backbone.{mod}", expr,
                packages=("detectron2", "detectron2.modeling"), stubs=("d2-ops",),
                permissive=TV_PERMISSIVE + ("detectron2._C", "pycocotools", "pycocotools.mask"))  # older: imported at import


def _sd(id_: str, mod: str, expr: str) -> Case:
    return Case(id_, "CompVis/stable-diffusion", SD, ("ldm",), f"ldm/modules/{mod}.py",
                "ldm.modules." + mod.replace("/", "."), expr,
                packages=("ldm", "ldm.modules", "ldm.modules.diffusionmodules"))


_XT_DEC = "attn_layers=Decoder(dim=64, depth=2, heads=2"
_LITGPT_SMALL = "n_layer=1, n_embd=64, n_head=2, block_size=32, padded_vocab_size=100, vocab_size=100"
_D2_CFG = "img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=2"
_W_DIMS = ("n_audio_ctx=50, n_audio_state=64, n_audio_head=2, n_audio_layer=2, n_vocab=100, n_text_ctx=16,"
           " n_text_state=64, n_text_head=2, n_text_layer=2")
_SD_UNET = ("image_size=32, in_channels=4, model_channels=32, out_channels=4, num_res_blocks=1,"
            " attention_resolutions=[2], channel_mult=(1, 2), num_heads=2")
_SD_AE = ("ch=32, out_ch=3, ch_mult=(1, 2), num_res_blocks=1, attention_resolutions=[16], in_channels=3,"
          " resolution=32, z_channels=4")

NEW_CASES: List[Case] = [
    # timm: registered factory functions over build_model_with_cfg, layer factories, partials
    _timm("timm-resnet18", "resnet", "resnet18(num_classes=10)"),
    _timm("timm-resnet50d", "resnet", "resnet50d(num_classes=10)"),
    _timm("timm-seresnext26d", "resnet", "seresnext26d_32x4d(num_classes=10)"),
    _timm("timm-resnet-class", "resnet", "ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)"),
    _timm("timm-vit-tiny", "vision_transformer", "vit_tiny_patch16_224(num_classes=10)"),
    _timm("timm-vit-class", "vision_transformer",
          "VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10)"),
    _timm("timm-vit-avg-reg", "vision_transformer",
          "VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10,"
          " class_token=False, global_pool='avg', reg_tokens=4)"),
    _timm("timm-deit-distilled", "deit", "deit_tiny_distilled_patch16_224(num_classes=10)"),
    _timm("timm-convnext-atto", "convnext", "convnext_atto(num_classes=10)"),
    _timm("timm-efficientnet-b0", "efficientnet", "efficientnet_b0(num_classes=10)"),
    _timm("timm-mobilenetv2", "efficientnet", "mobilenetv2_100(num_classes=10)"),
    _timm("timm-mnasnet", "efficientnet", "mnasnet_100(num_classes=10)"),
    _timm("timm-mobilenetv3-small", "mobilenetv3", "mobilenetv3_small_100(num_classes=10)"),
    _timm("timm-regnetx", "regnet", "regnetx_002(num_classes=10)"),
    _timm("timm-regnety", "regnet", "regnety_002(num_classes=10)"),
    _timm("timm-swin-tiny", "swin_transformer", "swin_tiny_patch4_window7_224(num_classes=10)"),
    _timm("timm-beit", "beit", "beit_base_patch16_224(num_classes=10)"),
    _timm("timm-mixer", "mlp_mixer", "mixer_s32_224(num_classes=10)"),
    _timm("timm-levit", "levit", "levit_128s(num_classes=10)"),
    _timm("timm-densenet121", "densenet", "densenet121(num_classes=10)"),
    _timm("timm-vgg11", "vgg", "vgg11(num_classes=10)"),
    _timm("timm-xception", "xception", "legacy_xception(num_classes=10)"),
    _timm("timm-ghostnet", "ghostnet", "ghostnet_100(num_classes=10)"),
    _timm("timm-rexnet", "rexnet", "rexnet_100(num_classes=10)"),
    _timm("timm-mobilevit", "mobilevit", "mobilevit_xxs(num_classes=10)"),
    _timm("timm-efficientformer", "efficientformer", "efficientformer_l1(num_classes=10)"),
    _timm("timm-pvt-v2", "pvt_v2", "pvt_v2_b0(num_classes=10)"),
    _timm("timm-poolformer", "metaformer", "poolformer_s12(num_classes=10)"),
    _timm("timm-coat", "coat", "coat_tiny(num_classes=10)"),
    _timm("timm-cait", "cait", "cait_xxs24_224(num_classes=10)"),
    _timm("timm-crossvit", "crossvit", "crossvit_tiny_240(num_classes=10)"),
    _timm("timm-edgenext", "edgenext", "edgenext_xx_small(num_classes=10)"),
    _timm("timm-dla34", "dla", "dla34(num_classes=10)"),
    _timm("timm-dpn68", "dpn", "dpn68(num_classes=10)"),
    _timm("timm-hrnet", "hrnet", "hrnet_w18_small(num_classes=10)"),
    _timm("timm-inception-v3", "inception_v3", "inception_v3(num_classes=10)"),
    _timm("timm-resnest", "resnest", "resnest14d(num_classes=10)"),
    _timm("timm-res2net", "res2net", "res2net50_26w_4s(num_classes=10)"),
    _timm("timm-selecsls", "selecsls", "selecsls42(num_classes=10)"),
    _timm("timm-convit", "convit", "convit_tiny(num_classes=10)"),
    _timm("timm-twins", "twins", "twins_pcpvt_small(num_classes=10)"),
    _timm("timm-visformer", "visformer", "visformer_tiny(num_classes=10)"),
    _timm("timm-gcvit", "gcvit", "gcvit_xxtiny(num_classes=10)"),
    _timm("timm-coatnet", "maxxvit", "coatnet_pico_rw_224(num_classes=10)"),
    _timm("timm-davit", "davit", "davit_tiny(num_classes=10)"),
    _timm("timm-fastvit", "fastvit", "fastvit_t8(num_classes=10)"),
    _timm("timm-repvit", "repvit", "repvit_m1(num_classes=10)"),
    _timm("timm-efficientvit", "efficientvit_mit", "efficientvit_b0(num_classes=10)"),
    _timm("timm-gernet", "byobnet", "gernet_s(num_classes=10)"),
    _timm("timm-hgnet", "hgnet", "hgnet_tiny(num_classes=10)"),
    _timm("timm-tiny-vit", "tiny_vit", "tiny_vit_5m_224(num_classes=10)"),
    # x-transformers: one big configurable AttentionLayers, wrappers taking a layer stack
    _xt("xt-decoder", f"TransformerWrapper(num_tokens=100, max_seq_len=32, {_XT_DEC}))"),
    _xt("xt-encoder", "TransformerWrapper(num_tokens=100, max_seq_len=32,"
        " attn_layers=Encoder(dim=64, depth=2, heads=2))"),
    _xt("xt-rotary-glu", f"TransformerWrapper(num_tokens=100, max_seq_len=32, {_XT_DEC},"
        " rotary_pos_emb=True, ff_glu=True, use_rmsnorm=True))"),
    _xt("xt-memkv-alibi", f"TransformerWrapper(num_tokens=100, max_seq_len=32, num_memory_tokens=2,"
        f" {_XT_DEC}, attn_num_mem_kv=2, alibi_pos_bias=True))"),
    _xt("xt-relpos", f"TransformerWrapper(num_tokens=100, max_seq_len=32, {_XT_DEC}, rel_pos_bias=True))"),
    _xt("xt-tied-embdim", f"TransformerWrapper(num_tokens=100, max_seq_len=32, emb_dim=32, tie_embedding=True,"
        f" {_XT_DEC}))"),
    _xt("xt-vit", "ViTransformerWrapper(image_size=32, patch_size=8, num_classes=10,"
        " attn_layers=Encoder(dim=64, depth=2, heads=2))"),
    _xt("xt-enc-dec", "XTransformer(dim=64, enc_num_tokens=100, enc_depth=1, enc_heads=2, enc_max_seq_len=32,"
        " dec_num_tokens=100, dec_depth=1, dec_heads=2, dec_max_seq_len=32)"),
    _xt("xt-cross-attend", "Decoder(dim=64, depth=2, heads=2, cross_attend=True)"),
    _xt("xt-continuous", "ContinuousTransformerWrapper(dim_in=8, dim_out=8, max_seq_len=32,"
        " attn_layers=Encoder(dim=64, depth=1, heads=2))", mod="continuous"),
    # litgpt: a config table with classmethod lookup, per-architecture branches
    _litgpt("litgpt-pythia-14m", "GPT(Config.from_name('pythia-14m'))"),
    _litgpt("litgpt-pythia-2l", "GPT(Config.from_name('pythia-14m', n_layer=2))"),
    _litgpt("litgpt-llama2", f"GPT(Config.from_name('Llama-2-7b-hf', {_LITGPT_SMALL}, intermediate_size=128))"),
    _litgpt("litgpt-gemma", f"GPT(Config.from_name('Gemma-2b', {_LITGPT_SMALL}, intermediate_size=128,"
            " head_size=32))"),
    _litgpt("litgpt-phi2", f"GPT(Config.from_name('phi-2', {_LITGPT_SMALL}, intermediate_size=128))"),
    _litgpt("litgpt-qwen3", f"GPT(Config.from_name('Qwen3-0.6B', {_LITGPT_SMALL}, intermediate_size=128,"
            " head_size=32, n_query_groups=1))"),
    _litgpt("litgpt-plain-config", "GPT(Config(n_layer=2, n_embd=64, n_head=2, block_size=32,"
            " vocab_size=100, padded_vocab_size=100))"),
    _litgpt("litgpt-block", "Block(Config(n_layer=1, n_embd=64, n_head=2, block_size=32), block_idx=0)"),
    # meta-llama/llama: fairscale model-parallel layers (real fairscale, world size 1)
    _llama("llama-transformer", "Transformer(ModelArgs(dim=64, n_layers=2, n_heads=4, vocab_size=100,"
           " max_seq_len=32, max_batch_size=1))"),
    _llama("llama-gqa", "Transformer(ModelArgs(dim=64, n_layers=1, n_heads=4, n_kv_heads=2, vocab_size=100,"
           " max_seq_len=32, max_batch_size=1, multiple_of=32, ffn_dim_multiplier=1.5))"),
    _llama("llama-block", "TransformerBlock(0, ModelArgs(dim=64, n_heads=4, vocab_size=100, max_seq_len=32,"
           " max_batch_size=1))"),
    _llama("llama-ffn", "FeedForward(dim=64, hidden_dim=256, multiple_of=32, ffn_dim_multiplier=None)"),
    # whisper: dataclass dims, sinusoid buffer from a module-level helper
    _whisper("whisper", f"Whisper(ModelDimensions(n_mels=80, {_W_DIMS}))"),
    _whisper("whisper-128mels", f"Whisper(ModelDimensions(n_mels=128, {_W_DIMS}))"),
    _whisper("whisper-encoder", "AudioEncoder(80, 50, 64, 2, 2)"),
    _whisper("whisper-decoder", "TextDecoder(100, 16, 64, 2, 2)"),
    _whisper("whisper-block", "ResidualAttentionBlock(64, 2, cross_attention=True)"),
    # demucs: waveform U-Nets, a decorator on __init__, LSTM/transformer bottlenecks
    _demucs("demucs", "demucs", "Demucs(sources=['drums', 'bass'], channels=8, depth=2)"),
    _demucs("demucs-lstm", "demucs", "Demucs(['a', 'b', 'c', 'd'], channels=8, depth=3, lstm_layers=1)"),
    _demucs("hdemucs", "hdemucs", "HDemucs(['a', 'b'], channels=8, depth=2)"),
    _demucs("htdemucs", "htdemucs", "HTDemucs(['a', 'b'], channels=8, depth=2, t_layers=1, bottom_channels=16)"),
    _demucs("demucs-cross-transformer", "transformer",
            "CrossTransformerEncoder(dim=32, num_heads=2, num_layers=2)"),
    # detectron2 backbones: string norms through get_norm, stage builders, registries
    _d2("d2-resnet18", "resnet", "ResNet(BasicStem(3, 16, norm='BN'), ResNet.make_default_stages(18, norm='BN'),"
        " out_features=['res5'])"),
    _d2("d2-resnet50-frozen", "resnet", "ResNet(BasicStem(3, 64), ResNet.make_default_stages(50), "
        "out_features=['res4'])"),
    _d2("d2-bottleneck", "resnet", "BottleneckBlock(64, 256, bottleneck_channels=64, norm='BN')"),
    _d2("d2-basic-block", "resnet", "BasicBlock(16, 32, stride=2, norm='BN')"),
    _d2("d2-vit", "vit", f"ViT({_D2_CFG}, out_feature='last_feat')"),
    _d2("d2-vit-relpos", "vit", f"ViT({_D2_CFG}, use_rel_pos=True, window_size=2, window_block_indexes=[0])"),
    _d2("d2-regnet", "regnet", "RegNet(stem_class=SimpleStem, stem_width=16, block_class=ResBottleneckBlock,"
        " depth=4, w_a=8.0, w_0=16, w_m=2.0, group_width=8, norm='BN')"),
    _d2("d2-swin", "swin", "SwinTransformer(pretrain_img_size=64, embed_dim=32, depths=(1, 1, 1, 1),"
        " num_heads=(1, 2, 2, 4), window_size=4)"),
    # stable-diffusion (ldm): OpenAI UNet with attention blocks chosen by flags, AE encoder/decoder
    _sd("sd-unet", "diffusionmodules/openaimodel", f"UNetModel({_SD_UNET})"),
    _sd("sd-unet-spatial", "diffusionmodules/openaimodel",
        f"UNetModel({_SD_UNET}, use_spatial_transformer=True, transformer_depth=1, context_dim=32)"),
    _sd("sd-unet-classes", "diffusionmodules/openaimodel",
        f"UNetModel({_SD_UNET}, num_classes=10, use_scale_shift_norm=True, resblock_updown=True)"),
    _sd("sd-encoder-unet", "diffusionmodules/openaimodel",
        "EncoderUNetModel(image_size=32, in_channels=3, model_channels=32, out_channels=10, num_res_blocks=1,"
        " attention_resolutions=[2], channel_mult=(1, 2), pool='adaptive')"),
    _sd("sd-ae-encoder", "diffusionmodules/model", f"Encoder({_SD_AE}, double_z=True)"),
    _sd("sd-ae-decoder", "diffusionmodules/model", f"Decoder({_SD_AE})"),
    _sd("sd-ae-model", "diffusionmodules/model", "Model(ch=32, out_ch=3, ch_mult=(1, 2), num_res_blocks=1,"
        " attention_resolutions=[16], in_channels=3, resolution=32)"),
    _sd("sd-spatial-transformer", "attention", "SpatialTransformer(64, 2, 32, depth=1, context_dim=32)"),
    _sd("sd-basic-block", "attention", "BasicTransformerBlock(64, 2, 32, context_dim=32)"),
    _sd("sd-cross-attention", "attention", "CrossAttention(64, context_dim=32, heads=2, dim_head=32)"),
    _sd("sd-linear-attention", "attention", "LinearAttention(dim=32, heads=2, dim_head=16)"),
    _sd("sd-x-transformer", "x_transformer", "TransformerWrapper(num_tokens=100, max_seq_len=32,"
        " attn_layers=Encoder(dim=64, depth=2, heads=2))"),
]
CASES += NEW_CASES


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
    # meta-llama/llama builds fairscale's model-parallel layers: a one-process gloo group
    # on loopback and a model-parallel size of 1 (what a single-GPU run does).
    "fairscale-mp1": '''
import socket
import torch.distributed as dist
_s = socket.socket(); _s.bind(("127.0.0.1", 0)); _port = _s.getsockname()[1]; _s.close()
if not dist.is_initialized():
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_port}", rank=0, world_size=1)
import fairscale.nn.model_parallel.initialize as _fs_init
if not _fs_init.model_parallel_is_initialized():
    _fs_init.initialize_model_parallel(1)
''',
    # llama's attention allocates its KV cache with `.cuda()`: a no-op on this CPU machine
    # (the cache is a plain attribute, not part of the state_dict).
    "cuda-noop": '''
import torch
torch.Tensor.cuda = lambda self, *a, **k: self
''',
    # older detectron2 binds its compiled ops at import (`torch.ops.detectron2.nms_rotated`)
    "d2-ops": '''
import torch
class _Ops:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: None
torch.ops.__dict__["detectron2"] = _Ops()
''',
}

# A permissive module: every attribute is a class that accepts anything, so
# imports of data/IO helpers succeed; used for `Case.permissive` modules only.
PERMISSIVE = '''
import sys, types
class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Meta(name, (_Anything,), {})
class _Anything(metaclass=_Meta):
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Anything()
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()
class _Permissive(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Meta(name, (_Anything,), {})
for _n in NAMES:
    if _n.endswith(".*"):
        continue
    _m = _Permissive(_n)
    _m.__path__ = []
    sys.modules[_n] = _m
for _n in NAMES:
    _p, _, _c = _n.rpartition(".")
    if _p in sys.modules and not _n.endswith(".*"):
        setattr(sys.modules[_p], _c, sys.modules[_n])
# "pkg.*": every submodule of pkg is permissive too, whatever a commit imports from it
_TREES = tuple(_n[:-2] for _n in NAMES if _n.endswith(".*"))
if _TREES:
    import importlib.abc, importlib.machinery
    class _TreeFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if any(name == t or name.startswith(t + ".") for t in _TREES):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None
        def create_module(self, spec):
            return _Permissive(spec.name)
        def exec_module(self, module):
            module.__path__ = []
    sys.meta_path.insert(0, _TreeFinder())
'''


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


def _module_origins(model: Any, repo_dir: Path) -> Dict[str, List[Any]]:
    """Submodule name -> [class name, file relative to repo_dir, class line] for project classes."""
    out: Dict[str, List[Any]] = {}
    base = str(repo_dir.resolve())
    origins: Dict[type, Optional[List[Any]]] = {}  # inspect re-parses the file on every call: once per class
    for name, mod in model.named_modules():
        cls = type(mod)
        if cls not in origins:
            origins[cls] = _class_origin(cls, base)
        if origins[cls] is not None:
            out[name] = origins[cls]
    return out


_CLASS_LINES: Dict[str, Dict[str, int]] = {}


def _class_lines(path: str) -> Dict[str, int]:
    """Qualified class name -> line of its `class` statement, one parse per file."""
    if path not in _CLASS_LINES:
        lines: Dict[str, int] = {}

        def walk(body: List[ast.stmt], prefix: str) -> None:
            for node in body:
                if isinstance(node, ast.ClassDef):
                    lines.setdefault(prefix + node.name, node.lineno)
                    walk(node.body, prefix + node.name + ".")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    walk(node.body, prefix + node.name + ".<locals>.")
                elif isinstance(node, (ast.If, ast.Try, ast.With)):
                    walk(getattr(node, "body", []) + getattr(node, "orelse", []), prefix)

        with contextlib.suppress(OSError, SyntaxError, ValueError):
            walk(ast.parse(Path(path).read_text(encoding="utf-8", errors="replace")).body, "")
        _CLASS_LINES[path] = lines
    return _CLASS_LINES[path]


def _class_origin(cls: type, base: str) -> Optional[List[Any]]:
    """[qualname, file relative to base, line of the class statement] of a class defined under base."""
    src = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not src:
        return None
    src = str(Path(src).resolve())
    if not src.startswith(base + os.sep):
        return None
    line = _class_lines(src).get(cls.__qualname__)
    return [cls.__qualname__, os.path.relpath(src, base), line] if line else None


_READY: List[Tuple[Any, ...]] = []


def setup_imports(case: Case, repo_dir: Path, deps: str) -> None:
    """Import path, permissive modules, stubs and empty packages (once per process and setup)."""
    if _group_key(case) in _READY:
        return
    _READY.append(_group_key(case))
    root = repo_dir / case.root if case.root else repo_dir
    sys.path.insert(0, str(root))
    if deps and Path(deps).is_dir():
        sys.path.append(deps)
    if case.permissive:
        exec(compile(PERMISSIVE, "<permissive>", "exec"), {"NAMES": case.permissive})
    for stub in case.stubs:
        if not stub.endswith(":post"):
            exec(compile(STUBS[stub], f"<stub {stub}>", "exec"), {})
    _install_packages(root, case.packages)
    for stub in case.stubs:
        if stub.endswith(":post"):
            exec(compile(STUBS[stub], f"<stub {stub}>", "exec"), {})


def torch_truth(case: Case, repo_dir: Path, deps: str) -> Dict[str, Any]:
    """Import the real module and build EXPR on the case's device."""
    import contextlib
    import importlib
    import io

    import torch

    setup_imports(case, repo_dir, deps)
    with contextlib.redirect_stdout(io.StringIO()):
        mod = importlib.import_module(case.module)
        try:
            with torch.device(case.device):
                model = eval(case.expr, vars(mod))
        except NotImplementedError as exc:
            # an op with no meta kernel in __init__ (older whisper: `.to_sparse()` of a buffer):
            # the small exam configurations build on cpu as well, with the same state_dict
            if case.device != "meta" or "Meta" not in str(exc):
                raise
            with torch.device("cpu"):
                model = eval(case.expr, vars(mod))
    params = {k for k, _ in model.named_parameters(remove_duplicate=False)}
    entries = []
    for key, val in model.state_dict(keep_vars=True).items():
        kind = "parameter" if key in params else "buffer"
        shape = list(val.shape) if hasattr(val, "shape") else None
        entries.append({"key": key, "shape": shape, "kind": kind})
    return {"class": type(model).__name__, "entries": entries, "modules": _module_origins(model, repo_dir)}


# --------------------------------------------------------------------- prediction
def wlint_env(wlint_dir: str, deps: str = "") -> Dict[str, str]:
    """Environment of a wlint process: the checkout under test first on the import path,
    then the deps folder (the environment the model is trained in has its packages
    installed: wlint reads their source, wlint.model.site; it never imports them)."""
    env = dict(os.environ)
    path = [str(Path(wlint_dir).resolve())]
    if deps and Path(deps).is_dir():
        path.append(str(Path(deps).resolve()))
        env["WLINT_THIRD_PARTY_SOURCE"] = "1"  # opt-in (wlint.model.site)
    env["PYTHONPATH"] = os.pathsep.join(path)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def wlint_keys(case: Case, repo_dir: Path, wlint_dir: str, timeout: float,
               deps: str = "") -> Dict[str, Any]:
    """`wlint keys PATH EXPR --format json` in a fresh process; status ok/rejected/crash."""
    cmd = [sys.executable, "-m", "wlint", "keys", case.path, case.expr, "--format", "json"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(repo_dir), timeout=timeout,
                              env=wlint_env(wlint_dir, deps))
    except subprocess.TimeoutExpired:
        return {"ok": False, "status": "crash", "error": f"timeout after {timeout:.0f}s"}
    seconds = round(time.perf_counter() - t0, 3)
    err = proc.stderr.strip()
    if "Traceback (most recent call last)" in err or proc.returncode not in (0, 1, 2):
        return {"ok": False, "status": "crash", "seconds": seconds,
                "error": f"exit {proc.returncode}: {err[-1500:]}"}
    if proc.returncode == 2:
        return {"ok": False, "status": "rejected", "seconds": seconds, "error": err[-500:]}
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return {"ok": False, "status": "crash", "seconds": seconds, "error": f"bad json: {exc}"}
    entries = [{k: e.get(k) for k in ("key", "shape", "kind", "condition", "line")} for e in data["entries"]]
    return {"ok": True, "entries": entries, "unresolved": data.get("unresolved", []), "seconds": seconds}


def case_from_json(data: Dict[str, Any]) -> Case:
    data = dict(data)
    for name in ("extract", "stubs", "packages", "permissive"):
        data[name] = tuple(data.get(name, ()))
    return Case(**data)


def _module_under(mod: Any, base: str) -> bool:
    """Whether a module's file or package path lies in the folder `base`."""
    where = [getattr(mod, "__file__", None) or ""]
    paths = getattr(mod, "__path__", None)
    if isinstance(paths, (list, tuple)) or type(paths).__name__ == "_NamespacePath":
        where += [str(p) for p in paths]
    return any(isinstance(w, str) and w.startswith(base) for w in where)


def _forget(case: Case, repo_dir: Path) -> None:
    """Drop the modules of one extraction, so the next group (another commit) imports afresh."""
    base = str(repo_dir.resolve())
    for name, mod in list(sys.modules.items()):
        if name in case.packages or name in case.permissive or _module_under(mod, base):
            del sys.modules[name]
    root = str(repo_dir / case.root if case.root else repo_dir)
    if root in sys.path:
        sys.path.remove(root)
    _READY.clear()


def worker(batch_file: str, deps: str) -> None:
    """Entry point of a truth child process: builds every case of a batch of groups.

    The cases of one group share their extraction, stubs and packages, so the
    package is imported once per group; torch once per process.  Between
    groups the previous extraction's modules are forgotten.  Each case is built
    and reported apart.
    """
    outs = []
    for group in json.loads(Path(batch_file).read_text()):
        repo_dir = Path(group["repo_dir"])
        cases = [case_from_json(d) for d in group["cases"]]
        for case in cases:
            t0 = time.perf_counter()
            try:
                out = torch_truth(case, repo_dir, deps)
                out["ok"] = True
            except BaseException as exc:  # report, never crash the table
                import traceback

                out = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                       "trace": traceback.format_exc()[-2000:]}
            out["seconds"] = round(time.perf_counter() - t0, 3)
            outs.append(out)
        _forget(cases[0], repo_dir)
    sys.stdout.write("\n@@RESULT@@" + json.dumps(outs) + "\n")


def _group_key(case: Case) -> Tuple[Any, ...]:
    return (case.repo, case.commit, case.root, case.stubs, case.packages, case.permissive)


def _truth_cache(work: Path, case: Case) -> Path:
    import hashlib

    digest = hashlib.sha1(json.dumps(asdict(case), sort_keys=True).encode()).hexdigest()[:16]
    return work / "truth" / f"{case.id}-{digest}.json"


def run_truths(cases: List[Case], work: Path, deps: str, timeout: float, jobs: int) -> Dict[str, Dict[str, Any]]:
    """Torch truth of every case (cached on disk per case), one fresh process per import setup."""
    found: Dict[str, Dict[str, Any]] = {}
    todo: Dict[Tuple[Any, ...], List[Case]] = {}
    for case in cases:
        cache = _truth_cache(work, case)
        if cache.exists():
            found[case.id] = json.loads(cache.read_text())
        else:
            todo.setdefault(_group_key(case), []).append(case)

    def run_batch(groups: List[List[Case]]) -> None:
        outs = run_truth_batch([(case_dir(work, g[0]), g) for g in groups], deps, timeout)
        for case, out in zip([c for g in groups for c in g], outs):
            found[case.id] = out
            if out.get("ok"):
                cache = _truth_cache(work, case)
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(out))

    batches: List[List[List[Case]]] = []
    for group in todo.values():  # consecutive groups of one repository share a process
        if batches and batches[-1][0][0].repo == group[0].repo and len(batches[-1]) < BATCH_GROUPS:
            batches[-1].append(group)
        else:
            batches.append([group])
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(run_batch, batches))
    return found


BATCH_GROUPS = 6  # import setups (commits) per truth process


def run_truth_group(cases: List[Case], repo_dir: Path, deps: str, timeout: float) -> List[Dict[str, Any]]:
    """Torch truth of one import setup in a fresh process (what a user of torch pays)."""
    return run_truth_batch([(repo_dir, cases)], deps, timeout)


def run_truth_batch(groups: List[Tuple[Path, List[Case]]], deps: str, timeout: float) -> List[Dict[str, Any]]:
    """Torch truth in a fresh process (the parent never imports torch); `timeout` per case."""
    n = sum(len(cases) for _, cases in groups)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump([{"repo_dir": str(d), "cases": [asdict(c) for c in cases]} for d, cases in groups], fh)
    cmd = [sys.executable, str(HERE), "--worker", fh.name, "--deps", deps]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * n, cwd=str(groups[0][0]))
    except subprocess.TimeoutExpired:
        return [{"ok": False, "error": f"timeout after {timeout * n:.0f}s"} for _ in range(n)]
    finally:
        os.unlink(fh.name)
    marker = proc.stdout.rfind("@@RESULT@@")
    if marker < 0:
        if len(groups) > 1:  # one group killed the process: run each apart
            return [out for g in groups for out in run_truth_batch([g], deps, timeout)]
        err = f"worker died (exit {proc.returncode}): {proc.stderr.strip()[-800:]}"
        return [{"ok": False, "error": err} for _ in range(n)]
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


def _placeholder(key: str) -> Optional[re.Pattern[str]]:
    if "{" not in key:
        return None
    parts = re.split(r"(\{[^}]*\})", key)
    return re.compile("".join(r"[^.]+" if p.startswith("{") else re.escape(p) for p in parts))


class Spans:
    """Line spans of the classes and top-level functions of the extracted files (for note matching)."""

    def __init__(self, repo_dir: Path) -> None:
        self.repo_dir = repo_dir
        self._files: Dict[str, Dict[str, Tuple[int, int]]] = {}

    def classes(self, rel: str) -> Dict[str, Tuple[int, int]]:
        """Class name@line -> (first, last line) of every class in the file."""
        if rel not in self._files:
            spans: Dict[str, Tuple[int, int]] = {}
            try:
                tree = ast.parse((self.repo_dir / rel).read_text(encoding="utf-8", errors="replace"))
            except (OSError, SyntaxError, ValueError):
                tree = ast.Module(body=[], type_ignores=[])
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    spans[f"{node.name}@{node.lineno}"] = (first, node.end_lineno or node.lineno)
            self._files[rel] = spans
        return self._files[rel]

    def in_class(self, rel: str, line: int) -> bool:
        return any(a <= line <= b for a, b in self.classes(rel).values())


def _note_file(note: Dict[str, Any], case: Case) -> str:
    return note.get("path") or case.path


def note_matches(note: Dict[str, Any], chain: List[List[Any]], case: Case, spans: Spans) -> bool:
    """A note lies in a class on the key's module path, or at module level of a file of that path."""
    nfile, line = _note_file(note, case), int(note.get("line") or 0)
    for name, rel, cls_line in chain:
        if not (nfile == rel or nfile.endswith("/" + rel) or rel.endswith("/" + nfile)):
            continue
        short = name.rsplit(".", 1)[-1]
        span = next((sp for key, sp in spans.classes(rel).items()
                     if key.split("@")[0] == short and sp[0] <= int(cls_line or 0) <= sp[1]), None)
        if span and span[0] <= line <= span[1]:
            return True
        if not spans.in_class(rel, line):
            return True  # a factory/helper function or module statement of that file
    return False


def _chain(key: str, modules: Dict[str, List[Any]]) -> List[List[Any]]:
    """Origins of the modules on the key's path, innermost first (the root model last)."""
    parts = key.split(".")
    out = []
    for n in range(len(parts) - 1, -1, -1):
        name = ".".join(parts[:n])
        if name in modules:
            out.append(modules[name])
    return out


def compare(case: Case, truth: Dict[str, Any], pred: Dict[str, Any], spans: Spans) -> Dict[str, Any]:
    """Ordered keys, shapes and kinds; every difference classified declared or silent."""
    t = [(e["key"], _norm_shape(e["shape"]), e["kind"]) for e in truth["entries"]]
    p = [(e["key"], _norm_shape(e["shape"]), e["kind"], e.get("condition")) for e in pred["entries"]]
    tkeys, pkeys = [k for k, _, _ in t], [k for k, _, _, _ in p]
    tmap = {k: (s, kd) for k, s, kd in t}
    pmap = {k: (s, kd, c) for k, s, kd, c in p}
    notes = pred.get("unresolved") or []
    modules = truth.get("modules") or {}
    patterns = [(k, rx) for k in pkeys if (rx := _placeholder(k)) is not None]
    items: List[Dict[str, Any]] = []

    def add(key: str, what: str, detail: str, how: Optional[str]) -> None:
        if how is None:
            chain = _chain(key, modules)
            hit = next((n for n in notes if note_matches(n, chain, case, spans)), None)
            how = "note" if hit else None
            if hit:
                detail += f" [note {_note_file(hit, case)}:{hit.get('line')}]"
        items.append({"key": key, "what": what, "detail": detail, "declared": how is not None, "how": how})

    for k, s, kd in t:
        if k not in pmap:
            cover = next((pk for pk, rx in patterns if rx.fullmatch(k)), None)
            add(k, "missing", f"covered by {cover}" if cover else "", "placeholder" if cover else None)
            continue
        ps, pkd, cond = pmap[k]
        if ps != s:
            symbolic = ps is not None and len(ps) == len(s or []) and all(
                a == b or isinstance(a, str) for a, b in zip(ps, s or []))
            add(k, "shape", f"wlint {ps} vs torch {s}", "symbolic" if symbolic else ("condition" if cond else None))
        if pkd != kd:
            add(k, "kind", f"wlint {pkd} vs torch {kd}", "condition" if cond else None)
    for k, _ps, _pkd, cond in p:
        if k in tmap:
            continue
        if _placeholder(k) is not None:
            if not any(rx.fullmatch(tk) for pk, rx in patterns if pk == k for tk in tkeys):
                add(k, "extra", "placeholder matching no torch key", None)
            continue
        add(k, "extra", f"condition {cond}" if cond else "", "condition" if cond else None)
    common_t = [k for k in tkeys if k in pmap]
    common_p = [k for k in pkeys if k in tmap]
    order_ok = common_t == common_p and len(set(pkeys)) == len(pkeys)
    shape_pairs = [k for k in tkeys if k in pmap]
    concrete_pred = [k for k in pkeys if _placeholder(k) is None]
    return {
        "exact": tkeys == pkeys and not any(i["what"] in ("shape", "kind") for i in items),
        "order_ok": order_ok,
        "n_truth": len(t),
        "n_pred": len(p),
        "n_right": sum(1 for k, s, kd in t if k in pmap and pmap[k][:2] == (s, kd)),
        "keys_right": len(shape_pairs),
        "n_pred_concrete": len(concrete_pred),
        "pred_right": sum(1 for k in concrete_pred if k in tmap),
        "shapes_right": sum(1 for k in shape_pairs if pmap[k][0] == tmap[k][0]),
        "items": items,
        "silent": [i for i in items if not i["declared"]],
        "n_notes": len(notes),
    }


# --------------------------------------------------------------------- driver
def prepare(case: Case, work: Path, mirror_root: Path) -> Optional[str]:
    """Extract the case's files; an error message if that fails."""
    try:
        extract(find_gitdir(mirror_root, case.repo), case.commit, case.extract, case_dir(work, case))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def run_case(case: Case, work: Path, truth: Dict[str, Any], ns: argparse.Namespace) -> Dict[str, Any]:
    res: Dict[str, Any] = {"id": case.id, "repo": case.repo, "commit": case.commit, "path": case.path,
                           "expr": case.expr}
    repo_dir = case_dir(work, case)
    res["truth"] = truth
    if not truth.get("ok"):
        res["status"] = "truth-error"
        return res
    pred = wlint_keys(case, repo_dir, ns.wlint, ns.timeout, "" if ns.no_wlint_deps else ns.deps)
    res["pred"] = pred
    if not pred.get("ok"):
        res["status"] = pred["status"]
        return res
    res["cmp"] = compare(case, truth, pred, Spans(repo_dir))
    if res["cmp"]["exact"]:
        res["status"] = "exact"
    else:
        res["status"] = "silent" if res["cmp"]["silent"] else "declared"
    return res


def _fmt_list(items: List[Any], limit: int = 12) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def _pct(a: float, b: float) -> str:
    return f"{100.0 * a / b:.1f}" if b else "-"


def _timed_out(r: Dict[str, Any]) -> bool:
    """A wlint run killed by --timeout: load on the machine, not a crash of wlint."""
    return r["status"] == "crash" and str((r.get("pred") or {}).get("error", "")).startswith("timeout")


def summary_rows(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One row per repository plus the total: the figures issue 12 asks for."""
    repos: Dict[str, List[Dict[str, Any]]] = {}
    for r in results:
        repos.setdefault(r["repo"], []).append(r)
    rows = []
    for name, rs in list(repos.items()) + [("TOTAL", results)]:
        counted = [r for r in rs if r["status"] not in ("setup-error", "truth-error")]
        cmps = [r["cmp"] for r in counted if r.get("cmp")]
        rows.append({
            "repo": name,
            "cases": len(counted) - sum(1 for r in counted if _timed_out(r)),
            "exact": sum(1 for r in counted if r["status"] == "exact"),
            "declared": sum(1 for r in counted if r["status"] in ("declared", "rejected")),
            "silent": sum(1 for r in counted if r["status"] == "silent"),
            "silent_no_note": sum(1 for r in counted if r["status"] == "silent" and not r["cmp"]["n_notes"]),
            "crash": sum(1 for r in counted if r["status"] == "crash" and not _timed_out(r)),
            "timeout": sum(1 for r in counted if _timed_out(r)),
            "rejected": sum(1 for r in counted if r["status"] == "rejected"),
            "n/a": len(rs) - len(counted) + sum(1 for r in counted if _timed_out(r)),
            "precision": (sum(c["pred_right"] for c in cmps), sum(c["n_pred_concrete"] for c in cmps)),
            "recall": (sum(c["keys_right"] for c in cmps), sum(c["n_truth"] for c in cmps)),
            "shapes": (sum(c["shapes_right"] for c in cmps), sum(c["keys_right"] for c in cmps)),
        })
    return rows


def render_summary(results: List[Dict[str, Any]]) -> str:
    head = ("| repository | cases | exact | exact % | key precision % | key recall % | shape acc. % "
            "| declared misses | silent misses (no note at all) | crashes | rejected | n/a (truth fails / wlint timed out) |")
    lines = [head, "|---|" + "---:|" * 11]
    for row in summary_rows(results):
        name = f"**{row['repo']}**" if row["repo"] == "TOTAL" else row["repo"]
        lines.append(
            f"| {name} | {row['cases']} | {row['exact']} | {_pct(row['exact'], row['cases'])} "
            f"| {_pct(*row['precision'])} | {_pct(*row['recall'])} | {_pct(*row['shapes'])} "
            f"| {row['declared']} | {row['silent']} ({row['silent_no_note']}) | {row['crash']} "
            f"| {row['rejected']} | {row['n/a'] - row['timeout']} / {row['timeout']} |")
    return "\n".join(lines)


def render(results: List[Dict[str, Any]]) -> str:
    lines = []
    head = f"{'case':<28} {'status':<12} {'truth':>5} {'pred':>5} {'right':>5}  order  unres  silent  wlint s"
    lines.append(head)
    lines.append("-" * len(head))
    for r in results:
        cmp_ = r.get("cmp") or {}
        pred = r.get("pred") or {}
        unres = len(pred.get("unresolved") or [])
        lines.append(
            f"{r['id']:<28} {r['status']:<12} {cmp_.get('n_truth', ''):>5} {cmp_.get('n_pred', ''):>5}"
            f" {cmp_.get('n_right', ''):>5}  {('ok' if cmp_.get('order_ok') else '--') if cmp_ else '':<5}"
            f"  {unres if pred.get('ok') else '':>5}  {len(cmp_.get('silent', [])) if cmp_ else '':>6}"
            f"  {pred.get('seconds', ''):>7}"
        )
    return "\n".join(lines) + "\n\n" + render_summary(results)


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
            for label, sel in (("SILENT", [i for i in cmp_["items"] if not i["declared"]]),
                               ("declared", [i for i in cmp_["items"] if i["declared"]])):
                if sel:
                    out.append(f"- {label} ({len(sel)}): " + _fmt_list(
                        [f"{i['what']} {i['key']} {i['detail']} ({i['how'] or 'no note'})".rstrip() for i in sel],
                        8))
            if not cmp_["order_ok"]:
                out.append("- order differs on common keys")
        unres = (r.get("pred") or {}).get("unresolved") or []
        if unres:
            out.append("- wlint unresolved: " + _fmt_list(
                [f"{u.get('path', '') or 'L'}:{u['line']} {u['reason']}" for u in unres], 6))
        out.append("")
    return "\n".join(out)


def _construct(reason: str) -> str:
    """A note's reason with names and numbers blanked, so one construct groups across cases."""
    text = re.sub(r"`[^`]*`", "`…`", reason)
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"\b\d+\b", "N", text)[:140]


def render_constructs(results: List[Dict[str, Any]]) -> str:
    """Recurring `unresolved` reasons over the inexact cases: count, cases, one example location."""
    seen: Dict[str, Dict[str, Any]] = {}
    for r in results:
        if r["status"] == "exact":
            continue
        for u in (r.get("pred") or {}).get("unresolved") or []:
            key = _construct(u["reason"])
            rec = seen.setdefault(key, {"notes": 0, "cases": [], "example": ""})
            rec["notes"] += 1
            if r["id"] not in rec["cases"]:
                rec["cases"].append(r["id"])
            if not rec["example"]:
                rec["example"] = f"{u.get('path') or r['path']}:{u['line']} {u['reason'][:120]}"
    rows = sorted(seen.items(), key=lambda kv: (-len(kv[1]["cases"]), -kv[1]["notes"]))
    lines = ["| construct (reason, names blanked) | cases | notes | example | cases |", "|---|---:|---:|---|---|"]
    for key, rec in rows:
        lines.append(f"| {key.replace('|', '/')} | {len(rec['cases'])} | {rec['notes']} "
                     f"| {rec['example'].replace('|', '/')} | {_fmt_list(rec['cases'], 5)} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror", help="folder of fetched git mirrors")
    ap.add_argument("--wlint", default=".", help="wlint checkout under test (default: current directory)")
    ap.add_argument("--deps", default=DEFAULT_DEPS,
                    help="pip --target folder of third-party packages (torch truth; on wlint's PYTHONPATH too)")
    ap.add_argument("--no-wlint-deps", action="store_true",
                    help="do not put --deps on wlint's PYTHONPATH (third-party imports stay unknown)")
    ap.add_argument("--work", default=None, help="extraction folder (default: a temp dir outside the repo)")
    ap.add_argument("--only", action="append", default=[], help="run cases whose id contains this")
    ap.add_argument("--repo", action="append", default=[], help="run cases of this owner/name")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--markdown", default=None, help="write table + per-case diffs as markdown")
    ap.add_argument("--truth-only", action="store_true", help="check that torch truth builds for every case")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--from-json", default=None, metavar="JSON", help="render a previous --json-out, run nothing")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        worker(ns.worker, ns.deps)
        return 0
    if ns.from_json:
        return emit(json.loads(Path(ns.from_json).read_text()), ns)
    cases = [c for c in CASES if (not ns.only or any(s in c.id for s in ns.only))
             and (not ns.repo or c.repo in ns.repo)]
    if ns.list:
        for c in cases:
            print(f"{c.id:<28} {c.repo}@{c.commit[:10]} {c.path}  {c.expr}")
        print(f"{len(cases)} cases, {len({c.repo for c in cases})} repositories")
        return 0
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-code-exam"
    mirror_root = Path(ns.mirror_root)
    setup_errors = {c.id: err for c in cases if (err := prepare(c, work, mirror_root))}
    ready = [c for c in cases if c.id not in setup_errors]
    truths = run_truths(ready, work, ns.deps, ns.timeout, ns.jobs)
    if ns.truth_only:
        for c in cases:
            t = truths.get(c.id) or {"ok": False, "error": setup_errors.get(c.id)}
            print(f"{c.id:<28} {'ok' if t.get('ok') else 'FAIL'} {len(t.get('entries', []))} "
                  f"{t.get('seconds', '')}s {t.get('error', '')} {(t.get('trace') or '')[-400:]}")
        return 1 if any(not t.get("ok") for t in truths.values()) or setup_errors else 0

    def one(case: Case) -> Dict[str, Any]:
        if case.id in setup_errors:
            return {"id": case.id, "repo": case.repo, "commit": case.commit, "path": case.path,
                    "expr": case.expr, "status": "setup-error", "error": setup_errors[case.id]}
        res = run_case(case, work, truths[case.id], ns)
        cmp_ = res.get("cmp") or {}
        print(f"[{res['status']}] {case.id} {cmp_.get('n_right', '')}/{cmp_.get('n_truth', '')}"
              f" {(res.get('pred') or {}).get('seconds', '')}s", file=sys.stderr, flush=True)
        return res

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
        results = list(pool.map(one, cases))
    if ns.json_out:
        Path(ns.json_out).write_text(json.dumps(results, indent=1))
    return emit(results, ns)


def emit(results: List[Dict[str, Any]], ns: argparse.Namespace) -> int:
    """Print the table and the differences; write the markdown report."""
    table = render(results)
    print(table)
    details = render_details(results)
    if details.strip():
        print("\n" + details)
    if ns.markdown:
        Path(ns.markdown).write_text(render_summary(results) + "\n\n```\n" + table + "\n```\n\n" + details
                                     + "\n\n## Recurring unresolved constructs\n\n" + render_constructs(results))
    exact = sum(1 for r in results if r["status"] == "exact")
    return 0 if exact == len(results) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
