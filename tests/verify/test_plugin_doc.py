"""docs/plugins.md works as written: its module, loaded with --families, and its two claims
give the verdicts the page states (a plugin author had no page to follow, an outside audit)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_plugin_page_runs_as_written(tmp_path):
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    (module,) = re.findall(r"```python\n(.*?)```", page, re.S)
    claims = re.findall(r"```toml\n(.*?)```", page, re.S)
    assert len(claims) == 2
    (tmp_path / "my_families.py").write_text(module)
    (tmp_path / "claims").mkdir()
    for text in claims:
        cid = re.search(r'^id = "(.*)"$', text, re.M).group(1)
        (tmp_path / "claims" / f"{cid}.toml").write_text(text)
    # the page's c = 0 remark: w* = 0, rank 0 there, so no rank fact decides λ = 1/2
    zero = claims[0].replace('id = "product-half"', 'id = "product-at-zero"').replace(
        "c = 2", "c = 0")
    (tmp_path / "claims" / "product-at-zero.toml").write_text(zero)
    # the page's table at k = 3, c = 0: the false λ = d/2 and the bound λ <= 1 stay
    # inconclusive too (nothing certified decides them), and the advice says an LLC there
    # would stay uncontrolled (the formula's multiplicity 3 is beyond the controls')
    for cid, extra in (("product-at-zero-d-half", 'predicted = "k/2"'),
                       ("product-at-zero-le-one", 'predicted = "1"\nrelation = "<="')):
        text = re.sub(r'^predicted = .*$', extra, zero.replace(
            'id = "product-at-zero"', f'id = "{cid}"').replace("k = [2, 3]", "k = [3]"),
                      flags=re.M)
        (tmp_path / "claims" / f"{cid}.toml").write_text(text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, "-m", "slttheory.verify", "--families", "my_families:FAMILIES",
         "--claims", "claims", "--out", "out", "--jobs", "1", "--no-figures"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    got = {c["id"]: (c["verdict"], c.get("grade")) for c in rep["claims"]}
    assert got == {"product-half": ("confirmed", "certified"),
                   "product-k-half": ("refuted", "certified"),
                   "product-at-zero": ("inconclusive", "none"),
                   "product-at-zero-d-half": ("inconclusive", "none"),
                   "product-at-zero-le-one": ("inconclusive", "none")}, got
    for cid in ("product-at-zero-d-half", "product-at-zero-le-one"):
        c = next(c for c in rep["claims"] if c["id"] == cid)
        assert "at w*: rank = 0 exactly" in json.dumps(c) or "rank J(w*) = 0" in json.dumps(c)
        assert "multiplicity at least 3" in c["points"][0]["reason"], c["points"][0]["reason"]
        assert "would give an uncontrolled LLC only" in c["points"][0]["reason"]
    half = next(c for c in rep["claims"] if c["id"] == "product-half")
    # the verifier's own argument, not the plugin's gives_lambda, certifies λ = 1/2
    assert "equals the generic rank" in json.dumps(half), half["reason"]
