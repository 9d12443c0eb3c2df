"""`wlint review` end to end on a throwaway git repository, checked against torch:
the key changes the report lists are exactly the ones the real modules' state_dicts
differ by, and the remap snippet it shows makes an old checkpoint load strictly."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from wlint.cli import main
from wlint.report.markdown_report import MARKER

torch = pytest.importorskip("torch")

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

BASE_MODEL = '''\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.norm = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.norm(self.conv1(x))
'''

TRAIN = '''\
import torch

legacy = torch.load("legacy.pt")


def restore(model, path):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def build(source: str, name: str) -> torch.nn.Module:
    """Instantiate a class of our fixture source on the meta device (torch truth)."""
    namespace: dict = {}
    exec(compile(source, "<fixture>", "exec"), namespace)
    with torch.device("meta"):
        return namespace[name]()


def state_shapes(module: torch.nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.test")
    git(root, "config", "user.name", "t")
    (root / "models" / "net.py").write_text(BASE_MODEL)
    (root / "train.py").write_text(TRAIN)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    for var in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(root)
    monkeypatch.setenv("WLINT_CACHE_DIR", str(tmp_path / "cache"))
    return root


def commit(repo: Path, model: str, train: str) -> None:
    (repo / "models" / "net.py").write_text(model)
    (repo / "train.py").write_text(train)
    git(repo, "commit", "-q", "-am", "change")


def review(capsys: pytest.CaptureFixture, *args: str) -> tuple:
    code = main(["review", "--base", "main", *args])
    out, err = capsys.readouterr()
    return code, out, err


def table_rows(markdown: str) -> list:
    """(old key, old shape, new key, new shape, code) of every key-change row."""
    rows = []
    for line in markdown.splitlines():
        m = re.match(r"^\| (`[^`]+`|—) \| ([^|]+) \| (`[^`]+`|—) \| ([^|]+) \| (WL2\d\d)", line)
        if m:
            rows.append(tuple(g.strip().strip("`") for g in m.groups()))
    return rows


def shape_cell(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def test_shape_change_and_unsafe_load(repo: Path, capsys) -> None:
    head_model = BASE_MODEL.replace("nn.Linear(10, 5)", "nn.Linear(10, 8)").replace(
        "nn.Linear(5, 2)", "nn.Linear(8, 2)")
    head_train = TRAIN + '\n\ndef resume(path):\n    return torch.load(path)\n'
    commit(repo, head_model, head_train)

    code, md, err = review(capsys)
    assert code == 1, err
    assert md.startswith(MARKER)
    # torch truth: which keys changed shape between the two versions of Net
    old, new = state_shapes(build(BASE_MODEL, "Net")), state_shapes(build(head_model, "Net"))
    changed = {k for k in old if k in new and old[k] != new[k]}
    assert changed and set(old) == set(new)
    rows = table_rows(md)
    assert {r[0] for r in rows} == changed
    for old_key, old_shape, new_key, new_shape, code_ in rows:
        assert code_ == "WL204" and old_key == new_key
        assert old_shape == shape_cell(old[old_key]) and new_shape == shape_cell(new[new_key])
    assert "1 model class breaks checkpoint loading" in md.splitlines()[3]
    assert "`Head`" not in md  # unchanged class: no section
    # hygiene: the new torch.load (line 11) is reported, the legacy one (line 3) is not
    assert "train.py:11" in md and "train.py:3 " not in md
    assert "outside the filter not shown" in md

    code, text, _ = review(capsys, "--format", "text", "--filter-mode", "file")
    lines = {ln.split(" ")[0] for ln in text.splitlines()}
    assert "train.py:3:10:" in lines and "train.py:11:12:" in lines

    code, out, _ = review(capsys, "--format", "github")
    wl204 = [ln for ln in out.splitlines() if "title=WL204" in ln]
    assert len(wl204) == len(changed)
    assert all(ln.startswith("::error file=models/net.py,line=") for ln in wl204)


def test_sarif_from_review_validates(repo: Path, capsys, tmp_path: Path) -> None:
    commit(repo, BASE_MODEL.replace("nn.BatchNorm2d(8)", "nn.BatchNorm2d(8, eps=1e-3)")
           .replace("nn.Conv2d(3, 8, 3)", "nn.Conv2d(3, 16, 3)"),
           TRAIN + '\nx = torch.load("x.pt")\n')
    sarif = tmp_path / "r.sarif"
    code, _, err = review(capsys, "--sarif", str(sarif))
    assert code == 1, err
    log = json.loads(sarif.read_text())
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))
    assert not list(validator.iter_errors(log))
    results = log["runs"][0]["results"]
    assert {"WL204", "WL101"} <= {r["ruleId"] for r in results}
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(hashes) == len(set(hashes))


def test_rename_remap_snippet_loads_old_checkpoint(repo: Path, capsys) -> None:
    head_model = BASE_MODEL.replace("self.fc1 = nn.Linear(10, 5)", "self.proj = nn.Linear(10, 5)"
                                    ).replace("self.fc1(x)", "self.proj(x)")
    commit(repo, head_model, TRAIN)
    code, md, err = review(capsys)
    assert code == 1, err
    rows = table_rows(md)
    assert rows and all(r[4] == "WL203" for r in rows)
    blocks = re.findall(r"<details><summary>Remap script: one function per model class.*?"
                        r"```python\n(.*?)\n```", md, flags=re.DOTALL)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(blocks[0], namespace)
    assert "remap_Net" in namespace
    old_state = build(BASE_MODEL, "Net").state_dict()
    head = build(head_model, "Net")
    with pytest.raises(RuntimeError):
        head.load_state_dict(old_state, strict=True)
    result = head.load_state_dict(namespace["remap_state_dict"](old_state), strict=True,
                                  assign=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_clean_change_reports_nothing(repo: Path, capsys) -> None:
    commit(repo, BASE_MODEL.replace("return self.norm", "y = self.conv1(x)\n        return self.norm"),
           TRAIN.replace('"cpu", weights_only=True', '"cpu", weights_only=True,'))
    code, md, err = review(capsys)
    assert code == 0, md + err
    assert "No checkpoint-loading problems found" in md


def test_bad_base_is_a_usage_error(repo: Path, capsys) -> None:
    code = main(["review", "--base", "no-such-branch"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("wlint: error: ") and len(err.strip().splitlines()) == 1


def test_inline_comments_land_on_changed_model_lines(repo: Path, capsys, monkeypatch,
                                                     tmp_path: Path) -> None:
    from test_github_api import REPO, TOKEN, FakeGitHub

    from wlint.integrations import github_api

    head_model = BASE_MODEL.replace("nn.Linear(10, 5)", "nn.Linear(10, 8)").replace(
        "nn.Linear(5, 2)", "nn.Linear(8, 2)")
    commit(repo, head_model, TRAIN + '\nx = torch.load("x.pt")\n')
    head = git(repo, "rev-parse", "HEAD")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head}}}))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(github_api, "BACKOFF_BASE", 0.001)
    fake = FakeGitHub()
    try:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        code, md, err = review(capsys, "--post-github", "--review-comments")
    finally:
        fake.close()
    assert code == 1, err
    posted = list(fake.review_comments.values())
    assert posted and all(c["commit_id"] == head and c["side"] == "RIGHT" for c in posted)
    files = {"models/net.py": head_model.splitlines(), "train.py": (repo / "train.py")
             .read_text().splitlines()}
    codes = set()
    for c in posted:
        line = files[c["path"]][c["line"] - 1]
        code_ = c["body"].split("**")[1]
        codes.add(code_)
        assert ("nn.Linear" in line) if code_ == "WL204" else ("torch.load" in line), (c, line)
    assert {"WL204", "WL101"} <= codes
    assert len({c["body"] for c in posted}) == len(posted)
    assert fake.token_leaks() == [] and TOKEN not in md + err
