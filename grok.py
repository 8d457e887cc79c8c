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
theta_0 and a checkpoint every 2,000 steps (ckpt/), the resumable training state (state.pt, also
written on Ctrl-C), curves.csv and summary.json once finished. A finished run is reused by any later
experiment that needs it; rerunning a command replaces its rows in runs/summary.csv and
runs/curves.csv, never duplicates them. MLP step on 2 CPU cores: ~2 ms, so one 50,000-step run takes
about two minutes (bench.py measures it).
"""
import argparse
import csv
import dataclasses
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

import tasks
import tickets
from models import MLP, MnistMLP, Transformer

IMAGE_TASKS = ("mnist", "fashion")
TASKS = tuple(tasks.OPERATIONS) + IMAGE_TASKS
MODELS = {"mlp": MLP, "transformer": Transformer}
ARMS = ("base", "ticket", "same_l1", "same_l2")


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
    parent: str = ""
    """id of the base run whose theta_0 (and final weights, for a mask) this run starts from"""
    ckpt_every: int = 2000

    @property
    def id(self):
        digest = hashlib.sha1(json.dumps(dataclasses.asdict(self), sort_keys=True).encode())
        k = f"-k{self.prune_rate:g}" if self.arm != "base" else ""
        return f"{self.task}-{self.model}-s{self.seed}-{self.arm}{k}-{digest.hexdigest()[:8]}"


def load_data(run):
    if run.task in IMAGE_TASKS:
        return tasks.mnist(run.data_dir or None, run.seed, run.n_train, dataset=run.task)
    return tasks.modular(run.task, run.p, run.frac_train, run.seed, run.ordered)


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
    pruned."""
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


def train_step(model, params, theta, exp_avg, exp_avg_sq, data, step, run):
    """One full-batch step (one step is one epoch, as in the paper): loss, gradient, AdamW."""
    loss = loss_fn(model(data.x_train), data.y_train, run.task in IMAGE_TASKS)
    grad = torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)])
    adamw_step(theta, grad, exp_avg, exp_avg_sq, step, run.lr, run.betas, run.eps, run.weight_decay)


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


def config_of(run):
    """The run's settings as plain JSON values (as stored in config.json, state.pt and summary.json)."""
    return json.loads(json.dumps(dataclasses.asdict(run)))


def run_dir(out, run):
    return os.path.join(out, run.id)


def finished(out, run):
    """The summary of a finished run with exactly these settings in `out`, or None."""
    path = os.path.join(run_dir(out, run), "summary.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        summary = json.load(f)
    if summary.get("config") != config_of(run):
        raise UsageError(f"{path} was written with other settings; delete that folder to retrain")
    return summary


def train(run, model, data, out, device="cpu", log=print):
    """Train `model` (its weights and masks already set) full-batch with AdamW for run.steps steps;
    write checkpoints, curves.csv and summary.json under out/<run id>; return the summary. A finished
    run is returned as is; an interrupted one resumes from its state.pt, bit for bit."""
    torch.use_deterministic_algorithms(True)  # index backward otherwise sums in a racy order
    done = finished(out, run)
    if done:
        return done
    folder = run_dir(out, run)
    os.makedirs(os.path.join(folder, "ckpt"), exist_ok=True)
    config = config_of(run)
    image_task = run.task in IMAGE_TASKS
    model, data = model.to(device), data.to(device)
    params = list(model.weights().values())
    theta = flatten_(params)
    exp_avg, exp_avg_sq = torch.zeros_like(theta), torch.zeros_like(theta)
    state_path = os.path.join(folder, "state.pt")
    start, curves = 0, []
    if os.path.exists(state_path):
        state = load_checkpoint(state_path)
        if state.get("config") != config:
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
        train_step(model, params, theta, exp_avg, exp_avg_sq, data, step, run)
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
                   "l1_init", "l2_init", "l1_final", "l2_final", "note", "run"]
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


def upsert_csv(path, rows, columns, key=("exp", "run")):
    """Write `rows` into the CSV at `path`, replacing earlier rows with the same key: a rerun updates
    its rows, never duplicates them, and leaves the other experiments' rows alone."""
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    kept = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            kept = [r for r in csv.DictReader(f) if tuple(r[k] for k in key) not in new_keys]
    write_csv(path, kept + rows, columns)


def record(exp, out, run, summary, note=""):
    """The run's summary row (and its curves) in out/summary.csv and out/curves.csv."""
    ident = dict(exp=exp, task=run.task, model=run.model, arm=run.arm, seed=run.seed,
                 prune_rate=run.prune_rate, weight_decay=run.weight_decay, run=run.id)
    with open(os.path.join(run_dir(out, run), "curves.csv"), newline="") as f:
        curves = [{**ident, **r} for r in csv.DictReader(f)]
    upsert_csv(os.path.join(out, "curves.csv"), curves, CURVE_COLUMNS)
    row = {**ident, **summary, "lr": run.lr, "steps": run.steps, "threshold": run.threshold,
           "note": note}
    upsert_csv(os.path.join(out, "summary.csv"), [row], SUMMARY_COLUMNS)
    return row


# ---------------------------------------------------------------------------------------------------
# Experiments: small functions composed from train()

def base_run(args, seed):
    return Run(task=args.task, model=args.model, seed=seed, steps=args.steps, lr=args.lr,
               weight_decay=args.weight_decay, p=args.p, frac_train=args.frac_train,
               ordered=args.ordered, n_train=args.n_train, data_dir=args.data_dir or "",
               threshold=args.threshold, ckpt_every=args.ckpt_every)


def checkpoint(out, run, step):
    return load_checkpoint(os.path.join(run_dir(out, run), "ckpt", f"step_{step:06d}.pt"))


def start_from(run, weights, masks):
    """The network of `run` with the given initial weights and masks."""
    model = build_model(run)
    with torch.no_grad():
        for name, w in model.weights().items():
            w.copy_(weights[name] * masks[name])  # a masked weight starts, and so stays, at zero
    model.set_masks(masks)
    return model


def train_arms(exp, args, seed, arms):
    """Train the base run of `seed`, then each arm in `arms` from its theta_0; record every row."""
    base = base_run(args, seed)
    data = load_data(base)
    rows = [record(exp, args.out, base, train(base, build_model(base), data, args.out, args.device))]
    if arms == ("base",):
        return rows
    note = ""
    if rows[0]["t_gen"] is None:
        note = "base never reached t_gen: a transition ticket, not a grokking ticket"
        print(f"WARNING: seed {seed}: the base run never reached {base.threshold:.0%} test accuracy "
              f"in {base.steps} steps, so its mask is NOT a grokking ticket (SPEC section 4); "
              "rerun with more --steps", file=sys.stderr)
    theta0 = checkpoint(args.out, base, 0)
    mask = tickets.mask_from_scores(tickets.magnitude_scores(checkpoint(args.out, base, base.steps)),
                                    args.prune_rate, args.scope)
    dense = {name: torch.ones_like(m) for name, m in mask.items()}
    starts = {
        "ticket": (theta0, mask),
        "same_l1": ({n: w * tickets.norm_matched_scale(theta0, mask, 1) for n, w in theta0.items()}, dense),
        "same_l2": ({n: w * tickets.norm_matched_scale(theta0, mask, 2) for n, w in theta0.items()}, dense),
    }
    for arm in arms[1:]:
        run = dataclasses.replace(base, arm=arm, prune_rate=args.prune_rate, scope=args.scope,
                                  parent=base.id)
        summary = train(run, start_from(run, *starts[arm]), data, args.out, args.device)
        rows.append(record(exp, args.out, run, summary, note))
    return rows


def exp_base(args):
    """The dense network groks: t_mem early, t_gen late."""
    return [row for seed in args.seeds for row in train_arms("base", args, seed, ("base",))]


def exp_ticket(args):
    """Base against the grokking ticket (magnitude mask of base's final weights, rewound to theta_0)."""
    return [row for seed in args.seeds for row in train_arms("ticket", args, seed, ("base", "ticket"))]


def exp_ticket_vs_norm(args):
    """Base, the ticket, and the dense theta_0 rescaled to the ticket's L1 and L2 norms."""
    return [row for seed in args.seeds for row in train_arms("ticket_vs_norm", args, seed, ARMS)]


EXPERIMENTS = {"base": exp_base, "ticket": exp_ticket, "ticket_vs_norm": exp_ticket_vs_norm}


def print_table(rows):
    def cell(v, spec):
        return "-" if v is None else format(v, spec)

    print(f"\n{'arm':8} {'seed':>4} {'t_mem':>6} {'t_gen':>9} {'tau_grok':>8} {'train':>6} "
          f"{'test':>6} {'L1(0)':>9} {'L2(0)':>7}")
    for r in rows:
        t_gen = "not reached" if r["t_gen"] is None else r["t_gen"]
        print(f"{r['arm']:8} {r['seed']:>4} {cell(r['t_mem'], '>6')} {t_gen:>9} "
              f"{cell(r['tau_grok'], '>8.1f')} {r['final_train_acc']:>6.3f} {r['final_test_acc']:>6.3f} "
              f"{r['l1_init']:>9.1f} {r['l2_init']:>7.2f}")
    by_arm = {}
    for r in rows:
        by_arm.setdefault(r["arm"], []).append(r)
    if len(rows) > len(by_arm):
        print(f"\n{'arm':8} {'runs':>4} {'t_mem':>17} {'t_gen':>17} {'final test':>13}")
        for arm, rs in by_arm.items():
            print(f"{arm:8} {len(rs):>4} {mean_std([r['t_mem'] for r in rs]):>17} "
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
    ap = Parser(prog="grok.py", description=__doc__.split("\n\n")[2],
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="Defaults are the paper's settings for the task (SPEC sections 2-4): modular "
                       "arithmetic 50,000 steps, weight decay 1.0, P = 0.95; MNIST 100,000 steps, "
                       "weight decay 0.1, P = 0.85, MSE loss.")
    ap.add_argument("--exp", default="ticket_vs_norm", help=f"one of {', '.join(EXPERIMENTS)} "
                    "(default ticket_vs_norm)")
    ap.add_argument("--task", default="add", help=f"one of {', '.join(TASKS)} (default add)")
    ap.add_argument("--model", default="mlp", help="mlp or transformer (image tasks: mlp)")
    ap.add_argument("--steps", type=int, help="training steps (default 50,000; 100,000 for images)")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    ap.add_argument("--prune-rate", type=float, default=0.6,
                    help="k, the fraction of weights REMOVED by the ticket's mask (default 0.6)")
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
    args.steps = args.steps if args.steps is not None else (100_000 if image else 50_000)
    args.weight_decay = args.weight_decay if args.weight_decay is not None else (0.1 if image else 1.0)
    args.threshold = args.threshold if args.threshold is not None else (0.85 if image else 0.95)
    try:
        args.seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise UsageError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    checks = [(args.steps > 0, "--steps must be positive"),
              (0 <= args.prune_rate < 1, "--prune-rate k (the fraction removed) must be in [0, 1)"),
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
