"""interp/frames.py: the dynamic context changes only inside its context managers."""

from __future__ import annotations

import pytest

from wlint.model.conditions import Text
from wlint.model.interp import Interpreter
from wlint.model.resolve import FileSystemTree


@pytest.fixture
def it(tmp_path) -> Interpreter:
    (tmp_path / "main.py").write_text("X = 1\n")
    return Interpreter(FileSystemTree(str(tmp_path)), "main.py")


def test_branch_and_loop_are_undone_on_exit_even_by_an_exception(it) -> None:
    frame = it.frame
    with pytest.raises(KeyError), it.in_branch(Text("flag")), \
            it.in_loop(it.next_atom()) as pass_id:
        assert [c.render() for c in frame.conds] == ["flag"]
        assert frame.loop_atoms == ["i"] and frame.pass_ids == [pass_id]
        assert it.next_atom() == "j"
        raise KeyError("the analysed code failed")
    assert frame.conds == [] and frame.loop_atoms == [] and frame.pass_ids == []


def test_a_module_runs_in_a_fresh_frame_with_notes_muted(it) -> None:
    outer = it.frame
    with it.in_branch(Text("c")):
        with it.in_module("other.py") as inner:
            assert it.frame is inner and inner.path == "other.py" and inner.conds == []
            it.note(3, "muted while loading")
        assert it.frame is outer
    assert it.notes == []


def test_a_call_runs_in_the_callee_file_one_level_deeper(it) -> None:
    depth = it.depth
    with it.in_call("lib/util.py"):
        assert it.frame.path == "lib/util.py" and it.depth == depth + 1
        it.note(7, "seen")
    assert it.frame.path == "main.py" and it.depth == depth
    assert it.notes == [("lib/util.py", 7, "seen")]


def test_comprehension_loops_record_their_atoms(it) -> None:
    with it.in_loop("i", comprehension=True) as pass_id:
        assert it.frame.comp_atoms == [("i", pass_id)]
    assert it.frame.comp_atoms == []
