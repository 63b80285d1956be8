"""Edge cases of the left-to-right constraints, the rank-map check and atomic report writes: a
constraint whose first comparison sympy cannot decide is settled by the rest as the whole
constraint was; a plugin's rank map is compared with its model in the parameters the model
is trained in, NaN outputs do not pass for agreement, and odd param_shapes or inputs leave
the rank unchecked, not the route failed; a report file rewritten atomically keeps the old
file's permissions."""

from __future__ import annotations

import os
import stat
import sys
import types

import pytest
import sympy as sp
import torch
from test_guarded_constraints import NC  # a normal crossing over two powers lists

from slttheory.models import FAMILIES
from slttheory.verify.claims import load_claim
from slttheory.verify.evidence.routes import _rank_map_disagreement
from slttheory.verify.expr import decide, parse_formula
from slttheory.verify.report.files import write_text_atomic


@pytest.mark.parametrize("constraint, kept", [
    ("log(max(powers)) - log(2) == log(max(powers)/2) or max(powers) > 0", 2),
    ("log(max(powers)) - log(2) == log(max(powers)/2) and max(powers) < 3", 1),
])
def test_an_undecided_comparison_settled_by_the_rest_as_before(tmp_path, constraint, kept):
    """sympy leaves log(3) - log(2) == log(3/2) undecided; decide() stopped at it and the
    claim failed to load, where the constraint as a whole (``... or max(powers) > 0``) reads
    True whatever it is, as it did before constraints were decided left to right."""
    p = parse_formula(constraint, ["powers"], boolean=True, lists=["powers"])
    v, _ = decide(p.written, {"powers": (3, 1)}, p.terms)
    assert not isinstance(v, sp.logic.boolalg.BooleanAtom)  # the premise: undecided
    f = tmp_path / "c.toml"
    f.write_text(NC.format(constraint=constraint))
    assert len(load_claim(f, FAMILIES).points("quick")) == kept


class _Scaled(torch.nn.Module):
    """w₁·w₂·x·scale, with ``scale`` a frozen parameter (requires_grad=False)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0, 0.5], dtype=torch.float64))
        self.scale = torch.nn.Parameter(torch.tensor(2.0, dtype=torch.float64),
                                        requires_grad=False)

    def forward(self, x):
        return self.scale * self.w[0] * self.w[1] * x


def _rp(fn, shapes=None, inputs=None):
    return types.SimpleNamespace(fn=fn, param_shapes={"w": (2,)} if shapes is None else shapes,
                                 inputs=torch.ones(3, 1) if inputs is None else inputs)


def test_a_frozen_parameter_is_the_models_not_the_maps():
    """The Jacobian and the sampler take the parameters with requires_grad: a faithful map in
    those had been 'unchecked: no correspondence' (scale counted as a parameter)."""
    assert _rank_map_disagreement(_rp(lambda p, x: 2 * p["w"][0] * p["w"][1] * x),
                                  _Scaled()) == ""
    assert "differs" in _rank_map_disagreement(_rp(lambda p, x: p["w"][0] * p["w"][1] * x),
                                               _Scaled())


def test_nan_in_the_rank_map_is_no_agreement():
    """A map of another function (w₁²·w₂ for 2·w₁·w₂) plus 0·log(w₂ − 0.5), NaN at and near
    w*: NaN gaps compared as no gap, and the map passed every comparison."""
    def wrong(p, x):
        w = p["w"]
        return w[0] ** 2 * w[1] * x + 0 * torch.log(w[1] - 0.5)

    assert "differs" in _rank_map_disagreement(_rp(wrong), _Scaled())


@pytest.mark.parametrize("shapes, inputs", [({"w": "ab"}, None), ({"w": None}, None),
                                            (None, [torch.ones(3, 1), torch.ones(3, 1)])])
def test_odd_shapes_or_inputs_leave_the_rank_unchecked(shapes, inputs):
    """They had raised out of the check, and the rank route, with its rank computed, failed."""
    out = _rank_map_disagreement(_rp(lambda p, x: x, shapes, inputs), _Scaled())
    assert out.startswith("the rank map is unchecked")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_rewritten_report_keeps_the_old_files_permissions(tmp_path):
    """os.replace puts the new file's mode (from the umask) in place of the old file's: a
    report.json made private (0600) became world-readable when written again."""
    f = tmp_path / "report.json"
    f.write_text("old")
    os.chmod(f, 0o600)
    write_text_atomic(f, "new")
    assert f.read_text() == "new" and stat.S_IMODE(f.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
