"""The paper's three networks (arXiv:2310.19470 and the authors' code), each with a fixed 0/1 mask on every weight matrix.

    from models import MLP, Transformer, MnistMLP, PolyMLP, ParityMLP
    model = MLP(p=67, seed=0)          # 115,000 weights: W_E 500x67, W_in 48x500, W_out 500x48, W_U 67x500
    logits = model(x)                  # x: (n, 2) token pairs (a, b)

No biases and no LayerNorm: every parameter is a prunable weight matrix, initialised N(0, kappa/sqrt(fan_in)).
The network computes with W * m (`model.w(name)`), so a masked weight has no effect and gets no
gradient. Matrices are stored as (fan_out, fan_in) so that the code reads like the paper's
equations, W x.

Each model has two forward passes that compute the same function:
- `direct(x)`: the textbook form, the specification;
- `forward(x)`: the same arithmetic regrouped for speed, which is what training uses. Inputs are
  one-hot tokens, so any product of weight matrices that ends in W_E is a table with one column per
  token and costs p columns instead of one per example; with no nonlinearity between W_out and W_U,
  W_U W_out is one matrix. Tests check the two agree in float64.

Needs torch and tickets.py (the mask selection and edge-popup's learned mask); no side effects at import.
"""
import math
from typing import Dict, Mapping, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from tickets import edge_popup_mask


class Masked(nn.Module):
    """Weight matrices, each with a fixed 0/1 mask buffer `mask_<name>`; `w(name)` is W * m.
    With `popup_scores` set ({name: scores}, see edge_popup_mask), the mask is instead the
    top `popup_keep` fraction of each matrix's |scores|, learned by straight-through gradients."""
    popup_scores = None
    popup_keep = 1.0
    norm_clamp = None
    """(q, targets): after every optimizer step t the trainer rescales all the weights by one factor so
    that their L_q norm is targets[t] (a norm-clamped control; None: free)"""
    _dense = (None, True)  # (the masks' identities and versions when last checked, whether all ones)

    @property
    def dense(self) -> bool:
        """Every mask all ones, derived from the masks themselves: recomputed whenever a mask tensor
        has changed (torch bumps a tensor's version on every in-place write: set_masks,
        load_state_dict, an edit like m[0, 0] = 0) or been replaced, so a reloaded or edited mask is
        never ignored; otherwise a cached answer (checking 115,000 entries every step would cost)."""
        masks = [getattr(self, "mask_" + name) for name, _ in self.named_parameters()]
        key = tuple((id(m), m._version) for m in masks)
        if self._dense[0] != key:
            self._dense = (key, all(bool(m.all()) for m in masks))
        return self._dense[1]

    def add_weight(self, name: str, shape: Tuple[int, int], kappa: float, generator: torch.Generator) -> None:
        std = kappa / math.sqrt(shape[1])  # shape is (fan_out, fan_in)
        self.register_parameter(name, nn.Parameter(torch.randn(shape, generator=generator) * std))
        self.register_buffer("mask_" + name, torch.ones(shape))

    def w(self, name: str) -> torch.Tensor:
        if self.popup_scores is not None:
            return getattr(self, name) * edge_popup_mask(self.popup_scores[name], self.popup_keep)
        if self.dense:  # W * 1 == W exactly: skip the multiply (and its backward) when nothing is pruned
            return getattr(self, name)
        return getattr(self, name) * getattr(self, "mask_" + name)

    def weights(self) -> Dict[str, torch.Tensor]:
        """The prunable weights W by name, in a fixed order (every parameter is one): the raw W, whose
        masked entries may be nonzero (set_masks does not zero them). The network computes with
        masked_weights(); a ticket's norm is theirs."""
        return dict(self.named_parameters())

    def masked_weights(self) -> Dict[str, torch.Tensor]:
        """The weights the network computes with, W * m by name (detached copies)."""
        return {name: self.w(name).detach().clone() for name in self.weights()}

    def masks(self) -> Dict[str, torch.Tensor]:
        return {name: getattr(self, "mask_" + name) for name in self.weights()}

    def set_masks(self, masks: Mapping[str, torch.Tensor]) -> None:
        """Set the 0/1 masks (the weights themselves are left as they are: see masked_weights)."""
        for name, m in masks.items():
            getattr(self, "mask_" + name).copy_(m)


def token_pairs(x: torch.Tensor) -> torch.Tensor:
    """x as an (n, 2) tensor of token pairs (a, b); a single pair of shape (2,) is refused with a
    clear error rather than misread."""
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"x must be (n, 2) token pairs (a, b), got shape {tuple(x.shape)}"
                         + ("; for one pair pass x[None]" if tuple(x.shape) == (2,) else ""))
    return x


class MLP(Masked):
    """logits = W_U W_out ReLU(W_in (E[a] + E[b])), E = W_E's columns (the paper's MLP)."""

    def __init__(self, p: int = 67, d_emb: int = 500, d_hidden: int = 48, kappa: float = 1.0, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.p = p
        self.add_weight("W_E", (d_emb, p), kappa, g)
        self.add_weight("W_in", (d_hidden, d_emb), kappa, g)
        self.add_weight("W_out", (d_emb, d_hidden), kappa, g)
        self.add_weight("W_U", (p, d_emb), kappa, g)

    def direct(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_counts(F.one_hot(x, self.p).sum(1).to(self.W_E.dtype))

    def from_counts(self, c: torch.Tensor) -> torch.Tensor:
        """The network on token-count vectors c (n, p): E[a] + E[b] = W_E (e_a + e_b). SynFlow feeds
        it c = 1, every token active."""
        W_E, W_in, W_out, W_U = (self.w(n) for n in ("W_E", "W_in", "W_out", "W_U"))
        return (W_U @ (W_out @ F.relu(W_in @ (W_E @ c.T)))).T  # (n, p), one column per example

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = token_pairs(x)
        W_E, W_in, W_out, W_U = (self.w(n) for n in ("W_E", "W_in", "W_out", "W_U"))
        # W_in (E[a] + E[b]) = A[a] + A[b] with A = W_in W_E, one row per token.
        # (index_select of rows: its backward is a deterministic index_add, and it is the fastest gather)
        A = W_E.T @ W_in.T                                     # (p, d_hidden) = (W_in W_E)^T
        h = F.relu(A.index_select(0, x[:, 0]) + A.index_select(0, x[:, 1]))  # (n, d_hidden)
        return h @ (W_U @ W_out).T                             # (n, p)


    @staticmethod
    def forward_batch(W: Dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """`forward` for R runs at once: W[name] is (R, *shape) effective weights, x (R, n, 2) tokens;
        returns (R, n, p). The (p, d_hidden) tables of all runs are one (R p, d_hidden) table, so one
        gather serves every run (token ids offset by r p)."""
        R, n, _ = x.shape
        p = W["W_E"].shape[2]
        A = W["W_E"].transpose(1, 2) @ W["W_in"].transpose(1, 2)           # (R, p, d_hidden)
        table = A.reshape(R * p, -1)
        ids = x + (torch.arange(R, device=x.device) * p).view(R, 1, 1)      # row of token t of run r
        h = F.relu(table.index_select(0, ids[:, :, 0].flatten()) + table.index_select(0, ids[:, :, 1].flatten()))
        return h.view(R, n, -1) @ (W["W_U"] @ W["W_out"]).transpose(1, 2)  # (R, n, p)


class Transformer(Masked):
    """One block, causal single-head attention and a ReLU MLP, residual connections, input [a, b],
    no positional embedding, logits read at the last position (the authors' code, which made the figures):
        x_i = E[t_i];  r_i = x_i + W_O sum_j softmax_j(q_i . k_j / sqrt(d)) v_j  (j <= i);
        r'_i = r_i + W_out ReLU(W_in r_i);  logits = W_U r'_last."""

    def __init__(self, p: int = 67, d_model: int = 128, d_mlp: int = 128, kappa: float = 1.0, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.p, self.d = p, d_model
        self.add_weight("W_E", (d_model, p), kappa, g)
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            self.add_weight(name, (d_model, d_model), kappa, g)
        self.add_weight("W_in", (d_mlp, d_model), kappa, g)
        self.add_weight("W_out", (d_model, d_mlp), kappa, g)
        self.add_weight("W_U", (p, d_model), kappa, g)

    def _w(self):
        return (self.w(n) for n in ("W_E", "W_Q", "W_K", "W_V", "W_O", "W_in", "W_out", "W_U"))

    def direct(self, x: torch.Tensor) -> torch.Tensor:
        W_E, W_Q, W_K, W_V, W_O, W_in, W_out, W_U = self._w()
        X = W_E.T[x]                                           # (n, 2, d) residual stream
        q, k, v = X @ W_Q.T, X @ W_K.T, X @ W_V.T
        scores = q @ k.transpose(1, 2) / math.sqrt(self.d)     # (n, 2, 2)
        causal = torch.ones(2, 2, dtype=torch.bool, device=x.device).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        r = X + torch.softmax(scores, dim=-1) @ v @ W_O.T
        r = r + F.relu(r @ W_in.T) @ W_out.T
        return r[:, -1] @ W_U.T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = token_pairs(x)
        W_E, W_Q, W_K, W_V, W_O, W_in, W_out, W_U = self._w()
        a, b = x[:, 0], x[:, 1]
        p = self.p
        # Only the last position (token b) reaches the logits, and it attends to a and to b. Inputs
        # are tokens, so each product that ends in W_E is a table with one column per token:
        S = (W_Q @ W_E).T @ (W_K @ W_E) / math.sqrt(self.d)  # (p, p) score of query i on key j
        OV = W_O @ (W_V @ W_E)                                 # (d, p) what attending to j writes
        # The residual r = E[b] + att_a OV[a] + att_b OV[b] is linear in those columns, so W_in and
        # W_U (the two maps that read r) apply to the tables once, not to every example.
        T = torch.cat([W_E, OV], dim=1).T @ torch.cat([W_in, W_U]).T  # (2p, d_mlp + p)
        att = torch.softmax(torch.stack([S[b, a], S[b, b]], dim=1), dim=1)
        rows = T.index_select                                           # gather rows of T
        z = rows(0, b) + att[:, :1] * rows(0, p + a) + att[:, 1:] * rows(0, p + b)  # [W_in r, W_U r]
        pre, logits = z.split([W_in.shape[0], p], dim=1)
        return logits + F.relu(pre) @ (W_U @ W_out).T


    @staticmethod
    def forward_batch(W: Dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """`forward` for R runs at once: W[name] is (R, *shape) effective weights, x (R, n, 2) tokens;
        returns (R, n, p). Tables of all runs are stacked into one, gathered with ids offset per run."""
        R, n, _ = x.shape
        p, d = W["W_E"].shape[2], W["W_E"].shape[1]
        T_ = lambda t: t.transpose(1, 2)
        a, b = x[:, :, 0], x[:, :, 1]
        S = T_(W["W_Q"] @ W["W_E"]) @ (W["W_K"] @ W["W_E"]) / math.sqrt(d)  # (R, p, p)
        OV = W["W_O"] @ (W["W_V"] @ W["W_E"])                                 # (R, d, p)
        T = T_(torch.cat([W["W_E"], OV], dim=2)) @ T_(torch.cat([W["W_in"], W["W_U"]], dim=1))  # (R, 2p, .)
        run = torch.arange(R, device=x.device).view(R, 1)
        scores = S.reshape(R * p * p)
        att = torch.softmax(torch.stack([scores[(run * p * p + b * p + a).flatten()],
                                         scores[(run * p * p + b * p + b).flatten()]], dim=1), dim=1)
        rows = T.reshape(R * 2 * p, -1).index_select
        base = (run * 2 * p).expand(R, n)
        z = (rows(0, (base + b).flatten()) + att[:, :1] * rows(0, (base + p + a).flatten())
             + att[:, 1:] * rows(0, (base + p + b).flatten()))
        pre, logits = z.split([W["W_in"].shape[1], p], dim=1)
        out = logits.view(R, n, p) + F.relu(pre).view(R, n, -1) @ T_(W["W_U"] @ W["W_out"])
        return out


class DenseMLP(Masked):
    """A fully connected network on vector inputs, no biases: x -> W_1 x -> ... -> W_L x, with a ReLU
    after the layers listed in `relu` (1-based). `forward` is `direct`: nothing to regroup.
      MNIST (the paper):      dims 784, 200, 200, 10, ReLU after 1 and 2, kappa = 8 (the large
                             initialisation that makes MNIST grok);
      polynomial (v3):       dims 40, 40, 48, 500, 1, ReLU after 1, 2 and 3, kappa = 1: the authors'
                             network (model.py, OnlyMLP_Polynominal, branch transfer: embed, ReLU,
                             inproj, ReLU, outproj, ReLU, unembed);
      sparse parity (ours):  dims 41 (40 bits and a constant 1), 1000, 2, ReLU after 1, kappa = 1."""

    def __init__(self, dims: Tuple[int, ...] = (784, 200, 200, 10), relu: Tuple[int, ...] = (1, 2),
                 kappa: float = 8.0, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.relu = tuple(relu)
        for i, (d_in, d_out) in enumerate(zip(dims, dims[1:]), start=1):
            self.add_weight(f"W_{i}", (d_out, d_in), kappa, g)

    @staticmethod
    def apply(ws, relu, x):
        for i, w in enumerate(ws, start=1):
            x = x @ w.T
            x = F.relu(x) if i in relu else x
        return x

    def direct(self, x: torch.Tensor) -> torch.Tensor:
        return self.apply([self.w(n) for n in self.weights()], self.relu, x)

    forward = direct

    def forward_batch(self, W: Dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """`forward` for R runs, one run at a time: MNIST's matrices are large enough to keep any
        device busy, and a batched matrix product would round differently from the single run's
        (measured)."""
        names = list(self.weights())
        return torch.stack([self.apply([W[n][r] for n in names], self.relu, x[r]) for r in range(x.shape[0])])


def MnistMLP(seed: int = 0) -> "DenseMLP":
    """784 -> 200 -> 200 -> 10, ReLU, no biases, kappa = 8 (the paper's MNIST MLP)."""
    return DenseMLP((784, 200, 200, 10), relu=(1, 2), kappa=8.0, seed=seed)


def PolyMLP(seed: int = 0, d: int = 40) -> "DenseMLP":
    """v3's polynomial-regression network as the authors' code has it: 40 -> 40 -> 48 -> 500 -> 1,
    a ReLU after each of the first three layers."""
    return DenseMLP((d, 40, 48, 500, 1), relu=(1, 2, 3), kappa=1.0, seed=seed)


def ParityMLP(seed: int = 0, n_bits: int = 40, width: int = 1000) -> "DenseMLP":
    """Sparse parity: n_bits + 1 inputs (tasks.parity's constant 1 is the first layer's bias), one
    hidden ReLU layer of `width` units, 2 outputs (our choice, Merrill et al. 2023's width; the
    paper gives none)."""
    return DenseMLP((n_bits + 1, width, 2), relu=(1,), kappa=1.0, seed=seed)
