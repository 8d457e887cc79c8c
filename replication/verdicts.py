"""Every claim of the paper judged on the runs' CSVs, seed by seed: reading the CSVs (load), the runs a
claim selects, its Verdict over the seeds, and the sensitivity of each verdict to the judging choices
(bars.BARS). The command line that prints them and fills the Markdown blocks is report.py.

    from replication.verdicts import judge_all
    verdicts, rows, curves, analysis = judge_all(["results"])

The claims are in claims.py, their tests in claim_tests.py. Each test runs on each seed's runs on its
own (and says so when the runs are not at the paper's setting); over the seeds that ran, the verdict is:
    reproduced      the claim holds for every seed
    partly          it holds for some seeds, not for the others (or they are inconclusive)
    not reproduced  it holds for no seed
    inconclusive    no seed can decide
    not run         no seed has the runs the claim needs
Beside each verdict: the seeds on which it holds with the 95% Clopper-Pearson interval of that rate,
and for a claim that compares steps the median over seeds of its per-seed ratio with a 95% bootstrap
interval (intervals.py; a seed where an arm never reached P enters at the run's length, counted as
censored). Grokking is chaotic: the same command on another CPU or BLAS build moves t_gen by thousands
of steps, so a claim stands only if it holds seed after seed, and the verdicts, not the step counts,
are what should carry over between machines.
"""
import math
import os
import re
from dataclasses import dataclass, field

import numerics
from paper import MODULAR, TASK_DEFAULTS, family
from replication.bars import BARS, judging
from replication.claim_tests import Ambiguous, Judged, Missing, Seed
from replication.claims import CLAIMS, Claim
from replication.intervals import censored_median_interval, clopper_pearson
from tables import LOGGED, grokking_times, mean_std, number, ratio_text, read_csv  # noqa: F401 (mean_std: verdicts.mean_std)

PATHS = ("RESULTS.md", "README.md", "docs/claims.md", "docs/experiments.md", "docs/numerics.md")


# ---------------------------------------------------------------------------------------------------
# Reading the CSVs and judging

class Mixed(Exception):
    """Results that cannot be judged together: one run id with two different curves, the runs of one
    comparison made under different numerics (numerics.py), or two runs where a claim needs one
    (claim_tests.Ambiguous). Never resolved by whichever file happens to be read last."""


def comparison(row):
    """The runs judged against each other: one experiment, task, model, seed and length."""
    return tuple(row.get(k) for k in ("exp", "task", "model", "seed", "steps"))


def load(outs):
    """The summary rows (deduplicated by exp and run), the curves by run id and the analyses by (exp,
    run) and metric, from summary.csv, curves.csv and analysis.csv in each folder of `outs` and in its
    subfolders (runs/mnist, ...) other than run folders (config.json), whose own curves.csv has no exp
    or run column. Raises Mixed when a run id has two different curves (compared on the steps both
    logged, every printed digit) or one comparison's runs have different numerics."""
    rows, curves, analysis = {}, {}, {}
    logged = {}  # run id -> (where, {step: the printed values})
    for out in outs:
        folders = [out] + sorted(os.path.join(out, d) for d in os.listdir(out)
                                 if os.path.isdir(os.path.join(out, d))
                                 and not os.path.exists(os.path.join(out, d, "config.json")))
        for folder in folders:
            if os.path.exists(os.path.join(folder, "summary.csv")):
                for r in read_csv(os.path.join(folder, "summary.csv")):
                    rows[(r["exp"], r["run"])] = {k: (v if k in ("run", "arm", "exp", "task", "model", "note",
                                                                 "pruner", "numerics") else number(v))
                                                  for k, v in r.items()}
            if os.path.exists(os.path.join(folder, "curves.csv")):
                path, mine = os.path.join(folder, "curves.csv"), {}
                for r in read_csv(path):
                    mine.setdefault((r.get("exp", ""), r["run"]), {})[int(r["step"])] = r
                for (exp, run), steps in mine.items():
                    where = f"{path} (exp {exp})"
                    printed = {s: tuple(r.get(k) for k in LOGGED) for s, r in steps.items()}
                    if run in logged:
                        first, seen = logged[run]
                        differ = sorted(s for s in set(seen) & set(printed) if seen[s] != printed[s])
                        if differ:
                            raise Mixed(f"run {run} has two different curves, in {first} and in {where} "
                                        f"(from step {differ[0]}): made under different numerics?")
                        if len(printed) <= len(seen):
                            continue
                    logged[run] = (where, printed)
                    curves[run] = [{"step": s, **{k: number(r.get(k)) for k in LOGGED}}
                                   for s, r in sorted(steps.items())]
            if os.path.exists(os.path.join(folder, "analysis.csv")):
                for r in read_csv(os.path.join(folder, "analysis.csv")):
                    metrics = analysis.setdefault((r["exp"], r["run"]), {})
                    metrics.setdefault(r["metric"], {})[int(r["step"])] = number(r["value"])
    made = {}
    for r in rows.values():
        key = comparison(r)
        if made.setdefault(key, r) is not r and made[key].get("numerics") != r.get("numerics"):
            raise Mixed(f"{r['exp']} seed {r['seed']:g} mixes numerics: run {made[key]['run']} was made with "
                        f"'{made[key].get('numerics')}', run {r['run']} with '{r.get('numerics')}'")
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


OURS_WORDS = {"reproduced": "holds", "not reproduced": "does not hold"}


@dataclass
class Verdict:
    claim: Claim
    per_seed: dict  # seed -> claim_tests.Judged(holds, value, margin)
    legacy: frozenset = frozenset()  # seeds judged on runs made under legacy (machine-specific) numerics
    flips: list = field(default_factory=list)  # (setting, verdict): where a notch changes the verdict
    original: list = field(default_factory=list)  # (bar, verdict) under a bar's value before the data
    departures: list = field(default_factory=list)  # how its runs depart from the paper's setting

    def shown(self):
        """The verdict, and, on runs that are not at the paper's setting, how they depart: then it is
        not a test of the paper's claim."""
        # a claim of ours was never produced before: it holds or not
        verdict = (OURS_WORDS.get(self.verdict, self.verdict) if self.claim.kind == "ours" else self.verdict)
        if not self.departures or self.verdict == "not run":
            return verdict
        return f"{verdict} ({', '.join(self.departures)}: not the paper's setting)"

    def robustness(self):
        """'robust', or 'fragile: ' and what it flips to under which setting; and the verdict under
        any bar that was changed after the data had been seen."""
        text = "robust" if not self.flips else "fragile: " + "; ".join(
            f"{label} → {verdict}" for label, verdict in self.flips)
        return text + "".join(f" (original {label}: {verdict})" for label, verdict in self.original)

    @property
    def verdict(self):
        held = [j[0] for j in self.per_seed.values()]
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
        values = [j[1] for j in self.per_seed.values()]
        return mean_std(values, self.claim.spec.lstrip("+")) if values else "-"

    def seeds(self):
        return " / ".join(self.value(j[1]) for j in self.per_seed.values()) or "-"

    def margins(self):
        """Each seed's distance from the claim's bar, in the claim's own unit."""
        return "; ".join(f"{s}: {j[2]}" for s, j in self.per_seed.items() if len(j) > 2 and j[2]) or "-"

    def measure(self):
        """What the value is, from the test's docstring ("...; value: X.")."""
        doc = " ".join((self.claim.test.__doc__ or "").split())
        return doc.split("value: ", 1)[1].rstrip(".") if "value: " in doc else "-"

    def meaning(self):
        failing = any(j[0] is False for j in self.per_seed.values())
        return "- (not the paper's setting)" if self.departures else self.claim.meaning(self.verdict, failing)

    def rate(self):
        """'k/n [lo, hi]': the seeds on which the claim holds, of the seeds run (a seed that cannot
        decide counts as not holding, and how many could not is said), with the 95% Clopper-Pearson
        interval of that rate."""
        held = [j[0] is True for j in self.per_seed.values()]
        if not held:
            return "-"
        lo, hi = clopper_pearson(sum(held), len(held))
        undecided = sum(j[0] is None for j in self.per_seed.values())
        return f"{sum(held)}/{len(held)} [{lo:.2f}, {hi:.2f}]" + (f", {undecided} undecided" if undecided else "")

    def effect(self):
        """'median [lo, hi]' of the claim's per-seed effects (claim_tests.Judged.effect: the ratio of
        the later t_gen to the sooner one), with the 95% bootstrap interval of the median over seeds
        (intervals.censored_median_interval: a censored seed counts as the range of values it allows,
        so the median reads '≥ a', '≤ b', 'a-b' or '?' where censoring reaches it, and the interval
        opens towards 0 or ∞), and how many seeds were censored; '-' for a claim that does not
        compare steps."""
        effects = [j.effect for j in self.per_seed.values() if j.effect is not None]
        if not effects:
            return "-"
        low, high, lo, hi = censored_median_interval(effects)
        censored = sum(bool(c) for _, c in effects)
        return (f"{median_text(low, high)} [{ratio_text(lo)}, {ratio_text(hi)}]"
                + (f", {censored} of {len(effects)} censored" if censored else ""))

    def effects(self):
        """Each seed's effect, 'seed: ratio', marked ≥ / ≤ / ? where a side never reached P."""
        out = []
        for s, j in self.per_seed.items():
            if j.effect is not None:
                r, censored = j.effect
                out.append(f"{s}: {censored}{ratio_text(r)}")
        return "; ".join(out) or "-"

    def holds_for(self):
        """seed:yes/no/? each, with a † where the seed's runs were made under legacy numerics."""
        mark = {True: "yes", False: "no", None: "?"}
        return " ".join(f"{s}:{mark[h]}" + ("†" if s in self.legacy else "")
                        for s, (h, *_) in self.per_seed.items()) or "-"


def median_text(low, high):
    """The median over seeds known to lie in [low, high] (intervals.censored_median_interval)."""
    if low == high:
        return ratio_text(low)
    if low == 0:
        return "?" if math.isinf(high) else "≤" + ratio_text(high)
    return "≥" + ratio_text(low) if math.isinf(high) else f"{ratio_text(low)}-{ratio_text(high)}"


def departures(claim, rows):
    """How the runs a claim is judged on depart from the paper's setting of its comparison (paper.py):
    ["at p = 23", "at 1,500 steps", ...], empty at the paper's setting. Checked: the data (p, the
    training fraction, ordered pairs; the training examples of the other tasks), P, and the base runs'
    learning rate, weight decay and length (shorter than the claim's command; an extended base is
    not a departure). A column a row does not have (written before it was recorded) is not checked."""
    task = claim.select.get("task", "add")
    paper = {**TASK_DEFAULTS[family(task)], **(MODULAR if family(task) == "modular" else {})}
    words = re.search(r"--steps (\d+)", claim.command)
    paper["steps"] = claim.select.get("steps") or (int(words.group(1)) if words else paper["steps"])
    found = []

    def check(name, value, text, rows_):
        if any(r.get(name) not in (None, "") and r[name] != value for r in rows_):
            shown = sorted({r[name] for r in rows_ if r.get(name) not in (None, "") and r[name] != value})
            found.append(text.format(", ".join(f"{v:,g}" if isinstance(v, float) else str(v) for v in shown)))

    bases = [r for r in rows if r["arm"] == "base"]
    if family(task) == "modular":
        check("p", paper["p"], "at p = {}", rows)
        check("frac_train", paper["frac_train"], "at training fraction {}", rows)
        if any(r.get("ordered") in ("True", True) for r in rows):
            found.append("on ordered pairs")
    else:
        check("n_train", paper["n_train"], "with {} training examples", rows)
    check("threshold", paper["threshold"], "at P = {}", rows)
    check("lr", paper["lr"], "at lr {}", bases)
    check("weight_decay", paper["weight_decay"], "at weight decay {}", bases)
    if any(r["steps"] < paper["steps"] for r in bases):
        found.append(f"at {', '.join(f'{s:,.0f}' for s in sorted({r['steps'] for r in bases if r['steps'] < paper['steps']}))} steps")
    return found


def judge(claim, rows, curves, analysis=None):
    mine = selected(claim.select, rows)
    per_seed, legacy = {}, set()
    for seed in sorted({int(r["seed"]) for r in mine}):
        ours = [r for r in mine if r["seed"] == seed]
        try:
            per_seed[seed] = Judged(*claim.test(Seed(seed, ours, curves, analysis)))
        except Missing:
            continue
        except Ambiguous as e:
            raise Mixed(f"claim {claim.name}: {e}") from None
        if any(r.get("numerics") and not numerics.portable(r["numerics"]) for r in ours):
            legacy.add(seed)
    return Verdict(claim, per_seed, frozenset(legacy), departures=departures(claim, mine))


def judge_all(outs):
    """Every claim's verdict on the CSVs in `outs`, with its sensitivity (Verdict.flips, .original)."""
    rows, curves, analysis = load(outs)
    verdicts = [judge(c, rows, curves, analysis) for c in CLAIMS]
    grid = sensitivity(rows, curves, analysis, {v.claim.name: v.per_seed for v in verdicts})
    for v in verdicts:
        for (label, _, _, original), (verdict, changed) in grid[v.claim.name].items():
            if original:
                if changed:
                    v.original.append((label, verdict))
            elif verdict != v.verdict:
                v.flips.append((label, verdict))
    return verdicts, rows, curves, analysis


# ---------------------------------------------------------------------------------------------------
# Sensitivity: every verdict again with each judging choice moved one notch

def remeasured(rows, curves, offset):
    """The summary rows with t_mem, t_gen and tau_grok measured again on their curves at P + offset
    (and that P as their threshold; on a regression P is the fraction by which the loss has fallen,
    tables.grokking_times). Rows without curves are kept."""
    found = []
    for r in rows:
        curve = curves.get(r["run"])
        if not curve:
            found.append(r)
            continue
        p = round((r.get("threshold") or 0.95) + offset, 6)
        found.append({**r, "threshold": p, **grokking_times(curve, p)})
    return found


def settings():
    """(label, bar name, value, whether it is the bar's original value) for each notch of each bar in
    bars.BARS, and for each bar changed after the data its original value. P's values are offsets."""
    found = []
    for name, b in BARS.items():
        values = list(b.notches) + ([b.original] if b.original is not None and b.original not in b.notches else [])
        for value in values:
            shown = (f"{value:+g}" if name == "P" else f"{value:,}" if isinstance(value, int)
                     else f"{value:.3g}" if isinstance(value, float) else value)
            found.append((f"{name} {shown}", name, value, value == b.original))
    return found


def sensitivity(rows, curves, analysis, default):
    """{claim: {setting (of settings()): (verdict, whether any seed's judgement differs from
    `default`, the claims' per_seed at the bars' own values)}}; P's notches re-measure the rows."""
    grid = {c.name: {} for c in CLAIMS}
    for setting in settings():
        _, name, value, _ = setting
        mine = remeasured(rows, curves, value) if name == "P" else rows
        with judging(**({} if name == "P" else {name: value})):
            for c in CLAIMS:
                v = judge(c, mine, curves, analysis)
                grid[c.name][setting] = (v.verdict, v.per_seed != default[c.name])
    return grid
