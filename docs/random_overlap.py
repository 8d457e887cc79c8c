"""Measure how far the random pruner's mask and edge-popup's first mask are from independent of theta_0:
the fraction of the weights each keeps that lie in the top 40% of |theta_0| (chance: 0.400), on the MLP
at seeds 0-19, with the draw seeded by the run seed itself (as before 2026-12-03) and by its own stream
(tickets.stream_seed). The numbers quoted in tickets.stream_seed and docs/experiments.md (pai, edge_popup).

    python docs/random_overlap.py        # from the repository root; about 10 s
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numerics  # noqa: E402

numerics.pin()
import torch  # noqa: E402

import experiments  # noqa: E402
import models  # noqa: E402
import tickets  # noqa: E402


def top(w, keep=0.4):
    return tickets.mask_from_scores({"w": w.abs()}, 1 - keep)["w"]


def overlap(mask, w):
    return float((mask * top(w)).sum() / mask.sum())


def main(seeds=range(20)):
    flat = lambda d: torch.cat([t.flatten() for t in d.values()])
    results = {}
    for scheme in ("run seed", "own stream"):
        glob, w_e, popup = [], [], []
        for s in seeds:
            theta0 = {n: w.detach() for n, w in models.MLP(seed=s).weights().items()}
            draw = s if scheme == "run seed" else tickets.stream_seed(s, "random")
            m = tickets.mask_from_scores(tickets.random_scores(theta0, draw), 0.6)
            glob.append(overlap(flat(m), flat(theta0)))
            w_e.append(overlap(m["W_E"], theta0["W_E"]))
            scores = experiments.popup_initial_scores(
                theta0, s if scheme == "run seed" else tickets.stream_seed(s, "popup"))
            popup.append(overlap(models.edge_popup_mask(scores["W_E"], 0.4), theta0["W_E"]))
        mean = lambda v: sum(v) / len(v)
        results[scheme] = (mean(w_e), mean(glob), mean(popup))
        print(f"{scheme:>10}: random mask W_E {mean(w_e):.3f}, all matrices {mean(glob):.3f}; "
              f"edge-popup's first W_E mask {mean(popup):.3f} (chance 0.400)")
    return results


if __name__ == "__main__":
    main()
