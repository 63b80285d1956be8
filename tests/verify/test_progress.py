"""Progress: the per-line log without a terminal (today's format), the live bar with one
(counts, claim, elapsed and remaining time), the old callback signature, and bad input."""

from __future__ import annotations

import io
import os
import re
import select
import sys

import pytest

from slttheory.verify.run.progress import Progress, format_counts


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def last_frame(text: str) -> str:
    """What a terminal shows at the end: the text after the last carriage return."""
    return text.rstrip("\r\n").rsplit("\r", 1)[-1]


def run_units(p: Progress) -> None:
    p.start(4)
    p.claim("cullen2026-thm4.2")
    for i, v in enumerate(("confirmed", "refuted", "inconclusive")):
        p.advance(claim_id="cullen2026-thm4.2", label=f"d=3, k={i}", verdict=v, elapsed_s=1.25,
                  cached=i == 1)
    p.add_total(2)
    p.claim("arrhenius")
    p.advance(claim_id="arrhenius", label="run 3 llc@500", verdict=None, elapsed_s=12.0,
              cached=False)
    p.close()


def test_line_mode_prints_one_line_per_unit():
    s = io.StringIO()  # not a terminal
    p = Progress(s)
    assert p.tty is False
    run_units(p)
    assert s.getvalue().splitlines() == [
        "[1/4] cullen2026-thm4.2 d=3, k=0: confirmed (1.2 s)",
        "[2/4] cullen2026-thm4.2 d=3, k=1: refuted (stored)",
        "[3/4] cullen2026-thm4.2 d=3, k=2: inconclusive (1.2 s)",
        "[4/6] arrhenius run 3 llc@500: done (12.0 s)",
    ]
    assert p.counts == {"confirmed": 1, "refuted": 1, "inconclusive": 1, "error": 0}
    assert (p.done, p.total, p.stages) == (4, 6, 1)


def test_old_callback_signature_prints_the_old_lines():
    """``__call__`` is the engine's callback of cli._Progress, with its exact line format."""
    s = io.StringIO()
    p = Progress(s, tty=False)
    p(1, 3, "c1", {"k": 2, "d": 3, "bias": False}, "confirmed", 1.234, False)
    p(2, 3, "c1", {"k": 5, "d": 3, "bias": False}, "refuted", 0.0, True)
    p(3, 3, "c2", {"shape": (2, 3)}, "error", 10.0, False)
    p.close()
    assert s.getvalue().splitlines() == [
        "[1/3] c1 bias=false, d=3, k=2: confirmed (1.2 s)",
        "[2/3] c1 bias=false, d=3, k=5: refuted (stored)",
        "[3/3] c2 shape=[2, 3]: error (10.0 s)",
    ]
    assert p.counts["error"] == 1
    # the engine's count is authoritative (e.g. points already stored were skipped)
    s2 = io.StringIO()
    Progress(s2)(7, 9, "c3", {"d": 1}, "confirmed", 0.5, False)
    assert s2.getvalue() == "[7/9] c3 d=1: confirmed (0.5 s)\n"


def test_old_callback_with_experiment_runs():
    """Experiments call the old callback with their own run counter and verdict "run"."""
    s = io.StringIO()
    p = Progress(s)
    p(2, 2, "c1", {"d": 1}, "refuted", 1.0, False)
    p(1, 12, "arrhenius", {"seed": 0}, "run", 3.0, False)
    p(2, 12, "arrhenius", {"seed": 1}, "run", 0.0, True)
    assert s.getvalue().splitlines()[1:] == [
        "[1/12] arrhenius seed=0: run (3.0 s)",
        "[2/12] arrhenius seed=1: run (stored)",
    ]
    assert p.counts == {"confirmed": 0, "refuted": 1, "inconclusive": 0, "error": 0}
    assert p.stages == 2
    t = FakeTTY()
    q = Progress(t, min_interval_s=0)
    q(2, 2, "c1", {"d": 1}, "refuted", 1.0, False)
    q(1, 12, "arrhenius", {"seed": 0}, "run", 3.0, False)
    q.close()
    frame = last_frame(t.getvalue())
    assert frame.startswith("arrhenius:") and " 1/12 " in frame and "✗1" in frame


def test_terminal_mode_draws_a_bar_with_counts_claim_and_times():
    s = FakeTTY()
    p = Progress(s, min_interval_s=0)
    assert p.tty is True
    run_units(p)
    out = s.getvalue()
    assert "\r" in out and "[1/4]" not in out  # a redrawn bar, not log lines
    frame = last_frame(out)
    assert frame.startswith("arrhenius:")
    assert " 4/6 " in frame and "67%" in frame
    assert "✓1 ✗1 ?1 !0" in frame and "1 stage" in frame
    assert re.search(r"\[\d\d:\d\d<(\d\d:\d\d|\?)\]", frame), frame  # elapsed<remaining
    # the claim being run shows while it runs
    assert any(f.startswith("cullen2026-thm4.2:") and "✓1 ✗1 ?0 !0" in f
               for f in out.split("\r"))


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_bar_shows_on_a_pseudo_terminal_of_size_zero(monkeypatch):
    """CI runners and `script` give a pty of 0x0; tqdm alone would then hide the bar (it
    measures the terminal when writing to sys.stderr, as the verifier does)."""
    master, slave = os.openpty()
    try:
        assert os.get_terminal_size(slave).lines == 0
        with os.fdopen(slave, "w", encoding="utf-8", closefd=False) as stream:
            monkeypatch.setattr(sys, "stderr", stream)
            p = Progress(min_interval_s=0)
            assert p.tty is True
            run_units(p)
            stream.flush()
        chunks = []
        while select.select([master], [], [], 0.2)[0]:
            data = os.read(master, 65536)
            if not data:
                break
            chunks.append(data)
        frame = last_frame(b"".join(chunks).decode("utf-8"))
        assert " 4/6 " in frame and "✓1 ✗1 ?1 !0" in frame
    finally:
        os.close(master)
        os.close(slave)


def test_tty_argument_overrides_detection():
    s = FakeTTY()
    p = Progress(s, tty=False)
    run_units(p)
    assert s.getvalue().startswith("[1/4] cullen2026-thm4.2")
    s2 = io.StringIO()
    run_units(Progress(s2, tty=True, min_interval_s=0))
    assert "✓1 ✗1 ?1 !0" in last_frame(s2.getvalue())


def test_ascii_terminal_gets_ascii_counts():
    raw = io.BytesIO()
    s = io.TextIOWrapper(raw, encoding="ascii")
    p = Progress(s, tty=True, min_interval_s=0)
    run_units(p)
    s.flush()
    frame = last_frame(raw.getvalue().decode("ascii"))
    assert "c1 r1 i1 e0" in frame
    # and line mode with a non-ASCII claim id does not raise either
    raw2 = io.BytesIO()
    s2 = io.TextIOWrapper(raw2, encoding="ascii")
    p2 = Progress(s2, tty=False)
    p2.advance(claim_id="λ-claim", label="d=3", verdict="confirmed", elapsed_s=0.0, cached=True)
    s2.flush()
    assert raw2.getvalue() == b"[1/1] ?-claim d=3: confirmed (stored)\n"


def test_write_keeps_messages_apart_from_the_bar():
    s = FakeTTY()
    p = Progress(s, min_interval_s=0)
    p.start(2)
    p.write("invalid claim: x.toml: predicted: is empty")
    p.close()
    assert "invalid claim: x.toml: predicted: is empty\n" in s.getvalue()
    s2 = io.StringIO()
    Progress(s2).write("warning")
    assert s2.getvalue() == "warning\n"


def test_units_without_start_or_beyond_total_grow_the_total():
    s = io.StringIO()
    with Progress(s) as p:
        p.advance(claim_id="c", label="d=1", verdict="confirmed", elapsed_s=0.1, cached=False)
        p.advance(claim_id="c", label="d=2", verdict="confirmed", elapsed_s=0.1, cached=False)
    assert s.getvalue().splitlines()[-1] == "[2/2] c d=2: confirmed (0.1 s)"
    p.close()  # closing twice is fine


def test_unknown_verdicts_are_counted_by_name():
    assert format_counts({"confirmed": 2, "skipped": 1}) == "✓2 ✗0 ?0 !0 skipped1"
    p = Progress(io.StringIO())
    p.advance(claim_id="c", label="d=1", verdict="skipped", elapsed_s=0.0, cached=False)
    assert p.counts["skipped"] == 1


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda p: p.start(-1), ValueError, "total"),
        (lambda p: p.start(2.5), TypeError, "total"),
        (lambda p: p.start(True), TypeError, "total"),
        (lambda p: p.add_total(-3), ValueError, "n"),
        (lambda p: p(1, "3", "c", {}, "confirmed", 0.0, False), TypeError, "total"),
    ],
)
def test_bad_counts_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}:"):
        call(Progress(io.StringIO()))


def test_tty_must_be_a_bool_or_none():
    with pytest.raises(TypeError, match="tty"):
        Progress(io.StringIO(), tty="yes")  # type: ignore[arg-type]


def test_line_mode_logs_a_bounded_number_of_lines_for_large_runs():
    import io

    from slttheory.verify.run.progress import LINES_MAX

    out = io.StringIO()
    prog = Progress(stream=out, tty=False)
    prog.start(20_000)
    for i in range(20_000):
        prog.advance(claim_id="big" if i < 19_990 else "small", label=f"a={i}",
                     verdict="confirmed", elapsed_s=0.0, cached=False)
    prog.close()
    lines = out.getvalue().splitlines()
    assert LINES_MAX // 2 <= len(lines) <= LINES_MAX + 5
    assert lines[-1].startswith("[20000/20000]") and any(" small " in x for x in lines)
