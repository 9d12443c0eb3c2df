"""model/conditions.py: structured conditions render as the text users always saw."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wlint.model.conditions import FALSE, TRUE, And, Not, Or, Text, conjunction, render

atoms = st.sampled_from(["flag", "config.bias", "d > 3", "not use_norm", "n == 2"]).map(Text)
conditions = st.recursive(atoms, lambda inner: st.one_of(
    inner.map(Not), st.lists(inner, min_size=2, max_size=3).map(lambda ps: conjunction(*ps))),
    max_leaves=6)


def _old_join(*texts: str) -> str:
    """How the interpreter joined condition strings before they were values."""
    return " and ".join(texts)


@given(conditions, conditions)
def test_conjunction_renders_like_the_joined_strings(a, b) -> None:
    assert conjunction(a, b).render() == _old_join(a.render(), b.render())


@given(conditions)
def test_negation_renders_like_the_old_text(a) -> None:
    assert Not(a).render() == f"not ({a.render()})"


@given(conditions, conditions)
def test_conditions_are_equal_when_they_read_the_same(a, b) -> None:
    assert (a == b) == (a.render() == b.render())
    if a == b:
        assert hash(a) == hash(b)


def test_conjunction_flattens_and_drops_always() -> None:
    a, b, c = Text("a"), Text("b"), Text("c")
    both = conjunction(a, None, conjunction(b, c))
    assert isinstance(both, And) and both.parts == (a, b, c)
    assert conjunction(None, a) is a and conjunction(None) is None
    assert render(None) is None and render(Or((a, b))) == "a or b"
    assert (TRUE.render(), FALSE.render()) == ("True", "False")
