"""Settings shared by the experiment tests: tiny runs that still show the effect."""

from __future__ import annotations

GROKKING_EMBED_MLP = {  # groks within 400 full-batch steps (AdamW, decoupled weight decay)
    "p": 13,
    "embed_dim": 8,
    "hidden": 32,
    "train_frac": 0.95,
    "optimizer": "adamw",
    "lr": 3e-2,
    "weight_decay": 0.5,
    "batch_size": 0,
    "steps": 400,
    "checkpoints": 15,
    "runs": 2,
    "gen_acc": 0.6,
}
"""The Arrhenius-grokking experiment on the embedding MLP, without its LLC settings."""
