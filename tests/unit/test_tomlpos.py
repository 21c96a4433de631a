from __future__ import annotations

from aksdeploy.core.tomlpos import key_lines, line_of

DOC = '''\
# comment [not.a.table]
title = "x # not a comment"
[app]
name = "shop"
notes = """
fake = 1
[fake.table]
"""
env = { A = "1", "B.C" = 'two', nested = { deep = true } }
a.b.c = 3
list = [
  1,  # one
  { k = "v" },
]

[[rules]]
name = "first"
[[rules]]
name = "second"

[environments.prod.cluster]
max_nodes = 9
'''


def test_lines_of_tables_keys_and_inline_tables() -> None:
    lines = key_lines(DOC)
    assert lines[("title",)] == 2
    assert lines[("app",)] == 3
    assert lines[("app", "name")] == 4
    assert lines[("app", "env", "B.C")] == 9
    assert lines[("app", "env", "nested", "deep")] == 9
    assert lines[("app", "a", "b", "c")] == 10
    assert lines[("app", "list", 1, "k")] == 13
    assert lines[("rules", 1, "name")] == 19
    assert lines[("environments", "prod", "cluster", "max_nodes")] == 22
    assert ("fake",) not in lines and ("app", "fake") not in lines


def test_line_of_falls_back_to_the_nearest_written_ancestor() -> None:
    lines = key_lines(DOC)
    assert line_of(lines, ("app", "port")) == 3
    assert line_of(lines, ("environments", "prod", "cluster", "min_nodes")) == 21
    assert line_of(lines, ("nothing",)) is None
