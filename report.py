"""Every claim of the paper judged on the runs' CSVs, seed by seed, with a verdict; RESULTS.md from it.

    python report.py                 # one line per claim, on the committed CSVs under results/
    python report.py --out runs      # the same on your own runs: did the paper reproduce on your machine?
    python report.py --write         # regenerate the marked blocks of RESULTS.md and README.md from results/
    python report.py --check         # exit 1 when RESULTS.md or README.md is not what results/ gives (CI)

The claims and their tests are in claims.py. Each test runs on each seed's runs on its own; over the
seeds that ran, the verdict is:
    reproduced      the claim holds for every seed
    partly          it holds for some seeds, not for the others (or they are inconclusive)
    not reproduced  it holds for no seed
    inconclusive    no seed can decide
    not run         no seed has the runs the claim needs
Grokking is chaotic: the same command on another CPU or BLAS build moves t_gen by thousands of steps,
so a claim stands only if it holds seed after seed, and the verdicts, not the step counts, are what
should carry over between machines.

RESULTS.md and README.md hold blocks between `<!-- report:WHAT -->` and `<!-- /report -->`, where WHAT
is `verdicts`, `verdicts short`, `claims SECTION`, `runs exp=E [model=M] [task=T] [steps=N]`, `popup`,
`popup_graph` or `analysis exp=E`; --write fills them from results/, the prose around them is written by hand.
"""
import argparse
import csv
import os
import re
import statistics
import sys
from dataclasses import dataclass

from claims import CLAIMS, PAPER_TABLE_1, PAPER_TABLE_1_GRAPH, POPUP_STEPS, Claim, Missing, Seed, number

PATHS = ("RESULTS.md", "README.md")


# ---------------------------------------------------------------------------------------------------
# Reading the CSVs and judging

def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(outs):
    """The summary rows (deduplicated by exp and run), the curves by run id and the analyses by (exp,
    run) and metric, from summary.csv, curves.csv and analysis.csv in each folder of `outs` and in its
    subfolders (runs/mnist, ...) other than run folders (config.json), whose own curves.csv has no exp
    or run column."""
    rows, curves, analysis = {}, {}, {}
    for out in outs:
        folders = [out] + sorted(os.path.join(out, d) for d in os.listdir(out)
                                 if os.path.isdir(os.path.join(out, d))
                                 and not os.path.exists(os.path.join(out, d, "config.json")))
        for folder in folders:
            if os.path.exists(os.path.join(folder, "summary.csv")):
                for r in csv_rows(os.path.join(folder, "summary.csv")):
                    rows[(r["exp"], r["run"])] = {k: (v if k in ("run", "arm", "exp", "task", "model", "note",
                                                                 "pruner") else number(v))
                                                  for k, v in r.items()}
            if os.path.exists(os.path.join(folder, "curves.csv")):
                for r in csv_rows(os.path.join(folder, "curves.csv")):
                    if r["step"] == "0":
                        curves[r["run"]] = []
                    curves.setdefault(r["run"], []).append(
                        {k: number(r[k]) for k in ("step", "train_acc", "test_acc")})
            if os.path.exists(os.path.join(folder, "analysis.csv")):
                for r in csv_rows(os.path.join(folder, "analysis.csv")):
                    metrics = analysis.setdefault((r["exp"], r["run"]), {})
                    metrics.setdefault(r["metric"], {})[int(r["step"])] = number(r["value"])
    return list(rows.values()), curves, analysis


def matching(select, rows):
    """The rows whose columns equal `select`'s values (numbers compared as floats)."""
    return [r for r in rows if all(r.get(k) == (v if isinstance(v, str) else float(v))
                                   for k, v in select.items())]


def selected(select, rows):
    """The rows matching `select`. Without a steps in it, each seed keeps the runs of one length: the
    shortest whose base generalized; else the longest whose derived runs are there. A base extended to
    --steps 100000 because it had not generalized in 50,000 replaces the shorter one, and the arms
    derived from it replace theirs."""
    mine = matching(select, rows)
    if "steps" in select:
        return mine
    chosen = {}
    for seed in {r["seed"] for r in mine}:
        ours = [r for r in mine if r["seed"] == seed]
        bases = sorted((r["steps"], r["t_gen"] is None) for r in ours if r["arm"] == "base")
        generalized = [steps for steps, never in bases if not never]
        derived = {r["steps"] for r in ours if r["arm"] != "base"}
        if bases:
            chosen[seed] = generalized[0] if generalized else max(
                [steps for steps, _ in bases if steps in derived] or [bases[-1][0]])
    return [r for r in mine if r["seed"] not in chosen or r["steps"] == chosen[r["seed"]]]


@dataclass
class Verdict:
    claim: Claim
    per_seed: dict  # seed -> (holds, value)

    @property
    def verdict(self):
        held = [h for h, _ in self.per_seed.values()]
        if not held:
            return "not run"
        if all(h is None for h in held):
            return "inconclusive"
        if all(h is True for h in held):
            return "reproduced"
        if any(h is True for h in held):
            return "partly"
        return "not reproduced"

    def value(self, v):
        return "n.r." if v is None else format(v, self.claim.spec)

    def ours(self):
        """mean ± std over the seeds with a value (n.r. = not reached, not averaged)."""
        values = [v for _, v in self.per_seed.values()]
        return mean_std(values, self.claim.spec.lstrip("+")) if values else "-"

    def seeds(self):
        return " / ".join(self.value(v) for _, v in self.per_seed.values()) or "-"

    def measure(self):
        """What the value is, from the test's docstring ("...; value: X.")."""
        doc = " ".join((self.claim.test.__doc__ or "").split())
        return doc.split("value: ", 1)[1].rstrip(".") if "value: " in doc else "-"

    def holds_for(self):
        mark = {True: "yes", False: "no", None: "?"}
        return " ".join(f"{s}:{mark[h]}" for s, (h, _) in self.per_seed.items()) or "-"


def judge(claim, rows, curves, analysis=None):
    mine = selected(claim.select, rows)
    per_seed = {}
    for seed in sorted({int(r["seed"]) for r in mine}):
        try:
            per_seed[seed] = claim.test(Seed(seed, [r for r in mine if r["seed"] == seed], curves, analysis))
        except Missing:
            pass
    return Verdict(claim, per_seed)


def judge_all(outs):
    rows, curves, analysis = load(outs)
    return [judge(c, rows, curves, analysis) for c in CLAIMS], rows, curves, analysis


# ---------------------------------------------------------------------------------------------------
# Markdown blocks

def mean_std(values, spec, none="n.r."):
    """'mean ± std' of the values that are not None (None = not reached: counted, not averaged);
    the ± part only where there are two values or more, `none` where there is no value at all."""
    reached = [v for v in values if v is not None]
    if not reached:
        return none
    text = format(statistics.mean(reached), spec)
    if len(reached) > 1:
        text += " ± " + format(statistics.stdev(reached), spec)
    missing = len(values) - len(reached)
    return text + (f" ({missing} n.r.)" if missing else "")


def md_table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in line) + " |" for line in lines])


def block_verdicts(verdicts, option=""):
    if option == "short":
        return md_table(["claim", "the paper says", "verdict", "holds (seed:yes/no/?)", "ours: mean ± std",
                         "of", "paper"],
                        [[f"`{v.claim.name}`", v.claim.paper, f"**{v.verdict}**", v.holds_for(), v.ours(),
                          v.measure(), v.claim.paper_value]
                         for v in verdicts if v.claim.kind == "paper"])
    chosen = [v for v in verdicts if not option or v.claim.section == option]
    return md_table(["claim", "kind", "the paper says (source)", "verdict", "holds (seed:yes/no/?)",
                     "ours: mean ± std", "per seed", "of", "paper"],
                    [[f"`{v.claim.name}`", v.claim.kind, f"{v.claim.paper} ({v.claim.source})",
                      f"**{v.verdict}**", v.holds_for(), v.ours(), v.seeds(), v.measure(), v.claim.paper_value]
                     for v in chosen])


def parse_select(text):
    sel = dict(kv.split("=", 1) for kv in text.split())
    if "steps" in sel:
        sel["steps"] = int(sel["steps"])
    return sel


def block_runs(rows, option):
    """One line per task (when there are several), arm, k, mask source step and length, with its
    values per seed."""
    mine = matching(parse_select(option), rows)
    several = len({r["task"] for r in mine}) > 1
    groups = {}
    for r in sorted(mine, key=lambda r: (r["seed"],)):
        key = (r["task"], r["arm"], r["prune_rate"], r.get("source_step"), r["steps"])
        groups.setdefault(key, []).append(r)
    cell = lambda v, spec: "n.r." if v is None else format(v, spec)
    # a regression (poly) has no accuracy: its final test loss instead
    final, final_spec = (("final_test_loss", ".3g") if mine and all(r["final_test_acc"] is None for r in mine)
                         else ("final_test_acc", ".3f"))
    lines = []
    for (task, arm, k, source, steps), rs in sorted(groups.items(), key=lambda kv: kv[0][0] if several else ""):
        lines.append(([task] if several else []) + [
            arm, f"{k:g}", "" if source is None else f"{source:,.0f}", f"{steps:,.0f}",
            ",".join(f"{r['seed']:.0f}" for r in rs),
            " / ".join(cell(r["t_mem"], ",.0f") for r in rs),
            " / ".join(cell(r["t_gen"], ",.0f") for r in rs), mean_std([r["t_gen"] for r in rs], ",.0f"),
            " / ".join(cell(r.get(final), final_spec) for r in rs),
            " / ".join(cell(r["l1_final"], ",.0f") for r in rs),
            " / ".join(cell(r["l2_final"], ".1f") for r in rs)])
    return md_table((["task"] if several else []) + [
        "arm", "k", "mask from step", "steps", "seeds", "t_mem", "t_gen", "t_gen mean ± std",
        final.replace("_", " "), "final L1", "final L2"], lines)


def block_popup(rows, curves):
    """Edge-popup arms: test accuracy at v3 Table 1's steps, mean ± std over seeds, with the paper's."""
    mine = [r for r in rows if r["exp"] == "edge_popup" and r["arm"] != "mem"]
    lines = []
    for arm in dict.fromkeys(r["arm"] for r in mine):
        rs = [r for r in mine if r["arm"] == arm]
        cells = []
        for i, step in enumerate(POPUP_STEPS):
            accs = []
            for r in rs:
                accs += [c["test_acc"] for c in curves.get(r["run"], []) if c["step"] == step]
            text = mean_std(accs, ".2f", none="-")
            paper = PAPER_TABLE_1.get(arm)
            cells.append(text + (f" ({paper[i]:.2f})" if paper else ""))
        lines.append([arm, ",".join(f"{r['seed']:.0f}" for r in rs)] + cells)
    return md_table(["arm", "seeds"] + [f"step {s:,} (paper)" for s in POPUP_STEPS], lines)


def block_popup_graph(rows, analysis):
    """Edge-popup arms: the graph metrics of their masks (inner.exp_graph) at v3 Table 1's steps,
    mean ± std over seeds, with the paper's (EP only)."""
    mine = [r for r in rows if r["exp"] == "edge_popup" and r["arm"] != "mem"]
    lines = []
    for metric in POPUP_GRAPH_METRICS:
        for arm in dict.fromkeys(r["arm"] for r in mine):
            rs = [r for r in mine if r["arm"] == arm and ("graph", r["run"]) in analysis]
            if not rs:
                continue
            cells = []
            for i, step in enumerate(POPUP_STEPS):
                values = [analysis[("graph", r["run"])].get(metric, {}).get(step) for r in rs]
                text = mean_std([v for v in values if v is not None], ".3f", none="-")
                paper = PAPER_TABLE_1_GRAPH.get((arm, metric), (None,) * len(POPUP_STEPS))[i]
                cells.append(text + (f" ({paper})" if paper is not None else ""))
            lines.append([metric, arm, ",".join(f"{r['seed']:.0f}" for r in rs)] + cells)
    return md_table(["metric", "arm", "seeds"] + [f"step {s:,} (paper)" for s in POPUP_STEPS], lines)


POPUP_GRAPH_METRICS = ("weighted_spectral_gap", "ramanujan_gap", "spectral_gap", "average_shortest_path")


ANALYSIS_STEPS = (0, 2000, 4000, 10000, 14000, 20000, 30000, 50000)
PAPER_FOURIER = {("base", "authors_entropy_in"): {14000: 3.41, 20000: 3.29, 30000: 3.23},
                 ("ticket", "authors_entropy_in"): {0: 3.456, 2000: 3.26}}  # read off v3 Fig. 8


def block_analysis(rows, analysis, option):
    """Mean ± std over seeds of each metric of an analysis (option: exp=fourier or exp=graph) at
    ANALYSIS_STEPS, per arm, with the values the paper's figure shows beside (PAPER_FOURIER)."""
    exp = parse_select(option)["exp"]
    mine = [r for r in rows if r["exp"] == exp]
    metrics = sorted({m for r in mine for m in analysis.get((exp, r["run"]), {})} - {"test_acc", "entropy_flat"})
    lines = []
    for metric in metrics:
        for arm in dict.fromkeys(r["arm"] for r in mine):
            runs = [r for r in mine if r["arm"] == arm]
            cells = []
            for step in ANALYSIS_STEPS:
                values = [analysis.get((exp, r["run"]), {}).get(metric, {}).get(step) for r in runs]
                text = mean_std([v for v in values if v is not None], ".2f", none="-")
                paper = PAPER_FOURIER.get((arm, metric), {}).get(step) if exp == "fourier" else None
                cells.append(text + (f" ({paper})" if paper else ""))
            lines.append([metric, arm, ",".join(f"{r['seed']:.0f}" for r in runs)] + cells)
    return md_table(["metric", "arm", "seeds"] + [f"step {s:,}" for s in ANALYSIS_STEPS], lines)


BLOCK = re.compile(r"(<!-- report:([^\n]*?) -->\n)(.*?)(<!-- /report -->)", re.S)
BLOCKS = ("verdicts", "claims", "runs", "popup", "popup_graph", "analysis")


def fill(text, verdicts, rows, curves, analysis):
    """`text` with every report block regenerated."""
    def one(m):
        what, _, option = m.group(2).strip().partition(" ")
        if what not in BLOCKS:
            raise ValueError(f"unknown report block {what!r}; one of {', '.join(BLOCKS)}")
        body = {"verdicts": lambda: block_verdicts(verdicts, option),
                "claims": lambda: block_verdicts(verdicts, option),
                "runs": lambda: block_runs(rows, option),
                "popup": lambda: block_popup(rows, curves),
                "popup_graph": lambda: block_popup_graph(rows, analysis),
                "analysis": lambda: block_analysis(rows, analysis, option)}[what]()
        return m.group(1) + body + "\n" + m.group(4)
    return BLOCK.sub(one, text)


# ---------------------------------------------------------------------------------------------------
# Command line

def main(argv=None):
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--out", action="append", help="results folder(s) to judge, each with summary.csv "
                    "and curves.csv in it or in its subfolders (default results; repeatable)")
    ap.add_argument("--write", action="store_true", help="regenerate the blocks of RESULTS.md and "
                    "README.md from results/")
    ap.add_argument("--check", action="store_true", help="exit 1 when RESULTS.md or README.md is not "
                    "what results/ gives")
    args = ap.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    outs = args.out or [os.path.join(here, "results")]
    for out in outs:
        if not os.path.isdir(out):
            print(f"report.py: error: no folder {out}", file=sys.stderr)
            return 2
    if args.write or args.check:
        verdicts, rows, curves, analysis = judge_all([os.path.join(here, "results")])
        stale = []
        for name in PATHS:
            path = os.path.join(here, name)
            with open(path) as f:
                text = f.read()
            new = fill(text, verdicts, rows, curves, analysis)
            if new != text:
                stale.append(name)
                if args.write:
                    with open(path, "w") as f:
                        f.write(new)
        if args.check:
            if stale:
                print(f"report.py: {', '.join(stale)} not what results/ gives: run python report.py --write",
                      file=sys.stderr)
                return 1
            print(f"report.py: {', '.join(PATHS)} match results/")
            return 0
        print(f"report.py: rewrote {', '.join(stale) or 'nothing (already up to date)'}")
        return 0
    verdicts = judge_all(outs)[0]
    width = max(len(v.claim.name) for v in verdicts)
    for v in verdicts:
        print(f"{v.claim.name:{width}}  {v.verdict:15} holds {v.holds_for():20} ours {v.ours()} "
              f"(seeds {v.seeds()}; {v.measure()})  paper {v.claim.paper_value}  [{v.claim.kind}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
