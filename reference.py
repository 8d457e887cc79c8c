"""The paper's method on one page: the grokking ticket against the norm-matched dense controls, in
plain torch. One file that needs only torch: copy it anywhere and run it.

    python reference.py --quick     # a small setting that shows the effect in about a minute (not the paper's)
    python reference.py             # the paper's setting: p = 67, seed 0, 50,000 steps per arm (~15 min)

Minegishi, Iwasawa & Matsuo, "Bridging Lottery Ticket and Grokking" (arXiv:2310.19470). No batching,
no files, no resuming: the specification that the pipeline (grok.py --exp ticket_vs_norm, trainer.py,
experiments.py) must agree with; test_grok.py trains a small configuration both ways and requires the
same curves in every printed digit and the same final weights, bit for bit. The steps:
  1. the base: the dense MLP logits = W_U W_out ReLU(W_in (E[a] + E[b])) from theta_0 (each matrix
     N(0, 1/fan_in), no biases), full-batch AdamW (lr 1e-3, betas (0.9, 0.98), weight decay 1) on 40%
     of the pairs (a, b), a <= b, labelled (a + b) mod p, until it has grokked;
  2. the mask m: keep the (1 - k) largest |theta| of the base's final weights, all matrices together
     (k, the pruning rate, is the fraction removed; ties: the earlier weight is removed first);
  3. the ticket: theta_0 * m, trained again the same way with m fixed;
  4. the controls: the dense theta_0 * r_p, r_p = ||theta_0 * m||_p / ||theta_0||_p (p = 1, 2), which
     start with the ticket's L1 / L2 norm;
  5. t_mem / t_gen: the first logged step with train / test accuracy >= P = 0.95.
The paper's finding: the ticket reaches t_gen many times sooner than the base; the controls do not.

--quick is p = 67 with half the pairs for training, lr 3e-3 and 4,000 steps: found by measurement to
show the same picture in a fifteenth of the steps (seeds 0-2 with grok.py on 2026-12-06: the base
groks at 2,000-3,200 steps, the ticket at 52-170, the L1 / L2 controls at 1,400-3,000). It is not the
paper's setting; the paper's numbers come from the default.
"""
import argparse
import math
import os
import sys
import time
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple


def pin_numerics() -> None:
    """Fix the CPU kernels before torch is imported, so that this file computes the same bits as the
    pipeline (numerics.py, inlined here so the file stands alone): torch's AVX2 kernels, and MKL's
    reproducible branch where MKL has one (Intel: strict AVX2; on AMD MKL ignores the setting).
    Imported after torch, it changes nothing (the kernels are chosen when torch loads)."""
    try:
        with open("/proc/cpuinfo") as f:
            vendor = next((line.split(":", 1)[1].strip() for line in f if line.startswith("vendor_id")), "")
    except OSError:
        vendor = ""
    cbwr = {"AuthenticAMD": "AVX2", "GenuineIntel": "AVX2,STRICT"}.get(vendor)
    if cbwr and "torch" not in sys.modules:  # once torch is loaded they would do nothing but leak to children
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
        os.environ.setdefault("MKL_CBWR", cbwr)


pin_numerics()
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


Tensor = torch.Tensor


def modular_addition(p: int = 67, frac_train: float = 0.4, seed: int = 0) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """The pairs (a, b), a <= b, of tokens 0 ... p-1, labelled (a + b) mod p, shuffled with `seed`;
    the first frac_train of them train, the rest test. Returns x_train, y_train, x_test, y_test."""
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.flatten(), b.flatten()
    a, b = a[a <= b], b[a <= b]
    x, y = torch.stack([a, b], dim=1), (a + b) % p
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    train, test = order[:int(frac_train * len(x))], order[int(frac_train * len(x)):]
    return x[train], y[train], x[test], y[test]


class MLP(nn.Module):
    """logits = W_U W_out ReLU(W_in (E[a] + E[b])), E[a] = column a of W_E (500 x p); W_in 48 x 500,
    W_out 500 x 48, W_U p x 500; each N(0, 1/fan_in), drawn in that order from `seed`. Every matrix
    has a 0/1 mask, and the network computes with W * m, so a masked weight has no effect and no
    gradient."""

    def __init__(self, p: int = 67, seed: int = 0, d_emb: int = 500, d_hidden: int = 48):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        for name, shape in (("W_E", (d_emb, p)), ("W_in", (d_hidden, d_emb)), ("W_out", (d_emb, d_hidden)),
                            ("W_U", (p, d_emb))):
            self.register_parameter(name, nn.Parameter(torch.randn(shape, generator=g) * (1.0 / math.sqrt(shape[1]))))
            self.register_buffer("mask_" + name, torch.ones(shape))

    def weights(self) -> Dict[str, Tensor]:
        return dict(self.named_parameters())

    def forward(self, x: Tensor) -> Tensor:
        W_E, W_in, W_out, W_U = (getattr(self, n) * getattr(self, "mask_" + n) for n in ("W_E", "W_in", "W_out", "W_U"))
        A = W_E.T @ W_in.T  # row a: W_in E[a], so W_in (E[a] + E[b]) = A[a] + A[b]
        h = F.relu(A.index_select(0, x[:, 0]) + A.index_select(0, x[:, 1]))
        return h @ (W_U @ W_out).T


class Logged(NamedTuple):
    """One logged step of a curve."""
    step: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float


def logged(step: int) -> bool:
    """Every step up to 100, every 10 to 1,000, then every 100 (the pipeline's schedule)."""
    return step <= 100 or (step <= 1000 and step % 10 == 0) or step % 100 == 0


def train(model: MLP, data: Tuple[Tensor, Tensor, Tensor, Tensor], steps: int, lr: float = 1e-3,
          weight_decay: float = 1.0) -> List[Logged]:
    """Full-batch AdamW on the cross-entropy (computed in float64: in float32 the log-softmax of a
    confident prediction rounds to 0 and the loss spikes). Masked weights start at 0 and get zero
    gradient, so they stay 0. Returns the curve: one Logged row per logged step."""
    x_train, y_train, x_test, y_test = data
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=weight_decay)
    curve = []
    for step in range(steps + 1):
        if step > 0:
            loss = F.cross_entropy(model(x_train).double(), y_train)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if logged(step) or step == steps:
            with torch.no_grad():
                row = [step]
                for x, y in ((x_train, y_train), (x_test, y_test)):
                    out = model(x)
                    row += [F.cross_entropy(out.double(), y).item(), (out.argmax(1) == y).double().mean().item()]
            curve.append(Logged(*row))
    return curve


def magnitude_mask(weights: Dict[str, Tensor], k: float) -> Dict[str, Tensor]:
    """1 for the (1 - k) largest |w| over all matrices together, 0 for the round(k N) smallest
    (ties: the earlier weight, in matrix order then flat index, is removed first)."""
    flat = torch.cat([w.detach().abs().flatten().double() for w in weights.values()])
    keep = torch.ones_like(flat)
    keep[torch.sort(flat, stable=True).indices[:round(k * flat.numel())]] = 0
    masks, start = {}, 0
    for name, w in weights.items():
        masks[name] = keep[start:start + w.numel()].view_as(w).to(w.dtype)
        start += w.numel()
    return masks


def norm(weights: Dict[str, Tensor], p: float) -> float:
    """||theta||_p over all matrices together."""
    return torch.cat([w.detach().flatten().double() for w in weights.values()]).norm(p).item()


def network(p: int, seed: int, weights: Dict[str, Tensor], mask: Optional[Dict[str, Tensor]] = None) -> MLP:
    """The MLP with the given starting weights and mask (none: dense)."""
    model = MLP(p=p, seed=seed)
    with torch.no_grad():
        for name, w in model.weights().items():
            m = mask[name] if mask else torch.ones_like(w)
            w.copy_(weights[name] * m)
            getattr(model, "mask_" + name).copy_(m)
    return model


def grokking_ticket(p: int = 67, seed: int = 0, k: float = 0.6, steps: int = 50_000, frac_train: float = 0.4,
                    lr: float = 1e-3) -> Dict[str, List[Logged]]:
    """The four arms of the paper's comparison; {arm: curve}. The mask comes from the base's weights at
    its last step: a warning when the base has not generalized by then (its mask is a transition
    ticket, not a grokking ticket)."""
    data = modular_addition(p, frac_train, seed)
    base = MLP(p=p, seed=seed)                                                    # theta_0
    theta0 = {name: w.detach().clone() for name, w in base.weights().items()}
    curves = {"base": train(base, data, steps, lr)}
    if first_step(curves["base"], "test_acc") is None:
        warnings.warn(f"the base has not reached t_gen (test accuracy 0.95) in {steps:,} steps (it ends at "
                      f"{curves['base'][-1].test_acc:.3f}): its mask is a transition ticket, not a grokking "
                      "ticket; train longer (--steps)", stacklevel=2)
    mask = magnitude_mask(base.weights(), k)                                      # top (1 - k) of |theta|
    curves["ticket"] = train(network(p, seed, theta0, mask), data, steps, lr)     # theta_0 * m
    for q in (1, 2):
        r = norm({n: w * mask[n] for n, w in theta0.items()}, q) / norm(theta0, q)  # ||theta_0 m||_q / ||theta_0||_q
        curves[f"same_l{q}"] = train(network(p, seed, {n: w * r for n, w in theta0.items()}), data, steps, lr)
    return curves


def first_step(curve: List[Logged], field: str, P: float = 0.95) -> Optional[int]:
    """The first logged step whose `field` (train_acc: t_mem; test_acc: t_gen) is >= P, else None."""
    return next((row.step for row in curve if getattr(row, field) >= P), None)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="p = 67, half the pairs, lr 3e-3, 4,000 steps: "
                    "the effect in about a minute (not the paper's setting)")
    ap.add_argument("--p", type=int, default=67, help="modulus (default 67)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=float, default=0.6, help="pruning rate: the fraction of weights removed")
    ap.add_argument("--steps", type=int, help="training steps of each arm, the base's included: the mask "
                    "comes from the base's weights at its last step, so the base must have generalized by "
                    "then (a warning says when it has not) (default 50,000; --quick 4,000)")
    ap.add_argument("--frac-train", type=float, help="training fraction of the pairs (default 0.4; --quick 0.5)")
    ap.add_argument("--lr", type=float, help="AdamW learning rate (default 1e-3; --quick 3e-3)")
    args = ap.parse_args()
    quick = dict(steps=4000, frac_train=0.5, lr=3e-3) if args.quick else dict(steps=50_000, frac_train=0.4, lr=1e-3)
    steps, frac, lr = (getattr(args, n) if getattr(args, n) is not None else quick[n] for n in ("steps", "frac_train", "lr"))
    if args.p < 2 or steps < 1 or not 0 <= args.k < 1 or not 0 < frac < 1 or lr <= 0:
        ap.error("need --p >= 2, --steps >= 1, 0 <= --k < 1, 0 < --frac-train < 1 and --lr > 0")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_flush_denormal(True)
    print(f"p = {args.p}, seed {args.seed}, k = {args.k:g}, {steps:,} steps per arm, training fraction "
          f"{frac:g}, lr {lr:g}" + ("  (--quick: not the paper's setting)" if args.quick else ""))
    start = time.time()
    curves = grokking_ticket(args.p, args.seed, args.k, steps, frac, lr)
    for arm, curve in curves.items():
        t_mem, t_gen = first_step(curve, "train_acc"), first_step(curve, "test_acc")
        print(f"{arm:8} t_mem {t_mem!s:>5}  t_gen {'not reached' if t_gen is None else f'{t_gen:>5}'}  "
              f"final test accuracy {curve[-1].test_acc:.3f}")
    print(f"{time.time() - start:.0f} s")
