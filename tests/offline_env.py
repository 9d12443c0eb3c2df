"""An environment in which pip installs this repository into a *new* virtualenv without
the network: the new environment sees the packages of the interpreter running the
tests (wherever they are installed: a fresh venv, the system, a CI image) through
PYTHONPATH, and pip neither reaches an index nor builds in isolation.

Used by the pre-commit hook tests and the GitHub Action test, which build such an
environment the way pre-commit and the Action do."""

from __future__ import annotations

import contextlib
import os
import site
import sysconfig
from typing import Dict, List, Mapping, Optional


def installed_package_dirs() -> List[str]:
    """Where the running interpreter finds its installed packages (venv or not)."""
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    with contextlib.suppress(AttributeError):  # an old virtualenv's site module
        dirs += site.getsitepackages()
    seen: List[str] = []
    for d in dirs:
        if d and os.path.isdir(d) and d not in seen:
            seen.append(d)
    return seen


def offline_install_env(base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ if base is None else base)
    paths = installed_package_dirs() + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update({
        "PYTHONPATH": os.pathsep.join(paths),
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads "0" as: build without isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    return env
