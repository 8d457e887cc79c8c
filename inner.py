"""v3's evidence from inside the network, as experiments: the Fourier entropy of the hidden neurons
(base vs ticket), the distance between the base's masks 2k steps apart (vs its test-accuracy jumps),
and graph metrics of the masks (over the base's training, and of the edge-popup arms at v3 Table 1's
steps). Each reads checkpoints that the runs already save and writes rows {step, metric, value} to
analysis.csv; the metrics themselves are pure functions in analysis.py.

    python grok.py --exp fourier --seeds 0,1,2
    python grok.py --exp jaccard --seeds 0,1,2
    python grok.py --exp graph --seeds 0,1,2
"""
import math
import os
import statistics

import analysis
from experiments import (by_seed, checkpoint, checkpoint_steps, grokking_note, test_acc_at, ticket_job,
                         ticket_run, train_bases, train_edge_popup, train_jobs)
from paper import POPUP_STEPS, family
from tables import upsert_csv
from runs import UsageError
from trainer import load_checkpoint, run_dir

ANALYSIS_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "run", "step", "metric", "value"]


def record_analysis(exp, out, run, rows):
    """Rows {step, metric, value} of an analysis of `run` into out/analysis.csv (upserted)."""
    ident = dict(exp=exp, task=run.task, model=run.model, arm=run.arm, seed=run.seed,
                 prune_rate=run.prune_rate, run=run.id)
    upsert_csv(os.path.join(out, "analysis.csv"), [{**ident, **r} for r in rows], ANALYSIS_COLUMNS,
               key=("exp", "run", "step", "metric"))


def needs_modular_mlp(args):
    if args.model != "mlp" or family(args.task) != "modular":
        raise UsageError(f"--exp {args.exp} reads the modular MLP's neurons (W_E, W_in, W_out, W_U): "
                         "use --model mlp and a modular --task")


FOURIER_METRICS = {"entropy_in": ("in", False), "entropy_out": ("out", False),
                   "authors_entropy_in": ("in", True), "authors_entropy_out": ("out", True)}


def exp_fourier(args):
    """Fourier entropy of the hidden neurons (analysis.fourier_entropy) of base and ticket at every
    checkpoint: v3 says the ticket's neurons are periodic by ~2k steps, the base's only by ~30k."""
    needs_modular_mlp(args)
    bases = train_bases("fourier", args)
    jobs = [ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)) for b in bases]
    rows = by_seed([b.row for b in bases] + train_jobs("fourier", args, jobs))
    for run in [b.run for b in bases] + [j.run for j in jobs]:
        masks = load_checkpoint(os.path.join(run_dir(args.out, run), "mask.pt"))
        acc = test_acc_at(args.out, run)
        found = [dict(step=0, metric="entropy_flat", value=math.log(run.p // 2))]  # a flat spectrum's
        for step in checkpoint_steps(run):
            neurons = analysis.neuron_rows(checkpoint(args.out, run, step), masks)
            found += [dict(step=step, metric=m, value=analysis.fourier_entropy(neurons[side], authors))
                      for m, (side, authors) in FOURIER_METRICS.items()]
            found.append(dict(step=step, metric="test_acc", value=acc.get(step)))
        record_analysis("fourier", args.out, run, found)
        by = lambda metric: {r["step"]: r["value"] for r in found if r["metric"] == metric}
        h, test = by("entropy_in"), by("test_acc")
        print(f"seed {run.seed} {run.arm:7} Fourier entropy of the neurons' input weights (test acc) at step: "
              + ", ".join(f"{s:,} {h[s]:.2f} ({test[s]:.2f})" for s in sorted(h)
                          if s in (0, 2000, 4000, 10000, 20000, 30000) or s == run.steps))
    return rows


def exp_jaccard(args):
    """Jaccard distance between the base's k = --prune-rate magnitude masks at checkpoints t and
    t + --ckpt-every, against the change in test accuracy over the same steps (v3 Fig. 7: the largest
    distance coincides with the largest jump in test accuracy)."""
    bases = train_bases("jaccard", args)
    for b in bases:
        acc, found = test_acc_at(args.out, b.run), []
        steps = checkpoint_steps(b.run)
        masks = {s: analysis.magnitude_mask(checkpoint(args.out, b.run, s), args.prune_rate) for s in steps}
        for t0, t1 in zip(steps, steps[1:]):
            distance = analysis.jaccard_distance(masks[t0], masks[t1])
            found += [dict(step=t1, metric=f"jaccard_{name}", value=d) for name, d in distance.items()]
            found.append(dict(step=t1, metric="d_test_acc", value=acc[t1] - acc[t0]))
        record_analysis("jaccard", args.out, b.run, found)
        by = lambda metric: {r["step"]: r["value"] for r in found if r["metric"] == metric}
        distance, jump = by("jaccard_all"), by("d_test_acc")
        try:
            r = f"{statistics.correlation(list(distance.values()), list(jump.values())):.2f}"
        except statistics.StatisticsError:  # fewer than two intervals, or one side constant
            r = "undefined"
        print(f"seed {b.run.seed}: largest mask distance {max(distance.values()):.3f} over the "
              f"{b.run.ckpt_every:,} steps ending at {max(distance, key=distance.get):,}, largest "
              f"test-accuracy jump {max(jump.values()):+.3f} ending at {max(jump, key=jump.get):,}; "
              f"Pearson r = {r}")
    return [b.row for b in bases]


def exp_graph(args):
    """v3's graph metrics (analysis.graph_metrics) of the base's k = --prune-rate magnitude masks at
    every checkpoint: how the structure of the network changes as it groks; and of the edge-popup
    arms (exp_edge_popup's runs, --popup-steps long) at each of their checkpoints, every 200 steps
    (v3 Table 1's 600, 1,000, 1,400, 2,000 among them): their learned masks, or for the dense WD arm
    its k = --prune-rate magnitude mask."""
    needs_modular_mlp(args)
    magnitude = lambda run, step, weights: analysis.magnitude_mask(weights, args.prune_rate)
    bases = train_bases("graph", args)
    for b in bases:
        at = record_graph(args.out, b.run, magnitude)
        for step in (0, 10000, 20000, b.run.steps):
            if (step, "spectral_gap") in at:
                print(f"seed {b.run.seed} step {step:,}: " + ", ".join(
                    f"{m} {at[step, m]:.3f}" for m in GRAPH_PRINTED))
    mems, jobs, rows = train_edge_popup(args)
    learned = lambda run, step, weights: load_checkpoint(
        os.path.join(run_dir(args.out, run), "ckpt", f"mask_{step:06d}.pt"))
    for run in (j.run for j in jobs):
        at = record_graph(args.out, run, learned if run.popup_keep else magnitude)
        steps = [s for s in POPUP_STEPS if (s, "spectral_gap") in at] or [run.steps]
        print(f"seed {run.seed} {run.arm:10} at steps {', '.join(f'{s:,}' for s in steps)}: " + "; ".join(
            f"{m} " + "/".join(f"{at[s, m]:.3f}" for s in steps) for m in GRAPH_PRINTED))
    return [b.row for b in bases] + by_seed([m.row for m in mems] + rows)


def record_graph(out, run, mask_of):
    """graph_metrics of `run`'s weights and mask_of(run, step, weights) at each of its checkpoints,
    with its test accuracy, into analysis.csv; {(step, metric): value}."""
    acc, found = test_acc_at(out, run), []
    for step in checkpoint_steps(run):
        weights = checkpoint(out, run, step)
        metrics = analysis.graph_metrics(weights, mask_of(run, step, weights))
        found += [dict(step=step, metric=m, value=v) for m, v in metrics.items()]
        found.append(dict(step=step, metric="test_acc", value=acc.get(step)))
    record_analysis("graph", out, run, found)
    return {(r["step"], r["metric"]): r["value"] for r in found}


GRAPH_PRINTED = ("spectral_gap", "weighted_spectral_gap", "ramanujan_gap", "average_shortest_path", "test_acc")


PLATEAU_WINDOW = 20_000  # how far back the stability of the wrong test pairs is measured


def exp_plateau(args):
    """Where a base that stopped short of P is wrong, against bases that generalized (ours: the
    Transformer's plateaued bases). For each seed's base, at its last step: the test error overall, at
    a = b and a != b, by the answer c = (a + b) mod p, by |a - b| and by token (analysis.error_breakdown);
    how stable the wrong test pairs are over the last PLATEAU_WINDOW steps (analysis.wrong_set_overlap
    of the checkpoints then and now); the token embedding's Fourier spectrum and its key frequencies
    (analysis.embedding_spectrum); and where the wrong answers go: how many are off by each offset d,
    and the margin of the right answer's logit over the answers c +- d (analysis.answer_offsets). Rows
    in analysis.csv: the scalars, "wrong_pair" (value a * p + b, one row per wrong test pair),
    "spectrum_<f>", "offset_wrong_<d>", "offset_gap_<d>" and "offset_spread_<d>"."""
    if family(args.task) != "modular":
        raise UsageError("--exp plateau reads the errors on modular pairs: use a modular --task")
    import torch
    from runs import build_model
    bases = train_bases("plateau", args)
    for b in bases:
        model, data = build_model(b.run), b.data
        found = []

        def logits_at(step):
            with torch.no_grad():
                for name, w in model.weights().items():
                    w.copy_(checkpoint(args.out, b.run, step)[name])
                return model(data.x_test)

        correct_at = lambda step: logits_at(step).argmax(1) == data.y_test
        last = b.run.steps
        logits = logits_at(last)
        now = logits.argmax(1) == data.y_test
        e = analysis.error_breakdown(data.x_test, now, b.run.p)
        found += [dict(step=last, metric=m, value=e[m]) for m in ("overall", "a_eq_b", "a_ne_b")]
        for name in ("by_answer", "by_distance", "by_token"):
            values = [v for v in e[name].tolist() if not math.isnan(v)]
            found += [dict(step=last, metric=f"{name}_max", value=max(values)),
                      dict(step=last, metric=f"{name}_min", value=min(values))]
        p = b.run.p
        found += [dict(step=last, metric="wrong_pair", value=int(a) * p + int(c))
                  for (a, c), ok in zip(data.x_test.tolist(), now.tolist()) if not ok]
        offsets = zip(("wrong", "gap", "spread"), analysis.answer_offsets(logits, data.x_test, p))
        found += [dict(step=last, metric=f"offset_{name}_{d}", value=v) for name, values in offsets
                  for d, v in enumerate(values.tolist(), start=1)]
        then = max(0, last - PLATEAU_WINDOW) // b.run.ckpt_every * b.run.ckpt_every
        overlap, n_then, n_now = analysis.wrong_set_overlap(correct_at(then), now)
        found += [dict(step=last, metric="wrong_overlap", value=overlap), dict(step=then, metric="n_wrong", value=n_then),
                  dict(step=last, metric="n_wrong", value=n_now)]
        share = analysis.embedding_spectrum(checkpoint(args.out, b.run, last)["W_E"])
        keys = analysis.key_frequencies(share)
        found += [dict(step=last, metric=f"spectrum_{f}", value=s) for f, s in enumerate(share.tolist(), start=1)]
        found.append(dict(step=last, metric="n_key_frequencies", value=len(keys)))
        record_analysis("plateau", args.out, b.run, found)
        print(f"seed {b.run.seed}: test error {e['overall']:.3f} at step {last:,} (a = b: {e['a_eq_b']:.3f}, "
              f"a != b: {e['a_ne_b']:.3f}); {n_now} wrong pairs, Jaccard {overlap:.2f} with the {n_then} wrong at "
              f"step {then:,}; W_E's key frequencies (80% of its energy) {keys}")
    return [b.row for b in bases]
