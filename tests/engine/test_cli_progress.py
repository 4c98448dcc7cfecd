"""The command line's progress on stderr: a tqdm bar on a terminal, stage lines otherwise."""

from __future__ import annotations

import io

from syncengine.cli import ProgressBar

STAGES = [("probing", 0.0), ("probing", 0.1), ("extracting_audio", 0.35), ("solving", 1.0)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _drive(stream: io.StringIO, *, enabled: bool = True) -> str:
    bar = ProgressBar(stream, enabled=enabled)
    for stage, fraction in STAGES:
        bar(stage, fraction)
    bar.close()
    bar.close()  # closing twice is harmless (render's error path closes before re-raising)
    return stream.getvalue()


def test_a_terminal_gets_one_bar_line_that_ends_at_the_last_stage() -> None:
    text = _drive(_Terminal())
    last = text.rstrip("\n").split("\r")[-1]
    assert last.startswith("[" + "#" * 30 + "]") and "100.0%" in last and "solving" in last
    assert text.endswith("\n") and text.count("\n") == 1  # one line, redrawn in place


def test_a_pipe_gets_one_line_per_stage() -> None:
    text = _drive(io.StringIO())
    assert text == "probing (0%)\nextracting_audio (35%)\nsolving (100%)\n"


def test_quiet_prints_nothing_on_a_terminal_or_a_pipe() -> None:
    assert _drive(_Terminal(), enabled=False) == ""
    assert _drive(io.StringIO(), enabled=False) == ""
