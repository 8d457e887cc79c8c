"""The inside of a network (v3 section 5): functions from weights, masks and curves to numbers.

    from analysis import fourier_entropy, neuron_rows, jaccard_distance
    h = fourier_entropy(neuron_rows(weights, masks)["in"])   # mean over hidden neurons; 0 = one frequency
    d = jaccard_distance(mask_at_t, mask_at_t_plus_2k)       # {matrix: distance, "all": distance}

    python grok.py --exp fourier --seeds 0,1,2    # base vs ticket over training, every checkpoint
    python grok.py --exp jaccard --seeds 0,1,2    # base's masks 2k steps apart vs its test-accuracy jumps

Every function takes plain tensors or {matrix name: tensor} dicts (the MLP's names: W_E, W_in, W_out,
W_U), so each can be lifted into another project on its own.

Fourier entropy (v3 section 5.2, Fig. 8). A hidden neuron i of the modular MLP reads token a through
row i of A = (W_in * m)(W_E * m), a function of a in Z_p, and writes to the logits through column i of
B = (W_U * m)(W_out * m). A neuron that computes with a few Fourier frequencies (the known algorithm
for modular addition) has a sparse spectrum. For a row r in R^p:
    F_f = |sum_a r_a exp(-2 pi i f a / p)|,  f = 1 ... floor(p/2)   (the DC term f = 0 dropped)
    q_f = F_f / sum_f F_f,   H(r) = -sum_f q_f log q_f
H = 0 for a pure cosine, log(floor(p/2)) for a flat spectrum; the network's value is the mean over its
neurons (all-zero rows, neurons the mask removed, skipped). The authors' code computes instead the
cross-entropy of q with its own softmax, -sum_f q_f log softmax(q)_f, which stays near
log(floor(p/2)) (their values 3.23-3.46): `authors=True` gives it, labelled as their variant.

Mask distance (v3 section 5.1, Fig. 7). The Jaccard distance of two 0/1 masks,
    d(m1, m2) = 1 - |m1 and m2| / |m1 or m2|,
per matrix and over all matrices together; between the k = 0.6 global magnitude masks of the base's
checkpoints 2,000 steps apart it measures how fast the network's structure is changing.
"""

import torch

import tickets


def fourier_entropy(rows, authors=False):
    """Mean over the non-zero rows of `rows` (n, p) of the entropy of their normalised amplitude
    spectrum over frequencies 1 ... floor(p/2) (module docstring); `authors=True`: the authors'
    cross-entropy with the softmax instead. NaN when every row is zero."""
    rows = rows.detach().double()
    rows = rows[rows.abs().sum(1) > 0]
    if not len(rows):
        return float("nan")
    p = rows.shape[1]
    amplitude = torch.fft.fft(rows, dim=1).abs()[:, 1:p // 2 + 1]
    q = amplitude / amplitude.sum(1, keepdim=True).clamp_min(1e-300)
    if authors:
        h = -(q * torch.log_softmax(q, dim=1)).sum(1)
    else:
        h = -(q * torch.log(q.clamp_min(1e-300))).sum(1)  # 0 log 0 = 0
    return h.mean().item()


def neuron_rows(weights, masks=None):
    """The MLP's per-neuron functions of the token: {"in": (W_in m)(W_E m), "out": ((W_U m)(W_out m))^T},
    each (d_hidden, p)."""
    w = {n: weights[n] * (masks[n] if masks else 1) for n in ("W_E", "W_in", "W_out", "W_U")}
    return {"in": w["W_in"] @ w["W_E"], "out": (w["W_U"] @ w["W_out"]).T}


def jaccard_distance(m1, m2):
    """1 - |m1 and m2| / |m1 or m2| per matrix of two {name: 0/1 mask} dicts, and over all ("all")."""
    out, both, either = {}, 0.0, 0.0
    for name in m1:
        a, b = m1[name].bool(), m2[name].bool()
        inter, union = (a & b).sum().item(), (a | b).sum().item()
        out[name] = 1 - inter / union if union else 0.0
        both, either = both + inter, either + union
    out["all"] = 1 - both / either if either else 0.0
    return out


def magnitude_mask(weights, prune_rate=0.6):
    """The global magnitude mask at pruning rate k of a checkpoint (how tickets are found)."""
    return tickets.mask_from_scores(tickets.magnitude_scores(weights), prune_rate)

