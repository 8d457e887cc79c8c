"""Figures of every comparison, from the CSVs alone (summary.csv and curves.csv under --out).

    python -m replication.plot --out runs/mlp        # writes runs/mlp/<exp>_<task>_<model>.png, as in results/mlp

One PNG per experiment and task/model, mirroring the paper's figures: test accuracy against step for
every arm (log-scaled steps), with the second panel the experiment's summary (L1/L2 norms for
ticket_vs_norm, tau_grok against k for prune_rate, t_gen per arm for mask_or_init, final test accuracy against k for no_wd, against
the mask's source step for phase_tickets; the edge-popup arms next to v3's Table 1; the Fourier
entropy of base and ticket over training; the mask distance next to the test-accuracy jumps; the
graph metrics of the base's masks), graph_popup_<task>_<model>.png (the edge-popup arms' masks as
graphs next to v3 Table 1's), the test loss instead of accuracy for a regression; and,
where the pai runs' folders are there, weights_pai_seed<s>.png: the masks and neurons of the ticket and
of each PaI mask (v3 App. I); and for ticket_vs_norm, mask_or_init, pai and norm_clamp,
seeds_<exp>_<task>_<model>.png: t_gen of every arm on every seed (a run that never reached P drawn at
the top, marked) and the fraction of seeds that have reached P by each step, one Kaplan-Meier curve per
arm (intervals.kaplan_meier: a run that never reached P is censored at its length); for norm_clamp,
norms_norm_clamp_<task>_<model>.png: the L1 and L2 norms of every arm, seeds overlaid (and with
--norms results/mlp results/transformer --out results, results/norms_norm_clamp.png: both networks in
one figure, a row each); for plateau,
plateau_errors_<task>_<model>.png: each base's wrong test pairs and its embedding's spectrum. Needs matplotlib
(optional: pip install matplotlib).
"""
import argparse
import os
import statistics
import sys
from collections import defaultdict

from replication.intervals import kaplan_meier
from paper import PAPER_TABLE_1, PAPER_TABLE_1_GRAPH, POPUP_STEPS  # v3 Table 1
from tables import number, read_csv



def label(r):
    extra = {"prune_rate": f" k={number(r['prune_rate']):g}", "no_wd": f" k={number(r['prune_rate']):g}",
             "phase_tickets": f" from {r.get('source_step', '')}"}.get(r["exp"], "")
    return r["arm"] + (extra if r["arm"] == "ticket" else "")


def curves_panel(ax, runs, curves, exp, plt):
    """Test accuracy against step, one line per run (the lowest seed bold, the others faint); the test loss
    (log scale) for a regression, whose curves have no accuracy."""
    tickets = [r for r in runs if r["arm"] == "ticket"]
    y = "test_acc" if any(number(c["test_acc"]) is not None for r in runs for c in curves[(exp, r["run"])]) \
        else "test_loss"
    cmap = plt.get_cmap("viridis")
    shades = list(dict.fromkeys(label(t) for t in tickets))  # one colour per k / source step, every seed
    lead = min((r["seed"] for r in runs), key=int)  # the lowest seed drawn bold and labelled
    for r in runs:
        rows = curves[(exp, r["run"])]
        steps = [max(number(c["step"]), 1) for c in rows]
        color = f"C{list(dict.fromkeys(x['arm'] for x in runs)).index(r['arm'])}"
        if r["arm"] == "ticket" and len(shades) > 2:
            color = cmap(shades.index(label(r)) / (len(shades) - 1))
        ax.plot(steps, [number(c[y]) for c in rows], color=color, lw=1.6 if r["seed"] == lead else 0.6,
                alpha=1 if r["seed"] == lead else 0.5, label=label(r) if r["seed"] == lead else None)
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("test accuracy" if y == "test_acc" else "test loss (MSE)")
    if y == "test_loss":
        ax.set_yscale("log")
    ax.legend(fontsize=6, ncol=2)


def by_x(runs, x, y):
    """mean of y over seeds for each x, sorted by x."""
    groups = defaultdict(list)
    for r in runs:
        if number(r[y]) is not None:
            groups[number(r[x])].append(number(r[y]))
    xs = sorted(groups)
    return xs, [statistics.mean(groups[k]) for k in xs]


SUMMARY_PANELS = ("ticket_vs_norm", "prune_rate", "no_wd", "phase_tickets", "edge_popup", "fourier", "jaccard",
                  "graph", "mask_or_init")


def graph_panel(ax, runs, analysis, exp):
    """The Ramanujan gap (solid, left axis) and the weighted spectral gap (dashed, right axis) of the
    runs' masks over their checkpoints, seed 0, with v3 Table 1's EP values (crosses)."""
    weighted = ax.twinx()
    for i, arm in enumerate(dict.fromkeys(r["arm"] for r in runs)):
        for r in runs:
            if r["arm"] != arm or r["seed"] != "0" or not analysis.get((exp, r["run"])):
                continue
            for metric, axis, ls in (("ramanujan_gap", ax, "-"), ("weighted_spectral_gap", weighted, "--")):
                points = sorted((int(a["step"]), number(a["value"])) for a in analysis[(exp, r["run"])]
                                if a["metric"] == metric)
                axis.plot([s for s, _ in points], [v for _, v in points], ls=ls, color=f"C{i}",
                          label=arm if metric == "ramanujan_gap" else None)
                if (arm, metric) in PAPER_TABLE_1_GRAPH:
                    axis.plot(POPUP_STEPS, PAPER_TABLE_1_GRAPH[arm, metric], "x", color=f"C{i}")
    ax.set_xlabel("step")
    ax.set_ylabel("Ramanujan gap 2 sqrt(d_avg - 1) - mu (solid)")
    weighted.set_ylabel("weighted spectral gap (dashed; x: v3 Table 1, EP)")
    ax.legend(fontsize=6)


def summary_panel(ax, exp, runs, curves, analysis):
    tickets = [r for r in runs if r["arm"] == "ticket"]
    metric = lambda r, m: sorted((int(a["step"]), number(a["value"])) for a in analysis[(exp, r["run"])]
                                 if a["metric"] == m)
    if exp == "fourier":  # the mean Fourier entropy of the neurons' input weights, every checkpoint
        for r in runs:
            points = metric(r, "entropy_in")
            ax.plot([s for s, _ in points], [v for _, v in points], color="C1" if r["arm"] == "ticket" else "C0",
                    lw=1.6 if r["seed"] == "0" else 0.6, label=r["arm"] if r["seed"] == "0" else None)
        ax.set_xlabel("step")
        ax.set_ylabel("Fourier entropy of the neurons' input weights")
        ax.legend(fontsize=6)
    elif exp == "jaccard":  # mask distance 2k steps apart (left axis) and the test-accuracy change (right)
        jumps = ax.twinx()
        for r in runs:
            for m, axis, ls in (("jaccard_all", ax, "-"), ("d_test_acc", jumps, ":")):
                points = metric(r, m)
                axis.plot([s for s, _ in points], [v for _, v in points], ls=ls, color=f"C{r['seed']}",
                          label=f"seed {r['seed']}" if m == "jaccard_all" else None)
        ax.set_xlabel("step (end of the 2k-step interval)")
        ax.set_ylabel("Jaccard distance of the k = 0.6 masks (solid)")
        jumps.set_ylabel("change in test accuracy (dotted)")
        ax.legend(fontsize=6)
    elif exp == "ticket_vs_norm":  # L2 norms (solid, left axis) converge, L1 norms (dashed, right) do not
        l1_axis = ax.twinx()
        for i, r in enumerate(r for r in runs if r["seed"] == "0"):
            rows = curves[(exp, r["run"])]
            steps = [max(number(c["step"]), 1) for c in rows]
            ax.plot(steps, [number(c["l2"]) for c in rows], color=f"C{i}", label=f"{r['arm']} L2")
            l1_axis.plot(steps, [number(c["l1"]) for c in rows], color=f"C{i}", ls="--", label=f"{r['arm']} L1")
        ax.set_xscale("log")
        ax.set_ylabel("L2 norm of the effective weights (solid)")
        l1_axis.set_ylabel("L1 norm (dashed)")
        ax.set_xlabel("step")
        ax.legend(fontsize=6, loc="upper left")
    elif exp == "prune_rate":
        ax.plot(*by_x(tickets, "prune_rate", "tau_grok"), "o-", label="ticket tau_grok = t_gen / t_mem")
        base = [number(r["tau_grok"]) for r in runs if r["arm"] == "base" and number(r["tau_grok"])]
        if base:
            ax.axhline(statistics.mean(base), color="k", ls="--", label="base")
        ax.set_yscale("log")
        ax.set_xlabel("pruning rate k (fraction removed)")
        ax.set_ylabel("tau_grok (not reached: no point)")
        ax.legend(fontsize=6)
    elif exp == "no_wd":
        ax.plot(*by_x(tickets, "prune_rate", "final_test_acc"), "o-", label="ticket, weight decay 0")
        for arm, ls in (("base", "--"), ("base_no_wd", ":")):
            vals = [number(r["final_test_acc"]) for r in runs if r["arm"] == arm]
            if vals:
                ax.axhline(statistics.mean(vals), color="k", ls=ls, label=arm)
        ax.set_xlabel("pruning rate k")
        ax.set_ylabel("final test accuracy")
        ax.legend(fontsize=6)
    elif exp == "phase_tickets":
        ax.plot(*by_x(tickets, "source_step", "final_test_acc"), "o-", label="ticket: final test acc")
        ax.plot(*by_x(tickets, "source_step", "source_test_acc"), "s--", label="base: test acc at source step")
        ax.set_xlabel("step of the base checkpoint the mask comes from")
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=6)
    elif exp == "mask_or_init":  # t_gen of every arm and seed (not reached: at the run's length, open)
        arms = list(dict.fromkeys(r["arm"] for r in runs))  # the colours of the left panel
        for i, arm in enumerate(arms):
            for r in runs:
                if r["arm"] == arm:
                    t = number(r["t_gen"])
                    x = i + (int(r["seed"]) - 1) * 0.15
                    ax.plot(x, t if t is not None else number(r["steps"]), "o", color=f"C{i}",
                            fillstyle="full" if t is not None else "none")
        ax.set_xticks(range(len(arms)), arms, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("t_gen, seeds 0-2 (open: never)")
    elif exp == "graph":  # the base's k = 0.6 masks over its training
        graph_panel(ax, runs, analysis, "graph")
    elif exp == "edge_popup":
        arms = list(dict.fromkeys(r["arm"] for r in runs))  # the colours of the left panel
        for i, arm in enumerate(arms):
            if arm in PAPER_TABLE_1:
                ax.plot(POPUP_STEPS, PAPER_TABLE_1[arm], "x:", color=f"C{i}", label=f"{arm} (paper)")
            for r in runs:
                if r["arm"] == arm and r["seed"] == "0" and arm != "mem":
                    rows = curves[(exp, r["run"])]
                    ax.plot([number(c["step"]) for c in rows], [number(c["test_acc"]) for c in rows], color=f"C{i}",
                            ls="--" if "_sd" in arm else "-", label=arm)
        ax.set_xlabel("step after theta_mem")
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=6)


def weights_figure(out, runs, plt):
    """v3 App. I: for each run (the grokking ticket and the PaI masks of one seed), its neurons' input
    weights (W_in m)(W_E m) at the end of training, and their amplitude spectrum over the frequencies
    1 ... p/2 at the start (theta_0 * m: what the mask alone does) and at the end. Reads the runs'
    mask.pt and checkpoints (torch)."""
    import torch

    import analysis
    fig, axes = plt.subplots(len(runs), 3, figsize=(12, 2.2 * len(runs)), squeeze=False)
    for row, r in zip(axes, runs):
        folder = os.path.join(out, r["run"])
        masks = torch.load(os.path.join(folder, "mask.pt"))
        spectra = []
        for step in (0, int(float(r["steps"]))):
            weights = torch.load(os.path.join(folder, "ckpt", f"step_{step:06d}.pt"))
            neurons = analysis.neuron_rows(weights, masks)["in"]
            spectra.append(torch.fft.fft(neurons.double(), dim=1).abs()[:, 1:neurons.shape[1] // 2 + 1])
        for ax, image, title in ((row[0], neurons, "(W_in m)(W_E m) at the end: neuron x token"),
                                 (row[1], spectra[0], "its |DFT| at theta_0 * m: neuron x frequency"),
                                 (row[2], spectra[1], "its |DFT| at the end: neuron x frequency")):
            ax.imshow(image.numpy(), aspect="auto", interpolation="nearest", cmap="viridis")
            ax.set_title(f"{r['arm']}: {title}", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


SEED_FIGURES = ("ticket_vs_norm", "mask_or_init", "pai", "norm_clamp")
NORM_ARMS = ("base", "ticket", "same_l1", "same_l2", "clamp_l1", "clamp_l2", "sphere_l2")


def norms_figure(networks, plt):
    """norm_clamp's norms: the L2 (left) and L1 (right) norm of the effective weights W * m against
    step for every arm, every seed overlaid (the lowest seed bold), one row of panels per network.
    `networks`: (name, runs, curves), runs the (exp, row) pairs of norm_clamp and of ticket_vs_norm's
    free controls of the same seeds and length (the same runs), curves by (exp, run)."""
    fig, grid = plt.subplots(len(networks), 2, figsize=(11, 4 * len(networks)), squeeze=False)
    for axes, (name, runs, curves) in zip(grid, networks):
        arms = [a for a in NORM_ARMS if any(r["arm"] == a for _, r in runs)]
        lead = min((r["seed"] for _, r in runs), key=int)
        for ax, norm in zip(axes, ("l2", "l1")):
            for exp, r in runs:
                rows = curves[(exp, r["run"])]
                i = arms.index(r["arm"])
                ax.plot([max(number(c["step"]), 1) for c in rows], [number(c[norm]) for c in rows], color=f"C{i}",
                        lw=1.4 if r["seed"] == lead else 0.5, alpha=1 if r["seed"] == lead else 0.6,
                        ls="--" if r["arm"].startswith(("clamp", "sphere")) else "-",
                        label=r["arm"] if r["seed"] == lead else None)
            ax.set_xscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel(f"{norm.upper()} norm of W * m")
            ax.legend(fontsize=6)
        seeds = ",".join(sorted({r["seed"] for _, r in runs}, key=int))
        axes[0].set_title(f"{name}, seeds {seeds}: clamp_l2 on the ticket's curve by construction; sphere_l2 flat",
                          fontsize=8)
        axes[1].set_title(f"{name}: clamp_l1 on the ticket's curve by construction", fontsize=8)
    return fig


def norm_runs(summary, curves, task, model):
    """The runs of the norms figure for one network: norm_clamp's, and ticket_vs_norm's free controls
    (same_l1, same_l2) of the same seeds and length, which norm_clamp reuses (the same run ids)."""
    runs = [r for r in summary if r["exp"] == "norm_clamp" and (r["task"], r["model"]) == (task, model)]
    ids, mine = {r["run"] for r in runs}, {(r["seed"], r["steps"]) for r in runs}
    free = [r for r in summary if r["exp"] == "ticket_vs_norm" and (r["task"], r["model"]) == (task, model)
            and (r["seed"], r["steps"]) in mine and r["arm"] in ("same_l1", "same_l2")
            and r["run"] not in ids and curves.get(("ticket_vs_norm", r["run"]))]
    return [("norm_clamp", r) for r in runs] + [("ticket_vs_norm", r) for r in free]


def seeds_figure(runs, plt):
    """Left: t_gen of each arm on each seed (log scale, one dot a seed; a run that never reached P at
    the top, as an x). Right: the fraction of seeds whose run has reached P by each step, per arm: a
    Kaplan-Meier curve, the runs that never reached it censored at their length."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    arms = list(dict.fromkeys(r["arm"] for r in runs if r["arm"] != "ticket_trained"))
    top = max(number(r["steps"]) for r in runs) * 1.6
    for i, arm in enumerate(arms):
        mine = sorted((r for r in runs if r["arm"] == arm), key=lambda r: int(r["seed"]))
        times = [number(r["t_gen"]) for r in mine]
        reached = [(i + 0.15 * (j / max(len(mine) - 1, 1) - 0.5), t) for j, t in enumerate(times) if t is not None]
        never = [i + 0.15 * (j / max(len(mine) - 1, 1) - 0.5) for j, t in enumerate(times) if t is None]
        left.scatter([x for x, _ in reached], [t for _, t in reached], color=f"C{i}", s=18)
        left.scatter(never, [top] * len(never), color=f"C{i}", marker="x", s=28)
        steps, fraction = kaplan_meier(times, [number(r["steps"]) for r in mine])
        right.step(steps + [max(number(r["steps"]) for r in mine)], fraction + fraction[-1:], where="post",
                   color=f"C{i}", label=f"{arm} ({sum(t is not None for t in times)}/{len(times)})")
    left.axhline(top / 1.25, color="grey", lw=0.5, ls=":")
    left.set_title("one dot a seed; x: never reached P in the run (censored)", fontsize=8)
    left.set_yscale("log")
    left.set_ylim(top=top * 1.3)
    left.set_xticks(range(len(arms)), arms, fontsize=8)
    left.set_ylabel("t_gen (step of P test accuracy)")
    right.set_xscale("symlog", linthresh=100)
    right.set_xlabel("step")
    right.set_ylabel("fraction of seeds that reached P")
    right.set_ylim(0, 1.02)
    right.legend(fontsize=7)
    return fig


def plateau_figure(runs, analysis, plt):
    """--exp plateau: for each seed's base, its wrong test pairs at the last step as a p x p picture
    (a down, b across; grey: training pairs or not in the unordered test set), titled with its final
    test accuracy; below, the token embedding's Fourier spectrum (share of energy per frequency); at the
    bottom, where the wrong answers go: how many are c +- d for each offset d (bars) and the right
    answer's mean margin over c +- d (line, right axis: the smallest margins are the "ghost" answers)."""
    runs = sorted(runs, key=lambda r: (float(r["steps"]), int(r["seed"])))
    offsets = any(a["metric"].startswith("offset_gap_") for r in runs for a in analysis[("plateau", r["run"])])
    fig, axes = plt.subplots(2 + offsets, len(runs), figsize=(2.3 * len(runs), 2.3 * (2 + offsets)), squeeze=False)
    for i, r in enumerate(runs):
        rows = analysis[("plateau", r["run"])]
        p = int(number(r.get("p")) or 67)
        picture = [[0.0] * p for _ in range(p)]
        for a in rows:
            if a["metric"] == "wrong_pair":
                v = int(number(a["value"]))
                picture[v // p][v % p] = 1.0
        axes[0][i].imshow(picture, cmap="Reds", vmin=0, vmax=1)
        axes[0][i].set_title(f"seed {r['seed']}, {number(r['steps']) / 1000:g}k: test {number(r['final_test_acc']):.3f}",
                             fontsize=8)
        axes[0][i].set_xticks([])
        axes[0][i].set_yticks([])
        spectrum = sorted((int(a["metric"].split("_")[1]), number(a["value"])) for a in rows
                          if a["metric"].startswith("spectrum_"))
        axes[1][i].bar([f for f, _ in spectrum], [s for _, s in spectrum], color="C3" if number(r["t_gen"]) is None else "C0")
        axes[1][i].set_xlabel("frequency", fontsize=7)
        axes[1][i].tick_params(labelsize=6)
        if offsets:
            wrong, gap = (sorted((int(a["metric"].rsplit("_", 1)[1]), number(a["value"])) for a in rows
                                 if a["metric"].startswith(f"offset_{name}_")) for name in ("wrong", "gap"))
            if wrong:  # a base analysed before answer_offsets existed has none
                axes[2][i].bar(*zip(*wrong), color="C3")
                margin = axes[2][i].twinx()
                margin.plot(*zip(*gap), color="k", lw=0.8)
                margin.tick_params(labelsize=6)
            axes[2][i].set_xlabel("offset d of the answer c ± d", fontsize=7)
            axes[2][i].tick_params(labelsize=6)
    axes[0][0].set_ylabel("wrong test pairs (a, b)", fontsize=7)
    axes[1][0].set_ylabel("W_E energy share", fontsize=7)
    if offsets:
        axes[2][0].set_ylabel("wrong answers (bars); mean margin (line)", fontsize=6)
    return fig


def save(fig, out, name, plt, title=None, **title_style):
    """out/<name>.png, with its title (and the layout made tight) when given; its path printed."""
    if title:
        fig.suptitle(title, **title_style)
        fig.tight_layout()
    path = os.path.join(out, name + ".png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(path)


def read(folder):
    """summary rows, curves by (exp, run) and analyses by (exp, run) from a folder's CSVs."""
    summary = read_csv(os.path.join(folder, "summary.csv"))
    curves, analysis = defaultdict(list), defaultdict(list)
    for c in read_csv(os.path.join(folder, "curves.csv")):
        curves[(c["exp"], c["run"])].append(c)
    if os.path.exists(os.path.join(folder, "analysis.csv")):
        for a in read_csv(os.path.join(folder, "analysis.csv")):
            analysis[(a["exp"], a["run"])].append(a)
    return summary, curves, analysis


def main():
    ap = argparse.ArgumentParser(prog="python -m replication.plot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="runs", help="the folder with summary.csv and curves.csv (with --norms: where "
                                                  "the figure goes)")
    ap.add_argument("--norms", nargs="+", metavar="FOLDER", help="instead: one figure of norm_clamp's norms, a row of "
                    "panels per network found in these folders (e.g. results/mlp results/transformer), written to "
                    "--out as norms_norm_clamp.png")
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("python -m replication.plot: error: the figures need matplotlib, which is optional: pip install matplotlib",
              file=sys.stderr)
        return 2
    try:
        found = [(folder, read(folder)) for folder in (args.norms or [args.out])]
    except OSError as e:
        print(f"python -m replication.plot: error: {e.filename}: no results there (run grok.py with --out "
              f"{os.path.dirname(e.filename)})", file=sys.stderr)
        return 2
    if args.norms:
        networks = [(f"{task}, {model}", norm_runs(summary, curves, task, model), curves)
                    for _, (summary, curves, _) in found
                    for task, model in sorted({(r["task"], r["model"]) for r in summary if r["exp"] == "norm_clamp"})]
        if not networks:
            print(f"python -m replication.plot: error: no norm_clamp runs in {', '.join(args.norms)}", file=sys.stderr)
            return 2
        os.makedirs(args.out, exist_ok=True)
        save(norms_figure(networks, plt), args.out, "norms_norm_clamp", plt, "norm_clamp: the norms of every arm")
        return 0
    summary, curves, analysis = found[0][1]
    figures = defaultdict(list)
    for r in summary:
        figures[(r["exp"], r["task"], r["model"])].append(r)
    for key, runs in list(figures.items()):
        lengths = sorted({float(r["steps"]) for r in runs if r["arm"] == "base"})
        if len(lengths) > 1:  # a base extended (or an earlier shorter one): one figure per length
            del figures[key]
            for steps in lengths:
                figures[key + (f"{steps / 1000:g}k",)] = [r for r in runs if float(r["steps"]) == steps]
    pai = [r for r in summary if r["exp"] == "pai" and r["model"] == "mlp" and r["arm"] != "base"
           and os.path.exists(os.path.join(args.out, r["run"], "mask.pt"))]
    if pai:  # the masks and the neurons of the ticket and of the PaI masks, the lowest seed
        seed = max(sorted({r["seed"] for r in pai}), key=lambda s: sum(r["seed"] == s for r in pai))
        save(weights_figure(args.out, [r for r in pai if r["seed"] == seed], plt), args.out,
             f"weights_pai_seed{seed}", plt)
    for (exp, task, model, *length), runs in sorted(figures.items()):
        if exp in SUMMARY_PANELS:
            fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
            summary_panel(right, exp, runs, curves, analysis)
        else:
            fig, left = plt.subplots(1, 1, figsize=(6, 4))
        curves_panel(left, runs, curves, exp, plt)
        seeds = sorted({r["seed"] for r in runs})
        where = f"{exp}: {task}, {model}, " + "".join(f"{n} steps, " for n in length)
        save(fig, args.out, "_".join([exp, task, model] + length), plt, where + f"seeds {','.join(seeds)}")
        if exp in SEED_FIGURES and len(seeds) > 1:
            save(seeds_figure(runs, plt), args.out, "_".join(["seeds", exp, task, model] + length), plt,
                 where + f"t_gen over {len(seeds)} seeds")
        if exp == "norm_clamp" and not length:  # the norms of every arm, the free controls from ticket_vs_norm
            save(norms_figure([(model, norm_runs(summary, curves, task, model), curves)], plt), args.out,
                 f"norms_norm_clamp_{task}_{model}", plt, f"norm_clamp: {task}, {model}, the norms of every arm")
    plateau = [r for r in summary if r["exp"] == "plateau" and analysis.get(("plateau", r["run"]))]
    for task, model in sorted({(r["task"], r["model"]) for r in plateau}):
        mine = [r for r in plateau if (r["task"], r["model"]) == (task, model)]
        save(plateau_figure(mine, analysis, plt), args.out, f"plateau_errors_{task}_{model}", plt,
             f"plateau: {task}, {model}: wrong test pairs at the last step (red) and W_E's spectrum "
             "(red bars: the base never reached P)", fontsize=8)
    popup = [r for r in summary if r["exp"] == "edge_popup" and analysis.get(("graph", r["run"]))]
    if popup:  # v3 Table 1 (bottom): the edge-popup arms' masks as graphs
        fig, ax = plt.subplots(1, 1, figsize=(7, 4))
        graph_panel(ax, popup, analysis, "graph")
        save(fig, args.out, f"graph_popup_{popup[0]['task']}_{popup[0]['model']}", plt,
             "graph metrics of the edge-popup arms' masks (seed 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
