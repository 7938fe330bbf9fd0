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
'''


def test_function_annotations_of_a_lazy_module_are_skipped_and_code_is_not() -> None:
    spans = annotation_spans(SRC)
    assert _inside((8, 9), (8, 19), spans)  # a: int | None
    assert _inside((8, 28), (8, 39), spans)  # *rest: str | bytes
    assert _inside((8, 62), (8, 84), spans)  # -> tuple[int, int] | None
    assert not _inside((8, 52), (8, 57), spans)  # the default 1 | 2 is code
    assert not _inside((9, 11), (9, 16), spans)  # a | b in the body
    assert not _inside((5, 11), (5, 21), spans)  # class-level: pydantic would evaluate it


def test_nothing_is_skipped_without_the_future_import() -> None:
    assert annotation_spans(SRC.replace("from __future__ import annotations\n", "")) == []
