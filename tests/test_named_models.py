"""SPEC parsing (`PATH:EXPR` or a `[tool.wlint.models]` name) and the config table."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlint.config import ConfigError, load_config
from wlint.named_models import ModelSpec, SpecError, resolve_spec, split_spec

_SEGMENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)
_PATHS = st.lists(_SEGMENT, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".py")
_ARGS = st.lists(st.one_of(st.integers(0, 999).map(str),
                           st.builds(lambda k, v: f"{{'{k}': {v}}}", _SEGMENT, st.integers(0, 9)),
                           _SEGMENT.map(lambda n: f"'{n}:x'")), max_size=3)
_EXPRS = st.builds(lambda name, args: f"{name}({', '.join(args)})", _SEGMENT, _ARGS)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PATHS, _EXPRS)
def test_split_spec_round_trips_even_with_colons_in_expr(path: str, expr: str) -> None:
    assert split_spec(f"{path}:{expr}") == (path, expr)


@pytest.mark.parametrize("text", ["model.py", "model.py:", ":Net()", "model.py:Net(", "Net()"])
def test_split_spec_rejects_incomplete_specs(text: str) -> None:
    with pytest.raises(SpecError):
        split_spec(text)


def _project(tmp_path, table: str) -> str:
    (tmp_path / "pyproject.toml").write_text("[tool.wlint.models]\n" + table)
    return str(tmp_path)


def test_models_table_strings_and_tables(tmp_path) -> None:
    root = _project(tmp_path, 'small = "models/gpt.py:GPT(Cfg(n=2))"\n'
                              'tiny = { spec = "m.py:Net()", signature = "sigs/tiny.json" }\n')
    config = load_config(root)
    assert set(config.models) == {"small", "tiny"}
    small = config.model("small")
    assert (small.path, small.expr, small.signature) == ("models/gpt.py", "GPT(Cfg(n=2))", None)
    assert small.file == os.path.join(root, "models", "gpt.py")
    assert config.models["tiny"].signature_file == os.path.join(root, "sigs", "tiny.json")


def test_cli_spec_not_in_table_is_named_by_itself(tmp_path) -> None:
    config = load_config(_project(tmp_path, 'small = "m.py:Net(2)"\n'))
    spec = config.model("other.py:Net(3)")
    assert spec == ModelSpec(name="other.py:Net(3)", path="other.py", expr="Net(3)")


@pytest.mark.parametrize("table", [
    'bad = "no-colon"\n',
    'bad = "m.py:Net("\n',
    'bad = { spec = "m.py:Net()", weights = "x" }\n',
    'bad = { signature = "s.json" }\n',
    'bad = 3\n',
])
def test_bad_models_table_is_a_config_error(tmp_path, table: str) -> None:
    with pytest.raises(ConfigError, match="models"):
        load_config(_project(tmp_path, table))


def test_unknown_name_lists_the_configured_ones() -> None:
    models = {"a": ModelSpec("a", "m.py", "Net()")}
    with pytest.raises(SpecError, match=r"\(a\)"):
        resolve_spec("b", models)
