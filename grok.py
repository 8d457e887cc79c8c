"""Grokking tickets: the command line of the paper's experiments (experiments.py, inner.py; a
run's settings are runs.py's, its training trainer.py's).

    python grok.py --exp ticket_vs_norm                 # MLP on a+b mod 67, seed 0: base, ticket, same-L1, same-L2
    python grok.py --exp ticket --model transformer --seeds 0,1,2
    python grok.py --exp ticket_vs_norm --task mnist --data-dir data/mnist-5k   # the 5,000-digit subset shipped here
    python grok.py --exp ticket_vs_norm --task parity --seeds 0,1,2
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

Experiments (--exp), each a small function (experiments.py, inner.py) composed from train_many():
  base            the dense network groks
  ticket          base vs the grokking ticket (k = --prune-rate, magnitude of base's final weights)
  ticket_vs_norm  base, ticket, dense theta_0 rescaled to the ticket's L1 norm and to its L2 norm
  prune_rate      tickets at k = 0.1 ... 0.9
  no_wd           tickets trained without weight decay at k = 0.1 ... 0.9 and 0.80 ... 0.89
  phase_tickets   tickets from base checkpoints at 2k, 4k, ... up to the base's length
  pai             Random, SNIP, GraSP, SynFlow masks at theta_0 vs the ticket
  edge_popup      from a memorizing checkpoint: train weights / learn only the mask / both
  fourier         Fourier entropy of the hidden neurons, base vs ticket, at every checkpoint
  jaccard         distance between the base's masks 2k steps apart vs its test-accuracy jumps
  graph           spectral gaps, Ramanujan gap, path length of the base's masks over its training,
                  and of the edge-popup arms' masks at steps 600, 1,000, 1,400, 2,000
  ops             base vs ticket for every modular operation (add, sub, mul, x2y2, x2xyy2, x3xy)
  mask_or_init    ours: the ticket's mask on a fresh theta_0' (reinit), and shuffled within each
                  matrix / each row, vs the ticket and base: is the ticket its mask, or its mask on theta_0?
  norm_clamp      ours: dense controls held at the ticket's L1 / L2 norm after every step (clamp_l1,
                  clamp_l2) and at its final L2 norm from step 0 (sphere_l2), beside same_l1 / same_l2
  plateau         ours: where a base that stopped short of P is wrong (by answer, by |a - b|, by
                  token), how stable its wrong pairs are, its embedding's Fourier spectrum

Tasks (--task): modular operations (add, the paper's; sub, mul, x2y2, x2xyy2, x3xy), mnist / fashion,
and v3's poly (polynomial regression, a loss-based task: t_gen is the first step whose test loss is
at most (1 - P) times its initial value) and parity (sparse parity, 3 of 40 bits); tasks.py says how
each is built. base, ticket, ticket_vs_norm, prune_rate, no_wd, phase_tickets and mask_or_init run on every task,
pai on every task but poly (GraSP needs a cross-entropy), norm_clamp and plateau on the modular tasks.
"""
import argparse
import dataclasses
import os
import sys
import time

import numerics

# Before torch is imported: its CPU kernels and MKL's pinned to AVX2 (numerics.py), unless asked not to.
numerics.pin(native="--native-numerics" in sys.argv[1:])
import torch  # noqa: E402

import experiments as ex
import inner
import tasks
from paper import IMAGE_TASKS, POPUP_STEPS, TASK_DEFAULTS, family
from runs import MODELS, VECTOR_TASKS, UsageError
from tables import mean_std
from trainer import Diverged

TASKS = tuple(tasks.OPERATIONS) + IMAGE_TASKS + tuple(VECTOR_TASKS)

EXPERIMENTS = {"base": ex.exp_base, "ticket": ex.exp_ticket, "ticket_vs_norm": ex.exp_ticket_vs_norm,
               "prune_rate": ex.exp_prune_rate, "no_wd": ex.exp_no_wd, "phase_tickets": ex.exp_phase_tickets,
               "pai": ex.exp_pai, "edge_popup": ex.exp_edge_popup, "fourier": inner.exp_fourier,
               "jaccard": inner.exp_jaccard, "graph": inner.exp_graph, "ops": ex.exp_ops,
               "mask_or_init": ex.exp_mask_or_init, "norm_clamp": ex.exp_norm_clamp,
               "plateau": inner.exp_plateau}


def print_table(rows):
    """One line per run, then mean ± std per arm (and pruning rate) over seeds."""
    extras = [c for c in ("source_step", "source_test_acc") + tuple(f"acc_{s}" for s in POPUP_STEPS)
              if any(r.get(c) not in (None, "") for r in rows)]
    cell = lambda v, spec: format("-" if v is None or v == "" else format(v, spec), ">" + spec.split(".")[0])
    aw = max([11] + [len(r["arm"]) for r in rows])  # arm column wide enough for ticket_trained, edge_popup's arms
    print(f"\n{'arm':{aw}} {'seed':>4} {'k':>5} {'t_mem':>6} {'t_gen':>11} {'tau_grok':>8} {'train':>6} "
          f"{'test':>6} {'L1(0)':>9} {'L2(0)':>7}" + "".join(f" {c:>15}" for c in extras))
    for r in rows:
        t_gen = "not reached" if r["t_gen"] is None else r["t_gen"]
        print(f"{r['arm']:{aw}} {r['seed']:>4} {r['prune_rate']:>5g} {cell(r['t_mem'], '6')} {t_gen:>11} "
              f"{cell(r['tau_grok'], '8.1f')} {cell(r['final_train_acc'], '6.3f')} "
              f"{cell(r['final_test_acc'], '6.3f')} "
              f"{r['l1_init']:>9.1f} {r['l2_init']:>7.2f}"
              + "".join(f" {cell(r.get(c), '15.6g')}" for c in extras))
    groups = {}
    for r in rows:
        groups.setdefault((r["arm"], r["prune_rate"], r.get("source_step")), []).append(r)
    if len(rows) > len(groups):
        final = "final_test_acc" if any(r["final_test_acc"] is not None for r in rows) else "final_test_loss"
        print(f"\n{'arm':{aw}} {'k':>5} {'runs':>4} {'t_mem':>17} {'t_gen':>17} {final.replace('_', ' '):>15}")
        for (arm, k, _), rs in groups.items():
            cell = lambda key, spec: mean_std([r[key] for r in rs], spec, "not reached")
            print(f"{arm:{aw}} {k:>5g} {len(rs):>4} {cell('t_mem', ',.0f'):>17} {cell('t_gen', ',.0f'):>17} "
                  f"{cell(final, '.3f'):>15}")


# ---------------------------------------------------------------------------------------------------
# Command line

CPU_BATCH = 9  # bench.py --runs on 2 CPU cores: 1.3-1.5x faster per run-step at 3-9 runs, slower from 27


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit 2
        raise UsageError(message)


def parse_args(argv):
    paragraphs = __doc__.split("\n\n")
    ap = Parser(prog="grok.py", description="\n\n".join(paragraphs[i] for i in (2, 4, 5)),
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="Defaults are the paper's settings for the task (arXiv:2310.19470 and the authors' code): modular "
                       "arithmetic 50,000 steps, weight decay 1.0, P = 0.95; MNIST 100,000 steps, "
                       "weight decay 0.1, P = 0.85, MSE loss. poly: the authors' config, 10,000 steps, "
                       "lr 1e-2, weight decay 1; parity: ours, 20,000 steps, lr 1e-2, weight decay 0.1 "
                       "(paper.py, TASK_DEFAULTS).")
    what = ap.add_argument_group("what to run")
    what.add_argument("--exp", default="ticket_vs_norm", choices=EXPERIMENTS, metavar="EXP",
                    help=f"one of {', '.join(EXPERIMENTS)} (default ticket_vs_norm)")
    what.add_argument("--task", default="add", choices=TASKS, metavar="TASK", help=f"one of {', '.join(TASKS)} (default add). poly: "
                    "v3's polynomial regression, parity: v3's sparse parity (data: tasks.py; defaults: paper.py, TASK_DEFAULTS)")
    what.add_argument("--model", default="mlp", choices=MODELS, help="mlp or transformer (images, poly, parity: mlp, "
                    "the task's own network)")
    what.add_argument("--seeds", default="0", help="comma-separated seeds or ranges: 0,1,2 or 3-9 (default 0)")
    tickets = ap.add_argument_group("tickets and their controls")
    tickets.add_argument("--prune-rate", type=float, default=0.6,
                    help="k, the fraction of weights REMOVED by the ticket's mask (default 0.6)")
    tickets.add_argument("--prune-rates", help="the k grid of prune_rate and no_wd (default 0.1,...,0.9; "
                    "no_wd adds 0.80,...,0.89)")
    tickets.add_argument("--scope", default="global", choices=("global", "layer"), help="magnitude pruning scope: global or layer")
    tickets.add_argument("--arms", help="the arms to train besides base and the ticket, comma-separated "
                         "(default all): " + "; ".join(f"{e} " + ", ".join(a) for e, a in ex.ARMS.items()))
    training = ap.add_argument_group("training (defaults: the paper's, per task)")
    training.add_argument("--steps", type=int, help="training steps (default 50,000; 100,000 for images; "
                    "10,000 for poly; 20,000 for parity; "
                    "edge_popup: the arms' steps, default 2,000, theta_mem at half of it)")
    training.add_argument("--popup-steps", type=int, default=2000, help="the edge-popup arms' steps in "
                    "--exp graph, and in --exp edge_popup unless --steps is given (default 2,000, v3 Table 1)")
    training.add_argument("--lr", type=float, help="AdamW learning rate (default 1e-3; 1e-2 for poly and parity)")
    training.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 1.0; 0.1 for images "
                    "and parity)")
    training.add_argument("--threshold", type=float, help="P for t_mem/t_gen (0.95; 0.85 for images; poly, "
                    "a regression: the fraction of its initial loss the loss must lose, 0.95)")
    training.add_argument("--ckpt-every", type=int, help="checkpoint interval (2,000 steps; edge_popup: 200, "
                    "so that v3 Table 1's steps 600, 1,000, 1,400 and 2,000 are checkpoints)")
    data = ap.add_argument_group("data")
    data.add_argument("--p", type=int, default=67, help="modulus (default 67)")
    data.add_argument("--frac-train", type=float, default=0.4, help="training fraction of the pairs (0.4)")
    data.add_argument("--ordered", action="store_true", help="all p^2 ordered pairs, not a <= b")
    data.add_argument("--n-train", type=int, help="training examples of images and parity (default "
                    "1,000) and poly (default 100)")
    data.add_argument("--data-dir", help="IDX files folder (default data/mnist, the full "
                    "MNIST, downloaded; data/mnist-5k is the 5,000-digit subset shipped with the repository, "
                    "on which results/mnist was made; /usr/share/datasets/fashion-mnist for fashion)")
    machine = ap.add_argument_group("where the results go, and the machine")
    machine.add_argument("--out", default="runs", help="results folder (default runs/)")
    machine.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="auto, cpu or cuda")
    machine.add_argument("--batch", type=int, help="at most this many runs trained as one batched model "
                    f"(default: {CPU_BATCH} on the CPU, where larger batches fall out of cache, measured; "
                    "0 = no cap, the default on a GPU; 1 = one run at a time). A run's result does not "
                    "depend on it")
    machine.add_argument("--threads", type=int, default=1, help="intra-op threads of this process (default 1: "
                    "the bits do not depend on it, and two commands on a 2-core machine each want one)")
    machine.add_argument("--native-numerics", action="store_true", help="let torch and MKL pick this CPU's "
                    "fastest kernels (AVX-512 where there is one) instead of the portable AVX2 ones: "
                    "other step counts than the README's, and run ids of their own (numerics.py)")
    args = ap.parse_args(argv)

    image, vector = args.task in IMAGE_TASKS, args.task in VECTOR_TASKS
    if (image or vector) and args.model != "mlp":
        raise UsageError(f"--task {args.task} has one model, its MLP: drop --model {args.model}")
    if args.ordered and args.model == "mlp" and not (image or vector) and not tasks.commutative(args.task, args.p):
        raise UsageError(f"--ordered --task {args.task}: the MLP sees E[a] + E[b], cannot tell (a, b) "
                         f"from (b, a) and so can never fit {args.task} on ordered pairs; use --model "
                         "transformer or drop --ordered")
    steps_given, ckpt_every_given, rates_given = args.steps, args.ckpt_every, args.prune_rates
    args.ckpt_every = args.ckpt_every or 2000
    args.prune_rates = args.prune_rates or ",".join(f"{k / 10:g}" for k in range(1, 10))
    for name, value in TASK_DEFAULTS[family(args.task)].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.seeds = parse_seeds(args.seeds)
    try:
        args.prune_rates = [float(k) for k in args.prune_rates.split(",")]
    except ValueError:
        raise UsageError(f"--prune-rates must be comma-separated numbers, got {args.prune_rates!r}") from None
    args.arms = tuple(args.arms.split(",")) if args.arms else ()
    checks = [(not args.arms or args.exp in ex.ARMS, f"--arms chooses the arms of {' and '.join(ex.ARMS)}"),
              (set(args.arms) <= set(ex.ARMS.get(args.exp, args.arms)),
               f"--arms: choose from {', '.join(ex.ARMS.get(args.exp, ()))}"),
              (args.steps > 0 and args.popup_steps > 0, "--steps and --popup-steps must be positive"),
              (all(0 <= k < 1 for k in [args.prune_rate] + args.prune_rates),
               "--prune-rate k (the fraction removed) must be in [0, 1)"),
              (args.p >= 2, "--p must be at least 2"),
              (0 < args.frac_train < 1, "--frac-train must be in (0, 1)"),
              (args.lr > 0, "--lr must be positive"),
              (args.weight_decay >= 0, "--weight-decay must be non-negative"),
              (0 < args.threshold <= 1, "--threshold must be in (0, 1]"),
              (args.n_train > 0, "--n-train must be positive"),
              (args.ckpt_every > 0, "--ckpt-every must be positive"),
              (args.batch is None or args.batch >= 0, "--batch must be 0 (no cap) or positive"),
              (args.threads > 0, "--threads must be positive"),
              (args.exp not in ("norm_clamp", "plateau") or family(args.task) == "modular",
               f"--exp {args.exp} runs on modular arithmetic (the MLP or the Transformer): use a modular --task")]
    for ok, message in checks:
        if not ok:
            raise UsageError(f"{message}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is available here; use --device cpu")
    args.device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(args.threads)
    args.numerics = numerics.key(args.device)
    if args.native_numerics and numerics.portable(args.numerics):
        raise UsageError("--native-numerics: torch was imported with the portable kernels already "
                         "(call grok.py as a command, or unset ATEN_CPU_CAPABILITY / MKL_CBWR)")
    if args.batch is None:
        args.batch = CPU_BATCH if args.device == "cpu" else 0
    args.data = ""
    if image:  # downloaded first if missing: a run's identity holds what its data is (runs.Run.data)
        args.data_dir = os.path.abspath(args.data_dir or tasks.DEFAULT_DIRS[args.task])
        args.data = tasks.idx_digest(args.data_dir, args.task)
    if args.exp == "no_wd" and rates_given is None:  # the paper's grid and, around its critical k, 0.80 ... 0.89
        args.prune_rates = sorted(set(args.prune_rates) | {round(0.80 + i / 100, 2) for i in range(10)})
    # --exp edge_popup: --steps / --ckpt-every, when given, are its arms' (--exp graph trains them at
    # --popup-steps and checkpoints them every 200 steps, as v3 Table 1 needs)
    popup = args.exp == "edge_popup"
    return ex.Settings(**{f.name: getattr(args, f.name) for f in dataclasses.fields(ex.Settings)
                          if f.name not in ("seeds", "prune_rates", "popup_steps", "popup_ckpt_every", "data_dir")},
                       seeds=tuple(args.seeds), prune_rates=tuple(args.prune_rates), data_dir=args.data_dir or "",
                       popup_steps=(popup and steps_given) or args.popup_steps,
                       popup_ckpt_every=(popup and ckpt_every_given) or ex.POPUP_CKPT_EVERY)


def parse_seeds(text):
    """'0,1,2' or '3-9' or '0,5-7': the seeds, in order, each once."""
    seeds = []
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            for s in range(int(first), int(last or first) + 1):
                seeds += [s] if s not in seeds else []
    except ValueError:
        seeds = []
    if not seeds:
        raise UsageError(f"--seeds must be comma-separated seeds or ranges (0,1,2 or 3-9), got {text!r}")
    return seeds


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
        print(f"grok.py: error: {e.strerror}" + (f": {e.filename}" if e.filename else ""), file=sys.stderr)
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
