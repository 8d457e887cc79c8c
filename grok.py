"""Grokking tickets, the paper's experiments and the command line (the trainer is trainer.py).

    python grok.py --exp ticket_vs_norm                 # MLP on a+b mod 67, seed 0: base, ticket, same-L1, same-L2
    python grok.py --exp ticket --model transformer --seeds 0,1,2
    python grok.py --exp ticket_vs_norm --task mnist --data-dir ../shared/data/mnist-5k
    python grok.py --help

Reproduces Minegishi et al., "Bridging Lottery Ticket and Grokking: Is Weight Norm Sufficient to Explain
Delayed Generalization?" (arXiv:2310.19470). A *grokking ticket* is the mask of the top (1 - k) weights
by magnitude of a base run that has generalized, applied to that run's initial weights theta_0 and
trained again; the paper's claim is that it generalizes almost without delay, while dense networks
rescaled to the ticket's L1 or L2 norm still grok late.

Every run is one folder under --out (default runs/) named by a hash of its settings: config.json,
theta_0 and a checkpoint every 2,000 steps (ckpt/), the resumable training state (state.pt, written
with each checkpoint: after Ctrl-C the same command resumes from it, bit for bit), curves.csv and
summary.json once finished. A finished run is reused by any later experiment that needs it;
rerunning a command replaces its rows in runs/summary.csv and runs/curves.csv, never duplicates them.
An experiment trains in phases, the base runs of all its seeds, then everything derived from them,
and the runs of a phase that share a shape train as one batched model (--batch caps how many); a
run's result is the same, bit for bit on the CPU, in a batch or alone. An MLP run-step takes 2-2.7 ms
on 2 CPU cores, so one 50,000-step run takes about two to three minutes (bench.py measures it).

Experiments (--exp), each a small function of grok.py composed from train_many():
  base            the dense network groks
  ticket          base vs the grokking ticket (k = --prune-rate, magnitude of base's final weights)
  ticket_vs_norm  base, ticket, dense theta_0 rescaled to the ticket's L1 norm and to its L2 norm
  prune_rate      tickets at k = 0.1 ... 0.9
  no_wd           tickets trained without weight decay at k = 0.1 ... 0.9 and 0.80 ... 0.89
  phase_tickets   tickets from base checkpoints at 2k, 4k, ..., 30k steps
  pai             Random, SNIP, GraSP, SynFlow masks at theta_0 vs the ticket
  edge_popup      from a memorizing checkpoint: train weights / learn only the mask / both
  fourier         Fourier entropy of the hidden neurons, base vs ticket, at every checkpoint
  jaccard         distance between the base's masks 2k steps apart vs its test-accuracy jumps
  graph           spectral gaps, Ramanujan gap, path length of the base's masks over its training
  ops             base vs ticket for every modular operation (add, sub, mul, x2y2, x2xyy2, x3xy)
"""
import argparse
import dataclasses
import math
import os
import statistics
import sys
import time

import torch

import analysis
import claims
import tasks
import tickets
from models import MLP, MnistMLP
from claims import POPUP_STEPS  # the steps where v3's Table 1 reports test accuracy
from trainer import (IMAGE_TASKS, MODELS, Diverged, Run, UsageError, build_model, load_checkpoint,
                     load_data, loss_fn, read_csv, run_dir, train_many, upsert_csv)

TASKS = tuple(tasks.OPERATIONS) + IMAGE_TASKS

SUMMARY_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "lr", "steps",
                   "threshold", "t_mem", "t_gen", "tau_grok", "final_train_acc", "final_test_acc",
                   "l1_init", "l2_init", "l1_final", "l2_final", "pruner", "source_step",
                   "source_test_acc", "note", "run"]
CURVE_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "run", "step",
                 "train_loss", "test_loss", "train_acc", "test_acc", "l1", "l2"]


# ---------------------------------------------------------------------------------------------------
# Results as CSV

def record(exp, out, finished):
    """The summary rows (and curves) of the runs `finished`, [(run, summary, extra columns)], in
    out/summary.csv and out/curves.csv, written once for all of them; returns the rows."""
    rows, curves = [], []
    for run, summary, extra in finished:
        ident = dict(exp=exp, task=run.task, model=run.model, arm=run.arm, seed=run.seed,
                     prune_rate=run.prune_rate, weight_decay=run.weight_decay, run=run.id)
        curves += [{**ident, **r} for r in read_csv(os.path.join(run_dir(out, run), "curves.csv"))]
        rows.append({**ident, **summary, "lr": run.lr, "steps": run.steps, "threshold": run.threshold, **extra})
    upsert_csv(os.path.join(out, "curves.csv"), curves, CURVE_COLUMNS)
    upsert_csv(os.path.join(out, "summary.csv"), rows, SUMMARY_COLUMNS)
    return rows


# ---------------------------------------------------------------------------------------------------
# Experiments: small functions composed from train_many()
#
# An experiment trains in phases: the dense base runs of every seed (one batch), then every run that
# derives from them, tickets and controls of every seed (one batch; trainer.train_many splits it by
# shape). Rows come back grouped by seed.

@dataclasses.dataclass
class Job:
    """A run to train: its settings, its network at the start (weights and mask set), its data, and
    the extra summary columns to record."""
    run: Run
    model: torch.nn.Module
    data: tasks.Data
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Base:
    """A finished base run: its settings, summary row and data."""
    run: Run
    row: dict
    data: tasks.Data


def train_jobs(exp, args, jobs):
    """Train `jobs` (as batches, at most --batch runs in each) and record them; their rows. When some
    diverge, the others are recorded before the error goes up."""
    try:
        summaries = train_many([(j.run, j.model, j.data) for j in jobs], args.out, args.device, args.batch)
    except Diverged as e:
        record(exp, args.out, [(j.run, s, j.extra) for j, s in zip(jobs, e.summaries) if s is not None])
        raise
    return record(exp, args.out, [(j.run, s, j.extra) for j, s in zip(jobs, summaries)])


def by_seed(rows):
    return sorted(rows, key=lambda r: r["seed"])  # stable: each seed's rows keep their order


def base_run(args, seed, **changes):
    """The dense base run of the command line's settings, with `changes`."""
    run = Run(task=args.task, model=args.model, seed=seed, steps=args.steps, lr=args.lr,
              weight_decay=args.weight_decay, p=args.p, frac_train=args.frac_train,
              ordered=args.ordered, n_train=args.n_train, data_dir=args.data_dir or "",
              threshold=args.threshold, ckpt_every=args.ckpt_every)
    return dataclasses.replace(run, **changes)


def checkpoint(out, run, step):
    """The weights of `run` at `step` (0 = theta_0)."""
    return load_checkpoint(os.path.join(run_dir(out, run), "ckpt", f"step_{step:06d}.pt"))


def start_from(run, weights, masks=None):
    """The network of `run` with the given initial weights and masks (none: dense)."""
    model = build_model(run)
    masks = masks or {name: torch.ones_like(w) for name, w in weights.items()}
    with torch.no_grad():
        for name, w in model.weights().items():
            w.copy_(weights[name] * masks[name])  # a masked weight starts, and so stays, at zero
    model.set_masks(masks)
    return model


def train_bases(exp, args, arms=({},)):
    """The dense base run of every seed (and of every variant in `arms`, each a dict of Run changes),
    trained as one batch or reused when finished."""
    runs = [base_run(args, seed, **changes) for seed in args.seeds for changes in arms]
    data = {}
    for run in runs:  # the runs of one task and seed share its split
        key = (run.task, run.seed, run.frac_train)
        data[key] = data.get(key) or load_data(run)
    jobs = [Job(run, build_model(run), data[run.task, run.seed, run.frac_train]) for run in runs]
    return [Base(j.run, row, j.data) for j, row in zip(jobs, train_jobs(exp, args, jobs))]


def derived(base, arm, **changes):
    """A run that starts from the base run's theta_0 (with a mask derived from it, for tickets)."""
    return dataclasses.replace(base, arm=arm, parent=base.id, **changes)


def mask_for(out, base, run, data):
    """The mask of `run` at its prune_rate: magnitude of the base's weights at run.source_step (its
    final weights by default: a grokking ticket), or a pruning-at-initialization score at theta_0."""
    k, theta0 = run.prune_rate, checkpoint(out, base, 0)
    if run.pruner == "magnitude":
        weights = checkpoint(out, base, run.source_step or base.steps)
        return tickets.mask_from_scores(tickets.magnitude_scores(weights), k, run.scope)
    model = start_from(base, theta0)
    image = base.task in IMAGE_TASKS
    scores = {
        "random": lambda: tickets.random_scores(theta0, run.seed),
        "snip": lambda: tickets.snip_scores(model, lambda m: loss_fn(m(data.x_train), data.y_train, image)),
        "grasp": lambda: tickets.grasp_scores(model, lambda m: m(data.x_train), data.y_train),
        "synflow": lambda: tickets.synflow_scores(model, synflow_input(model), k),
    }[run.pruner]()
    return tickets.mask_from_scores(scores, k, run.scope)


def synflow_input(model):
    """SynFlow's all-ones input: every token active for the modular MLP, every pixel for images."""
    if isinstance(model, MLP):
        return lambda m: m.from_counts(torch.ones(1, model.p, dtype=m.W_E.dtype))
    if isinstance(model, MnistMLP):
        return lambda m: m(torch.ones(1, m.W_1.shape[1], dtype=m.W_1.dtype))
    raise UsageError("SynFlow needs a network without attention: use --model mlp")


def ticket_run(args, base, arm="ticket", **changes):
    """A ticket of the base run: theta_0 * m, m from run.pruner at k = --prune-rate unless changed."""
    changes.setdefault("prune_rate", args.prune_rate)
    return derived(base, arm, scope=args.scope, **changes)


def ticket_job(args, base, run, note="", mask=None, **extra):
    """The ticket `run` of `base` (theta_0 * m, m fixed; with run.rewind False the base's weights at
    the mask's source step * m), to be recorded with `extra` columns."""
    mask = mask if mask is not None else mask_for(args.out, base.run, run, base.data)
    source = (run.source_step or base.run.steps) if run.pruner == "magnitude" else 0
    start = checkpoint(args.out, base.run, 0 if run.rewind else source)
    return Job(run, start_from(run, start, mask), base.data,
               dict(pruner=run.pruner, source_step=source, note=note, **extra))


def grokking_note(base_row, seed):
    """Empty when the base run generalized; otherwise a loud warning and the note for its tickets."""
    if base_row["t_gen"] is not None:
        return ""
    print(f"WARNING: seed {seed}: the base run never reached {base_row['threshold']:.0%} test "
          f"accuracy in {base_row['steps']} steps, so its mask is NOT a grokking ticket (SPEC "
          "section 4); rerun with more --steps", file=sys.stderr)
    return "base never reached t_gen: a transition ticket, not a grokking ticket"


def exp_base(args):
    """The dense network groks: t_mem early, t_gen late."""
    return [b.row for b in train_bases("base", args)]


def exp_ticket(args):
    """Base against the grokking ticket (magnitude mask of base's final weights, rewound to theta_0)."""
    bases = train_bases("ticket", args)
    jobs = [ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)) for b in bases]
    return by_seed([b.row for b in bases] + train_jobs("ticket", args, jobs))


NOT_REWOUND = ("authors' variant (config_pruning_mnist.py, reinitialize = False): the base's final "
               "weights * m, not rewound to theta_0; a diagnostic, not a ticket")


def exp_ticket_vs_norm(args):
    """Base, the ticket, and the dense theta_0 rescaled to the ticket's L1 and L2 norms."""
    bases, jobs = train_bases("ticket_vs_norm", args), []
    for b in bases:
        note, ticket = grokking_note(b.row, b.run.seed), ticket_run(args, b.run)
        mask = mask_for(args.out, b.run, ticket, b.data)
        jobs.append(ticket_job(args, b, ticket, note, mask))
        if b.run.task in IMAGE_TASKS:  # the authors' MNIST "ticket" is not rewound: shown beside ours
            jobs.append(ticket_job(args, b, ticket_run(args, b.run, arm="ticket_trained", rewind=False),
                                   NOT_REWOUND + (f"; {note}" if note else ""), mask))
        theta0 = checkpoint(args.out, b.run, 0)
        for p in (1, 2):
            run = derived(b.run, f"same_l{p}", prune_rate=args.prune_rate, scope=args.scope)
            r = tickets.norm_matched_scale(theta0, mask, p)
            jobs.append(Job(run, start_from(run, {name: w * r for name, w in theta0.items()}), b.data,
                            dict(note=note)))
    return by_seed([b.row for b in bases] + train_jobs("ticket_vs_norm", args, jobs))


def exp_prune_rate(args):
    """Grokking tickets at every pruning rate k in --prune-rates, against base."""
    bases = train_bases("prune_rate", args)
    jobs = [ticket_job(args, b, ticket_run(args, b.run, prune_rate=k), grokking_note(b.row, b.run.seed))
            for b in bases for k in args.prune_rates]
    return by_seed([b.row for b in bases] + train_jobs("prune_rate", args, jobs))


def exp_no_wd(args):
    """Tickets trained WITHOUT weight decay at k = 0.1 ... 0.9 and 0.80 ... 0.89 (or --prune-rates), against
    base with weight decay and base without it. The mask comes from the base with weight decay."""
    rates = args.prune_rates if args.prune_rates_given else sorted(
        set(args.prune_rates) | {round(0.80 + i / 100, 2) for i in range(10)})
    bases = train_bases("no_wd", args, arms=({}, dict(arm="base_no_wd", weight_decay=0.0)))
    jobs = [ticket_job(args, b, ticket_run(args, b.run, prune_rate=k, weight_decay=0.0),
                       grokking_note(b.row, b.run.seed))
            for b in bases if b.run.arm == "base" for k in rates]
    return by_seed([b.row for b in bases] + train_jobs("no_wd", args, jobs))


def exp_ops(args):
    """Base against the grokking ticket for every operation of tasks.OPERATIONS (v3 Fig. 2c), on the
    unordered pairs as the authors (the MLP cannot tell (a, b) from (b, a)); --task is ignored."""
    if args.task in IMAGE_TASKS or args.ordered:
        raise UsageError("--exp ops runs every modular operation on unordered pairs: drop --task and --ordered")
    bases = train_bases("ops", args, arms=[dict(task=op) for op in tasks.OPERATIONS])
    jobs = [ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)) for b in bases]
    return by_seed([b.row for b in bases] + train_jobs("ops", args, jobs))


PHASE_LAST_STEP = 30_000  # the paper's phase tickets: masks from steps 2k, 4k, ..., 30k


def exp_phase_tickets(args):
    """Tickets whose mask comes from the base's checkpoint at step s = 2k, 4k, ..., 30k (memorization,
    transition, generalization), rewound to theta_0, against base. source_test_acc is the base's
    test accuracy at step s."""
    bases, jobs = train_bases("phase_tickets", args), []
    for b in bases:
        test_acc = test_acc_at(args.out, b.run)
        jobs += [ticket_job(args, b, ticket_run(args, b.run, source_step=s), source_test_acc=test_acc.get(s))
                 for s in range(b.run.ckpt_every, min(b.run.steps, PHASE_LAST_STEP) + 1, b.run.ckpt_every)]
    return by_seed([b.row for b in bases] + train_jobs("phase_tickets", args, jobs))


def exp_pai(args):
    """Pruning at initialization (Random, SNIP, GraSP, SynFlow masks at theta_0, k = --prune-rate)
    against the grokking ticket and base."""
    bases, jobs = train_bases("pai", args), []
    for b in bases:
        # the transition-ticket note concerns the magnitude ticket only: PaI masks never see the base
        jobs.append(ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)))
        jobs += [ticket_job(args, b, ticket_run(args, b.run, arm=pruner, pruner=pruner))
                 for pruner in ("random", "snip", "grasp", "synflow")]
    return by_seed([b.row for b in bases] + train_jobs("pai", args, jobs))


SCORES_DECAYED = "authors' variant: scores decayed (AdamW weight decay 1 on every trainable tensor)"
# arm, fraction kept (0: dense), weights trained, Run changes (a function of the seed where it
# depends on it), note. The first three are the paper's arms; the rest are labelled variants.
POPUP_ARMS = (
    ("wd", 0.0, True, {}, ""),
    ("ep", 0.4, False, {}, ""),
    ("ep_wd", 0.4, True, {}, ""),
    ("ep_sd", 0.4, False, {"score_decay": 1.0}, SCORES_DECAYED),
    ("ep_wd_sd", 0.4, True, {"score_decay": 1.0}, SCORES_DECAYED),
    ("ep_sd_leak", 0.4, False, {"score_decay": 1.0, "split_seed": lambda seed: seed + 1},
     "diagnostic, the authors' re-seeded split: split of seed {split_seed}, where {leak:.0%} of the "
     "test pairs were theta_mem's training pairs; " + SCORES_DECAYED),
)


def leaked(data, other):
    """The fraction of `other`'s test examples that are training examples of `data`."""
    train = {tuple(x) for x in data.x_train.tolist()}
    return sum(tuple(x) in train for x in other.x_test.tolist()) / len(other.x_test)


def exp_edge_popup(args):
    """From a memorizing checkpoint theta_mem (dense, 50% split, lr 1e-3, step 1,000: checked to be
    memorizing), three arms at lr 1e-2 for 2,000 steps: WD (train the weights, weight decay 1), EP
    (weights frozen; learn scores, mask = top 40% of |score| per matrix) and EP+WD (both); then the
    authors' variants: EP and EP+WD with the scores decayed, and EP on a re-seeded split that leaks
    theta_mem's training pairs into the test set (POPUP_ARMS)."""
    steps = args.steps_given or 2000
    mems = train_bases("edge_popup", args, arms=(dict(arm="mem", steps=steps // 2, frac_train=0.5, lr=1e-3,
                                                      weight_decay=1.0),))
    jobs = []
    for mem in mems:
        row = mem.row
        if row["final_train_acc"] < 1.0 or row["final_test_acc"] > 0.5:
            raise UsageError(f"theta_mem (step {mem.run.steps}) is not memorizing: train acc "
                             f"{row['final_train_acc']:.3f}, test acc {row['final_test_acc']:.3f}")
        theta_mem, seed = checkpoint(args.out, mem.run, mem.run.steps), mem.run.seed
        for arm, keep, train_weights, changes, note in POPUP_ARMS:
            run = derived(mem.run, arm, steps=steps, lr=1e-2, popup_keep=keep, train_weights=train_weights,
                          **{k: v(seed) if callable(v) else v for k, v in changes.items()})
            data = mem.data if run.split_seed < 0 else load_data(run)
            if run.split_seed >= 0:
                note = note.format(split_seed=run.split_seed, leak=leaked(mem.data, data))
            model = start_from(run, theta_mem)
            if keep:
                g = torch.Generator().manual_seed(seed)
                # edge-popup's initialisation of the scores: kaiming-uniform, U(+-1/sqrt(fan_in))
                model.popup_scores = {n: (torch.rand(w.shape, generator=g) * 2 - 1) / math.sqrt(w.shape[1])
                                      for n, w in model.weights().items()}
                model.popup_keep = keep
            jobs.append(Job(run, model, data, dict(note=note)))
    rows = train_jobs("edge_popup", args, jobs)
    for job, row in zip(jobs, rows):
        acc = test_acc_at(args.out, job.run)
        row.update({f"acc_{s}": acc.get(s) for s in POPUP_STEPS})
    return by_seed([m.row for m in mems] + rows)


ANALYSIS_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "run", "step", "metric", "value"]


def record_analysis(exp, out, run, rows):
    """Rows {step, metric, value} of an analysis of `run` into out/analysis.csv (upserted)."""
    ident = dict(exp=exp, task=run.task, model=run.model, arm=run.arm, seed=run.seed,
                 prune_rate=run.prune_rate, run=run.id)
    upsert_csv(os.path.join(out, "analysis.csv"), [{**ident, **r} for r in rows], ANALYSIS_COLUMNS,
               key=("exp", "run", "step", "metric"))


def checkpoint_steps(run):
    return list(range(0, run.steps, run.ckpt_every)) + [run.steps]


def test_acc_at(out, run):
    return {int(r["step"]): float(r["test_acc"]) for r in read_csv(os.path.join(run_dir(out, run), "curves.csv"))}


def needs_modular_mlp(args):
    if args.model != "mlp" or args.task in IMAGE_TASKS:
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
        print(f"seed {b.run.seed}: largest mask distance {max(distance.values()):.3f} over the "
              f"{b.run.ckpt_every:,} steps ending at {max(distance, key=distance.get):,}, largest "
              f"test-accuracy jump {max(jump.values()):+.3f} ending at {max(jump, key=jump.get):,}; "
              f"Pearson r = {claims.pearson(list(distance.values()), list(jump.values())):.2f}")
    return [b.row for b in bases]


def exp_graph(args):
    """v3's graph metrics (analysis.graph_metrics) of the base's k = --prune-rate magnitude masks at
    every checkpoint: how the structure of the network changes as it groks."""
    needs_modular_mlp(args)
    bases = train_bases("graph", args)
    for b in bases:
        acc, found = test_acc_at(args.out, b.run), []
        for step in checkpoint_steps(b.run):
            weights = checkpoint(args.out, b.run, step)
            metrics = analysis.graph_metrics(weights, analysis.magnitude_mask(weights, args.prune_rate))
            found += [dict(step=step, metric=m, value=v) for m, v in metrics.items()]
            found.append(dict(step=step, metric="test_acc", value=acc.get(step)))
        record_analysis("graph", args.out, b.run, found)
        at = {(r["step"], r["metric"]): r["value"] for r in found}
        for step in (0, 10000, 20000, b.run.steps):
            if (step, "spectral_gap") in at:
                print(f"seed {b.run.seed} step {step:,}: " + ", ".join(
                    f"{m} {at[step, m]:.3f}" for m in ("spectral_gap", "weighted_spectral_gap", "ramanujan_gap",
                                                      "average_shortest_path", "test_acc")))
    return [b.row for b in bases]


EXPERIMENTS = {"base": exp_base, "ticket": exp_ticket, "ticket_vs_norm": exp_ticket_vs_norm,
               "prune_rate": exp_prune_rate, "no_wd": exp_no_wd, "phase_tickets": exp_phase_tickets,
               "pai": exp_pai, "edge_popup": exp_edge_popup, "fourier": exp_fourier,
               "jaccard": exp_jaccard, "graph": exp_graph, "ops": exp_ops}


def print_table(rows):
    """One line per run, then mean ± std per arm (and pruning rate) over seeds."""
    extras = [c for c in ("source_step", "source_test_acc") + tuple(f"acc_{s}" for s in POPUP_STEPS)
              if any(r.get(c) not in (None, "") for r in rows)]
    cell = lambda v, spec: "-" if v is None or v == "" else format(v, spec)
    print(f"\n{'arm':11} {'seed':>4} {'k':>5} {'t_mem':>6} {'t_gen':>11} {'tau_grok':>8} {'train':>6} "
          f"{'test':>6} {'L1(0)':>9} {'L2(0)':>7}" + "".join(f" {c:>15}" for c in extras))
    for r in rows:
        t_gen = "not reached" if r["t_gen"] is None else r["t_gen"]
        print(f"{r['arm']:11} {r['seed']:>4} {r['prune_rate']:>5g} {cell(r['t_mem'], '>6')} {t_gen:>11} "
              f"{cell(r['tau_grok'], '>8.1f')} {r['final_train_acc']:>6.3f} {r['final_test_acc']:>6.3f} "
              f"{r['l1_init']:>9.1f} {r['l2_init']:>7.2f}"
              + "".join(f" {cell(r.get(c), '>15.6g')}" for c in extras))
    groups = {}
    for r in rows:
        groups.setdefault((r["arm"], r["prune_rate"], r.get("source_step")), []).append(r)
    if len(rows) > len(groups):
        print(f"\n{'arm':11} {'k':>5} {'runs':>4} {'t_mem':>17} {'t_gen':>17} {'final test':>13}")
        for (arm, k, _), rs in groups.items():
            print(f"{arm:11} {k:>5g} {len(rs):>4} {mean_std([r['t_mem'] for r in rs]):>17} "
                  f"{mean_std([r['t_gen'] for r in rs]):>17} "
                  f"{mean_std([r['final_test_acc'] for r in rs], '.3f'):>13}")


def mean_std(values, spec=".0f"):
    """'mean ± std' over the runs that reached it, and how many did not."""
    reached = [v for v in values if v is not None]
    text = "not reached"
    if reached:
        std = statistics.stdev(reached) if len(reached) > 1 else 0.0
        text = f"{format(statistics.mean(reached), spec)} ± {format(std, spec)}"
    missing = len(values) - len(reached)
    return text + (f" ({missing} n.r.)" if missing and reached else "")


# ---------------------------------------------------------------------------------------------------
# Command line

CPU_BATCH = 9  # bench.py --runs on 2 CPU cores: 1.3-1.5x faster per run-step at 3-9 runs, slower from 27


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit 2
        raise UsageError(message)


def parse_args(argv):
    paragraphs = __doc__.split("\n\n")
    ap = Parser(prog="grok.py", description=paragraphs[2] + "\n\n" + paragraphs[4],
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="Defaults are the paper's settings for the task (SPEC sections 2-4): modular "
                       "arithmetic 50,000 steps, weight decay 1.0, P = 0.95; MNIST 100,000 steps, "
                       "weight decay 0.1, P = 0.85, MSE loss.")
    ap.add_argument("--exp", default="ticket_vs_norm", help=f"one of {', '.join(EXPERIMENTS)} "
                    "(default ticket_vs_norm)")
    ap.add_argument("--task", default="add", help=f"one of {', '.join(TASKS)} (default add)")
    ap.add_argument("--model", default="mlp", help="mlp or transformer (image tasks: mlp)")
    ap.add_argument("--steps", type=int, help="training steps (default 50,000; 100,000 for images; "
                    "edge_popup: the arms' steps, default 2,000, theta_mem at half of it)")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    ap.add_argument("--prune-rate", type=float, default=0.6,
                    help="k, the fraction of weights REMOVED by the ticket's mask (default 0.6)")
    ap.add_argument("--prune-rates", help="the k grid of prune_rate and no_wd (default 0.1,...,0.9; "
                    "no_wd adds 0.80,...,0.89)")
    ap.add_argument("--scope", default="global", help="magnitude pruning scope: global or layer")
    ap.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 1.0; 0.1 for images)")
    ap.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (default 1e-3)")
    ap.add_argument("--p", type=int, default=67, help="modulus (default 67)")
    ap.add_argument("--frac-train", type=float, default=0.4, help="training fraction of the pairs (0.4)")
    ap.add_argument("--ordered", action="store_true", help="all p^2 ordered pairs, not a <= b")
    ap.add_argument("--n-train", type=int, default=1000, help="training images (default 1,000)")
    ap.add_argument("--threshold", type=float, help="P for t_mem/t_gen (0.95; 0.85 for images)")
    ap.add_argument("--data-dir", help="IDX files folder (default data/mnist, or "
                    "/usr/share/datasets/fashion-mnist for fashion)")
    ap.add_argument("--out", default="runs", help="results folder (default runs/)")
    ap.add_argument("--ckpt-every", type=int, default=2000, help="checkpoint interval (2,000 steps)")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--batch", type=int, help="at most this many runs trained as one batched model "
                    f"(default: {CPU_BATCH} on the CPU, where larger batches fall out of cache, measured; "
                    "0 = no cap, the default on a GPU; 1 = one run at a time). A run's result does not "
                    "depend on it")
    args = ap.parse_args(argv)

    image = args.task in IMAGE_TASKS
    for name, choices in (("exp", EXPERIMENTS), ("task", TASKS), ("model", MODELS),
                          ("scope", ("global", "layer")), ("device", ("auto", "cpu", "cuda"))):
        if getattr(args, name) not in choices:
            raise UsageError(f"unknown --{name} {getattr(args, name)!r}; choose from {', '.join(choices)}")
    if image and args.model != "mlp":
        raise UsageError(f"--task {args.task} has one model, the MNIST MLP: drop --model {args.model}")
    if args.ordered and args.model == "mlp" and not image and not tasks.commutative(args.task, args.p):
        raise UsageError(f"--ordered --task {args.task}: the MLP sees E[a] + E[b], cannot tell (a, b) "
                         f"from (b, a) and so can never fit {args.task} on ordered pairs; use --model "
                         "transformer or drop --ordered")
    args.steps_given = args.steps
    args.prune_rates_given = args.prune_rates is not None
    args.prune_rates = args.prune_rates or ",".join(f"{k / 10:g}" for k in range(1, 10))
    args.steps = args.steps if args.steps is not None else (100_000 if image else 50_000)
    args.weight_decay = args.weight_decay if args.weight_decay is not None else (0.1 if image else 1.0)
    args.threshold = args.threshold if args.threshold is not None else (0.85 if image else 0.95)
    try:
        args.seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise UsageError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    try:
        args.prune_rates = [float(k) for k in args.prune_rates.split(",")]
    except ValueError:
        raise UsageError(f"--prune-rates must be comma-separated numbers, got {args.prune_rates!r}") from None
    checks = [(args.steps > 0, "--steps must be positive"),
              (all(0 <= k < 1 for k in [args.prune_rate] + args.prune_rates),
               "--prune-rate k (the fraction removed) must be in [0, 1)"),
              (args.p >= 2, "--p must be at least 2"),
              (0 < args.frac_train < 1, "--frac-train must be in (0, 1)"),
              (args.lr > 0, "--lr must be positive"),
              (args.weight_decay >= 0, "--weight-decay must be non-negative"),
              (0 < args.threshold <= 1, "--threshold must be in (0, 1]"),
              (args.n_train > 0, "--n-train must be positive"),
              (args.ckpt_every > 0, "--ckpt-every must be positive"),
              (args.batch is None or args.batch >= 0, "--batch must be 0 (no cap) or positive")]
    for ok, message in checks:
        if not ok:
            raise UsageError(f"{message}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here; use --device cpu")
    args.device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if args.batch is None:
        args.batch = CPU_BATCH if args.device == "cpu" else 0
    if image:
        args.data_dir = args.data_dir or tasks.DEFAULT_DIRS[args.task]
        args.data_dir = os.path.abspath(args.data_dir)
    return args


def main(argv=None):
    # cuBLAS is deterministic only with a fixed workspace; must be set before CUDA starts.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        os.makedirs(args.out, exist_ok=True)
        start = time.time()
        rows = EXPERIMENTS[args.exp](args)
        print_table(rows)
        print(f"\n{args.exp}: {len(rows)} runs, {time.time() - start:.0f}s; "
              f"results in {os.path.join(args.out, 'summary.csv')} and curves.csv")
    except (UsageError, tasks.DataError) as e:
        print(f"grok.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # an --out that cannot be written, a full disk
        print(f"grok.py: error: {e.strerror}: {e.filename}", file=sys.stderr)
        return 2
    except Diverged as e:
        print(f"grok.py: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: rerun the same command to resume from the last checkpoint",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
