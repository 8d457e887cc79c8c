"""The trainer: full-batch AdamW training of one run or of many runs batched into one model, the
measurements and checkpoints (what determines a run: runs.py; the CSV files: tables.py).

    from runs import Run, build_model, load_data
    from trainer import train, train_many
    run = Run(seed=0)                                         # the MLP on a + b mod 67, the paper's settings
    summary = train(run, build_model(run), load_data(run), out="runs")
    summaries = train_many([(r, build_model(r), load_data(r)) for r in runs], out="runs")  # one batch

A run is a folder under `out` named by a hash of its settings (Run): config.json, theta_0 and a
checkpoint every 2,000 steps (ckpt/; edge-popup runs also save their learned mask there), for a
run with a fixed sparse mask (a ticket) norms.pt, the L1 and L2 norms of W * m after every step in
float64 (what a norm-clamped control follows: models.Masked.norm_clamp), the resumable state (state.pt, written with each checkpoint: after Ctrl-C the same call resumes from
it, bit for bit), curves.csv and summary.json once finished.

Many runs, one model. Runs of the same network and data shapes (an experiment's seeds, its pruning
rates, its controls) train as one model with a leading run dimension: the weights of run r are row r
of an (R, N) tensor, the forward pass is the model's forward_batch (one batched product per matrix
for all runs), the loss is the sum of the runs' losses (so each run's gradient is its own) and AdamW,
being elementwise, updates the stacked rows as R independent optimizers. On the CPU a run trained in a
batch writes the same curves.csv, byte for byte, as the run trained alone (tested); each run keeps its
own folder, checkpoints, resume state and lock.
"""
import dataclasses
import json
import math
import os
import time

import numerics

numerics.pin()  # before torch: portable kernels, unless an entry point already chose (grok.py --native-numerics)
import torch  # noqa: E402
import torch.nn.functional as F

import tasks
import tickets
from adamw import adamw_update
from models import edge_popup_mask
from runs import Run, UsageError, config_of, settings
from tables import grokking_times, lock_exclusive, write_csv


class Diverged(Exception):
    """The loss of some runs became NaN or infinite; `summaries` holds every run's summary (None for
    the runs that diverged), so that the others can still be recorded."""

    def __init__(self, message, summaries=()):
        super().__init__(message)
        self.summaries = list(summaries)


# ---------------------------------------------------------------------------------------------------
# Training

def loss_fn(out, y, loss="cross_entropy"):
    """The task's loss (tasks.Data.loss) of outputs `out` (n, classes) against targets y."""
    if loss == "mse":
        return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))  # MSE on MNIST (the paper's loss there)
    if loss == "regression":
        return F.mse_loss(out[:, 0], y)
    # float64: in float32 the log-softmax of a confident prediction rounds to exactly 0, the
    # gradients of the correct logit vanish while the others do not, and the loss spikes.
    return F.cross_entropy(out.double(), y)


def trainable(model, run):
    """The tensors the optimizer updates and their AdamW decay factor 1 - lr * weight_decay (for
    adamw.adamw_update, which applies one factor per run of a batch): the
    weights (unless frozen) with the run's weight decay, and any edge-popup scores with
    run.score_decay. The factor is a number when all share one weight decay, else a float32 vector
    with one entry per element (in that case computed in float32, as torch.optim.AdamW would)."""
    tensors = list(model.weights().values()) if run.train_weights else []
    decay = [run.weight_decay] * len(tensors)
    if model.popup_scores is not None:
        tensors += list(model.popup_scores.values())
        decay += [run.score_decay] * len(model.popup_scores)
    if len(set(decay)) == 1:
        return tensors, 1 - run.lr * decay[0]
    return tensors, 1 - run.lr * torch.cat([torch.full((t.numel(),), d) for t, d in zip(tensors, decay)])


def batch_loss(out, y, loss):
    """The sum over runs of each run's loss_fn, out (R, n, classes) and y (R, n): the gradient of the
    sum with respect to one run's weights is that run's own gradient."""
    if loss != "cross_entropy":  # MSE's vectorised mean would round its gradient differently: run by run
        return sum(loss_fn(out[r], y[r], loss) for r in range(len(out)))
    R, n, c = out.shape
    losses = F.cross_entropy(out.double().reshape(R * n, c), y.reshape(R * n), reduction="none")
    return losses.view(R, n).mean(1).sum()


LOG_EVERY = 100  # the logging interval from step 1,000 on: t_mem and t_gen are resolved to 100 steps


def should_log(step, steps):
    """Every step up to 100, every 10 to 1,000, then every 100 (LOG_EVERY), and the last step. The
    schedule does not depend on `steps`, so t_gen is a function of the trajectory alone: a run of
    20,000 steps and one of 50,000 log the same steps up to 20,000. (Evaluating the test set every
    step would cost more than training.)"""
    interval = min(10 ** int(math.log10(step)) // 10, LOG_EVERY) if step >= 100 else 1
    return step % interval == 0 or step == steps


@torch.no_grad()
def evaluate(model, data):
    """Loss and accuracy (none for a regression) on both splits, and the L1 / L2 norms of the
    effective weights W * m."""
    row = {}
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        out = model(x)
        row[f"{split}_loss"] = loss_fn(out, y, data.loss).item()
        row[f"{split}_acc"] = None if data.loss == "regression" else (out.argmax(1) == y).double().mean().item()
    effective = {name: model.w(name) for name in model.weights()}
    row["l1"], row["l2"] = tickets.norm(effective, 1), tickets.norm(effective, 2)
    return row


def measure(curves, threshold):
    """The summary of a run's curves: t_mem, t_gen, tau_grok (tables.grokking_times, the definition)
    and the final accuracies, losses and norms."""
    first, last = curves[0], curves[-1]
    return dict(**grokking_times(curves, threshold),
                final_train_acc=last["train_acc"], final_test_acc=last["test_acc"],
                final_train_loss=last.get("train_loss"), final_test_loss=last.get("test_loss"),
                l1_init=first["l1"], l2_init=first["l2"], l1_final=last["l1"], l2_final=last["l2"])


def weights_of(model):
    """A copy of the weights by name, on the CPU (the live ones are views of the trainer's theta)."""
    return {name: w.detach().cpu().clone() for name, w in model.weights().items()}


def save_checkpoint(model, folder, step):
    """ckpt/step_<step>.pt: the weights; for edge-popup, also ckpt/mask_<step>.pt: the learned mask
    (top popup_keep of |scores| per matrix), which the graph analysis reads."""
    save_atomic(weights_of(model), os.path.join(folder, "ckpt", f"step_{step:06d}.pt"))
    if model.popup_scores is not None:
        save_atomic({n: edge_popup_mask(s.detach(), model.popup_keep).cpu() for n, s in model.popup_scores.items()},
                    os.path.join(folder, "ckpt", f"mask_{step:06d}.pt"))


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
    """Train one run: train_many with a single member."""
    return train_many([(run, model, data)], out, device, log=log)[0]


def train_many(members, out, device="cpu", batch=0, log=print):
    """Train the runs `members`, [(run, model, data)] with each model's weights and masks already set,
    full-batch with AdamW for run.steps steps; write each run's checkpoints, curves.csv and
    summary.json under out/<run id>; return their summaries, in order. A finished run is returned as
    is; an interrupted one resumes from its state.pt. Runs that can share a batch (batch_key: the
    same network and data shapes, learning rate, length and resume step) train as one model, at most
    `batch` at a time (0: all), and each gets the same numbers, bit for bit, as when trained alone.
    A run that diverges stops; the others finish, then Diverged is raised with its message. Each run is
    locked (out/<run id>/lock) until its summary is written, so another command on the same `out`
    waits for that run, not for the whole call, and then reuses it. Sets torch.set_flush_denormal(True)."""
    torch.use_deterministic_algorithms(True)  # index backward otherwise sums in a racy order
    here = numerics.key(device)
    for run, _, _ in members:
        if run.numerics != here:
            raise UsageError(f"run {run.id} is defined for numerics '{run.numerics}' but this process "
                             f"computes with '{here}' (numerics.py); build it with numerics='{here}'")
    # Without weight decay a memorized network's wrong-class probabilities fall below float32's
    # normal range; x86 arithmetic on such subnormals is many times slower, and it doubled a no_wd
    # run's step time. Flushing them to zero (process-wide) left the weights of an 8,000-step no-wd
    # base bit-identical.
    torch.set_flush_denormal(True)
    summaries, first, locks = [None] * len(members), {}, {}
    try:
        for i in sorted(range(len(members)), key=lambda i: members[i][0].id):  # one order: no deadlock
            run = members[i][0]
            if run.id in first:
                continue
            first[run.id] = i
            os.makedirs(os.path.join(run_dir(out, run), "ckpt"), exist_ok=True)
            locks[run.id] = open(os.path.join(run_dir(out, run), "lock"), "w")
            # Another grok.py on the same --out training this run: wait for it, then reuse its result.
            lock_exclusive(locks[run.id])
            summaries[i] = finished(out, run)
            if summaries[i] is not None:
                locks.pop(run.id).close()
        todo = [i for i in sorted(first.values()) if summaries[i] is None]
        groups = {}
        for i in todo:
            member = prepare(*members[i], out, device, log)
            groups.setdefault(batch_key(member), []).append((i, member))
        diverged = []
        for group in groups.values():
            size = batch or len(group)
            for start in range(0, len(group), size):
                chunk = group[start:start + size]
                for (i, member), summary in zip(chunk, train_batch([m for _, m in chunk], out, log)):
                    summaries[i] = summary
                    locks.pop(member.run.id).close()  # written: a waiting command may read it now
                    if member.diverged:
                        diverged.append(member.diverged)
    finally:
        for lock in locks.values():
            lock.close()
    summaries = [summaries[first[run.id]] for run, _, _ in members]
    if diverged:
        raise Diverged("; ".join(diverged), summaries)
    return summaries


@dataclasses.dataclass
class Member:
    """One run of a batch: its settings, network (whose trainable tensors become views of the batch's
    weights), data, logged curves, the step it starts from and its optimizer state."""
    run: Run
    model: torch.nn.Module
    data: tasks.Data
    curves: list
    start: int
    theta: torch.Tensor
    exp_avg: torch.Tensor
    exp_avg_sq: torch.Tensor
    params: list
    decay: object
    diverged: str = ""
    norms: list = None
    """[(step, L1, L2)] of W * m after every step, float64: recorded for a run with a fixed sparse mask
    (norms_recorded), which a norm-clamped control may follow; None for the others"""


def prepare(run, model, data, out, device, log):
    """A run's Member: from its state.pt when interrupted, else at step 0 (config.json, the mask,
    theta_0 and the first evaluation written)."""
    folder, config = run_dir(out, run), config_of(run)
    model, data = model.to(device), data.to(device)
    if model.popup_scores is not None:  # a plain dict: .to() does not move it
        model.popup_scores = {n: t.detach().to(device).requires_grad_() for n, t in model.popup_scores.items()}
    params, decay = trainable(model, run)
    decay = decay.to(device) if torch.is_tensor(decay) else decay
    theta = torch.cat([p.detach().flatten() for p in params])
    exp_avg, exp_avg_sq = torch.zeros_like(theta), torch.zeros_like(theta)
    state_path = os.path.join(folder, "state.pt")
    if os.path.exists(state_path):
        state = load_checkpoint(state_path)
        if settings(state.get("config", {})) != settings(config):
            raise UsageError(f"{state_path} belongs to other settings; delete {folder} to retrain")
        theta, exp_avg, exp_avg_sq = (state[k].to(device) for k in ("theta", "exp_avg", "exp_avg_sq"))
        model.set_masks(state["masks"])
        check_clamp(run, model)
        log(f"[{run.id}] resuming at step {state['step']}")
        return Member(run, model, data, state["curves"], state["step"], theta, exp_avg, exp_avg_sq, params, decay,
                      norms=state.get("norms"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({**config, "machine": numerics.describe(device)}, f, indent=1)
    check_clamp(run, model)
    curves = [{"step": 0, **evaluate(model, data)}]
    save_atomic(model.masks(), os.path.join(folder, "mask.pt"))
    save_checkpoint(model, folder, 0)
    norms = [(0, curves[0]["l1"], curves[0]["l2"])] if norms_recorded(model, run) else None
    return Member(run, model, data, curves, 0, theta, exp_avg, exp_avg_sq, params, decay, norms=norms)


def norms_recorded(model, run):
    """Whether a run records its norms after every step (norms.pt): a network with trained weights and
    a fixed mask that removes some, a ticket, whose norm a clamped control can then follow step by step."""
    return run.train_weights and model.popup_scores is None and not model.dense


def check_clamp(run, model):
    """A clamped run (model.norm_clamp, models.Masked) needs a target for each of its steps, and
    trains its weights with fixed dense masks (the rescaling acts on its row of the batch)."""
    if model.norm_clamp is None:
        return
    q, targets = model.norm_clamp
    if q not in (1, 2) or len(targets) < run.steps + 1:
        raise UsageError(f"{run.id}: a norm clamp needs q in (1, 2) and a target for steps 0-{run.steps}, "
                         f"got q = {q} and {len(targets)} targets")
    if not (model.dense and model.popup_scores is None and run.train_weights):
        raise UsageError(f"{run.id}: only a dense network with trained weights can be norm-clamped")


def batch_key(m):
    """Runs with equal keys can be trained as one batched model."""
    run = m.run
    shapes = tuple((n, tuple(w.shape)) for n, w in m.model.weights().items())
    data = tuple(tuple(t.shape) for t in (m.data.x_train, m.data.x_test))
    return (type(m.model).__name__, shapes, data, m.data.loss, run.train_weights,
            run.popup_keep, run.lr, run.betas, run.eps, run.steps, run.ckpt_every, m.start,
            str(m.theta.device))


PAD = 16  # each run's row of the batch starts on a 64-byte boundary, as a lone run's vector does


def stack(ms):
    """Stack the members `ms` (equal batch_key) into one model with a leading run dimension. Returns
    the stacked trainable rows theta (R, N), their AdamW state and step(t): one full-batch training
    step t of every run, a batched forward pass (the network's forward_batch) and backward for all
    and one AdamW update of the stacked rows. Three named steps: pack the rows, the weight decay of
    each row, and the effective weights W * m of every run computed from the rows."""
    lead, loss = ms[0], ms[0].data.loss
    theta, exp_avg, exp_avg_sq = pack_rows(ms)
    decay = decay_rows(ms, theta.shape[1])
    effective = effective_weights(ms)
    x = torch.stack([m.data.x_train for m in ms])
    y = torch.stack([m.data.y_train for m in ms])
    forward, run0 = lead.model.forward_batch, lead.run

    def step(t):
        th = theta.detach().requires_grad_()
        grad, = torch.autograd.grad(batch_loss(forward(effective(th), x), y, loss), th)
        adamw_update(theta, grad, exp_avg, exp_avg_sq, t, run0.lr, run0.betas, run0.eps, decay)

    return theta, exp_avg, exp_avg_sq, step


def pack_rows(ms):
    """The trainable tensors of run r become row r of one (R, width) tensor theta, each row padded to
    PAD floats; each network's tensors become views of its row, so evaluate() and the checkpoints
    read them. Returns theta and the AdamW state rows, filled from the members."""
    N, device = ms[0].theta.numel(), ms[0].theta.device
    width = -(-N // PAD) * PAD
    theta, exp_avg, exp_avg_sq = (torch.zeros(len(ms), width, device=device) for _ in range(3))
    for r, m in enumerate(ms):
        theta[r, :N], exp_avg[r, :N], exp_avg_sq[r, :N] = m.theta, m.exp_avg, m.exp_avg_sq
        offset = 0
        for p in m.params:
            p.data = theta[r, offset:offset + p.numel()].view_as(p)
            offset += p.numel()
    return theta, exp_avg, exp_avg_sq


def decay_rows(ms, width):
    """AdamW's weight decay of every row: (R, 1) when each run decays all its tensors alike, else
    (R, width), element by element (edge-popup's scores may decay otherwise than its weights)."""
    device = ms[0].theta.device
    if all(not torch.is_tensor(m.decay) for m in ms):
        return torch.tensor([[m.decay] for m in ms], device=device)
    decay = torch.ones(len(ms), width, device=device)
    for r, m in enumerate(ms):
        decay[r, :m.theta.numel()] = m.decay
    return decay


def effective_weights(ms):
    """A function from the stacked rows th (R, width) to every run's effective weights {name: (R,
    *shape)}: W * m with the fixed masks, W * edge_popup_mask(scores) with learned ones, and the
    weights themselves (frozen: stacked once here) when they are not trained."""
    R, lead = len(ms), ms[0]
    names = list(lead.model.weights())
    frozen = {} if lead.run.train_weights else {n: torch.stack([m.model.weights()[n].detach() for m in ms])
                                                for n in names}
    masked = not all(m.model.dense for m in ms)
    masks = {n: torch.stack([m.model.masks()[n] for m in ms]) for n in names} if masked else {}
    trained = names if lead.run.train_weights else []
    scored = names if lead.model.popup_scores is not None else []  # edge-popup: learned masks
    keep = lead.model.popup_keep
    layout, offset = [], 0  # where each trained tensor lies in a row: (kind, name, start, shape)
    for kind, name in [("w", n) for n in trained] + [("s", n) for n in scored]:
        shape = lead.model.weights()[name].shape
        layout.append((kind, name, offset, shape))
        offset += shape.numel()

    def effective(th):
        views = {(kind, name): th[:, start:start + shape.numel()].view(R, *shape)
                 for kind, name, start, shape in layout}
        W = {}
        for name in names:
            w = views["w", name] if trained else frozen[name]
            if scored:
                w = w * edge_popup_mask(views["s", name], keep, runs=True)
            elif masked:
                w = w * masks[name]
            W[name] = w
        return W

    return effective


def train_batch(ms, out, log):
    """Train the members `ms` (equal batch_key) together (stack), logging, checkpointing and
    finishing each as its own run. Returns the summaries (None for a run that diverged)."""
    run0, start = ms[0].run, ms[0].start
    theta, exp_avg, exp_avg_sq, train_step = stack(ms)
    keep_norms = norm_keeper(ms, theta)
    progress = progress_printer(ms, log)
    t0 = time.time()
    # Ctrl-C needs no handler: state.pt, saved with each checkpoint, is where a rerun resumes.
    for step in range(start + 1, run0.steps + 1):
        train_step(step)
        keep_norms(step)
        if should_log(step, run0.steps):
            evaluate_and_log(ms, step, log)
            if all(m.diverged for m in ms):
                break
            progress(step)
        if step % run0.ckpt_every == 0 or step == run0.steps:
            save_state(ms, out, step, theta, exp_avg, exp_avg_sq)
    return [None if m.diverged else finish(m, out, time.time() - t0) for m in ms]


def norm_keeper(ms, theta):
    """keep(step), after the optimizer's step `step`: every clamped run's weights rescaled, all its
    matrices by one factor, so that their L_q norm is its target at that step (Omnigrok's constraint,
    here a ticket's norm step by step; AdamW's moments are left as they are), then the norms of
    every run that records them appended to its Member.norms. Row by row, in float64: a run gets the
    same numbers in a batch as alone."""
    N = ms[0].theta.numel()
    clamped = [(r, *m.model.norm_clamp) for r, m in enumerate(ms) if m.model.norm_clamp is not None]
    recorded = [(r, m, None if m.model.dense else torch.cat([k.flatten() for k in m.model.masks().values()]))
                for r, m in enumerate(ms) if m.norms is not None]
    if not clamped and not recorded:
        return lambda step: None

    def keep(step):
        with torch.no_grad():
            for r, q, targets in clamped:
                row = theta[r, :N]
                row.mul_(float(targets[step]) / row.double().norm(q).item())
            for r, m, mask in recorded:
                w = (theta[r, :N] if mask is None else theta[r, :N] * mask).double()
                m.norms.append((step, w.abs().sum().item(), w.norm(2).item()))
    return keep


def evaluate_and_log(ms, step, log):
    """Append each live run's evaluation at `step` to its curves; a non-finite loss marks it diverged."""
    for m in ms:
        if m.diverged:
            continue
        row = {"step": step, **evaluate(m.model, m.data)}
        m.curves.append(row)
        if not math.isfinite(row["train_loss"]):
            m.diverged = f"[{m.run.id}] loss is {row['train_loss']} at step {step}: the run diverged; lower --lr"
            log(m.diverged)


def progress_printer(ms, log, every=20.0):
    """progress(step): a line at most every `every` seconds (and at the last step) with the live runs'
    train and test accuracy (a regression: loss), ms per step and the time left."""
    R, run0, start = len(ms), ms[0].run, ms[0].start
    label = run0.id if R == 1 else f"{R} runs: {run0.id} ... {ms[-1].run.id}"
    kind, spec = ("loss", ".3g") if ms[0].data.loss == "regression" else ("acc", ".3f")
    t0, last = time.time(), [time.time()]

    def span(key):
        v = [m.curves[-1][key] for m in ms if not m.diverged]
        return format(min(v), spec) if len(set(v)) == 1 else f"{format(min(v), spec)}-{format(max(v), spec)}"

    def progress(step):
        if time.time() - last[0] <= every and step != run0.steps:
            return
        rate = (time.time() - t0) / (step - start)
        log(f"[{label}] step {step}/{run0.steps}  train {kind} {span('train_' + kind)}  "
            f"test {span('test_' + kind)}  {rate * 1e3:.2f} ms/step"
            + (f" ({rate * 1e3 / R:.2f} per run)" if R > 1 else "")
            + f"  eta {(run0.steps - step) * rate:.0f}s")
        last[0] = time.time()
    return progress


def save_state(ms, out, step, theta, exp_avg, exp_avg_sq):
    """Each live run's checkpoint at `step` and its resume state (state.pt: its row of the batch's
    weights and AdamW state, its curves and masks)."""
    N = ms[0].theta.numel()
    for r, m in enumerate(ms):
        if m.diverged:
            continue
        folder = run_dir(out, m.run)
        save_checkpoint(m.model, folder, step)
        save_atomic(dict(config=config_of(m.run), step=step, curves=m.curves,
                         theta=theta[r, :N].cpu().clone(), exp_avg=exp_avg[r, :N].cpu().clone(),
                         exp_avg_sq=exp_avg_sq[r, :N].cpu().clone(),
                         masks={n: t.cpu() for n, t in m.model.masks().items()}, norms=m.norms),
                    os.path.join(folder, "state.pt"))


def finish(m, out, seconds):
    """A finished run: its curves.csv and summary.json written (the summary last, atomically: it is
    what marks the run finished), its resume state removed. Returns the summary."""
    folder = run_dir(out, m.run)
    summary = {"run": m.run.id, "config": config_of(m.run), **measure(m.curves, m.run.threshold),
               "seconds": round(seconds, 1)}
    write_csv(os.path.join(folder, "curves.csv"), m.curves, list(m.curves[0]))
    if m.norms is not None:
        save_atomic(torch.tensor(m.norms, dtype=torch.float64), os.path.join(folder, "norms.pt"))
    with open(os.path.join(folder, "summary.json.part"), "w") as f:
        json.dump(summary, f, indent=1)
    os.replace(os.path.join(folder, "summary.json.part"), os.path.join(folder, "summary.json"))
    os.remove(os.path.join(folder, "state.pt"))
    return summary
