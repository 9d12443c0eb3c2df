"""The text prefilter of the WL1xx rules, shared by `wlint check` and the flake8
plugin: a file whose text lacks every rule family's trigger words cannot hold a
finding and is never parsed or walked.

It imports nothing, so the flake8 plugin costs next to nothing on code that
never touches checkpoints (the rules are imported the first time a file passes).
"""

from __future__ import annotations

from typing import Callable, Collection, Optional, Tuple


def _loading(text: str) -> bool:  # WL101/WL102/WL106: torch.load & co need an import of torch
    return "torch" in text and "load" in text


def _saving(text: str) -> bool:  # WL104/WL105: torch.save
    return "torch" in text and "save" in text


def _strict(text: str) -> bool:  # WL103: model.load_state_dict(..., strict=False)
    return "load_state_dict" in text


FAMILIES: Tuple[Tuple[Tuple[str, ...], Callable[[str], bool]], ...] = (
    (("WL101", "WL102", "WL106"), _loading),
    (("WL104", "WL105"), _saving),
    (("WL103",), _strict),
)


def could_match(text: str, codes: Optional[Collection[str]] = None) -> bool:
    """True unless no rule (among `codes`, default all) can fire on this text."""
    for family_codes, triggered in FAMILIES:
        if codes is not None and not any(code in codes for code in family_codes):
            continue
        if triggered(text):
            return True
    return False
