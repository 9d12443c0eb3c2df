"""`wlint ckpt CKPT`: what a checkpoint file holds, read without torch and without
unpickling (WL306-WL309). `--format json` is the JSON of DESIGN §2, which is also
a signature file `wlint verify` accepts in place of the checkpoint."""

from __future__ import annotations

import argparse

from wlint.checkpoint.read import CheckpointPathError, read_checkpoint
from wlint.commands import emit, findings_exit, option, render_report

ERRORS = (CheckpointPathError,)


def run(ns: argparse.Namespace) -> int:
    """Exit 0 when the file is readable and nothing is to be said, 1 with findings."""
    ckpt = read_checkpoint(ns.ckpt)
    fmt = option(ns, "format", "text")
    if fmt == "text":
        from wlint.checkpoint.text import render

        text = render(ckpt)
    elif fmt == "json":
        text = ckpt.to_json_text()
    else:
        text = render_report(ckpt.findings, ns, "ckpt")
    emit(text, option(ns, "output"))
    return findings_exit(ckpt.findings)
