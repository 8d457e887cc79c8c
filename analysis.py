"""The inside of a network (v3 section 5): functions from weights, masks and curves to numbers.

    from analysis import fourier_entropy, neuron_rows, jaccard_distance
    h = fourier_entropy(neuron_rows(weights, masks)["in"])   # mean over hidden neurons; 0 = one frequency
    d = jaccard_distance(mask_at_t, mask_at_t_plus_2k)       # {matrix: distance, "all": distance}

    python grok.py --exp fourier --seeds 0,1,2    # base vs ticket over training, every checkpoint
    python grok.py --exp jaccard --seeds 0,1,2    # base's masks 2k steps apart vs its test-accuracy jumps

Graph metrics (v3 section 5.2, Fig. 9, Table 1): each masked matrix as a bipartite graph, its
spectral gap (unweighted and with |W| as edge weights) and Ramanujan gap; the whole network's average
shortest path length and clustering coefficient (`graph_metrics`; the construction of the whole
network's graph is ours, see `layered_adjacency`).

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

import math

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



# ---------------------------------------------------------------------------------------------------
# Graph metrics (v3 section 5.2, Fig. 9, Table 1, App. J-K)
#
# A masked matrix W (n_out x n_in) is a bipartite graph: a node per row and per column, an edge where
# the mask keeps a weight. Its adjacency [[0, B], [B^T, 0]], with B the biadjacency (the 0/1 mask, or
# |W * m| for the weighted graph), has the eigenvalues +-s_i, s_1 >= s_2 >= ... the singular values of B.

def spectral_gap(B):
    """lambda_1 - lambda_2 of the bipartite graph with biadjacency B: s_1 - s_2 of B. Unweighted with
    B the 0/1 mask; weighted with B = |W * m| (v3's weighted spectral gap)."""
    s = torch.linalg.svdvals(B.detach().double())
    return (s[0] - (s[1] if len(s) > 1 else 0.0)).item()


def ramanujan_gap(mask):
    """2 sqrt(d_avg - 1) - mu: d_avg = 2 |E| / (n_out + n_in) the average degree, mu = s_2 the largest
    non-trivial |eigenvalue|; >= 0 when the graph is as well connected as a Ramanujan graph of its
    degree (Hoang et al. 2023). (The issue that asked for it writes sqrt(2 d_avg - 1); v3 Table 1's
    values, -2.6 to -4.6 for 40% masks of 48 x 500-sized layers, match this form: a random mask of
    that density gives about -2.7, the other form about -6.)"""
    B = (mask.detach() != 0).double()
    d_avg = 2 * B.sum().item() / sum(B.shape)
    s = torch.linalg.svdvals(B)
    return 2 * math.sqrt(max(d_avg - 1, 0.0)) - (s[1].item() if len(s) > 1 else 0.0)


def layered_adjacency(masks, order):
    """The whole network as one undirected graph: a node per neuron of every layer (the inputs of the
    first matrix in `order`, then the outputs of each), an edge where a mask keeps a weight. Our choice
    (the authors' construction is not published); in such a layered graph every cycle has even length,
    so its clustering coefficient is 0."""
    sizes = [masks[order[0]].shape[1]] + [masks[name].shape[0] for name in order]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    A = torch.zeros(sum(sizes), sum(sizes), dtype=torch.bool)
    for i, name in enumerate(order):
        block = masks[name].detach() != 0  # (n_out, n_in): layer i -> layer i + 1
        A[starts[i + 1]:starts[i + 1] + sizes[i + 1], starts[i]:starts[i] + sizes[i]] = block
    return A | A.T


def average_shortest_path(A):
    """Mean shortest-path length over the ordered pairs of distinct nodes that are connected (a
    breadth-first search from every node at once, by boolean matrix products)."""
    A = A.to(torch.float32)
    n = len(A)
    reached = torch.eye(n, dtype=torch.bool)
    frontier, total, pairs, d = reached.clone(), 0.0, 0, 0
    while frontier.any():
        d += 1
        frontier = ((frontier.to(torch.float32) @ A) > 0) & ~reached
        reached |= frontier
        count = frontier.sum().item()
        total, pairs = total + d * count, pairs + count
    return total / pairs if pairs else float("nan")


def clustering(A):
    """Average local clustering coefficient: for each node of degree >= 2, the fraction of pairs of
    its neighbours that are connected (nodes of degree < 2 count as 0, as networkx does)."""
    A = A.to(torch.float64)
    A.fill_diagonal_(0)
    degree = A.sum(1)
    triangles = ((A @ A) * A).sum(1) / 2
    possible = degree * (degree - 1) / 2
    local = torch.where(possible > 0, triangles / possible.clamp_min(1), torch.zeros_like(degree))
    return local.mean().item()


MLP_LAYERS = ("W_E", "W_in", "W_out", "W_U")  # tokens -> embedding -> hidden -> embedding -> logits


def graph_metrics(weights, masks, order=MLP_LAYERS):
    """v3's graph metrics of a masked network: the spectral gap, the weighted spectral gap and the
    Ramanujan gap averaged over the matrices, and the average shortest path length and clustering
    coefficient of the whole network (layered_adjacency)."""
    names = list(order)
    per = lambda f: sum(f(n) for n in names) / len(names)
    A = layered_adjacency(masks, names)
    return dict(spectral_gap=per(lambda n: spectral_gap((masks[n] != 0).double())),
                weighted_spectral_gap=per(lambda n: spectral_gap((weights[n] * masks[n]).abs())),
                ramanujan_gap=per(lambda n: ramanujan_gap(masks[n])),
                average_shortest_path=average_shortest_path(A), clustering=clustering(A))


# ---------------------------------------------------------------------------------------------------
# Where a network that stopped short of generalizing is wrong (the Transformer's plateaued bases)

def error_breakdown(pairs, correct, p):
    """The error rate of test pairs (a, b) (`pairs` (n, 2), `correct` (n,) bool) grouped several ways:
    by the answer c = (a + b) mod p, by whether a = b, by the distance |a - b| and by the token a or b
    itself (each pair counted under both). Returns {"overall": rate, "by_answer": (p,) rates,
    "a_eq_b": rate, "a_ne_b": rate, "by_distance": (p,) rates, "by_token": (p,) rates} (NaN where a
    group is empty)."""
    a, b = pairs[:, 0].long(), pairs[:, 1].long()
    wrong = (~correct).double()

    def rates(keys):
        count = torch.zeros(p, dtype=torch.float64).index_add_(0, keys, torch.ones_like(wrong))
        errors = torch.zeros(p, dtype=torch.float64).index_add_(0, keys, wrong)
        return errors / count  # NaN where empty

    tokens = torch.cat([a, b])
    by_token = (torch.zeros(p, dtype=torch.float64).index_add_(0, tokens, torch.cat([wrong, wrong]))
                / torch.zeros(p, dtype=torch.float64).index_add_(0, tokens, torch.ones(2 * len(a), dtype=torch.float64)))
    same = a == b
    return {"overall": wrong.mean().item(), "by_answer": rates((a + b) % p), "by_distance": rates((a - b).abs()),
            "a_eq_b": wrong[same].mean().item() if same.any() else math.nan,
            "a_ne_b": wrong[~same].mean().item() if (~same).any() else math.nan, "by_token": by_token}


def answer_offsets(logits, pairs, p):
    """Where the answers go, by offset from the right one: for d = 1 ... floor(p/2), (wrong[d-1], the
    number of pairs (a, b) whose predicted answer is c + d or c - d, c = (a + b) mod p; gap[d-1] and
    spread[d-1], the mean and the standard deviation (n - 1) over the pairs of the margin
    logit(c) - (logit(c + d) + logit(c - d)) / 2). A network that computes with a
    few Fourier frequencies f (logit(c') ~ sum_f alpha_f cos(2 pi f (a + b - c') / p)) has its smallest
    gaps at the offsets d where cos(2 pi f d / p) is near 1 for its large alpha_f: "ghost" answers; an
    error at a ghost offset is that algorithm losing its margin, not a random miss. `logits` (n, p),
    `pairs` (n, 2)."""
    logits = logits.detach().double()
    c = (pairs[:, 0].long() + pairs[:, 1].long()) % p
    offset = (logits.argmax(1) - c) % p
    folded = torch.minimum(offset, p - offset)
    wrong = torch.zeros(p // 2 + 1, dtype=torch.long).index_add_(0, folded, torch.ones_like(folded))[1:]
    d = torch.arange(1, p // 2 + 1)
    right = logits.gather(1, c[:, None])
    ghosts = (logits.gather(1, (c[:, None] + d) % p) + logits.gather(1, (c[:, None] - d) % p)) / 2
    margin = right - ghosts
    return wrong, margin.mean(0), margin.std(0)


def wrong_set_overlap(correct_then, correct_now):
    """How stable the set of wrong test pairs is between two checkpoints: (|W1 and W2| / |W1 or W2|, the
    Jaccard similarity of the two sets; |W1|, |W2|). 1.0: the same pairs wrong."""
    w1, w2 = ~correct_then, ~correct_now
    union = (w1 | w2).sum().item()
    return (1.0 if union == 0 else (w1 & w2).sum().item() / union), w1.sum().item(), w2.sum().item()


def embedding_spectrum(W_E):
    """The share of the token embedding's energy at each Fourier frequency f = 1 ... floor(p/2): W_E is
    (d, p), one column per token; F_f = sum over the d rows of |sum_a W_E[:, a] exp(-2 pi i f a / p)|^2,
    share_f = F_f / sum_f F_f (the DC term f = 0 dropped). A network that computes modular addition
    with the known Fourier algorithm concentrates it on a few key frequencies."""
    spectrum = torch.fft.rfft(W_E.detach().double(), dim=1).abs().pow(2).sum(0)[1:W_E.shape[1] // 2 + 1]
    return spectrum / spectrum.sum()


def key_frequencies(share, mass=0.8):
    """The fewest frequencies (1-based, largest share first) that hold `mass` of the spectrum's energy."""
    order = torch.argsort(share, descending=True)
    total, chosen = 0.0, []
    for f in order.tolist():
        chosen.append(f + 1)
        total += share[f].item()
        if total >= mass:
            break
    return chosen
