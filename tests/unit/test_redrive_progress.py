"""The redrive tool's progress bar and its choice of when to draw."""

from __future__ import annotations

import io

from redrive import Progress, build_parser, progress_enabled


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_count_and_bar():
    stream = io.StringIO()
    progress = Progress("redrive", 4, enabled=True, stream=stream)

    progress.advance(1)
    progress.advance(3)
    progress.close()

    assert stream.getvalue().endswith("\rredrive [" + "#" * 30 + "] 4/4\n")
    assert "] 1/4" in stream.getvalue()


def test_progress_disabled_prints_nothing():
    stream = io.StringIO()
    progress = Progress("redrive", 4, enabled=False, stream=stream)

    progress.advance(4)
    progress.close()

    assert stream.getvalue() == ""


def test_progress_only_on_terminal_or_flag():
    assert progress_enabled(False, FakeTerminal())
    assert not progress_enabled(False, io.StringIO())
    assert progress_enabled(True, io.StringIO())


def test_redrive_is_dry_run_by_default():
    arguments = ["dlq", "redrive", "--dlq-url", "d", "--queue-url", "q"]

    assert build_parser().parse_args(arguments).apply is False
    assert build_parser().parse_args([*arguments, "--apply"]).apply is True
