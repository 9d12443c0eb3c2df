"""The text table `wlint ckpt` prints (the JSON is `Checkpoint.to_json`)."""

from __future__ import annotations

from typing import List

from wlint.checkpoint import dtypes
from wlint.checkpoint.listing import Checkpoint, TensorEntry


def _shape(e: TensorEntry) -> str:
    return "[" + ", ".join(str(d) for d in e.shape) + "]" if e.shape is not None else "?"


def _bytes(entries: List[TensorEntry]) -> int:
    total = 0
    seen = set()
    for e in entries:
        size = dtypes.itemsize(e.dtype)
        if e.shape is None or not size or (e.storage and e.storage in seen):
            continue
        if e.storage:
            seen.add(e.storage)
        n = size
        for d in e.shape:
            n *= d
        total += n
    return total


def _human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def render(ckpt: Checkpoint) -> str:
    from wlint.report.text_report import format_finding

    lines: List[str] = []
    where = ("not found" if ckpt.state_dict_at is None else
             "the whole file" if ckpt.state_dict_at == "" else ckpt.state_dict_at)
    head = f"{ckpt.path}: {ckpt.format}, state_dict at {where}"
    if ckpt.entries:
        head += f", {len(ckpt.entries)} keys, ~{_human(_bytes(ckpt.entries))} of tensors"
    if ckpt.signature:
        head += " (signature file)"
    lines.append(head)
    if ckpt.module_class:
        kind = "TorchScript module" if ckpt.format == "torchscript" else "pickled module"
        lines.append(f"{kind}: {ckpt.module_class}")
    if ckpt.other:
        lines.append("other entries: " + ", ".join(ckpt.other))
    if ckpt.entries:
        rows = [(e.key, _shape(e), e.dtype or "-", e.device or "-") for e in ckpt.entries]
        widths = [max(len(r[i]) for r in rows + [("key", "shape", "dtype", "device")])
                  for i in range(4)]
        lines.append("")
        for row in [("key", "shape", "dtype", "device")] + rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if ckpt.globals:
        lines.append("")
        lines.append("globals: " + ", ".join(ckpt.globals))
    if ckpt.findings:
        lines.append("")
        lines.extend(format_finding(f) for f in ckpt.findings)
    return "\n".join(lines) + "\n"
