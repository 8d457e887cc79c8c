"""Grokking tickets: pruning scores, masks from scores, rewinding to theta_0, the norm-matched control.

    from tickets import magnitude_scores, mask_from_scores, rewind, norm_matched_scale
    mask = mask_from_scores(magnitude_scores(final_weights), prune_rate=0.6)  # keep the top 40% |theta|
    ticket = rewind(theta0, mask)                                             # theta_0 * m
    r1 = norm_matched_scale(theta0, mask, p=1)                               # dense control: theta_0 * r1

Every function takes and returns dicts {matrix name: tensor}, so each piece can be lifted into another
project. A pruner is a function from weights (and data) to scores, higher = keep; `mask_from_scores`
turns any scores into a mask. The pruning rate k is the paper's: the fraction of weights *removed*
(k = 0.6 keeps 40%).
"""
import torch


def magnitude_scores(weights):
    """|theta|: how grokking tickets are found, from the weights of the generalized network."""
    return {name: w.detach().abs() for name, w in weights.items()}


def mask_from_scores(scores, prune_rate, scope="global"):
    """0/1 masks that remove exactly round(k * N) weights with the lowest scores, where N counts all
    matrices together (scope="global", the paper's default) or each matrix on its own
    (scope="layer"). Ties are broken by position (name order, then flat index: the earlier weight is
    removed first), never by a `score <= threshold` rule that would over-prune."""
    if not 0 <= prune_rate < 1:
        raise ValueError(f"pruning rate k must be in [0, 1), got {prune_rate}")
    if scope == "layer":
        return {name: mask_from_scores({name: s}, prune_rate)[name] for name, s in scores.items()}
    if scope != "global":
        raise ValueError(f"unknown scope {scope!r}; choose global or layer")
    flat = torch.cat([s.detach().flatten().double() for s in scores.values()])
    n_removed = round(prune_rate * flat.numel())  # Python's round, as torch.nn.utils.prune
    keep = torch.ones_like(flat)
    keep[torch.sort(flat, stable=True).indices[:n_removed]] = 0
    masks, start = {}, 0
    for name, s in scores.items():
        masks[name] = keep[start:start + s.numel()].view_as(s).to(s.dtype)
        start += s.numel()
    return masks


def rewind(theta0, masks):
    """The ticket's starting point: theta_0 * m."""
    return {name: theta0[name] * masks[name] for name in theta0}


def norm(weights, p):
    """||theta||_p over all matrices together."""
    return torch.cat([w.detach().flatten().double() for w in weights.values()]).norm(p).item()


def norm_matched_scale(theta0, masks, p):
    """r_p = ||theta_0 * m||_p / ||theta_0||_p, over all prunable weights together: the dense network
    theta_0 * r_p starts with the ticket's L_p norm (the paper's "same L1" / "same L2" controls)."""
    return norm(rewind(theta0, masks), p) / norm(theta0, p)


def sparsity(masks):
    """Fraction of weights removed by `masks` (the realised pruning rate)."""
    total = sum(m.numel() for m in masks.values())
    return 1 - sum(m.sum().item() for m in masks.values()) / total
