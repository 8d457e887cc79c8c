"""The paper's experiments, each a small function of the parsed command line (grok.py) composed
from trainer.train_many(), and what they share: the base runs of every seed, tickets and their
masks, norm-matched controls, the edge-popup arms, and the CSV rows they record.

    import grok, experiments
    rows = experiments.exp_ticket_vs_norm(grok.parse_args(["--seeds", "0,1,2"]))

An experiment trains in phases: the dense base runs of every seed (one batch), then every run that
derives from them, tickets and controls of every seed (one batch; trainer.train_many splits it by
shape). Rows come back grouped by seed. The analyses of the network's inner structure (Fourier
entropy, mask distance, graph metrics) are in inner.py.
"""
import dataclasses
import math
import os
import sys

import torch

import numerics
import tasks
import tickets
from models import MLP, DenseMLP
from paper import IMAGE_TASKS, POPUP_STEPS, family  # POPUP_STEPS: where v3's Table 1 reports test accuracy
from runs import NETS, Run, UsageError, build_model, load_data
from trainer import Diverged, load_checkpoint, loss_fn, run_dir, train_many
from tables import read_csv, upsert_csv

SUMMARY_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "lr", "steps",
                   "threshold", "p", "frac_train", "ordered", "n_train", "t_mem", "t_gen", "tau_grok", "final_train_acc", "final_test_acc",
                   "final_train_loss", "final_test_loss",
                   "l1_init", "l2_init", "l1_final", "l2_final", "pruner", "source_step",
                   "source_test_acc", "note", "numerics", "run"]
CURVE_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "run", "step",
                 "train_loss", "test_loss", "train_acc", "test_acc", "l1", "l2"]


# ---------------------------------------------------------------------------------------------------
# What an experiment is given

@dataclasses.dataclass(frozen=True)
class Settings:
    """What an experiment needs from the command line, every default resolved (grok.parse_args
    builds it): the base runs' settings, the experiment's own grid, and where the results go."""
    exp: str = "ticket_vs_norm"
    task: str = "add"
    """a modular operation (add, sub, mul, x2y2, x2xyy2, x3xy), mnist / fashion, poly or parity"""
    model: str = "mlp"
    seeds: tuple = (0,)
    steps: int = 50_000
    """the base runs' length, and their tickets' and controls'"""
    lr: float = 1e-3
    weight_decay: float = 1.0
    threshold: float = 0.95
    """P, for t_mem and t_gen"""
    p: int = 67
    frac_train: float = 0.4
    ordered: bool = False
    n_train: int = 1000
    data_dir: str = ""
    data: str = ""
    """image tasks: tasks.idx_digest of data_dir's files (what the data is: part of each run's identity)"""
    ckpt_every: int = 2000
    prune_rate: float = 0.6
    """k, the fraction removed, of the ticket (and of the controls matched to it)"""
    prune_rates: tuple = tuple(k / 10 for k in range(1, 10))
    """the k grid of prune_rate and no_wd"""
    scope: str = "global"
    """magnitude pruning over all matrices together (global) or per matrix (layer)"""
    arms: tuple = ()
    """the arms of mask_or_init or pai besides base and the ticket (empty: every one, ARMS)"""
    popup_steps: int = 2000
    """the edge-popup arms' length (theta_mem is the dense run's step popup_steps / 2)"""
    popup_ckpt_every: int = 200
    """the edge-popup arms' checkpoint interval: a divisor of v3 Table 1's steps"""
    out: str = "runs"
    device: str = "cpu"
    batch: int = 9
    """at most this many runs in one batched model (0: no cap)"""
    numerics: str = numerics.key("cpu")
    """what decides the runs' bits in this process (numerics.key)"""


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
        data = (dict(p=run.p, frac_train=run.frac_train, ordered=run.ordered) if family(run.task) == "modular"
                else dict(n_train=run.n_train))  # the settings that define the data (report.py checks them)
        rows.append({**ident, **summary, "lr": run.lr, "steps": run.steps, "threshold": run.threshold,
                     **data, "numerics": run.numerics, **extra})
    upsert_csv(os.path.join(out, "curves.csv"), curves, CURVE_COLUMNS)
    upsert_csv(os.path.join(out, "summary.csv"), rows, SUMMARY_COLUMNS)
    return rows


# ---------------------------------------------------------------------------------------------------
# What the experiments share: base runs, tickets, masks

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
              ordered=args.ordered, n_train=args.n_train, data_dir=args.data_dir, data=args.data,
              threshold=args.threshold, ckpt_every=args.ckpt_every, numerics=args.numerics,
              net=NETS.get(args.task, ""))
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
    scores = {
        "random": lambda: tickets.random_scores(theta0, stream_seed(run)),
        "snip": lambda: tickets.snip_scores(model, lambda m: loss_fn(m(data.x_train), data.y_train, data.loss)),
        "grasp": lambda: tickets.grasp_scores(model, lambda m: m(data.x_train), data.y_train),
        "synflow": lambda: tickets.synflow_scores(model, synflow_input(model), k),
    }[run.pruner]()
    return tickets.mask_from_scores(scores, k, run.scope)


def stream_seed(run):
    """The seed of the run's own random draw (Run.draw): never the run seed, whose numbers theta_0 holds."""
    if not run.draw:
        raise ValueError(f"{run.id} draws at random but names no stream (Run.draw)")
    return tickets.stream_seed(run.seed, run.draw)


def synflow_input(model):
    """SynFlow's all-ones input: every token active for the modular MLP, every input for the others."""
    if isinstance(model, MLP):
        return lambda m: m.from_counts(torch.ones(1, model.p, dtype=m.W_E.dtype))
    if isinstance(model, DenseMLP):
        return lambda m: m(torch.ones(1, m.W_1.shape[1], dtype=m.W_1.dtype))
    raise UsageError("SynFlow needs a network without attention: use --model mlp")


def ticket_run(args, base, arm="ticket", **changes):
    """A ticket of the base run: theta_0 * m, m from run.pruner at k = --prune-rate unless changed."""
    changes.setdefault("prune_rate", args.prune_rate)
    return derived(base, arm, scope=args.scope, **changes)


def ticket_job(args, base, run, note="", mask=None, start=None, **extra):
    """The ticket `run` of `base` (theta_0 * m, m fixed; with run.rewind False the base's weights at
    the mask's source step * m; or `start` * m), to be recorded with `extra` columns."""
    mask = mask if mask is not None else mask_for(args.out, base.run, run, base.data)
    source = (run.source_step or base.run.steps) if run.pruner == "magnitude" else 0
    if start is None:
        start = checkpoint(args.out, base.run, 0 if run.rewind else source)
    return Job(run, start_from(run, start, mask), base.data,
               dict(pruner=run.pruner, source_step=source, note=note, **extra))


def grokking_note(base_row, seed):
    """Empty when the base run generalized; otherwise a loud warning and the note for its tickets."""
    if base_row["t_gen"] is not None:
        return ""
    print(f"WARNING: seed {seed}: the base run never reached t_gen (P = {base_row['threshold']:.0%}) "
          f"in {base_row['steps']} steps, so its mask is NOT a grokking ticket (v3: only "
          "a generalized network's mask is); rerun with more --steps", file=sys.stderr)
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


def the_ticket(args, b):
    """Base b's grokking ticket at k = --prune-rate: (its note, its mask m, its Job), for the
    experiments that set other arms beside it on the same m."""
    note, ticket = grokking_note(b.row, b.run.seed), ticket_run(args, b.run)
    mask = mask_for(args.out, b.run, ticket, b.data)
    return note, mask, ticket_job(args, b, ticket, note, mask)


def exp_ticket_vs_norm(args):
    """Base, the ticket, and the dense theta_0 rescaled to the ticket's L1 and L2 norms."""
    bases, jobs = train_bases("ticket_vs_norm", args), []
    for b in bases:
        note, mask, job = the_ticket(args, b)
        jobs.append(job)
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
    rates = args.prune_rates  # grok.py adds 0.80 ... 0.89 to the default grid for no_wd
    bases = train_bases("no_wd", args, arms=({}, dict(arm="base_no_wd", weight_decay=0.0)))
    jobs = [ticket_job(args, b, ticket_run(args, b.run, prune_rate=k, weight_decay=0.0),
                       grokking_note(b.row, b.run.seed))
            for b in bases if b.run.arm == "base" for k in rates]
    return by_seed([b.row for b in bases] + train_jobs("no_wd", args, jobs))


def exp_ops(args):
    """Base against the grokking ticket for every operation of tasks.OPERATIONS (v3 Fig. 2c), on the
    unordered pairs as the authors (the MLP cannot tell (a, b) from (b, a)); --task is ignored."""
    if family(args.task) != "modular" or args.ordered:
        raise UsageError("--exp ops runs every modular operation on unordered pairs: drop --task and --ordered")
    bases = train_bases("ops", args, arms=[dict(task=op) for op in tasks.OPERATIONS])
    jobs = [ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)) for b in bases]
    return by_seed([b.row for b in bases] + train_jobs("ops", args, jobs))


NORM_CLAMP_ARMS = ("same_l1", "same_l2", "clamp_l1", "clamp_l2", "sphere_l2")


def ticket_norms(out, ticket):
    """The ticket's (L1, L2) norms of W * m after every step 0 ... steps, float64 (its norms.pt)."""
    path = os.path.join(run_dir(out, ticket), "norms.pt")
    if not os.path.exists(path):
        raise UsageError(f"the ticket {ticket.id} in {out} has no per-step norms (trained before they were "
                         f"recorded): delete {run_dir(out, ticket)} to train it again (same bits)")
    norms = load_checkpoint(path)
    if norms.shape[0] != ticket.steps + 1 or not torch.equal(norms[:, 0], torch.arange(ticket.steps + 1.0).double()):
        raise UsageError(f"{path} does not hold one row per step 0-{ticket.steps}: delete that folder to retrain")
    return norms[:, 1], norms[:, 2]


def clamped_job(run, theta0, data, q, targets, start_norm, note):
    """The dense theta_0 rescaled to L_q norm start_norm, held after every step t at L_q norm targets[t]."""
    scale = start_norm / tickets.norm(theta0, q)
    model = start_from(run, {name: w * scale for name, w in theta0.items()})
    model.norm_clamp = (q, targets)
    return Job(run, model, data, dict(note=note))


def exp_norm_clamp(args):
    """Is the ticket's norm, held step by step, enough? (ours, beyond the paper). Base, the ticket
    theta_0 * m (k = --prune-rate), the paper's free controls same_l1 / same_l2 (the dense theta_0 * r_q,
    r_q = ||theta_0 * m||_q / ||theta_0||_q, then trained freely), and three clamped ones:
      clamp_l1, clamp_l2  theta_0 * r_q, and after every optimizer step t all its weights rescaled by
                          one factor to the ticket's L_q norm at step t (AdamW's moments untouched);
      sphere_l2           theta_0 rescaled to the ticket's final L2 norm and held there from step 0 to
                          the end (Omnigrok's sphere, at the norm of a generalized ticket).
    The ticket records its norms after every step (trainer: norms.pt, float64), so the clamped runs
    train after it and follow those exact targets; a finished ticket is reused, not retrained."""
    if family(args.task) != "modular":
        raise UsageError("--exp norm_clamp runs on modular arithmetic (the MLP or the Transformer): use a modular --task")
    arms = args.arms or NORM_CLAMP_ARMS
    bases, jobs, theta0s = train_bases("norm_clamp", args), [], {}
    for b in bases:
        note, mask, job = the_ticket(args, b)
        jobs.append(job)
        theta0s[b.run.id] = (checkpoint(args.out, b.run, 0), mask, note, job.run)
        for p in (1, 2):
            if f"same_l{p}" in arms:
                run = derived(b.run, f"same_l{p}", prune_rate=args.prune_rate, scope=args.scope)
                theta0 = theta0s[b.run.id][0]
                r = tickets.norm_matched_scale(theta0, mask, p)
                jobs.append(Job(run, start_from(run, {name: w * r for name, w in theta0.items()}), b.data,
                                dict(note=note)))
    rows = train_jobs("norm_clamp", args, jobs)
    clamps = []
    for b in bases:
        theta0, mask, note, ticket = theta0s[b.run.id]
        l1, l2 = ticket_norms(args.out, ticket)
        for arm, q, targets in (("clamp_l1", 1, l1), ("clamp_l2", 2, l2),
                                ("sphere_l2", 2, torch.full_like(l2, float(l2[-1])))):
            if arm in arms:
                run = derived(b.run, arm, prune_rate=args.prune_rate, scope=args.scope)
                clamps.append(clamped_job(run, theta0, b.data, q, targets, float(targets[0]), note))
    return by_seed([b.row for b in bases] + rows + train_jobs("norm_clamp", args, clamps))


# arm: the stream (Run.draw) of what replaces theta_0 or m. Ours, beyond the paper.
MASK_OR_INIT_ARMS = {"reinit": "reinit", "shuffled": "shuffle", "shuffled_rows": "shuffle_rows"}


def exp_mask_or_init(args):
    """Is the grokking ticket its mask, or its mask on theta_0 (Frankle & Carbin's question; ours,
    beyond the paper)? Base and the ticket theta_0 * m (k = --prune-rate), against:
      reinit         theta_0' * m, theta_0' a fresh draw of the network's initial law;
      shuffled       theta_0 * m', m' = m permuted at random within each matrix (each matrix keeps
                     its count of weights, at other places);
      shuffled_rows  theta_0 * m', m' = m permuted within each row (each neuron keeps its in-degree).
    Each draw comes from its own stream (tickets.stream_seed(seed, Run.draw)), independent of theta_0."""
    bases, jobs = train_bases("mask_or_init", args), []
    for b in bases:
        note, mask, job = the_ticket(args, b)
        jobs.append(job)
        for arm in args.arms or MASK_OR_INIT_ARMS:
            draw = MASK_OR_INIT_ARMS[arm]
            run = ticket_run(args, b.run, arm=arm, draw=draw)
            if arm == "reinit":
                start = build_model(run, seed=stream_seed(run)).weights()
                jobs.append(ticket_job(args, b, run, note, mask, start=start))
            else:
                within = "row" if arm == "shuffled_rows" else "matrix"
                jobs.append(ticket_job(args, b, run, note, tickets.shuffled_mask(mask, stream_seed(run), within)))
    return by_seed([b.row for b in bases] + train_jobs("mask_or_init", args, jobs))


def exp_phase_tickets(args):
    """Tickets whose mask comes from the base's checkpoint at step s = 2k, 4k, ... up to the base's
    length (v3 §3.2 Fig. 4(a); memorization, transition, generalization), rewound to theta_0, against
    base. source_test_acc is the base's test accuracy at step s. The last mask, from the base's final
    weights, is the grokking ticket's (the same curve, tested)."""
    bases, jobs = train_bases("phase_tickets", args), []
    for b in bases:
        test_acc = test_acc_at(args.out, b.run)
        jobs += [ticket_job(args, b, ticket_run(args, b.run, source_step=s), source_test_acc=test_acc.get(s))
                 for s in range(b.run.ckpt_every, b.run.steps + 1, b.run.ckpt_every)]
    return by_seed([b.row for b in bases] + train_jobs("phase_tickets", args, jobs))


PAI_ARMS = ("random", "snip", "grasp", "synflow")
ARMS = {"mask_or_init": tuple(MASK_OR_INIT_ARMS), "pai": PAI_ARMS, "norm_clamp": NORM_CLAMP_ARMS}  # what --arms chooses from


def exp_pai(args):
    """Pruning at initialization (Random, SNIP, GraSP, SynFlow masks at theta_0, k = --prune-rate)
    against the grokking ticket and base."""
    if family(args.task) == "poly":
        raise UsageError("--exp pai: GraSP's score is defined with a cross-entropy; --task poly is a regression")
    bases, jobs = train_bases("pai", args), []
    for b in bases:
        # the transition-ticket note concerns the magnitude ticket only: PaI masks never see the base
        jobs.append(ticket_job(args, b, ticket_run(args, b.run), grokking_note(b.row, b.run.seed)))
        jobs += [ticket_job(args, b, ticket_run(args, b.run, arm=pruner, pruner=pruner,
                                                draw="random" if pruner == "random" else ""))
                 for pruner in args.arms or PAI_ARMS]
    return by_seed([b.row for b in bases] + train_jobs("pai", args, jobs))


POPUP_CKPT_EVERY = 200  # a divisor of every step in POPUP_STEPS: the learned masks there are saved
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
    """The edge-popup arms (train_edge_popup), theta_mem's rows first."""
    mems, _, rows = train_edge_popup(args)
    return by_seed([m.row for m in mems] + rows)


def popup_initial_scores(weights, seed):
    """edge-popup's initialisation of the scores, one per weight: kaiming-uniform, U(+-1/sqrt(fan_in)),
    drawn matrix after matrix (in `weights`' order) from the generator seeded with `seed`."""
    g = torch.Generator().manual_seed(seed)
    return {n: (torch.rand(w.shape, generator=g) * 2 - 1) / math.sqrt(w.shape[1]) for n, w in weights.items()}


def train_edge_popup(args):
    """From a memorizing checkpoint theta_mem (dense, 50% split, lr 1e-3, step 1,000: checked to be
    memorizing), three arms at lr 1e-2 for 2,000 steps: WD (train the weights, weight decay 1), EP
    (weights frozen; learn scores, mask = top 40% of |score| per matrix) and EP+WD (both); then the
    authors' variants: EP and EP+WD with the scores decayed, and EP on a re-seeded split that leaks
    theta_mem's training pairs into the test set (POPUP_ARMS). Returns theta_mem's Base of every
    seed, the arms' Jobs and their rows, with each arm's test accuracy at v3 Table 1's steps."""
    if family(args.task) != "modular":
        raise UsageError("--exp edge_popup starts from a memorizing checkpoint of modular arithmetic: "
                         "use a modular --task")
    steps, every = args.popup_steps, args.popup_ckpt_every
    mems = train_bases("edge_popup", args, arms=(dict(arm="mem", steps=steps // 2, frac_train=0.5, lr=1e-3,
                                                      weight_decay=1.0, ckpt_every=every),))
    jobs = []
    for mem in mems:
        row = mem.row
        if row["final_train_acc"] < 1.0 or row["final_test_acc"] > 0.5:
            raise UsageError(f"theta_mem (step {mem.run.steps}) is not memorizing: train acc "
                             f"{row['final_train_acc']:.3f}, test acc {row['final_test_acc']:.3f}")
        theta_mem, seed = checkpoint(args.out, mem.run, mem.run.steps), mem.run.seed
        for arm, keep, train_weights, changes, note in POPUP_ARMS:
            run = derived(mem.run, arm, steps=steps, lr=1e-2, popup_keep=keep, train_weights=train_weights,
                          draw="popup" if keep else "",
                          **{k: v(seed) if callable(v) else v for k, v in changes.items()})
            data = mem.data if run.split_seed < 0 else load_data(run)
            if run.split_seed >= 0:
                note = note.format(split_seed=run.split_seed, leak=leaked(mem.data, data))
            model = start_from(run, theta_mem)
            if keep:
                model.popup_scores = popup_initial_scores(model.weights(), stream_seed(run))
                model.popup_keep = keep
            jobs.append(Job(run, model, data, dict(note=note)))
    rows = train_jobs("edge_popup", args, jobs)
    for job, row in zip(jobs, rows):
        acc = test_acc_at(args.out, job.run)
        row.update({f"acc_{s}": acc.get(s) for s in POPUP_STEPS})
    return mems, jobs, rows


def checkpoint_steps(run):
    return list(range(0, run.steps, run.ckpt_every)) + [run.steps]


def test_acc_at(out, run):
    """{step: test accuracy} of a finished run (None at every step of a regression, which has none)."""
    return {int(r["step"]): float(r["test_acc"]) if r["test_acc"] else None
            for r in read_csv(os.path.join(run_dir(out, run), "curves.csv"))}

