"""`[tool.wlint]` in pyproject.toml, and command-line overrides.

Keys (dashes or underscores): `select`, `ignore`, `per-file-ignores`,
`exclude`, `target-torch`, `base`, `models` (named concrete models, see
`wlint.named_models`), `third-party-source` (read installed third-party source,
`wlint.model.site`; opt-in, default off). Codes are matched by prefix as in flake8:
the most specific of the matching `select` and `ignore` entries wins, a tie
ignores. `exclude` globs add to the built-in list of tool folders.
"""

from __future__ import annotations

import fnmatch
import os
import re
import functools
import glob
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from wlint.torch_target import (CHECKED_TORCH, DEFAULT_SOURCE, TorchTarget, allows, parse_version,
                                pins_in)
from wlint.named_models import ModelSpec, SpecError, parse_models_table, resolve_spec

NO_CONFIG_SOURCE = "assumed: --no-config reads no project file, so no torch pin"

DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".git", ".hg", ".svn", ".bzr", "CVS", "__pycache__", ".tox", ".nox", ".eggs", "*.egg",
    ".venv", "venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules",
    "site-packages", "build", "dist",
)
_CODE = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$")
_KEYS = {"select", "ignore", "per-file-ignores", "exclude", "target-torch", "base",
         "extend-select", "models", "third-party-source"}


class ConfigError(ValueError):
    """Invalid configuration; the CLI reports it as a usage error (exit 2)."""


def parse_codes(value: Any, where: str) -> List[str]:
    """'WL101, WL2' or ['WL101', 'WL2'] -> ['WL101', 'WL2'] (validated prefixes)."""
    if value is None:
        return []
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    raw = [str(item).strip() for item in items if str(item).strip()]
    for code in raw:
        if not _CODE.match(code.upper()):
            raise ConfigError(f"{where}: {code!r} is not a code or code prefix (like WL101 or WL1)")
    return [code.upper() for code in raw]


def _parse_globs(value: Any, where: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [g.strip() for g in value.split(",") if g.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: expected a list of glob strings")


def _prefix_len(code: str, prefixes: Sequence[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@lru_cache(maxsize=64)
def _glob_regex(patterns: Tuple[str, ...]) -> Optional[re.Pattern[str]]:
    """One compiled expression for a set of globs (None when there are none)."""
    cleaned = [p.rstrip("/")[2:] if p.startswith("./") else p.rstrip("/") for p in patterns]
    cleaned = [p for p in cleaned if p]
    if not cleaned:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in cleaned))


def _matches(relpath: str, patterns: Tuple[str, ...], parents: bool = True) -> bool:
    """flake8-style: a glob against the relative path, its basename or (with
    `parents`) one of its parent folders."""
    regex = _glob_regex(patterns)
    if regex is None:
        return False
    if regex.match(relpath) or regex.match(relpath.rsplit("/", 1)[-1]):
        return True
    if not parents:
        return False
    parts = relpath.split("/")
    return any(regex.match("/".join(parts[:i])) for i in range(1, len(parts)))


@dataclass(frozen=True)
class Config:
    select: List[str] = field(default_factory=lambda: ["WL"])
    ignore: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    exclude: List[str] = field(default_factory=list)
    target_torch: Optional[str] = None
    target_source: Optional[str] = None  # where target_torch was set (messages of WL102)
    base: Optional[str] = None
    models: Dict[str, ModelSpec] = field(default_factory=dict)
    root: str = field(default_factory=os.getcwd)
    source: Optional[str] = None  # the pyproject.toml read, if any
    project_pins: bool = True  # read the project's torch pin (--no-config: no project file)
    third_party_source: Optional[bool] = None  # read installed third-party source (wlint.model.site); None: WLINT_THIRD_PARTY_SOURCE decides

    @property
    def target_version(self) -> Optional[Tuple[int, ...]]:
        try:
            return parse_version(self.target_torch)
        except ValueError as exc:
            raise ConfigError(f"target-torch: {exc}") from None

    @property
    def torch_target(self) -> TorchTarget:
        """The torch WL102 assumes: target-torch, else the project's torch pin, else < 2.6."""
        if self.target_torch:
            return TorchTarget(self.target_version, self.target_source or "target-torch")
        if not self.project_pins:
            return TorchTarget(None, NO_CONFIG_SOURCE)
        return project_torch_target(os.path.dirname(self.source) if self.source
                                    else os.path.abspath(self.root))

    @property
    def model_torch(self) -> Tuple[int, ...]:
        """The torch whose version branches the predictor takes (`hasattr(F, ...)`,
        `torch.__version__ >= ...`): target-torch; else the newest torch wlint's catalog
        was checked against, when the project's torch pin allows it (`torch>=1.8` does:
        the newest torch is what it installs); else the lowest torch the pin allows."""
        if self.target_torch:
            return self.target_version or CHECKED_TORCH
        target = self.torch_target
        if target.requirement and target.version is not None and not allows(
                target.requirement[len("torch"):], CHECKED_TORCH):
            return target.version
        return CHECKED_TORCH

    def relpath(self, path: str) -> str:
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return rel.replace(os.sep, "/")

    def ignores_for(self, path: str) -> List[str]:
        if not self.per_file_ignores:
            return self.ignore
        rel = self.relpath(path)
        extra = [c for pattern, codes in self.per_file_ignores.items()
                 if _matches(rel, (pattern,)) for c in codes]
        return self.ignore + extra

    def is_enabled(self, code: str, path: str) -> bool:
        """Is `code` reported for the file at `path`?"""
        return bool(self.enabled_codes([code], path))

    def enabled_codes(self, codes: Sequence[str], path: str) -> List[str]:
        """The subset of `codes` reported for `path`: selected, and not ignored by a
        more specific (or equally specific) prefix."""
        ignores = self.ignores_for(path)
        return [c for c in codes if 0 <= _prefix_len(c, self.select) > _prefix_len(c, ignores)]

    def is_excluded(self, path: str, defaults: bool = True, parents: bool = True) -> bool:
        """Excluded by `exclude` (and, for walked folders, the built-in tool folders)?
        `parents=False` when the folders above were already checked during a walk."""
        patterns = tuple(self.exclude) + (DEFAULT_EXCLUDE if defaults else ())
        return _matches(self.relpath(path), patterns, parents)

    def model(self, text: str) -> ModelSpec:
        """A `--model` argument: a name from `[tool.wlint.models]` or `PATH:EXPR`."""
        try:
            return resolve_spec(text, self.models)
        except SpecError as exc:
            raise ConfigError(str(exc)) from None

    def with_overrides(self, select: Optional[str] = None, ignore: Optional[str] = None,
                       extend_select: Optional[str] = None, exclude: Optional[str] = None,
                       target_torch: Optional[str] = None, base: Optional[str] = None) -> Config:
        """Command-line values replace the file's (extend-select adds)."""
        changes: Dict[str, Any] = {}
        if select is not None:
            changes["select"] = parse_codes(select, "--select")
        if ignore is not None:
            changes["ignore"] = parse_codes(ignore, "--ignore")
        if extend_select is not None:
            changes["select"] = changes.get("select", self.select) + parse_codes(
                extend_select, "--extend-select")
        if exclude is not None:
            changes["exclude"] = _parse_globs(exclude, "--exclude")
        if target_torch is not None:
            changes["target_torch"] = target_torch
            changes["target_source"] = "--target-torch"
        if base is not None:
            changes["base"] = base
        new = replace(self, **changes)
        _ = new.target_version  # validate early: a bad version is a usage error
        return new


def _read_toml(path: str) -> Dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError("reading pyproject.toml on Python < 3.11 needs `tomli`") from None
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)  # type: ignore[no-any-return]
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def config_from_table(table: Dict[str, Any], root: str, source: Optional[str]) -> Config:
    """Build a Config from a `[tool.wlint]` table (keys with dashes or underscores)."""
    norm = {str(k).replace("_", "-"): v for k, v in table.items()}
    unknown = sorted(set(norm) - _KEYS)
    if unknown:
        raise ConfigError(f"[tool.wlint]: unknown key(s) {', '.join(unknown)}")
    pfi = norm.get("per-file-ignores") or {}
    if not isinstance(pfi, dict):
        raise ConfigError("[tool.wlint] per-file-ignores: expected a table of glob = codes")
    select = parse_codes(norm["select"], "[tool.wlint] select") if "select" in norm else ["WL"]
    select += parse_codes(norm.get("extend-select"), "[tool.wlint] extend-select")
    target = norm.get("target-torch")
    base = norm.get("base")
    third_party = norm.get("third-party-source")
    if third_party is not None and not isinstance(third_party, bool):
        raise ConfigError("[tool.wlint] third-party-source: expected true or false")
    try:
        models = parse_models_table(norm.get("models"), root)
    except SpecError as exc:
        raise ConfigError(str(exc)) from None
    config = Config(
        select=select,
        ignore=parse_codes(norm.get("ignore"), "[tool.wlint] ignore"),
        per_file_ignores={str(k): parse_codes(v, f"[tool.wlint] per-file-ignores {k!r}")
                          for k, v in pfi.items()},
        exclude=_parse_globs(norm.get("exclude"), "[tool.wlint] exclude"),
        target_torch=str(target) if target is not None else None,
        target_source=(f"target-torch in {os.path.basename(source) if source else 'config'}"
                       if target is not None else None),
        base=str(base) if base is not None else None,
        models=models,
        root=root,
        source=source,
        third_party_source=third_party,
    )
    _ = config.target_version  # validate early: a bad version is a usage error
    return config


def load_config_file(path: str) -> Config:
    """[tool.wlint] of one given pyproject.toml (empty table if absent)."""
    data = _read_toml(path)
    table = data.get("tool", {}).get("wlint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.wlint] must be a table")
    return config_from_table(table, os.path.dirname(os.path.abspath(path)), path)


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml at or above `start` (a file or a folder)."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(start: str) -> Config:
    """Configuration for files at or below `start`: the nearest pyproject.toml's
    [tool.wlint]; defaults (rooted at the current folder) when there is none."""
    path = find_pyproject(start)
    if path is None:
        return Config()
    return load_config_file(path)


# -- the project's torch pin (WL102) ---------------------------------------------------


def _pyproject_requirements(path: str) -> List[str]:
    try:
        data = _read_toml(path)
    except ConfigError:
        return []
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    out = [str(r) for r in project.get("dependencies", []) or []]
    for extra in (project.get("optional-dependencies") or {}).values():
        out.extend(str(r) for r in extra or [])
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("torch"), str):
        out.append("torch" + _poetry_spec(poetry["torch"]))
    return out


def _poetry_spec(spec: str) -> str:
    spec = spec.strip()
    if spec.startswith("^"):
        return ">=" + spec[1:]
    return spec if spec[:1] in "<>=!~" else "==" + spec


@functools.lru_cache(maxsize=64)
def project_torch_target(root: str) -> TorchTarget:
    """The torch pin of the project at `root` (pyproject.toml, then requirements*.txt);
    the default when there is none with a lower bound."""
    candidates: List[Tuple[str, List[str]]] = []
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        candidates.append(("pyproject.toml", _pyproject_requirements(pyproject)))
    for path in sorted(glob.glob(os.path.join(root, "requirements*.txt"))
                       + glob.glob(os.path.join(root, "requirements", "*.txt"))):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                candidates.append((os.path.relpath(path, root).replace(os.sep, "/"),
                                   handle.read().splitlines()))
        except OSError:
            continue
    for where, lines in candidates:
        for text, low in pins_in(lines):
            if low is not None:
                return TorchTarget(low, f"the {text} pin in {where}", text)
    return TorchTarget(None, DEFAULT_SOURCE)
