"""A multi-run sweep killed with SIGKILL resumes from the store without recomputing."""

import json
import os
import signal
import subprocess
import sys
import time

from slttheory.verify.run.experiments import ExperimentStore

CLAIM = """id = "resume"
title = "t"
source = "s"
kind = "experiment"
experiment = "grokking_llc_tracks_val_loss"
[settings]
p = 7
k = 8
steps = 60
checkpoints = 5
runs = 6
llc_draws = 20
llc_burn_in = 5
[criterion]
statistic = "spearman_llc_val_loss"
expect = "positive"
"""


def _run(args, **kw):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "slttheory.verify", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kw,
    )


def _processes_with(arg: str) -> list[int]:
    """Pids of live processes whose command line contains ``arg`` (Linux /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{d}/stat") as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if arg in cmd and state != "Z":
                out.append(int(d))
    return out


def test_sigkill_then_resume(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(CLAIM)
    out = tmp_path / "out"
    db = out / "results.sqlite"
    proc = _run(["--claims", str(f), "--out", str(out)])
    deadline = time.time() + 120
    n = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                s = ExperimentStore(db)
                n = s.count("resume")
                s.close()
            except Exception:  # noqa: BLE001 - the table may not exist yet
                n = 0
            if n >= 3:
                break
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # its worker processes follow it (no orphans waiting on a dead parent's pipe)
    deadline = time.time() + 10
    while time.time() < deadline and _processes_with(str(f)):
        time.sleep(0.2)
    assert not _processes_with(str(f)), "worker processes outlived the killed run"
    s = ExperimentStore(db)
    before = s.count("resume")
    s.close()
    assert before >= 3
    proc = _run(["--claims", str(f), "--out", str(out), "--resume"])
    assert proc.wait(timeout=300) == 0
    rep = json.loads((out / "report.json").read_text())
    e = rep["claims"][0]["experiment"]
    assert e["runs"] == 6
    assert e["stages_reused"] >= before  # nothing stored was recomputed
    s = ExperimentStore(db)
    assert s.count("resume") == e["stages_reused"] + e["stages_computed"]
    s.close()
