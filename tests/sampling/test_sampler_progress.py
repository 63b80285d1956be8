"""The samplers' progress bar: shown when asked, silent by default off a terminal, counting
the steps the run makes, and never changing a draw."""

from __future__ import annotations

import io
import re
import sys
import types

import pytest
import torch

from slttheory.sampling import estimate_llc, progress
from slttheory.sampling.progress import StepProgress

pytestmark = pytest.mark.filterwarnings("ignore::slttheory.sampling.LLCWarning")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _line():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 1, generator=g)
    y = 2 * x + torch.randn(200, 1, generator=g)
    m = torch.nn.Linear(1, 1)
    with torch.no_grad():
        m.weight.fill_(2.0)
        m.bias.fill_(0.0)
    return m, (x, y)


def test_bar_counts_every_step_and_changes_nothing(capsys, monkeypatch):
    seen = []
    close = StepProgress.close

    def spy(self):
        seen.append((self.done, self.total, self.bar is not None))
        close(self)

    monkeypatch.setattr(StepProgress, "close", spy)
    m, data = _line()
    kw = dict(method="single", sampler="sgld", step_size=1e-3, draws=300, burn_in=100,
              chains=2, device="cpu", seed=3)
    quiet = estimate_llc(m, data, **kw)
    assert capsys.readouterr().err == ""  # progress=None off a terminal: silent
    shown = estimate_llc(m, data, progress=True, **kw)
    err = capsys.readouterr().err
    assert "estimate_llc" in err
    assert {int(b) for b in re.findall(r"\d+/(\d+)", err)} == {400}  # burn-in + draws
    assert seen == [(400, 400, False), (400, 400, True)]  # every step counted, bar closed
    assert shown.llc == quiet.llc and (shown.loss_trace == quiet.loss_trace).all()
    estimate_llc(m, data, progress=False, **kw)
    assert capsys.readouterr().err == ""
    # calibrated step size: the warm-up blocks are counted too (config.burn_in holds them)
    est = estimate_llc(m, data, method="single", sampler="sgld", draws=500, chains=2,
                       device="cpu")
    assert seen[-1][:2] == (est.config.burn_in + est.config.draws,) * 2
    assert est.config.burn_in > 500 // 3  # the warm-up ran


def test_auto_mode_shows_only_long_runs_on_a_terminal(monkeypatch):
    term = _Terminal()
    p = StepProgress(None, "x", stream=term)
    p.plan(1000)
    p.advance(100)  # projected far below SHOW_AFTER_S
    assert p.bar is None
    monkeypatch.setattr(progress, "SHOW_AFTER_S", 0.0)
    p.advance(100)
    assert p.bar is not None and p.bar.n == 200 and p.bar.total == 1000
    p.plan(1500)  # an adaptive run extends
    assert p.bar.total == 1500
    p.close()
    assert p.bar is None
    not_term = StepProgress(None, "x", stream=io.StringIO())
    not_term.plan(10)
    not_term.advance(10)
    assert not_term.bar is None

    class OutStream(io.StringIO):  # a Jupyter kernel's stderr: not a tty, still interactive
        pass

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    nb = StepProgress(None, "x", stream=OutStream())
    nb.plan(10)
    nb.advance(10)
    assert nb.bar is not None
    nb.close()


def test_bad_progress_is_named():
    m, data = _line()
    with pytest.raises(TypeError, match="progress"):
        estimate_llc(m, data, progress="yes", device="cpu")
