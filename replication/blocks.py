"""The Markdown tables of RESULTS.md, README.md and docs/ (report.PATHS), each made from the verdicts
and the CSVs: between `<!-- report:WHAT -->` and `<!-- /report -->`, `fill` writes the table WHAT names
(BLOCKS; report.py's docstring lists them). The prose around them is written by hand.

    python -m replication.report --write      # fills every block from results/
    python -m replication.report --check      # exits 1 when one is not what results/ gives (CI)
"""
import re
import statistics

from replication.bars import BARS
from paper import PAPER_TABLE_1, PAPER_TABLE_1_GRAPH, POPUP_STEPS
from replication.intervals import censored_median_interval, ratio
from replication.verdicts import (bound_text, effect_text, judge, matching, median_text, remeasured, selected,
                                  settings)
from tables import mean_std
import numerics


def md_table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in line) + " |" for line in lines])


def block_verdicts(verdicts, option=""):
    if option in ("compact", "noncentral"):  # one line a claim (noncentral: those not in the central table)
        chosen = [v for v in verdicts if v.verdict != "not run"
                  and (option == "compact" or not (v.claim.central and v.claim.kind in ("paper", "ours")))]
        full = option == "compact"  # the other claims' table: kind beside the name, "reads as" in docs/claims.md
        return md_table(["claim"] + ["kind"] * full + ["verdict"] + ["reads as"] * full + ["seeds holding [95% CI]",
                         "median effect [exact CI (coverage)]", "robust?", "bars chosen with data seen"],
                        [[f"`{v.claim.name}`" + ("" if full or v.claim.kind == "paper" else f" ({v.claim.kind})")]
                         + [v.claim.kind] * full + [f"**{v.shown()}**"] + [v.meaning()] * full +
                         [v.rate(), v.effect(), "robust" if not v.flips else "fragile", v.seen()]
                         for v in chosen])
    if option == "short":
        return md_table(["claim", "the paper says", "verdict", "holds (seed:yes/no/?)", "robust?",
                         "margin per seed (bar)", "ours: mean ± std", "of", "paper"],
                        [[f"`{v.claim.name}`", v.claim.paper, f"**{v.shown()}**", v.holds_for(),
                          v.robustness(), v.margins(), v.ours(), v.measure(), v.claim.paper_value]
                         for v in verdicts if v.claim.kind == "paper"])
    chosen = [v for v in verdicts if not option or v.claim.section == option]
    return md_table(["claim", "kind", "the paper says (source)", "verdict", "holds (seed:yes/no/?)",
                     "robust?", "margin per seed (bar)", "ours: mean ± std", "per seed", "of", "paper"],
                    [[f"`{v.claim.name}`", v.claim.kind, f"{v.claim.paper} ({v.claim.source})",
                      f"**{v.shown()}**", v.holds_for(), v.robustness(), v.margins(), v.ours(), v.seeds(),
                      v.measure(), v.claim.paper_value]
                     for v in chosen])


LETTER = {"reproduced": "R", "partly": "P", "not reproduced": "N", "inconclusive": "I", "not run": "-"}


def block_central(verdicts):
    """The claims of the ten-seed comparisons (claims.CENTRAL): verdict, what it means, the seeds
    holding over all seeds and over those that decide (exact intervals), the median effect over the
    deciding seeds with its exact interval and that interval's coverage, the sign test against the
    claim's bar (with Holm's adjustment over this table's claims), what the other seeds did, and the
    paper's number beside ours."""
    rows = []
    for v in verdicts:
        if not (v.claim.central and v.claim.kind in ("paper", "ours")) or v.verdict == "not run":
            continue
        effect = v.effect()
        of = EFFECT_OF.get(v.claim.test.__name__, "")
        rows.append([f"`{v.claim.name}`", v.claim.paper if v.claim.kind == "paper" else f"*ours:* {v.claim.paper}",
                     f"**{v.shown()}**", v.meaning(), v.rate(), effect + (f" ({of})" if of and effect != "-" else ""),
                     v.sign_text(), "; ".join(t for t in (v.undecided(), v.negative()) if t) or "-",
                     f"{v.claim.paper_value} / {v.median_value()}"])
    return md_table(["claim", "what is claimed (the paper's, or *ours*)", "verdict", "reads as",
                     "seeds holding [95% CI]", "median effect [exact CI (its coverage)]",
                     "sign test vs the bar", "the other seeds", "paper / ours"], rows)


# What each step-comparing test's effect (claim_tests.Judged.effect) is the ratio of.
EFFECT_OF = {"base_groks": "t_gen / t_mem",
             "ticket_before_base": "base / arm", "no_speedup": "base / arm", "ticket_before": "arm / ticket",
             "ticket_before_norm_controls": "sooner control / ticket",
             "pai_no_speedup": "base / soonest PaI",
             "ticket_before_pai": "soonest PaI / ticket"}


def block_sensitivity(verdicts):
    """The grid: each claim's verdict with each bar moved one notch down / up (R reproduced, P partly,
    N not reproduced, I inconclusive, - not run; '·' where the verdict stays), for the bars that
    change some verdict; the others are listed under the table."""
    by_bar = {}
    for label, name, _, _ in settings():
        by_bar.setdefault(name, []).append(label)
    changes = {(v.claim.name, label): verdict for v in verdicts for label, verdict in v.flips + v.original}
    moving = [name for name, labels in by_bar.items() if any((v.claim.name, l) in changes
                                                              for v in verdicts for l in labels)]
    lines = []
    for v in verdicts:
        cells = [" / ".join(LETTER[changes[v.claim.name, l]] if (v.claim.name, l) in changes else "·"
                            for l in by_bar[name]) for name in moving]
        lines.append([f"`{v.claim.name}`", LETTER[v.verdict]] + cells)
    original = {label for label, _, _, is_original in settings() if is_original}
    header = ["claim", "verdict"] + [f"{name} ({' / '.join(('orig. ' if l in original else '') + l.split(' ', 1)[1] for l in by_bar[name])})"
                                     for name in moving]
    still = [name for name in by_bar if name not in moving]
    return md_table(header, lines) + (f"\n\nNo verdict changes when moving: {', '.join(still)}." if still else "")


def block_bars():
    """Every bar of bars.BARS: its value, its notches, and where it came from."""
    return md_table(["bar", "value", "notches", "from", "where it came from"],
                    [[f"`{name}`", str(b.value), " / ".join(map(str, b.notches))
                      + (f" (original: {b.original})" if b.original is not None else ""), b.origin, b.why]
                     for name, b in BARS.items()])


def parse_select(text):
    sel = dict(kv.split("=", 1) for kv in text.split())
    if "steps" in sel:
        sel["steps"] = int(sel["steps"])
    return sel


def block_runs(rows, option):
    """One line per task (when there are several), arm, k, mask source step and length, with its
    values per seed."""
    mine = selected(parse_select(option), rows)  # the runs the verdicts use (an extended base replaces its shorter one)
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


def block_at_p(verdicts, rows, curves, analysis, option):
    """The central claims (those whose name starts with the option's second word, if any) judged again
    with every run's P moved by the option's first (e.g. -0.05: 0.90 on modular arithmetic), t_mem and
    t_gen measured again on the curves: verdict and seed by seed."""
    value, _, prefix = option.partition(" ")
    offset, mine = float(value), remeasured(rows, curves, float(value))
    lines = []
    for v in verdicts:
        if v.claim.central and v.claim.kind in ("paper", "ours") and v.compares() and v.claim.name.startswith(prefix.strip()):
            w = judge(v.claim, mine, curves, analysis)
            lines.append([f"`{v.claim.name}`", v.holds_for(), f"**{w.shown().split(' (')[0]}**", w.holds_for(), w.effect()])
    return md_table(["claim", "seed by seed at the paper's P", f"verdict at P {offset:+g}", f"seed by seed at P {offset:+g}",
                     f"median effect at P {offset:+g}"], lines)


def block_norms(rows, curves, option):
    """The median over seeds of each arm's L2 and L1 norm (of W * m) at the given steps: `option` is a
    selection (exp=E model=M) and at=S1,S2,..."""
    sel = parse_select(" ".join(kv for kv in option.split() if not kv.startswith("at=")))
    steps = [int(s) for kv in option.split() if kv.startswith("at=") for s in kv[3:].split(",")]
    mine = selected(sel, rows)
    lines = []
    for arm in dict.fromkeys(r["arm"] for r in mine):
        at = {s: [c for r in mine if r["arm"] == arm for c in curves.get(r["run"], []) if c["step"] == s] for s in steps}
        cell = lambda s, k, spec: (format(statistics.median(c[k] for c in at[s]), spec) if at[s] else "-")
        lines.append([arm, str(len({r["seed"] for r in mine if r["arm"] == arm}))]
                     + [f"{cell(s, 'l2', '.1f')} / {cell(s, 'l1', ',.0f')}" for s in steps])
    return md_table(["arm", "seeds"] + [f"step {s:,}: L2 / L1" for s in steps], lines)


def block_clamp_gain(rows, option):
    """How many times sooner the clamp makes the free control, per seed t_gen(same_lq) / t_gen(clamp_lq)
    (the free controls are ticket_vs_norm's runs of the same seed and length: the same runs), with its median over
    seeds and exact interval (intervals.censored_median_interval; a run that never reached P counts as
    the bound it gives). `option`: model=M."""
    sel = parse_select(option)
    clamped = selected(dict(exp="norm_clamp", **sel), rows)
    free = matching(dict(exp="ticket_vs_norm", task="add", **sel), rows)  # of each clamped run's length, below
    lines = []
    for q in (1, 2):
        effects, seeds = [], []
        for c in sorted((r for r in clamped if r["arm"] == f"clamp_l{q}"), key=lambda r: r["seed"]):
            f = [r for r in free if r["arm"] == f"same_l{q}" and (r["seed"], r["steps"]) == (c["seed"], c["steps"])]
            if len(f) == 1:
                effects.append(ratio(f[0]["t_gen"], c["t_gen"], c["steps"]))
                seeds.append(c["seed"])
        if effects:
            low, high, lo, hi, coverage = censored_median_interval(effects)
            interval = (f"[{effect_text(lo)}, {effect_text(hi)}] ({coverage:.1%})" if coverage >= 0.95
                        else f"(range {effect_text(lo)} to {effect_text(hi)}: no 95% interval with n = {len(effects)})")
            lines.append([f"same_l{q} / clamp_l{q}", ",".join(f"{s:.0f}" for s in seeds),
                          "; ".join(bound_text(*e) for e in effects), f"{median_text(low, high)} {interval}"])
    return md_table(["t_gen ratio", "seeds", "per seed", "median"], lines)


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


def block_plateau(rows, analysis):
    """--exp plateau, one line per base (by seed and length): where it is wrong at its last step and how
    stable that is (inner.exp_plateau)."""
    lines = []
    for r in sorted((r for r in rows if r["exp"] == "plateau"), key=lambda r: (r["steps"], r["seed"])):
        m = analysis.get(("plateau", r["run"]), {})
        at = lambda metric, spec, step=r["steps"]: format(m[metric][step], spec) if step in m.get(metric, {}) else "-"
        span = lambda name, spec: (f"{at(name + '_min', spec)}-{at(name + '_max', spec)}"
                                   if r["steps"] in m.get(name + "_min", {}) else "-")
        then = [s for s in m.get("n_wrong", {}) if s != r["steps"]]
        lines.append([f"{r['seed']:.0f}", f"{r['steps']:,.0f}", "n.r." if r["t_gen"] is None else f"{r['t_gen']:,.0f}",
                      f"{r['final_test_acc']:.3f}", f"{at('a_eq_b', '.2f')} / {at('a_ne_b', '.3f')}",
                      span("by_answer", ".2f"),
                      span("by_distance", ".2f"),
                      span("by_token", ".2f"),
                      f"{at('n_wrong', '.0f')} ({at('n_wrong', '.0f', then[0]) if then else '-'} at {then[0]:,.0f})" if then else at('n_wrong', '.0f'),
                      at("wrong_overlap", ".2f"), at("n_key_frequencies", ".0f")] + ghosts(m, r["steps"]))
    return md_table(["seed", "steps", "t_gen", "final test acc", "error a = b / a ≠ b", "error by answer c (min-max)",
                     "by distance a - b", "by token", "wrong test pairs (earlier)", "Jaccard of the wrong sets",
                     "W_E key frequencies (80%)", "margin over the strongest ghost c ± d: mean ± std over pairs",
                     "wrong answers at the 3 strongest ghosts"], lines)


def ghosts(m, step):
    """analysis.answer_offsets' rows at `step`: the margin of the right logit over the ghost answers c ± d
    with the smallest mean margin (mean ± std over test pairs), and the share of wrong answers at the
    three ghosts with the smallest mean margins (3 of the floor(p/2) offsets: 3/33 on p = 67 if spread
    evenly)."""
    gap = {int(k.rsplit("_", 1)[1]): v[step] for k, v in m.items() if k.startswith("offset_gap_") and step in v}
    if not gap:
        return ["-", "-"]
    order = sorted(gap, key=gap.get)
    wrong = {d: m[f"offset_wrong_{d}"][step] for d in gap}
    share = (f"{sum(wrong[d] for d in order[:3]) / sum(wrong.values()):.0%} (±{', ±'.join(map(str, order[:3]))})"
             if sum(wrong.values()) else "- (none wrong)")
    return [f"{gap[order[0]]:.1f} ± {m[f'offset_spread_{order[0]}'][step]:.1f} (d = {order[0]})", share]


def block_numerics(rows):
    """Which numerics made each experiment's runs, seed by seed: portable (numerics.REFERENCE, the
    same bits on any x86-64 CPU with AVX2) or legacy (machine-specific, to be rerun)."""
    groups = {}
    for r in rows:
        key = (r["exp"], r["model"], r["steps"], r.get("numerics") or "not recorded")
        tasks, seeds = groups.setdefault(key, (set(), set()))
        tasks.add(r["task"])
        seeds.add(int(r["seed"]))
    lines = [[f"`{exp}`", ", ".join(sorted(tasks)), model, f"{steps:,.0f}", ",".join(map(str, sorted(seeds))),
              "portable" if numerics.portable(made) else made]
             for (exp, model, steps, made), (tasks, seeds) in sorted(groups.items(), key=str)]
    return md_table(["experiment", "task", "model", "steps", "seeds", "numerics"], lines)


BLOCK = re.compile(r"(<!-- report:([^\n]*?) -->\n)(.*?)(<!-- /report -->)", re.S)
BLOCKS = ("verdicts", "central", "claims", "runs", "popup", "popup_graph", "analysis", "numerics", "sensitivity", "bars",
          "at_p", "norms", "plateau", "clamp_gain")


def fill(text, verdicts, rows, curves, analysis):
    """`text` with every report block regenerated."""
    def one(m):
        what, _, option = m.group(2).strip().partition(" ")
        if what not in BLOCKS:
            raise ValueError(f"unknown report block {what!r}; one of {', '.join(BLOCKS)}")
        body = {"verdicts": lambda: block_verdicts(verdicts, option),
                "claims": lambda: block_verdicts(verdicts, option),
                "central": lambda: block_central(verdicts),
                "runs": lambda: block_runs(rows, option),
                "popup": lambda: block_popup(rows, curves),
                "popup_graph": lambda: block_popup_graph(rows, analysis),
                "analysis": lambda: block_analysis(rows, analysis, option),
                "numerics": lambda: block_numerics(rows),
                "sensitivity": lambda: block_sensitivity(verdicts),
                "bars": block_bars,
                "at_p": lambda: block_at_p(verdicts, rows, curves, analysis, option),
                "norms": lambda: block_norms(rows, curves, option),
                "plateau": lambda: block_plateau(rows, analysis),
                "clamp_gain": lambda: block_clamp_gain(rows, option)}[what]()
        return m.group(1) + body + "\n" + m.group(4)
    return BLOCK.sub(one, text)
