"""The paper's method on one page: grokking ticket against the norm-matched dense controls, in plain torch.

    python reference.py                          # p = 67, seed 0, 50,000 steps per arm (~15 min on 2 cores)
    python reference.py --p 23 --steps 2000      # a small configuration, in seconds

No batching, no files, no resuming: the specification that the pipeline (grok.py --exp ticket_vs_norm,
trainer.py, experiments.py) must agree with. test_grok.py trains a small configuration both ways and
requires the same curves, bit for bit. Steps (Minegishi et al., arXiv:2310.19470; SPEC sections 2-5):
  1. the base: the dense MLP from theta_0, full-batch AdamW (lr 1e-3, betas (0.9, 0.98), weight decay
     1) on 40% of the pairs (a, b), a <= b, labelled (a + b) mod p, until it has grokked;
  2. the mask m: keep the (1 - k) largest |theta| of the base's final weights, over all matrices together;
  3. the ticket: theta_0 * m, trained again the same way with m fixed;
  4. the controls: the dense theta_0 * r_p, r_p = ||theta_0 * m||_p / ||theta_0||_p (p = 1, 2), which start
     with the ticket's L1 / L2 norm;
  5. t_mem / t_gen: the first logged step with train / test accuracy >= P = 0.95.
The paper's finding: the ticket reaches t_gen many times sooner than the base, the controls do not.
"""
import argparse

import numerics

numerics.pin()  # before torch: the same bits as the pipeline on any x86-64 CPU with AVX2
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import tasks  # noqa: E402
import tickets  # noqa: E402
from models import MLP  # noqa: E402


def logged(step):
    """Every step up to 100, every 10 to 1,000, then every 100 (trainer.should_log, without the last step)."""
    return step <= 100 or (step <= 1000 and step % 10 == 0) or step % 100 == 0


def train(model, data, steps, lr=1e-3, weight_decay=1.0):
    """Full-batch AdamW on the cross-entropy (computed in float64: in float32 the log-softmax of a
    confident prediction rounds to 0 and the loss spikes). Masked weights start at 0 and get zero
    gradient (the model computes with W * m), so they stay 0. Returns the curve: one row per logged
    step, (step, train loss, train accuracy, test loss, test accuracy)."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=weight_decay)
    curve = []
    for step in range(steps + 1):
        if step > 0:
            loss = F.cross_entropy(model(data.x_train).double(), data.y_train)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if logged(step) or step == steps:
            with torch.no_grad():
                row = [step]
                for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
                    out = model(x)
                    row += [F.cross_entropy(out.double(), y).item(), (out.argmax(1) == y).double().mean().item()]
            curve.append(tuple(row))
    return curve


def first_step(curve, column, P=0.95):
    """The first logged step whose value in `column` (2: train accuracy, 4: test accuracy) is >= P."""
    return next((row[0] for row in curve if row[column] >= P), None)


def network(p, seed, weights, mask=None):
    """The MLP with the given starting weights (and mask; none: dense)."""
    model = MLP(p=p, seed=seed)
    mask = mask or {name: torch.ones_like(w) for name, w in weights.items()}
    with torch.no_grad():
        for name, w in model.weights().items():
            w.copy_(weights[name] * mask[name])
    model.set_masks(mask)
    return model


def grokking_ticket(p=67, seed=0, k=0.6, steps=50_000):
    """The four arms of the paper's comparison; {arm: curve}."""
    data = tasks.modular("add", p=p, frac_train=0.4, seed=seed)
    base = MLP(p=p, seed=seed)                                          # theta_0 ~ N(0, 1/fan_in)
    theta0 = {name: w.detach().clone() for name, w in base.weights().items()}
    curves = {"base": train(base, data, steps)}
    mask = tickets.mask_from_scores(tickets.magnitude_scores(base.weights()), k)  # top (1 - k) of |theta|
    curves["ticket"] = train(network(p, seed, theta0, mask), data, steps)          # theta_0 * m
    for norm in (1, 2):
        r = tickets.norm_matched_scale(theta0, mask, norm)                # ||theta_0 m||_p / ||theta_0||_p
        scaled = {name: w * r for name, w in theta0.items()}
        curves[f"same_l{norm}"] = train(network(p, seed, scaled), data, steps)
    return curves


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=67, help="modulus (default 67)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=float, default=0.6, help="pruning rate: the fraction of weights removed")
    ap.add_argument("--steps", type=int, default=50_000)
    args = ap.parse_args()
    if args.p < 2 or args.steps < 1 or not 0 <= args.k < 1:
        ap.error("need --p >= 2, --steps >= 1 and 0 <= --k < 1")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_flush_denormal(True)
    for arm, curve in grokking_ticket(args.p, args.seed, args.k, args.steps).items():
        t_mem, t_gen = first_step(curve, 2), first_step(curve, 4)
        print(f"{arm:8} t_mem {t_mem}  t_gen {'not reached' if t_gen is None else t_gen}  "
              f"final test accuracy {curve[-1][4]:.3f}")
