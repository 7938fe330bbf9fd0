"""bench.mutation skips mutants inside function annotations only where they are never
evaluated (``from __future__ import annotations``), never class-level ones (pydantic
evaluates those) nor code."""

from __future__ import annotations

from bench.mutation import _inside, annotation_spans

SRC = '''from __future__ import annotations


class Cfg:
    limit: int | None = None


def f(a: int | None, *rest: str | bytes, b: float = 1 | 2) -> tuple[int, int] | None:
    return a | b


def g() -> None:
    x: int | None = 1 | 2

    class Inner:
        y: int | str = 3
'''


def test_function_annotations_of_a_lazy_module_are_skipped_and_code_is_not() -> None:
    spans = annotation_spans(SRC)
    assert _inside((8, 9), (8, 19), spans)  # a: int | None
    assert _inside((8, 28), (8, 39), spans)  # *rest: str | bytes
    assert _inside((8, 62), (8, 84), spans)  # -> tuple[int, int] | None
    assert not _inside((8, 52), (8, 57), spans)  # the default 1 | 2 is code
    assert not _inside((9, 11), (9, 16), spans)  # a | b in the body
    assert not _inside((5, 11), (5, 21), spans)  # class-level: pydantic would evaluate it


def test_a_local_variables_annotation_is_skipped_in_any_module_its_value_is_not() -> None:
    for src in (SRC, SRC.replace("from __future__ import annotations\n", "")):
        spans = annotation_spans(src)
        line = src.splitlines().index("    x: int | None = 1 | 2") + 1
        assert _inside((line, 7), (line, 17), spans)  # x: int | None, never evaluated (PEP 526)
        assert not _inside((line, 20), (line, 25), spans)  # its value 1 | 2 is code
        inner = src.splitlines().index("        y: int | str = 3") + 1
        assert not _inside((inner, 11), (inner, 20), spans)  # a class body's annotation, even inside a function


def test_only_local_annotations_are_skipped_without_the_future_import() -> None:
    src = SRC.replace("from __future__ import annotations\n", "")
    line = src.splitlines().index("    x: int | None = 1 | 2") + 1
    assert annotation_spans(src) == [((line, 7), (line, 17))]


# Each mutant runs only the tests that execute a line of its statement (bench.mutation's selection).

from bench.mutation import select_tests, split_args, statement_lines  # noqa: E402

TRACE = {"order": ["tests/a.py::t1", "tests/a.py::t2", "tests/b.py::t3"],
         "import": [1, 2],
         "tests": {"tests/a.py::t1": [10, 11], "tests/b.py::t3": [11, 20], "@tests/a.py": [30]}}


def test_a_line_run_by_some_tests_selects_those_tests_in_run_order() -> None:
    assert select_tests(TRACE, range(11, 12)) == ["tests/a.py::t1", "tests/b.py::t3"]
    assert select_tests(TRACE, range(20, 21)) == ["tests/b.py::t3"]


def test_a_line_no_test_runs_selects_none_so_its_mutant_survives_unrun() -> None:
    assert select_tests(TRACE, range(40, 45)) == []


def test_a_line_run_at_import_selects_every_test() -> None:
    assert select_tests(TRACE, range(2, 3)) == TRACE["order"]


def test_a_module_fixtures_line_selects_every_test_of_its_file() -> None:
    assert select_tests(TRACE, range(30, 31)) == ["tests/a.py::t1", "tests/a.py::t2"]


def test_a_mutant_is_traced_by_its_whole_statement_but_a_compound_statement_by_its_header() -> None:
    src = "def f(a):\n    x = (a +\n         1)\n    if a >\\\n        2:\n        return x\n    return 0\n"
    spans = statement_lines(src)
    assert spans[(3, 9)] == (2, 3)   # the `1` of a two-line assignment: both lines
    assert spans[(4, 7)] == (4, 5)   # the `a` of the if's two-line test: its header, not its body
    assert spans[(6, 15)] == (6, 6)  # the `x` returned
    assert spans[(1, 6)] == (1, 1)   # a parameter: the def line only


def test_the_tests_list_splits_into_options_and_paths() -> None:
    assert split_args(["-p", "no:hypothesispytest", "tests/x.py", "-q", "tests/y.py::t"]) == (
        ["-p", "no:hypothesispytest", "-q"], ["tests/x.py", "tests/y.py::t"])


def test_a_mutant_no_test_reaches_still_gets_its_diff() -> None:
    from bench.mutation import mutant_diff

    src = "def f(a):\n    return a + 1\n"
    diff = mutant_diff(src, {"operator": "core/ReplaceBinaryOperator_Add_Sub", "occurrence": 0, "module": "m.py"})
    assert "-    return a + 1" in diff and "+    return a - 1" in diff
