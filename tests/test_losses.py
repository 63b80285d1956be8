"""Per-sample losses: values against hand computation and torch, centring, errors, vmap."""

import pytest
import torch
import torch.nn.functional as F

from slttheory.losses import (
    LOSSES,
    binary_cross_entropy_nll,
    centred_gaussian_nll,
    cross_entropy_nll,
    gaussian_nll,
    resolve_loss,
)


def _g():
    return torch.Generator().manual_seed(1234)


def test_gaussian_is_half_squared_norm():
    out = torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    tgt = torch.tensor([[0.0, 0.0], [3.0, 1.0]])
    assert torch.equal(gaussian_nll(out, tgt), torch.tensor([2.5, 6.5]))
    # (n,) against (n, 1) is the same per-sample quantity
    assert torch.equal(
        gaussian_nll(torch.tensor([1.0, 3.0]), torch.tensor([[0.0], [1.0]])),
        torch.tensor([0.5, 2.0]),
    )


def test_centred_equals_projection_formula():
    g = _g()
    n, k = 7, 3
    out, tgt = torch.randn(n, k, generator=g, dtype=torch.float64), torch.randn(
        n, k, generator=g, dtype=torch.float64
    )
    P = torch.eye(n, dtype=torch.float64) - torch.ones(n, n, dtype=torch.float64) / n
    expected = 0.5 * (P @ (tgt - out)).pow(2).sum()
    per = centred_gaussian_nll(out, tgt)
    assert per.shape == (n,)
    assert torch.allclose(per.sum(), expected)
    # invariant under one constant vector added to every output
    shifted = centred_gaussian_nll(out + torch.tensor([1.0, -2.0, 5.0], dtype=torch.float64), tgt)
    assert torch.allclose(shifted, per)
    # and differs from the plain Gaussian NLL when residuals have a non-zero mean
    assert not torch.allclose(gaussian_nll(out + 1.0, tgt).sum(), per.sum())


def test_cross_entropy_matches_torch():
    g = _g()
    logits = torch.randn(6, 4, generator=g)
    labels = torch.randint(0, 4, (6,), generator=g)
    assert torch.allclose(
        cross_entropy_nll(logits, labels), F.cross_entropy(logits, labels, reduction="none")
    )
    onehot = F.one_hot(labels, 4).float()
    assert torch.allclose(cross_entropy_nll(logits, onehot), cross_entropy_nll(logits, labels))


def test_binary_cross_entropy_matches_torch():
    g = _g()
    z = torch.randn(8, 1, generator=g)
    y = torch.randint(0, 2, (8, 1), generator=g).float()
    expected = F.binary_cross_entropy_with_logits(z, y, reduction="none").flatten()
    assert torch.allclose(binary_cross_entropy_nll(z, y), expected, atol=1e-6)


@pytest.mark.parametrize("fn", [gaussian_nll, centred_gaussian_nll])
def test_shape_mismatch_errors(fn):
    with pytest.raises(ValueError, match="samples"):
        fn(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="match"):
        fn(torch.zeros(3, 2), torch.zeros(3, 3))


def test_cross_entropy_errors():
    with pytest.raises(TypeError, match="class indices"):
        cross_entropy_nll(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="logits"):
        cross_entropy_nll(torch.zeros(3), torch.zeros(3, dtype=torch.long))


def test_targets_are_checked_once_on_the_data():
    from slttheory.losses import check_targets

    check_targets("cross_entropy", torch.tensor([0, 3]))
    check_targets("cross_entropy", torch.tensor([[0.25, 0.75], [1.0, 0.0]]))
    check_targets("binary_cross_entropy", torch.tensor([[0.0], [1.0]]))
    check_targets("gaussian", torch.tensor([5.0]))  # anything real
    check_targets(gaussian_nll, torch.tensor([5.0]))  # a callable is not checked
    for loss, t, match in [
        ("cross_entropy", torch.tensor([0, -1]), "class indices .* must be >= 0"),
        ("cross_entropy", torch.tensor([[1.0], [1.0]]), "at least two classes"),
        ("cross_entropy", torch.tensor([[0.5, 0.6]]), "must sum to 1"),
        ("cross_entropy", torch.tensor([[1.5, -0.5]]), r"probabilities in \[0, 1\]"),
        ("binary_cross_entropy", torch.tensor([[5.0]]), r"probabilities in \[0, 1\]"),
    ]:
        with pytest.raises(ValueError, match=match):
            check_targets(loss, t)


def test_resolve_loss():
    assert resolve_loss("gaussian") is gaussian_nll
    assert resolve_loss("cross_entropy") is cross_entropy_nll
    assert resolve_loss(centred_gaussian_nll) is centred_gaussian_nll
    assert set(LOSSES) >= {"gaussian", "cross_entropy"}
    with pytest.raises(ValueError, match="loss must be one of"):
        resolve_loss("mse")
    with pytest.raises(TypeError, match="loss"):
        resolve_loss(3)


@pytest.mark.parametrize("fn", [gaussian_nll, centred_gaussian_nll])
def test_vmap_over_chains(fn):
    """The sampler evaluates losses under vmap over chains; results equal a Python loop."""
    g = _g()
    outs = torch.randn(4, 5, 2, generator=g)
    tgt = torch.randn(5, 2, generator=g)
    batched = torch.func.vmap(fn, in_dims=(0, None))(outs, tgt)
    looped = torch.stack([fn(o, tgt) for o in outs])
    assert torch.allclose(batched, looped)
