"""Grokking tickets: pruning scores, masks from scores, rewinding to theta_0, the norm-matched control.

    from tickets import magnitude_scores, mask_from_scores, rewind, norm_matched_scale
    mask = mask_from_scores(magnitude_scores(final_weights), prune_rate=0.6)  # keep the top 40% |theta|
    ticket = rewind(theta0, mask)                                             # theta_0 * m
    r1 = norm_matched_scale(theta0, mask, p=1)                               # dense control: theta_0 * r1
    mask = mask_from_scores(snip_scores(model, loss_of), 0.6)                 # pruning at initialization

Every function takes and returns dicts {weight name: tensor}, so each piece can be lifted into another
project: on any nn.Module, `dict(module.named_parameters())` is such a dict. A pruner is a function from
weights (or a model, and data) to scores, higher = keep; `mask_from_scores` turns any scores into a
mask, and `apply_masks` puts a mask on any nn.Module through torch.nn.utils.prune (its pruned weights
then stay zero under any optimizer). The pruners score the weight matrices, the tensors with two or
more dimensions (a Linear's or a Conv's weight, the project's W_E, W_in, ...), and the 1-D ones
(biases, a norm's scale) only with include_1d=True, as torch.nn.utils.prune's users expect. The
pruners that need a network take the model, a closure that runs it (on the data, or on ones), and
optionally the names of the weights to score (default: the model's `weights()` where it has them, as
models.Masked does, else its parameters with two or more dimensions):
- magnitude_scores(weights): |theta|, for grokking tickets;
- random_scores(weights, seed): seed from stream_seed(run seed, "random"), never the run seed itself;
- snip_scores(model, loss_of): |theta * dL/dtheta| (Lee et al. 2019);
- grasp_scores(model, logits_of, y, temperature=200): theta * (H g) (Wang et al. 2020);
- synflow_scores(model, output_of_ones, prune_rate, rounds=100): iterative, data-free
  |theta * dR/dtheta| with R = 1^T (prod_l |W_l|) 1 (Tanaka et al. 2020); output_of_ones may be the
  input's shape instead of a closure.
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
from typing import Callable, Dict, Iterable, Mapping, Sequence, Tuple, Union

import torch
import torch.nn.utils.prune

Tensor = torch.Tensor
Weights = Dict[str, Tensor]
"""{weight name: tensor}: weights, scores or 0/1 masks"""


def prunable(weights: Union[Mapping[str, Tensor], Iterable[Tuple[str, Tensor]]], include_1d: bool = False) -> Weights:
    """The tensors a pruner scores: those with two or more dimensions (weight matrices and conv
    kernels), and the 1-D ones (biases) too only with include_1d. `weights`: a dict, or
    module.named_parameters()."""
    weights = dict(weights)
    chosen = {name: w for name, w in weights.items() if include_1d or w.dim() >= 2}
    if not chosen:
        raise ValueError("no weights to prune: " + ("the dict is empty" if not weights else
                         "every tensor has one dimension (biases); pass include_1d=True to prune them"))
    return chosen


def keep_all_but_lowest(values: Tensor, n_removed: int) -> Tensor:
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


def edge_popup_mask(scores: Tensor, keep: float, runs: bool = False) -> Tensor:
    """Edge-popup (Ramanujan et al. 2020): the 0/1 mask of the top `keep` fraction of |s| in one
    matrix (runs=True: in each matrix scores[r] of a stack, one per run), whose gradient passes
    straight through to s: d mask / d|s| = 1. Its value is exactly the 0/1 mask (|s| - |s| is 0)."""
    if not 0 < keep <= 1:
        raise ValueError(f"edge-popup keeps a fraction in (0, 1] of each matrix, got {keep}")
    a = scores.abs()
    flat = a.detach().flatten(1 if runs else 0)
    hard = keep_all_but_lowest(flat, round((1 - keep) * flat.shape[-1])).view_as(a)
    return hard + (a - a.detach())


def magnitude_scores(weights: Mapping[str, Tensor], include_1d: bool = False) -> Weights:
    """|theta|: how grokking tickets are found, from the weights of the generalized network."""
    return {name: w.detach().abs() for name, w in prunable(weights, include_1d).items()}


def mask_from_scores(scores: Mapping[str, Tensor], prune_rate: float, scope: str = "global") -> Weights:
    """0/1 masks that remove exactly round(k * N) weights with the lowest scores, where N counts all
    matrices together (scope="global", the paper's default) or each matrix on its own
    (scope="layer"). Ties are broken by position (name order, then flat index: the earlier weight is
    removed first), never by a `score <= threshold` rule that would over-prune."""
    if isinstance(prune_rate, bool) or not isinstance(prune_rate, (int, float)):
        raise TypeError(f"the pruning rate k must be a number in [0, 1), got {type(prune_rate).__name__}"
                        + (": pass float(k)" if torch.is_tensor(prune_rate) else ""))
    if not scores:
        raise ValueError("no scores: the dict of weights to prune is empty")
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


def rewind(theta0: Mapping[str, Tensor], masks: Mapping[str, Tensor]) -> Weights:
    """The ticket's starting point: theta_0 * m on the masked tensors; the others (a state_dict's
    biases, buffers) as they are in theta_0."""
    missing = set(masks) - set(theta0)
    if missing:
        raise ValueError(f"masks for tensors that theta_0 does not have: {', '.join(sorted(missing))}")
    return {name: theta0[name] * masks[name] if name in masks else theta0[name] for name in theta0}


def norm(weights: Mapping[str, Tensor], p: float) -> float:
    """||theta||_p over all the tensors together, in float64."""
    if not weights:
        raise ValueError("the norm of no weights: the dict is empty")
    return torch.cat([w.detach().flatten().double() for w in weights.values()]).norm(p).item()


def norm_matched_scale(theta0: Mapping[str, Tensor], masks: Mapping[str, Tensor], p: float) -> float:
    """r_p = ||theta_0 * m||_p / ||theta_0||_p, both over the masked tensors together (the prunable
    weights; a state_dict's other entries do not count): the dense network theta_0 * r_p starts with
    the ticket's L_p norm (the paper's "same L1" / "same L2" controls)."""
    theta0 = {name: w for name, w in theta0.items() if name in masks}
    return norm(rewind(theta0, masks), p) / norm(theta0, p)


def apply_masks(module: torch.nn.Module, masks: Mapping[str, Tensor]) -> torch.nn.Module:
    """Put each mask on the module's parameter of that name ("0.weight", ...) with
    torch.nn.utils.prune.custom_from_mask, the convention its users know: the parameter becomes
    <name>_orig and the module computes with <name> = <name>_orig * mask, so a pruned weight stays
    zero whatever the optimizer does to <name>_orig. Returns the module."""
    for name, mask in masks.items():
        owner, _, leaf = name.rpartition(".")
        sub = module.get_submodule(owner) if owner else module
        if not isinstance(getattr(sub, leaf, None), torch.nn.Parameter):
            raise ValueError(f"the module has no parameter {name!r} to mask")
        torch.nn.utils.prune.custom_from_mask(sub, leaf, mask.to(getattr(sub, leaf).device))
    return module


def sparsity(masks: Mapping[str, Tensor]) -> float:
    """Fraction of weights removed by `masks` (the realised pruning rate)."""
    total = sum(m.numel() for m in masks.values())
    return 1 - sum(m.sum().item() for m in masks.values()) / total


def stream_seed(seed: int, purpose: str) -> int:
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


def random_scores(weights: Mapping[str, Tensor], seed: int, include_1d: bool = False) -> Weights:
    """I.i.d. uniform scores: the random-pruning baseline. `seed`: stream_seed(run seed, "random")."""
    g = torch.Generator().manual_seed(seed)
    return {name: torch.rand(w.shape, generator=g) for name, w in prunable(weights, include_1d).items()}


def shuffled_mask(masks: Mapping[str, Tensor], seed: int, within: str = "matrix") -> Weights:
    """The mask with its entries permuted at random within each tensor (within="matrix", any shape:
    the same count kept per tensor, anywhere in it) or within each row of a matrix (within="row",
    2-D masks only, (fan_out, fan_in) as a Linear's weight: the same in-degree per neuron). The
    control that asks whether the mask's structure, and not only its per-matrix sparsity, carries the
    ticket. `seed`: stream_seed(run seed, "shuffle")."""
    if within not in ("matrix", "row"):
        raise ValueError(f"shuffle within 'matrix' or 'row', got {within!r}")
    if within == "row":
        other = {name: tuple(m.shape) for name, m in masks.items() if m.dim() != 2}
        if other:
            raise ValueError(f"within='row' shuffles the rows of 2-D masks; these are not 2-D: {other} "
                             "(use within='matrix', or reshape a conv kernel to (out, in * kh * kw) first)")
    g, out = torch.Generator().manual_seed(seed), {}
    for name, m in masks.items():
        if within == "matrix":
            out[name] = m.flatten()[torch.randperm(m.numel(), generator=g)].view_as(m)
        else:  # an independent permutation of each row: argsort of i.i.d. uniforms
            out[name] = m.gather(1, torch.rand(m.shape, generator=g).argsort(dim=1))
    return out


def scored_weights(model: torch.nn.Module, names: Sequence[str] = None) -> Weights:
    """The live weights a network pruner scores: those named in `names`, else the model's weights()
    where it has them (models.Masked), else its parameters with two or more dimensions."""
    if names is not None:
        return {name: model.get_parameter(name) for name in names}
    if callable(getattr(model, "weights", None)):
        return model.weights()
    return prunable(model.named_parameters())


def snip_scores(model: torch.nn.Module, loss_of: Callable[[torch.nn.Module], Tensor],
                names: Sequence[str] = None) -> Weights:
    """SNIP: |theta * dL/dtheta|, L = loss_of(model) on the training set, at the current weights."""
    weights = scored_weights(model, names)
    grads = torch.autograd.grad(loss_of(model), list(weights.values()))
    return {name: (w * g).detach().abs() for (name, w), g in zip(weights.items(), grads)}


def grasp_scores(model: torch.nn.Module, logits_of: Callable[[torch.nn.Module], Tensor], y: Tensor,
                 temperature: float = 200.0, names: Sequence[str] = None) -> Weights:
    """GraSP: theta * (H g), with g the gradient and H the Hessian of the cross-entropy of
    logits_of(model) / temperature. Keeping the highest is removing the largest -theta * Hg, the GraSP
    paper's rule (and its authors' code)."""
    named = scored_weights(model, names)
    weights = list(named.values())
    loss = lambda: torch.nn.functional.cross_entropy(logits_of(model).double() / temperature, y)
    g = [t.detach() for t in torch.autograd.grad(loss(), weights)]
    grad = torch.autograd.grad(loss(), weights, create_graph=True)
    Hg = torch.autograd.grad(sum((a * b).sum() for a, b in zip(grad, g)), weights)
    return {name: (w * h).detach() for name, w, h in zip(named, weights, Hg)}


def synflow_scores(model: torch.nn.Module, output_of_ones: Union[Callable[[torch.nn.Module], Tensor], Sequence[int]],
                   prune_rate: float, rounds: int = 100, names: Sequence[str] = None) -> Weights:
    """SynFlow: every parameter replaced by |theta| (in float64, so the product cannot overflow), the
    synaptic flow R = sum(output_of_ones(model)) - the network's output on an all-ones input, or on
    torch.ones(output_of_ones) when it is the input's shape - and the score |theta * dR/dtheta|.
    Iterated over `rounds` with the exponential schedule: round r prunes to
    k_r = 1 - (1 - k)^(r / rounds), scoring only the surviving weights (the pruned ones are set to zero
    in the copy). Data-free. Returns the last round's scores (pruned weights score -1), whose mask at
    k is SynFlow's."""
    if not callable(output_of_ones):
        shape = tuple(output_of_ones)
        output_of_ones = lambda m: m(torch.ones(shape, dtype=torch.float64))
    net = copy.deepcopy(model).double()
    live = scored_weights(net, names)
    with torch.no_grad():
        for w in net.parameters():
            w.abs_()
    flow = {name: w.detach().clone() for name, w in live.items()}  # |theta|, which each round masks
    masks = {name: torch.ones_like(w) for name, w in live.items()}
    for r in range(1, rounds + 1):
        with torch.no_grad():
            for name, w in live.items():
                w.copy_(flow[name] * masks[name])
        grads = torch.autograd.grad(output_of_ones(net).sum(), list(live.values()))
        # pruned weights score -1, below every survivor, so no round brings one back
        scores = {name: ((w * g).detach().abs() * m - (1 - m))
                  for (name, w), m, g in zip(live.items(), masks.values(), grads)}
        masks = mask_from_scores(scores, 1 - (1 - prune_rate) ** (r / rounds))
    dtypes = {name: w.dtype for name, w in scored_weights(model, names).items()}
    return {name: s.to(dtypes[name]) for name, s in scores.items()}
