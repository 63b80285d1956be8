"""devinterp 1.3.2 side of the benchmark. Runs in devinterp's own environment.

Usage (called by ``compare_devinterp.py``; not imported by slttheory):
    python devinterp_side.py OUT_DIR [--draws-scale S]

For each case it builds the model and data exactly as devinterp's own test recipes do
(``tests/slt/rrr_test.py``: reduced-rank regression of Aoyagi & Watanabe 2005 with true rank
0, n = 1000, Adam pre-training, SGLD; ``tests/slt/sampler_accuracy_test.py``: the normal
crossing ``Polynomial`` model; both in the timaeus-research/devinterp repository at v1.3.2),
saves the model state and data with
``torch.save`` (tensors only) so that slttheory runs on the *same* model and data, times
devinterp's sampling call, and prints one JSON object.
"""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

try:
    from devinterp.backends.default.slt.sampler import sample
    from devinterp.optim.sgld import SGLD
    from devinterp.slt.llc import LLCEstimator
    from devinterp.test_utils import Polynomial, ReducedRankRegressor
    from devinterp.utils import default_nbeta, evaluate_mse, get_init_loss_multi_batch
except ImportError as e:  # run here by hand, outside devinterp's environment
    sys.exit(f"devinterp_side.py runs in devinterp 1.3.2's own environment ({e}); run "
             "benchmarks/compare_devinterp.py, which creates benchmarks/.venv-devinterp")


def run_devinterp(model, loader, *, lr, localization, nbeta, chains, draws, seed=42):
    init_loss = get_init_loss_multi_batch(loader, chains, model, evaluate_mse, device="cpu")
    est = LLCEstimator(num_chains=chains, num_draws=draws, nbeta=nbeta, init_loss=init_loss)
    t0, c0 = time.perf_counter(), time.process_time()
    sample(
        model,
        loader,
        evaluate=evaluate_mse,
        optimizer_kwargs=dict(lr=lr, localization=localization, nbeta=nbeta),
        sampling_method=SGLD,
        num_chains=chains,
        num_draws=draws,
        callbacks=[est],
        verbose=False,
        seed=seed,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = est.get_results()
    per_chain = [float(res[f"llc-chain/{i}"]) for i in range(chains)]
    return {
        "llc_mean": float(res["llc/mean"]),
        "llc_std_across_chains": float(res["llc/std"]),
        "std_error": float(np.std(per_chain, ddof=1) / math.sqrt(chains)),
        "per_chain": per_chain,
        "wall_s": wall,
        "cpu_s": cpu,
        "settings": dict(lr=lr, localization=localization, nbeta=nbeta, chains=chains, draws=draws),
    }


def case_rrr(m, h, n_out, out, draws):
    # v1.3.2 recipe: data seed 1, Adam(lr=0.01) 5000 full-batch steps, SGLD lr=6e-4, gamma=1,
    # nbeta = default_nbeta(loader) = 1000/ln 1000, 3 chains x 2000 draws, seed 42.
    torch.manual_seed(1)
    np.random.seed(1)  # noqa: NPY002  (devinterp's recipe seeds globally)
    x = torch.randn(1000, m)
    y = torch.randn(1000, n_out)
    loader = DataLoader(TensorDataset(x, y), batch_size=1000, shuffle=True)
    model = ReducedRankRegressor(m, h, n_out)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5000):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
    name = f"rrr_{m}_{h}_{n_out}"
    torch.save({"x": x, "y": y, "state": model.state_dict()}, out / f"{name}.pt")
    nbeta = default_nbeta(loader)
    r = run_devinterp(model, loader, lr=6e-4, localization=1.0, nbeta=nbeta, chains=3, draws=draws)
    return name, r


def case_normal_crossing(out, draws):
    # sampler_accuracy_test recipe: Polynomial([1, 2]) at w = 0, x ~ N(0, 2^2), y = 0.25 N(0,1),
    # n = 1000, lr 4e-4, no localization, nbeta = 1000/ln 1000, 10 chains x 5000 draws, seed 42.
    torch.manual_seed(42)
    x = torch.normal(0, 2, size=(1000, 1))
    y = 0.25 * torch.normal(0, 1, size=(1000, 1))
    loader = DataLoader(TensorDataset(x, y), batch_size=1000, shuffle=True)
    model = Polynomial([1, 2])
    torch.save({"x": x, "y": y, "state": model.state_dict()}, out / "normal_crossing_1_2.pt")
    nbeta = default_nbeta(loader)
    r = run_devinterp(model, loader, lr=4e-4, localization=0.0, nbeta=nbeta, chains=10, draws=draws)
    return "normal_crossing_1_2", r


def case_linear_regression(out, draws):
    # y = 3x + 2 (seed 003), n = 100 noiseless, model at (3, 2); devinterp defaults:
    # SGLD lr 0.01, localization 0, nbeta = 100/ln 100, 4 chains x 2000 draws.
    x = torch.linspace(-1, 1, 100).unsqueeze(1)
    y = 3 * x + 2
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(3.0)
        model.bias.fill_(2.0)
    loader = DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True)
    torch.save({"x": x, "y": y, "state": model.state_dict()}, out / "linear_regression.pt")
    nbeta = default_nbeta(loader)
    r = run_devinterp(model, loader, lr=0.01, localization=0.0, nbeta=nbeta, chains=4, draws=draws)
    return "linear_regression", r


def main():
    out = Path(sys.argv[1])
    scale = (
        float(sys.argv[sys.argv.index("--draws-scale") + 1]) if "--draws-scale" in sys.argv else 1.0
    )
    torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1])
                          if "--threads" in sys.argv else torch.get_num_threads())
    results = {}
    for fn, draws in [
        (lambda o, d: case_rrr(5, 3, 5, o, d), 2000),
        (lambda o, d: case_rrr(8, 3, 4, o, d), 2000),
        (case_normal_crossing, 5000),
        (case_linear_regression, 2000),
    ]:
        name, r = fn(out, max(100, int(draws * scale)))
        results[name] = r
        print(f"devinterp {name}: {r['llc_mean']:.4f} in {r['wall_s']:.2f} s", file=sys.stderr)
    import devinterp

    print(
        json.dumps(
            {
                "devinterp_version": getattr(devinterp, "__version__", "1.3.2"),
                "torch": torch.__version__,
                "cases": results,
            }
        )
    )


if __name__ == "__main__":
    main()
