"""Grokking tickets, the paper's experiments: the trainer, the measurements and the command line.

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
An MLP step takes 2-2.7 ms on 2 CPU cores, so one 50,000-step run takes about two to three minutes
(bench.py measures it).

Experiments (--exp), each a small function of grok.py composed from train():
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
"""
import argparse
import csv
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

import analysis
import report
import tasks
import tickets
from report import POPUP_STEPS  # the steps where v3's Table 1 reports test accuracy
from models import MLP, MnistMLP, Transformer

IMAGE_TASKS = ("mnist", "fashion")
TASKS = tuple(tasks.OPERATIONS) + IMAGE_TASKS
MODELS = {"mlp": MLP, "transformer": Transformer}


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


class Diverged(Exception):
    """The loss became NaN or infinite."""


# ---------------------------------------------------------------------------------------------------
# What determines a run

@dataclass(frozen=True)
class Run:
    """Every setting that determines a run's result; a hash of it names the run's folder."""
    task: str = "add"
    """modular operation (add, sub, mul, x2y2, x2xyy2, x3xy) or mnist / fashion"""
    model: str = "mlp"
    """mlp or transformer (images: the MNIST MLP)"""
    seed: int = 0
    """seeds the train/test split (or the 1,000 training images) and theta_0"""
    steps: int = 50_000
    """full-batch AdamW steps"""
    lr: float = 1e-3
    weight_decay: float = 1.0
    betas: tuple = (0.9, 0.98)
    eps: float = 1e-8
    p: int = 67
    """modulus of the modular task"""
    frac_train: float = 0.4
    """fraction of the pairs used for training"""
    ordered: bool = False
    """all p^2 ordered pairs instead of the unordered a <= b"""
    n_train: int = 1000
    """training images (image tasks)"""
    data_dir: str = ""
    """folder of the IDX files (image tasks)"""
    threshold: float = 0.95
    """P: t_mem / t_gen are the first steps with train / test accuracy >= P"""
    arm: str = "base"
    """base (dense, theta_0), ticket (theta_0 * m), same_l1 / same_l2 (dense, theta_0 * r_p)"""
    prune_rate: float = 0.0
    """k, the fraction of weights removed (tickets, and the controls matched to them)"""
    scope: str = "global"
    """magnitude pruning over all matrices together (global) or per matrix (layer)"""
    pruner: str = "magnitude"
    """how the mask was scored: magnitude (of the parent's weights at source_step), or at theta_0
    random, snip, grasp, synflow"""
    source_step: int = 0
    """step of the parent's checkpoint whose magnitudes make the mask; 0 = its final step"""
    popup_keep: float = 0.0
    """edge-popup: learn the mask as the top popup_keep of |scores| per matrix (0 = off)"""
    train_weights: bool = True
    """False freezes the weights (edge-popup learns only the scores)"""
    score_decay: float = 0.0
    """AdamW weight decay of the edge-popup scores. 0: the paper's EP, nothing decayed; the authors'
    code (one AdamW over every trainable tensor, -w 1) decays the scores with 1.0: a labelled variant"""
    split_seed: int = -1
    """seed of the train/test split when it is not the run's seed (-1): only the edge-popup leak
    diagnostic, which reproduces the authors' re-seeded split"""
    rewind: bool = True
    """a ticket starts from theta_0 * m; False starts it from the parent's weights at the mask's source
    step * m (the authors' MNIST config, reinitialize = False): a labelled diagnostic, not a ticket"""
    parent: str = ""
    """id of the run whose theta_0 (and weights, for a mask) this run starts from"""
    ckpt_every: int = 2000

    @property
    def id(self):
        digest = hashlib.sha1(json.dumps(settings(config_of(self)), sort_keys=True).encode())
        k = f"-k{self.prune_rate:g}" if self.prune_rate else ""
        return f"{self.task}-{self.model}-s{self.seed}-{self.arm}{k}-{digest.hexdigest()[:8]}"


def config_of(run):
    """The run's settings as plain JSON values (as stored in config.json, state.pt and summary.json)."""
    return json.loads(json.dumps(dataclasses.asdict(run)))


def settings(config):
    """The settings of a run's config that differ from the defaults: its identity. A new option
    with a default leaves the identity of every earlier run alone."""
    defaults = config_of(Run())
    return {k: v for k, v in config.items() if v != defaults.get(k)}


def load_data(run):
    if run.task in IMAGE_TASKS:
        return tasks.mnist(run.data_dir or None, run.seed, run.n_train, dataset=run.task)
    split_seed = run.seed if run.split_seed < 0 else run.split_seed
    return tasks.modular(run.task, run.p, run.frac_train, split_seed, run.ordered)


def build_model(run):
    """The network at theta_0, seeded with the run's seed."""
    if run.task in IMAGE_TASKS:
        return MnistMLP(seed=run.seed)
    return MODELS[run.model](p=run.p, seed=run.seed)


# ---------------------------------------------------------------------------------------------------
# Training

def loss_fn(out, y, image_task):
    if image_task:
        return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))  # MSE on MNIST (SPEC 4)
    # float64: in float32 the log-softmax of a confident prediction rounds to exactly 0, the
    # gradients of the correct logit vanish while the others do not, and the loss spikes.
    return F.cross_entropy(out.double(), y)


@torch.no_grad()
def adamw_step(theta, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    """One AdamW update of the flat weight vector theta, in place, with torch.optim.AdamW's arithmetic
    (Loshchilov & Hutter):
        theta <- theta (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps)
        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,   m_hat = m / (1 - b1^t),   v_hat = v / (1 - b2^t)
    A weight with value zero and gradient zero stays exactly zero: that is how masked weights stay
    pruned. weight_decay is a number, or a vector with one entry per element of theta."""
    b1, b2 = betas
    theta.mul_(1 - lr * weight_decay)
    exp_avg.lerp_(grad, 1 - b1)
    exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
    denom = (exp_avg_sq.sqrt() / math.sqrt(1 - b2 ** step)).add_(eps)
    theta.addcdiv_(exp_avg, denom, value=-lr / (1 - b1 ** step))


def flatten_(params):
    """Move the tensors `params` into one contiguous vector and return it; each becomes a view of it.
    One optimizer update of 115k numbers costs a few kernel launches instead of a few per matrix."""
    theta = torch.cat([p.detach().flatten() for p in params])
    offset = 0
    for p in params:
        p.data = theta[offset:offset + p.numel()].view_as(p)
        offset += p.numel()
    return theta


def trainable(model, run):
    """The tensors the optimizer updates and the weight decay of each: the weights (unless frozen)
    with the run's weight decay, and any edge-popup scores with run.score_decay."""
    tensors = list(model.weights().values()) if run.train_weights else []
    decay = [run.weight_decay] * len(tensors)
    if model.popup_scores is not None:
        tensors += list(model.popup_scores.values())
        decay += [run.score_decay] * len(model.popup_scores)
    if len(set(decay)) == 1:
        return tensors, decay[0]
    return tensors, torch.cat([torch.full((t.numel(),), d) for t, d in zip(tensors, decay)])


def train_step(model, params, theta, exp_avg, exp_avg_sq, data, step, run, weight_decay):
    """One full-batch step (one step is one epoch, as in the paper): loss, gradient, AdamW."""
    loss = loss_fn(model(data.x_train), data.y_train, run.task in IMAGE_TASKS)
    grad = torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)])
    adamw_step(theta, grad, exp_avg, exp_avg_sq, step, run.lr, run.betas, run.eps, weight_decay)


def should_log(step, steps):
    """Every step up to 100, every 10 to 1,000, every 100 to 10,000, then every 1,000 - never more
    than steps/500 apart, so t_mem and t_gen are resolved to 0.2% of the run. Evaluating the test set
    every step would cost more than training."""
    interval = max(1, min(10 ** int(math.log10(step)) // 10 if step else 1, steps // 500))
    return step % interval == 0 or step == steps


@torch.no_grad()
def evaluate(model, data, image_task):
    """Loss and accuracy on both splits, and the L1 / L2 norms of the effective weights W * m."""
    row = {}
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        out = model(x)
        row[f"{split}_loss"] = loss_fn(out, y, image_task).item()
        row[f"{split}_acc"] = (out.argmax(1) == y).double().mean().item()
    effective = {name: model.w(name) for name in model.weights()}
    row["l1"], row["l2"] = tickets.norm(effective, 1), tickets.norm(effective, 2)
    return row


def measure(curves, threshold):
    """t_mem / t_gen: first logged step with train / test accuracy >= P (None when never reached);
    tau_grok = t_gen / t_mem (SPEC section 4)."""
    t_mem = next((r["step"] for r in curves if r["train_acc"] >= threshold), None)
    t_gen = next((r["step"] for r in curves if r["test_acc"] >= threshold), None)
    tau = t_gen / t_mem if t_mem and t_gen is not None else None
    first, last = curves[0], curves[-1]
    return dict(t_mem=t_mem, t_gen=t_gen, tau_grok=tau,
                final_train_acc=last["train_acc"], final_test_acc=last["test_acc"],
                l1_init=first["l1"], l2_init=first["l2"], l1_final=last["l1"], l2_final=last["l2"])


def weights_of(model):
    """A copy of the weights by name, on the CPU (the live ones are views of the trainer's theta)."""
    return {name: w.detach().cpu().clone() for name, w in model.weights().items()}


def save_atomic(obj, path):
    torch.save(obj, path + ".part")
    os.replace(path + ".part", path)


def load_checkpoint(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a truncated or foreign file
        raise UsageError(f"corrupt checkpoint {path} ({type(e).__name__}); delete it to retrain") from None


def run_dir(out, run):
    return os.path.join(out, run.id)


def finished(out, run):
    """The summary of a finished run with exactly these settings in `out`, or None."""
    path = os.path.join(run_dir(out, run), "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        summary = json.load(f)
    if settings(summary.get("config", {})) != settings(config_of(run)):
        raise UsageError(f"{path} was written with other settings; delete that folder to retrain")
    return summary


def train(run, model, data, out, device="cpu", log=print):
    """Train `model` (its weights and masks already set) full-batch with AdamW for run.steps steps;
    write checkpoints, curves.csv and summary.json under out/<run id>; return the summary. A finished
    run is returned as is; an interrupted one resumes from its state.pt, bit for bit."""
    folder = run_dir(out, run)
    os.makedirs(os.path.join(folder, "ckpt"), exist_ok=True)
    with open(os.path.join(folder, "lock"), "w") as lock:
        # Another grok.py on the same --out training this run: wait for it, then reuse its result.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return finished(out, run) or train_unlocked(run, model, data, out, device, log)


def train_unlocked(run, model, data, out, device, log):
    torch.use_deterministic_algorithms(True)  # index backward otherwise sums in a racy order
    folder = run_dir(out, run)
    config = config_of(run)
    image_task = run.task in IMAGE_TASKS
    model, data = model.to(device), data.to(device)
    if model.popup_scores is not None:  # a plain dict: .to() does not move it
        model.popup_scores = {n: t.detach().to(device).requires_grad_()
                              for n, t in model.popup_scores.items()}
    params, weight_decay = trainable(model, run)
    weight_decay = weight_decay.to(device) if torch.is_tensor(weight_decay) else weight_decay
    theta = flatten_(params)
    exp_avg, exp_avg_sq = torch.zeros_like(theta), torch.zeros_like(theta)
    state_path = os.path.join(folder, "state.pt")
    start, curves = 0, []
    if os.path.exists(state_path):
        state = load_checkpoint(state_path)
        if settings(state.get("config", {})) != settings(config):
            raise UsageError(f"{state_path} belongs to other settings; delete {folder} to retrain")
        start, curves = state["step"], state["curves"]
        for dst, src in ((theta, state["theta"]), (exp_avg, state["exp_avg"]),
                         (exp_avg_sq, state["exp_avg_sq"])):
            dst.copy_(src)
        model.set_masks(state["masks"])
        log(f"[{run.id}] resuming at step {start}")
    else:
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        curves.append({"step": 0, **evaluate(model, data, image_task)})
        save_atomic(model.masks(), os.path.join(folder, "mask.pt"))
        save_atomic(weights_of(model),
                    os.path.join(folder, "ckpt", "step_000000.pt"))

    def save_state(step):
        save_atomic(dict(config=config, step=step, curves=curves,
                         theta=theta.cpu(), exp_avg=exp_avg.cpu(), exp_avg_sq=exp_avg_sq.cpu(),
                         masks={n: m.cpu() for n, m in model.masks().items()}),
                    state_path)

    t0 = last_print = time.time()
    # Ctrl-C needs no handler: state.pt, saved with each checkpoint, is where a rerun resumes.
    for step in range(start + 1, run.steps + 1):
        train_step(model, params, theta, exp_avg, exp_avg_sq, data, step, run, weight_decay)
        if should_log(step, run.steps):
            row = {"step": step, **evaluate(model, data, image_task)}
            curves.append(row)
            if not math.isfinite(row["train_loss"]):
                raise Diverged(f"[{run.id}] loss is {row['train_loss']} at step {step}: the run "
                               "diverged; lower --lr")
            if time.time() - last_print > 20 or step == run.steps:
                rate = (time.time() - t0) / (step - start)
                log(f"[{run.id}] step {step}/{run.steps}  train {row['train_acc']:.3f}  "
                    f"test {row['test_acc']:.3f}  {rate * 1e3:.2f} ms/step  "
                    f"eta {(run.steps - step) * rate:.0f}s")
                last_print = time.time()
        if step % run.ckpt_every == 0 or step == run.steps:
            save_atomic(weights_of(model),
                        os.path.join(folder, "ckpt", f"step_{step:06d}.pt"))
            save_state(step)
    summary = {"run": run.id, "config": config, **measure(curves, run.threshold),
               "seconds": round(time.time() - t0, 1)}
    write_csv(os.path.join(folder, "curves.csv"), curves, list(curves[0]))
    with open(os.path.join(folder, "summary.json.part"), "w") as f:
        json.dump(summary, f, indent=1)
    os.replace(os.path.join(folder, "summary.json.part"), os.path.join(folder, "summary.json"))
    os.remove(state_path)
    return summary


# ---------------------------------------------------------------------------------------------------
# Results as CSV

SUMMARY_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "lr", "steps",
                   "threshold", "t_mem", "t_gen", "tau_grok", "final_train_acc", "final_test_acc",
                   "l1_init", "l2_init", "l1_final", "l2_final", "pruner", "source_step",
                   "source_test_acc", "note", "run"]
CURVE_COLUMNS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "run", "step",
                 "train_loss", "test_loss", "train_acc", "test_acc", "l1", "l2"]


def fmt(value):
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def write_csv(path, rows, columns):
    with open(path + ".part", "w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: fmt(v) for k, v in row.items()} for row in rows)
    os.replace(path + ".part", path)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def upsert_csv(path, rows, columns, key=("exp", "run")):
    """Write `rows` into the CSV at `path`, replacing earlier rows with the same key: a rerun updates
    its rows, never duplicates them, and leaves the other experiments' rows alone."""
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    with open(path + ".lock", "w") as lock:
        # several grok.py sharing one --out (run_all.sh --list | parallel) must not lose rows
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = []
        if os.path.exists(path):
            kept = [r for r in read_csv(path) if tuple(r[k] for k in key) not in new_keys]
        write_csv(path, kept + rows, columns)


def record(exp, out, run, summary, **extra):
    """The run's summary row (and its curves) in out/summary.csv and out/curves.csv."""
    ident = dict(exp=exp, task=run.task, model=run.model, arm=run.arm, seed=run.seed,
                 prune_rate=run.prune_rate, weight_decay=run.weight_decay, run=run.id)
    curves = [{**ident, **r} for r in read_csv(os.path.join(run_dir(out, run), "curves.csv"))]
    upsert_csv(os.path.join(out, "curves.csv"), curves, CURVE_COLUMNS)
    row = {**ident, **summary, "lr": run.lr, "steps": run.steps, "threshold": run.threshold, **extra}
    upsert_csv(os.path.join(out, "summary.csv"), [row], SUMMARY_COLUMNS)
    return row


# ---------------------------------------------------------------------------------------------------
# Experiments: small functions composed from train()

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


def train_base(exp, args, seed, **changes):
    """The dense base run of `seed` (trained, or reused when finished): its Run, row and data."""
    base = base_run(args, seed, **changes)
    data = load_data(base)
    row = record(exp, args.out, base, train(base, build_model(base), data, args.out, args.device))
    return base, row, data


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


def train_ticket(exp, args, base, data, run, note="", mask=None, **extra):
    """Train the ticket `run` (theta_0 * m, m fixed) and record it (with `extra` columns)."""
    mask = mask if mask is not None else mask_for(args.out, base, run, data)
    source = (run.source_step or base.steps) if run.pruner == "magnitude" else 0
    start = checkpoint(args.out, base, 0 if run.rewind else source)
    summary = train(run, start_from(run, start, mask), data, args.out, args.device)
    return record(exp, args.out, run, summary, pruner=run.pruner, source_step=source, note=note, **extra)


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
    return [train_base("base", args, seed)[1] for seed in args.seeds]


def exp_ticket(args):
    """Base against the grokking ticket (magnitude mask of base's final weights, rewound to theta_0)."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("ticket", args, seed)
        rows += [row, train_ticket("ticket", args, base, data, ticket_run(args, base),
                                   note=grokking_note(row, seed))]
    return rows


NOT_REWOUND = ("authors' variant (config_pruning_mnist.py, reinitialize = False): the base's final "
               "weights * m, not rewound to theta_0; a diagnostic, not a ticket")


def exp_ticket_vs_norm(args):
    """Base, the ticket, and the dense theta_0 rescaled to the ticket's L1 and L2 norms."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("ticket_vs_norm", args, seed)
        note, ticket = grokking_note(row, seed), ticket_run(args, base)
        mask = mask_for(args.out, base, ticket, data)
        rows += [row, train_ticket("ticket_vs_norm", args, base, data, ticket, note, mask)]
        if base.task in IMAGE_TASKS:  # the authors' MNIST "ticket" is not rewound: shown beside ours
            rows.append(train_ticket("ticket_vs_norm", args, base, data,
                                     ticket_run(args, base, arm="ticket_trained", rewind=False),
                                     NOT_REWOUND + (f"; {note}" if note else ""), mask))
        theta0 = checkpoint(args.out, base, 0)
        for p in (1, 2):
            run = derived(base, f"same_l{p}", prune_rate=args.prune_rate, scope=args.scope)
            r = tickets.norm_matched_scale(theta0, mask, p)
            model = start_from(run, {name: w * r for name, w in theta0.items()})
            summary = train(run, model, data, args.out, args.device)
            rows.append(record("ticket_vs_norm", args.out, run, summary, note=note))
    return rows


def exp_prune_rate(args):
    """Grokking tickets at every pruning rate k in --prune-rates, against base."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("prune_rate", args, seed)
        note = grokking_note(row, seed)
        rows += [row] + [train_ticket("prune_rate", args, base, data,
                                      ticket_run(args, base, prune_rate=k), note)
                         for k in args.prune_rates]
    return rows


def exp_no_wd(args):
    """Tickets trained WITHOUT weight decay at k = 0.1 ... 0.9 and 0.80 ... 0.89 (or --prune-rates), against
    base with weight decay and base without it. The mask comes from the base with weight decay."""
    rates = args.prune_rates if args.prune_rates_given else sorted(
        set(args.prune_rates) | {round(0.80 + i / 100, 2) for i in range(10)})
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("no_wd", args, seed)
        note = grokking_note(row, seed)
        rows += [row, train_base("no_wd", args, seed, arm="base_no_wd", weight_decay=0.0)[1]]
        rows += [train_ticket("no_wd", args, base, data,
                              ticket_run(args, base, prune_rate=k, weight_decay=0.0), note)
                 for k in rates]
    return rows


PHASE_LAST_STEP = 30_000  # the paper's phase tickets: masks from steps 2k, 4k, ..., 30k


def exp_phase_tickets(args):
    """Tickets whose mask comes from the base's checkpoint at step s = 2k, 4k, ..., 30k (memorization,
    transition, generalization), rewound to theta_0, against base. source_test_acc is the base's
    test accuracy at step s."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("phase_tickets", args, seed)
        test_acc = {int(r["step"]): float(r["test_acc"])
                    for r in read_csv(os.path.join(run_dir(args.out, base), "curves.csv"))}
        rows.append(row)
        rows += [train_ticket("phase_tickets", args, base, data, ticket_run(args, base, source_step=s),
                              source_test_acc=test_acc.get(s))
                 for s in range(base.ckpt_every, min(base.steps, PHASE_LAST_STEP) + 1, base.ckpt_every)]
    return rows


def exp_pai(args):
    """Pruning at initialization (Random, SNIP, GraSP, SynFlow masks at theta_0, k = --prune-rate)
    against the grokking ticket and base."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("pai", args, seed)
        # the transition-ticket note concerns the magnitude ticket only: PaI masks never see the base
        rows += [row, train_ticket("pai", args, base, data, ticket_run(args, base), grokking_note(row, seed))]
        rows += [train_ticket("pai", args, base, data, ticket_run(args, base, arm=pruner, pruner=pruner))
                 for pruner in ("random", "snip", "grasp", "synflow")]
    return rows


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
    rows = []
    for seed in args.seeds:
        mem, row, data = train_base("edge_popup", args, seed, arm="mem", steps=steps // 2,
                                    frac_train=0.5, lr=1e-3, weight_decay=1.0)
        if row["final_train_acc"] < 1.0 or row["final_test_acc"] > 0.5:
            raise UsageError(f"theta_mem (step {mem.steps}) is not memorizing: train acc "
                             f"{row['final_train_acc']:.3f}, test acc {row['final_test_acc']:.3f}")
        theta_mem = checkpoint(args.out, mem, mem.steps)
        rows.append(row)
        for arm, keep, train_weights, changes, note in POPUP_ARMS:
            run = derived(mem, arm, steps=steps, lr=1e-2, popup_keep=keep, train_weights=train_weights,
                          **{k: v(seed) if callable(v) else v for k, v in changes.items()})
            arm_data = data if run.split_seed < 0 else load_data(run)
            if run.split_seed >= 0:
                note = note.format(split_seed=run.split_seed, leak=leaked(data, arm_data))
            model = start_from(run, theta_mem)
            if keep:
                g = torch.Generator().manual_seed(seed)
                # edge-popup's initialisation of the scores: kaiming-uniform, U(+-1/sqrt(fan_in))
                model.popup_scores = {n: (torch.rand(w.shape, generator=g) * 2 - 1) / math.sqrt(w.shape[1])
                                      for n, w in model.weights().items()}
                model.popup_keep = keep
            summary = train(run, model, arm_data, args.out, args.device)
            curves = read_csv(os.path.join(run_dir(args.out, run), "curves.csv"))
            at = {f"acc_{s}": next((float(r["test_acc"]) for r in curves if int(r["step"]) == s), None)
                  for s in POPUP_STEPS}
            rows.append({**record("edge_popup", args.out, run, summary, note=note), **at})
    return rows


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
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("fourier", args, seed)
        ticket = ticket_run(args, base)
        rows += [row, train_ticket("fourier", args, base, data, ticket, grokking_note(row, seed))]
        for run in (base, ticket):
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
            print(f"seed {seed} {run.arm:7} Fourier entropy of the neurons' input weights (test acc) at step: "
                  + ", ".join(f"{s:,} {h[s]:.2f} ({test[s]:.2f})" for s in sorted(h)
                              if s in (0, 2000, 4000, 10000, 20000, 30000) or s == run.steps))
    return rows


def exp_jaccard(args):
    """Jaccard distance between the base's k = --prune-rate magnitude masks at checkpoints t and
    t + --ckpt-every, against the change in test accuracy over the same steps (v3 Fig. 7: the largest
    distance coincides with the largest jump in test accuracy)."""
    rows = []
    for seed in args.seeds:
        base, row, data = train_base("jaccard", args, seed)
        rows.append(row)
        acc, found = test_acc_at(args.out, base), []
        steps = checkpoint_steps(base)
        masks = {s: analysis.magnitude_mask(checkpoint(args.out, base, s), args.prune_rate) for s in steps}
        for t0, t1 in zip(steps, steps[1:]):
            distance = analysis.jaccard_distance(masks[t0], masks[t1])
            found += [dict(step=t1, metric=f"jaccard_{name}", value=d) for name, d in distance.items()]
            found.append(dict(step=t1, metric="d_test_acc", value=acc[t1] - acc[t0]))
        record_analysis("jaccard", args.out, base, found)
        by = lambda metric: {r["step"]: r["value"] for r in found if r["metric"] == metric}
        distance, jump = by("jaccard_all"), by("d_test_acc")
        print(f"seed {seed}: largest mask distance {max(distance.values()):.3f} over the {base.ckpt_every:,} "
              f"steps ending at {max(distance, key=distance.get):,}, largest test-accuracy jump "
              f"{max(jump.values()):+.3f} ending at {max(jump, key=jump.get):,}; Pearson r = "
              f"{report.pearson(list(distance.values()), list(jump.values())):.2f}")
    return rows


EXPERIMENTS = {"base": exp_base, "ticket": exp_ticket, "ticket_vs_norm": exp_ticket_vs_norm,
               "prune_rate": exp_prune_rate, "no_wd": exp_no_wd, "phase_tickets": exp_phase_tickets,
               "pai": exp_pai, "edge_popup": exp_edge_popup, "fourier": exp_fourier,
               "jaccard": exp_jaccard}


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
              (args.ckpt_every > 0, "--ckpt-every must be positive")]
    for ok, message in checks:
        if not ok:
            raise UsageError(f"{message}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here; use --device cpu")
    args.device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
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
