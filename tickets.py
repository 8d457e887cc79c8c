"""Grokking tickets: pruning scores, masks from scores, rewinding to theta_0, the norm-matched control.

    from tickets import magnitude_scores, mask_from_scores, rewind, norm_matched_scale
    mask = mask_from_scores(magnitude_scores(final_weights), prune_rate=0.6)  # keep the top 40% |theta|
    ticket = rewind(theta0, mask)                                             # theta_0 * m
    r1 = norm_matched_scale(theta0, mask, p=1)                               # dense control: theta_0 * r1
    mask = mask_from_scores(snip_scores(model, loss_of), 0.6)                 # pruning at initialization

Every function takes and returns dicts {matrix name: tensor}, so each piece can be lifted into another
project. A pruner is a function from weights (or a model, and data) to scores, higher = keep;
`mask_from_scores` turns any scores into a mask. The pruners that need a network take a model with
the small interface of models.Masked (`weights()`, `masks()`, `set_masks()`) and a closure that runs
it on the data, so they work on any such model:
- magnitude_scores(weights): |theta|, for grokking tickets;
- random_scores(weights, seed): seed from stream_seed(run seed, "random"), never the run seed itself;
- snip_scores(model, loss_of): |theta * dL/dtheta| (Lee et al. 2019);
- grasp_scores(model, logits_of, y, temperature=200): theta * (H g) (Wang et al. 2020);
- synflow_scores(model, output_of_ones, prune_rate, rounds=100): iterative, data-free
  |theta * dR/dtheta| with R = 1^T (prod_l |W_l|) 1 (Tanaka et al. 2020).
The pruning rate k is the paper's: the fraction of weights *removed* (k = 0.6 keeps 40%).
Two controls of ours ask whether a ticket's speed lives in its mask or in the mask on theta_0 (Frankle
& Carbin's question): the mask on another draw theta_0' of the same law (reinit: a network built with
stream_seed(seed, "reinit")), and `shuffled_mask`, the mask permuted within each matrix or each row.
`edge_popup_mask` (the learned mask of edge-popup, Ramanujan et al. 2020) and `keep_all_but_lowest`
(the selection every mask uses) are here too, so that this file needs only torch: copy it alone.
models.py imports them for the networks that compute with a learned mask.
"""
import copy
import hashlib

import torch


def keep_all_but_lowest(values, n_removed):
    """0/1 over the last dimension of `values` (..., N): 0 at the n_removed lowest entries of each
    row, ties broken by position (the earlier entry removed first), exactly the first n_removed of a
    stable sort. Found by selection, O(N) rather than a sort: t = the n_removed-th smallest value;
    removed = every entry below t, then the first (n_removed - #below) entries equal to t."""
    if n_removed == 0:
        return torch.ones_like(values)
    t = values.kthvalue(n_removed, dim=-1, keepdim=True).values
    below, tied = values < t, values == t
    removed = below | (tied & (tied.cumsum(-1) <= n_removed - below.sum(-1, keepdim=True)))
    return (~removed).to(values.dtype)


def edge_popup_mask(scores, keep, runs=False):
    """Edge-popup (Ramanujan et al. 2020): the 0/1 mask of the top `keep` fraction of |s| in one
    matrix (runs=True: in each matrix scores[r] of a stack, one per run), whose gradient passes
    straight through to s: d mask / d|s| = 1. Its value is exactly the 0/1 mask (|s| - |s| is 0)."""
    if not 0 < keep <= 1:
        raise ValueError(f"edge-popup keeps a fraction in (0, 1] of each matrix, got {keep}")
    a = scores.abs()
    flat = a.detach().flatten(1 if runs else 0)
    hard = keep_all_but_lowest(flat, round((1 - keep) * flat.shape[-1])).view_as(a)
    return hard + (a - a.detach())


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
    # Python's round, as torch.nn.utils.prune
    keep = keep_all_but_lowest(flat, round(prune_rate * flat.numel()))
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


def stream_seed(seed, purpose):
    """The seed of one purpose's random stream in the run of `seed`: the first 63 bits of
    sha256("<seed>/<purpose>"). theta_0 and the train/test split draw from generators seeded with the
    run seed itself; every other draw (the random pruner's scores, edge-popup's scores, a reinit's
    theta_0', a shuffle) from its own stream. Seeded with the run seed, a draw would replay theta_0's
    numbers (torch.rand after manual_seed(s) reuses the uniforms that torch.randn turned into
    theta_0). Measured on the MLP, seeds 0-19: of the weights the random mask keeps at k = 0.6, 0.585
    lie in W_E's top 40% of |theta_0| (0.443 over all matrices); edge-popup's first mask on W_E, 0.351.
    Chance is 0.400; with their own streams, 0.399 / 0.400 / 0.400 (python docs/random_overlap.py)."""
    digest = hashlib.sha256(f"{seed}/{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def random_scores(weights, seed):
    """I.i.d. uniform scores: the random-pruning baseline. `seed`: stream_seed(run seed, "random")."""
    g = torch.Generator().manual_seed(seed)
    return {name: torch.rand(w.shape, generator=g) for name, w in weights.items()}


def shuffled_mask(masks, seed, within="matrix"):
    """The mask with its entries permuted at random within each matrix (within="matrix": the same
    count kept per matrix, anywhere in it) or within each row (within="row": the same in-degree per
    neuron, rows being a matrix's fan_out). The control that asks whether the mask's structure, and
    not only its per-matrix sparsity, carries the ticket. `seed`: stream_seed(run seed, "shuffle")."""
    if within not in ("matrix", "row"):
        raise ValueError(f"shuffle within 'matrix' or 'row', got {within!r}")
    g, out = torch.Generator().manual_seed(seed), {}
    for name, m in masks.items():
        if within == "matrix":
            out[name] = m.flatten()[torch.randperm(m.numel(), generator=g)].view_as(m)
        else:  # an independent permutation of each row: argsort of i.i.d. uniforms
            out[name] = m.gather(1, torch.rand(m.shape, generator=g).argsort(dim=1))
    return out


def snip_scores(model, loss_of):
    """SNIP: |theta * dL/dtheta|, L = loss_of(model) on the training set, at the current weights."""
    weights = model.weights()
    grads = torch.autograd.grad(loss_of(model), list(weights.values()))
    return {name: (w * g).detach().abs() for (name, w), g in zip(weights.items(), grads)}


def grasp_scores(model, logits_of, y, temperature=200.0):
    """GraSP: theta * (H g), with g the gradient and H the Hessian of the cross-entropy of
    logits_of(model) / temperature. Keeping the highest is removing the largest -theta * Hg, the GraSP
    paper's rule (and its authors' code)."""
    weights = list(model.weights().values())
    loss = lambda: torch.nn.functional.cross_entropy(logits_of(model).double() / temperature, y)
    g = [t.detach() for t in torch.autograd.grad(loss(), weights)]
    grad = torch.autograd.grad(loss(), weights, create_graph=True)
    Hg = torch.autograd.grad(sum((a * b).sum() for a, b in zip(grad, g)), weights)
    return {name: (w * h).detach() for name, w, h in zip(model.weights(), weights, Hg)}


def synflow_scores(model, output_of_ones, prune_rate, rounds=100):
    """SynFlow: every weight replaced by |theta| (in float64, so the product cannot overflow), the
    synaptic flow R = sum(output_of_ones(model)) - the network's output on an all-ones input - and the
    score |theta * dR/dtheta|. Iterated over `rounds` with the exponential schedule: round r prunes to
    k_r = 1 - (1 - k)^(r / rounds), scoring only the surviving weights. Data-free. Returns the last
    round's scores (pruned weights score -1), whose mask at k is SynFlow's."""
    net = copy.deepcopy(model).double()
    with torch.no_grad():
        for w in net.weights().values():
            w.abs_()
    masks = {name: torch.ones_like(w) for name, w in net.weights().items()}
    for r in range(1, rounds + 1):
        net.set_masks(masks)
        weights = net.weights()
        grads = torch.autograd.grad(output_of_ones(net).sum(), list(weights.values()))
        # pruned weights score -1, below every survivor, so no round brings one back
        scores = {name: ((w * g).detach().abs() * m - (1 - m))
                  for (name, w), m, g in zip(weights.items(), masks.values(), grads)}
        masks = mask_from_scores(scores, 1 - (1 - prune_rate) ** (r / rounds))
    return {name: s.to(model.weights()[name].dtype) for name, s in scores.items()}
