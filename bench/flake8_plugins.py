"""Run flake8 with some installed plugin packages left out, e.g. to time flake8
with and without the wlint plugin, or without TorchFix's plugin:

    python bench/flake8_plugins.py --drop wlint,torchfix -- --isolated --select F src/
"""

from __future__ import annotations

import argparse
import sys
from typing import Iterator, List, Optional, Sequence


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-")


def run(drop: Sequence[str], flake8_args: List[str]) -> int:
    """flake8's own main, with plugins of the `drop` distributions filtered out."""
    from flake8.main.cli import main as flake8_main
    from flake8.plugins import finder

    dropped = {_normalize(d) for d in drop if d}
    original = finder._find_importlib_plugins

    def filtered() -> Iterator[finder.Plugin]:
        for plugin in original():
            if _normalize(plugin.package) not in dropped:
                yield plugin

    finder._find_importlib_plugins = filtered  # type: ignore[assignment]
    try:
        return flake8_main(flake8_args)
    finally:
        finder._find_importlib_plugins = original  # type: ignore[assignment]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drop", default="", help="comma-separated distribution names")
    parser.add_argument("flake8_args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    args = ns.flake8_args[1:] if ns.flake8_args[:1] == ["--"] else ns.flake8_args
    return run(ns.drop.split(","), args)


if __name__ == "__main__":
    sys.exit(main())
