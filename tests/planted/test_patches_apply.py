"""The planted-bug patches still apply to the tree (``make planted`` runs them in full)."""

from __future__ import annotations

from tests.planted.run import main


def test_every_planted_patch_still_applies(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--check"]) == 0, capsys.readouterr().out
