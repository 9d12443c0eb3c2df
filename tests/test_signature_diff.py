"""`wlint diff` / `wlint review` check named models against their signature files.

Torch is the truth: a real model is built, its real checkpoint saved by torch.save
(maybe under a wrapper prefix), its signature written by `wlint ckpt --format json`
and committed with the model in a git repository; then the model code changes (the
mutations of test_checkpoint_verify) and the diff's verdict on the signature must be
what torch's strict load of that checkpoint into the changed model really says, key
for key, and after the attached fix.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from ckpt_truth import torch, torch_verdict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_checkpoint_cli import _run
from test_checkpoint_verify import CASES, MUTATIONS, _load_class, _mutate, _source, models

from wlint.cli import main
from wlint.compat import diff_revisions
from wlint.named_models import ModelSpec

SPEC = "net.py:Net()"


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout


def _published(repo: Path, source: str, prefix: str) -> Path:
    """A repository at its base commit: net.py, its real checkpoint (not committed, as
    published checkpoints live elsewhere) and the signature written by `wlint ckpt`."""
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "net.py").write_text(source)
    torch.manual_seed(0)
    state = _load_class(repo / "net.py")().state_dict()
    ckpt = repo.parent / f"{repo.name}.pt"
    torch.save(type(state)((prefix + k, v) for k, v in state.items()), str(ckpt))
    assert main(["ckpt", str(ckpt), "--format", "json", "-o", str(repo / "sig.json")]) == 0
    (repo / "pyproject.toml").write_text(
        f'[tool.wlint.models]\nnet = {{ spec = "{SPEC}", signature = "sig.json" }}\n')
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return ckpt


def _named(repo: Path) -> List[ModelSpec]:
    return [ModelSpec(name="net", path="net.py", expr="Net()", signature="sig.json",
                      root=str(repo))]


def _fix_of(findings: List[Any]) -> Optional[str]:
    fixes = {f.code: f.fix for f in findings if f.code in ("WL304", "WL305") and f.fix}
    return fixes.get("WL305") or fixes.get("WL304")


def _check(repo: Path, ckpt: Path, changed: str) -> Any:
    """Change net.py in the working tree and compare the diff's verdict with torch's."""
    (repo / "net.py").write_text(changed)
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False, models=_named(repo))
    verdict = next(v for v in result.models if v.model.name == "net")
    check = verdict.checkpoint
    assert check is not None and check.strict is not None
    model = _load_class(repo / "net.py")()
    loaded = torch.load(str(ckpt), weights_only=True)
    missing, unexpected, sizes = torch_verdict(model, loaded)
    strict = check.strict
    assert (set(strict.missing), set(strict.unexpected)) == (missing, unexpected)
    assert {k: (list(a), list(b)) for k, a, b in strict.mismatched} == sizes
    assert check.loads == (not missing and not unexpected and not sizes)
    assert ("still loads" in verdict.text) == bool(check.loads)
    mine = [f for f in result.findings if f.extra.get("signature") == "sig.json"]
    assert all(f.extra["model"] == "net" and f.path == "sig.json" for f in mine)
    assert bool(mine) == (not check.loads)
    fix = _fix_of(mine)
    if fix is None:
        keys: Dict[str, set] = {"WL301": set(), "WL302": set(), "WL303": set()}
        for f in mine:
            keys[f.code].add(f.key or f.old_key)
        assert keys == {"WL301": missing, "WL302": unexpected, "WL303": set(sizes)}
        return verdict
    scope: Dict[str, Any] = {}
    exec(fix, scope)  # our own generated snippet
    remapped = scope["remap_state_dict"](loaded)
    after = torch_verdict(_load_class(repo / "net.py")(), remapped)
    fixed = check.after_fix
    assert fixed is not None
    assert (set(fixed.missing), set(fixed.unexpected)) == after[:2]
    assert {k: (list(a), list(b)) for k, a, b in fixed.mismatched} == after[2]
    if fixed.ok:
        _load_class(repo / "net.py")().load_state_dict(remapped, strict=True)
    return verdict


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=models(), how=st.sampled_from(MUTATIONS),
       prefix=st.sampled_from(["", "", "module.", "_orig_mod."]), data=st.data())
def test_diff_signature_verdict_equals_torch(tmp_path_factory: Any, a: Dict[str, Any], how: str,
                                             prefix: str, data: Any) -> None:
    repo = tmp_path_factory.mktemp("s") / "repo"
    ckpt = _published(repo, _source(a), prefix)
    _check(repo, ckpt, _source(_mutate(a, how, data)))


@pytest.mark.parametrize("prefix", ["", "module."])
@pytest.mark.parametrize("name", sorted(CASES))
def test_named_cases(tmp_path: Path, name: str, prefix: str) -> None:
    a, b = CASES[name]
    repo = tmp_path / "repo"
    _check(repo, _published(repo, _source(a), prefix), _source(b))


def test_review_and_diff_output(tmp_path: Path, capsys: Any) -> None:
    """The review's verdict line per named model and the diff's JSON findings carry the
    model; a change that keeps the keys keeps the published checkpoint loading."""
    a, b = CASES["renamed"]
    repo = tmp_path / "repo"
    ckpt = _published(repo, _source(a), "")
    (repo / "net.py").write_text(_source(a) + "# a comment\n")
    code, out, _ = _run(["review", "--base", "HEAD"], repo, capsys)
    assert code == 0 and "published checkpoint `sig.json` still loads (strict=True)" in out
    (repo / "net.py").write_text(_source(b))
    code, out, _ = _run(["review", "--base", "HEAD"], repo, capsys)
    torch_missing = torch_verdict(_load_class(repo / "net.py")(),
                                  torch.load(str(ckpt), weights_only=True))[0]
    assert code == 1 and torch_missing
    assert (f"published checkpoint `sig.json` does not load (strict=True: {len(torch_missing)} "
            "missing") in out and "loads after the attached remap_state_dict()" in out
    code, out, _ = _run(["diff", "--format", "json"], repo, capsys)
    found = [f for f in json.loads(out)["findings"] if f.get("signature") == "sig.json"]
    assert code == 1 and {f["code"] for f in found} == {"WL305"}
    assert {f["model"] for f in found} == {"net"}
    # the signature is read from the head revision: committed, then checked at that commit
    _git(repo, "commit", "-qam", "rename")
    result = diff_revisions(str(repo), "HEAD~1", "HEAD", use_cache=False, models=_named(repo))
    assert result.models[0].checkpoint.loads is False


def test_bad_signatures(tmp_path: Path, capsys: Any) -> None:
    """A missing signature is exit 2 (one line), a malformed one a WL309 finding."""
    a, _ = CASES["renamed"]
    repo = tmp_path / "repo"
    _published(repo, _source(a), "")
    (repo / "sig.json").write_text('{"format": "torch-zip", "entries": [{"shape": 1}]}')
    code, out, _ = _run(["diff", "--format", "json"], repo, capsys)
    found = [f for f in json.loads(out)["findings"] if f.get("signature") == "sig.json"]
    assert code == 1 and [f["code"] for f in found] == ["WL309"]
    (repo / "sig.json").unlink()
    code, out, err = _run(["diff"], repo, capsys)
    assert code == 2 and "signature sig.json: no such file" in err and "Traceback" not in err
