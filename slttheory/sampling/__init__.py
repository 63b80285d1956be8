"""LLC estimation: vectorised SGLD / RMSProp-SGLD / MALA, automatic calibration, diagnostics.

Main entry point: :func:`estimate_llc` (default ``method="extrapolate"``: a scan of inverse
temperatures extrapolated to nβ → ∞, :mod:`slttheory.sampling.extrapolate`, with a 95 %
interval whose data part comes from :mod:`slttheory.sampling.fluctuation`; MALA at full batch
by default, SGLD with minibatches); also :func:`wbic`, :func:`waic` (WAIC and the singular
fluctuation), :func:`estimate_llc_multitemp`, :func:`estimate_llc_batched` and
:func:`plot_trace` and :func:`plot_scan`. Kernels follow blackjax's
``init``/``step`` style (:mod:`slttheory.sampling.kernels`);
:mod:`slttheory.sampling.precondition` has the optional constant curvature preconditioner.
"""

from slttheory.sampling.batched import estimate_llc_batched
from slttheory.sampling.calibrate import StepSizeCalibration, calibrate_step_size
from slttheory.sampling.device import resolve_device
from slttheory.sampling.diagnostics import Diagnostics, ess, mcse, rhat, stationarity_z
from slttheory.sampling.estimator import METHODS, estimate_llc
from slttheory.sampling.extrapolate import (
    FiniteNbetaFit,
    TemperatureScan,
    fit_finite_nbeta,
)
from slttheory.sampling.kernels import (
    SAMPLERS,
    LangevinInfo,
    LangevinState,
    LocalizedPotential,
    PreconditionedPotential,
    SamplingAlgorithm,
    fused_kernel,
    mala,
    rmsprop_sgld,
    sghmc,
    sgld,
)
from slttheory.sampling.plot import plot_scan, plot_scan_record, plot_trace, scan_record
from slttheory.sampling.results import LLCConfig, LLCEstimate, LLCWarning
from slttheory.sampling.symmetry import OrbitMove, matrix_chain_orbit, orbit_step
from slttheory.sampling.waic import WAICResult, waic, waic_from_losses
from slttheory.sampling.wbic import (
    MultiTemperatureEstimate,
    WBICResult,
    estimate_llc_multitemp,
    wbic,
)

multi_temperature_llc = estimate_llc_multitemp

__all__ = [
    "estimate_llc_batched",
    "estimate_llc",
    "estimate_llc_multitemp",
    "multi_temperature_llc",
    "wbic",
    "waic",
    "waic_from_losses",
    "WAICResult",
    "plot_scan",
    "plot_scan_record",
    "plot_trace",
    "scan_record",
    "LLCEstimate",
    "LLCConfig",
    "LLCWarning",
    "WBICResult",
    "MultiTemperatureEstimate",
    "METHODS",
    "TemperatureScan",
    "FiniteNbetaFit",
    "fit_finite_nbeta",
    "Diagnostics",
    "StepSizeCalibration",
    "calibrate_step_size",
    "ess",
    "rhat",
    "mcse",
    "stationarity_z",
    "resolve_device",
    "SAMPLERS",
    "sgld",
    "rmsprop_sgld",
    "sghmc",
    "mala",
    "LangevinState",
    "LangevinInfo",
    "LocalizedPotential",
    "PreconditionedPotential",
    "SamplingAlgorithm",
    "fused_kernel",
    "OrbitMove",
    "matrix_chain_orbit",
    "orbit_step",
]
