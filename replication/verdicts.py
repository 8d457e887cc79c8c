"""Every claim of the paper judged on the runs' CSVs, seed by seed: reading the CSVs (load), the runs a
claim selects, its Verdict over the seeds, and the sensitivity of each verdict to the judging choices
(bars.BARS). The command line that prints them and fills the Markdown blocks is report.py.

    from replication.verdicts import judge_all
    verdicts, rows, curves, analysis = judge_all(["results"])

The claims are in claims.py, their tests in claim_tests.py. Each test runs on each seed's runs on its
own (and says so when the runs are not at the paper's setting); over the seeds that ran, the verdict is:
    reproduced      the claim holds for every seed
    partly          it holds for some seeds, not for the others (or they are undecided)
    not reproduced  it holds for no seed
    inconclusive    no seed can decide
    not run         no seed has the runs the claim needs
Beside each verdict: the seeds on which it holds, over every seed run and over the seeds that decide,
each with its exact 95% Clopper-Pearson interval; for a claim that compares steps, the median over the
deciding seeds of its per-seed ratio with the exact distribution-free interval of a median (a pair of
order statistics, its coverage printed: 97.9% at ten seeds; below six seeds no interval reaches 95%,
and the range is shown with the words), a seed where an arm never reached P counted as the range of
values its bound allows; the exact one-sided sign test of the ratio against the claim's bar
(for / against / neither, p, and Holm's adjustment over the central claims); the undecided seeds listed
apart, never pooled (intervals.py). Grokking is chaotic: the same command on another CPU or BLAS build moves t_gen by thousands
of steps, so a claim stands only if it holds seed after seed, and the verdicts, not the step counts,
are what should carry over between machines.
"""
import math
import os
import re
from dataclasses import dataclass, field

import numerics
from paper import MODULAR, TASK_DEFAULTS, family
from replication.bars import BARS, bar, judging, recording
from replication.claim_tests import Ambiguous, Judged, Missing, Seed
from replication.claims import CLAIMS, Claim
from replication.intervals import LOWER, UPPER, censored_median_interval, clopper_pearson, holm, sign_test
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
                    curves[run] = [{"step": s, **{k: number(r.get(k)) for k in LOGGED + ("l1", "l2") if k in LOGGED or r.get(k)}}
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
    p_holm: float = None  # the sign test's p, Holm-adjusted over the central table's claims (judge_all)
    bars: frozenset = frozenset()  # the bars its tests read (bars.recording)

    def seen(self):
        """The bars it is judged by that were chosen with the data seen (bars.Bar.seen), or '-'."""
        return ", ".join(f"`{n}`" for n in sorted(self.bars) if BARS[n].seen) or "-"

    def shown(self):
        """The verdict, and, on runs that are not at the paper's setting, how they depart: then it is
        not a test of the paper's claim."""
        # a claim of ours was never produced before: it holds or not
        verdict = (OURS_WORDS.get(self.verdict, self.verdict) if self.claim.kind == "ours" else self.verdict)
        if self.verdict in ("reproduced", "not reproduced", "partly"):  # so that 3 of 3 does not read as 10 of 10
            held = sum(j.holds is True for j in self.per_seed.values())
            verdict += f", {held} of {len(self.per_seed)} seed" + ("s" if len(self.per_seed) != 1 else "")
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

    def median_value(self):
        """The median over seeds of the claim's value, 'n.r.' seeds counted as later than any (the
        median reads n.r. when they reach the middle), and how many never reached P."""
        values = [j.value for j in self.per_seed.values()]
        if not values or any(isinstance(x, str) for x in values):
            return "-"
        ordered = sorted(values, key=lambda x: math.inf if x is None else x)
        n, never = len(ordered), values.count(None)
        middle = ordered[(n - 1) // 2:n // 2 + 1]
        text = "n.r." if None in middle else self.value(sum(middle) / len(middle))
        return f"median {text}" + (f" ({never} n.r.)" if never else "")

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

    def deciding(self):
        """The seeds whose verdict is decided (holds True or False), {seed: Judged}."""
        return {s: j for s, j in self.per_seed.items() if j.holds is not None}

    def rate(self):
        """'k/n [lo, hi]' over every seed run (a seed that cannot decide counts as not holding), and,
        when some cannot decide, 'k/d [lo, hi] of the d that decide' too; each with its exact 95%
        Clopper-Pearson interval."""
        held = [j.holds is True for j in self.per_seed.values()]
        if not held:
            return "-"
        lo, hi = clopper_pearson(sum(held), len(held))
        text = f"{sum(held)}/{len(held)} [{lo:.2f}, {hi:.2f}]"
        d = len(self.deciding())
        if d < len(held):
            if not d:
                return text + "; no seed decides"
            lo, hi = clopper_pearson(sum(held), d)
            text += f"; {sum(held)}/{d} [{lo:.2f}, {hi:.2f}] of the {d} that decide"
        return text

    def effect(self):
        """The median over the seeds that decide of the claim's per-seed effect (claim_tests.Judged.effect:
        a ratio of two steps), with its exact distribution-free interval and that interval's coverage
        (intervals.censored_median_interval: a censored seed counts as the range of values it allows,
        so the median reads '≥ a', '≤ b' or 'a to b' where censoring reaches it, and the interval opens
        towards 0 or ∞); below six seeds the range and 'no 95% interval'. A deciding seed with no
        effect (a base that never reached P, for a claim that it groks) is counted apart. Undecided
        seeds are not pooled in (undecided()). '-' for a claim that does not compare steps."""
        deciding = self.deciding()
        effects = [j.effect for j in deciding.values() if j.effect is not None]
        never = sum(j.effect is None for j in deciding.values()) if self.compares() else 0
        if not effects:
            return f"- ({never} never reached P)" if never else "-"
        low, high, lo, hi, coverage = censored_median_interval(effects)
        n, censored = len(effects), sum(bool(c) for _, c in effects)
        interval = (f"[{effect_text(lo)}, {effect_text(hi)}] ({coverage:.1%})" if coverage >= 0.95 else
                    f"(range {effect_text(lo)} to {effect_text(hi)}: no 95% interval with n = {n})")
        d = len(deciding)
        on = (f" on the {n} that reached P" if never else f" on the {d} that decide" if d < len(self.per_seed) else "")
        return (f"{median_text(low, high)} {interval}{on}" + (f", {censored} of {n} censored" if censored else "")
                + (f"; {never} never reached P" if never else ""))

    def compares(self):
        """(direction, bar name) when the claim's test judges a ratio against a bar, else None."""
        return getattr(self.claim.test, "compares", None)

    def sides(self):
        """{seed: 'for' / 'against' / 'neither'} over the seeds that decide, for a claim that judges a
        ratio against a bar: a ">=" claim is for where the lowest ratio the censoring allows is >= the
        bar, against where the highest is below it; a "<" claim the other way round; 'neither' where
        the bounds straddle the bar. A deciding seed without an effect (a base that never reached P)
        is against. Judged at the bar's current value (bars.bar)."""
        if not self.compares():
            return {}
        direction, name = self.compares()
        b, out = bar(name), {}
        for s, j in self.deciding().items():
            if j.effect is None:
                out[s] = "against"
                continue
            r, mark = j.effect
            lowest, highest = (0.0 if LOWER[mark] else r), (math.inf if UPPER[mark] else r)
            at_least, below = lowest >= b, highest < b
            out[s] = ("for" if (at_least if direction == ">=" else below) else
                      "against" if (below if direction == ">=" else at_least) else "neither")
        return out

    def sign(self):
        """(for, against, neither, p): the exact one-sided sign test of the claim against its bar over
        the deciding seeds (intervals.sign_test; 'neither' left out); None without a bar or a seed."""
        sides = list(self.sides().values())
        if not sides:
            return None
        f, a = sides.count("for"), sides.count("against")
        return f, a, sides.count("neither"), sign_test(f, a)

    def sign_text(self):
        """'f for / a against / n neither: p = ..; Holm ..', or '-'."""
        s = self.sign()
        if s is None:
            return "-"
        f, a, neither, p = s
        holm_p = f"; Holm {self.p_holm:.2g}" if self.p_holm is not None else ""
        return f"{f} for / {a} against / {neither} neither: p = {p:.2g}{holm_p}"

    def undecided(self):
        """The seeds that cannot decide, listed apart with their per-seed effect (a bound where a side
        never reached P), and on how many the claim's other arm reached P first (an effect below 1
        that no censoring can lift); '' when every seed decides."""
        rest = {s: j for s, j in self.per_seed.items() if j.holds is None}
        if not rest:
            return ""
        shown = [f"{s}: {bound_text(*j.effect)}" if j.effect else f"{s}: -" for s, j in rest.items()]
        first = sum(1 for j in rest.values() if j.effect and j.effect[0] < 1 and not UPPER[j.effect[1]])
        return (f"{len(rest)} undecided ({'; '.join(shown)})"
                + (f"; on {first} of them the other arm reached P first" if first else ""))

    def negative(self):
        """For a "no speed-up" claim, what its arm did on the deciding seeds: never reached P on m,
        reached it later than the base on n, sooner but by less than the bar on q: a claim that holds
        because its arm never generalizes says so. For a speed-up claim, on how many seeds it holds only
        by censoring (the slower arm never reached P). '' for other claims."""
        if not self.compares():
            return ""
        if self.compares()[0] == ">=":  # a speed-up that holds only because the slower arm never reached P
            censored = sum(1 for j in self.deciding().values() if j.holds and j.effect and j.effect[1] in ("≥", ">="))
            return f"held by censoring on {censored} (the slower arm never reached P)" if censored else ""
        effects = [j.effect for j in self.deciding().values() if j.effect is not None]
        never = sum(1 for _, mark in effects if mark in ("≤", "<=", "?"))
        later = sum(1 for r, mark in effects if mark not in ("≤", "<=", "?") and r < 1)
        b = bar(self.compares()[1])
        sooner = sum(1 for r, mark in effects if mark == "" and 1 <= r < b)
        faster = sum(1 for r, mark in effects if mark not in ("≤", "<=", "?") and r >= b)
        parts = [f"{label} on {n}" for label, n in (("the arm never reached P", never), ("reached it later than the base", later),
                                                        ("sooner, under the bar", sooner), ("sooner by the bar or more", faster)) if n]
        return ", ".join(parts)

    def effects(self):
        """Each seed's effect, 'seed: ratio', marked ≥ / ≤ / ? where a side never reached P."""
        out = []
        for s, j in self.per_seed.items():
            if j.effect is not None:
                out.append(f"{s}: {bound_text(*j.effect)}")
        return "; ".join(out) or "-"

    def holds_for(self):
        """seed:yes/no/? each, with a † where the seed's runs were made under legacy numerics."""
        mark = {True: "yes", False: "no", None: "?"}
        return " ".join(f"{s}:{mark[h]}" + ("†" if s in self.legacy else "")
                        for s, (h, *_) in self.per_seed.items()) or "-"


def effect_text(r):
    """A ratio as read: '12.7x' (the claim's arm sooner), '2.7x slower' below 1, '∞', and 0 (the arm
    never reached P, the other did) as '∞x slower'."""
    if r >= 1:
        return ratio_text(r)
    return "∞x slower" if r == 0 else f"{1 / r:.1f}x slower"


def bound_text(r, mark):
    """One seed's effect (intervals.ratio): the ratio, or the bound it is where a side never reached P."""
    low, high = (0.0 if LOWER[mark] else r), (math.inf if UPPER[mark] else r)
    return median_text(low, high)


def median_text(low, high):
    """The median over seeds known to lie in [low, high] (intervals.censored_median_interval): a
    number, 'a to b', or a bound ('≥ 38.3x', '≥ 2.7x slower': a ratio at most 0.37)."""
    if low == high:
        return effect_text(low)
    if low == 0:
        return "?" if math.isinf(high) else ("≤" + effect_text(high) if high >= 1 else "≥" + effect_text(high))
    if math.isinf(high):
        return "≥" + effect_text(low) if low >= 1 else "≤" + effect_text(low)
    return f"{effect_text(low)} to {effect_text(high)}"


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
    used = set()
    for seed in sorted({int(r["seed"]) for r in mine} - set(claim.held_out)):
        ours = [r for r in mine if r["seed"] == seed]
        try:
            with recording() as read:
                per_seed[seed] = Judged(*claim.test(Seed(seed, ours, curves, analysis)))
            used |= read
        except Missing:
            continue
        except Ambiguous as e:
            raise Mixed(f"claim {claim.name}: {e}") from None
        if any(r.get("numerics") and not numerics.portable(r["numerics"]) for r in ours):
            legacy.add(seed)
    if claim.test.__dict__.get("compares"):
        used.add(claim.test.compares[1])
    return Verdict(claim, per_seed, frozenset(legacy), departures=departures(claim, mine), bars=frozenset(used))


def judge_all(outs):
    """Every claim's verdict on the CSVs in `outs`, with its sensitivity (Verdict.flips, .original)."""
    rows, curves, analysis = load(outs)
    verdicts = [judge(c, rows, curves, analysis) for c in CLAIMS]
    family = [v for v in verdicts if v.claim.central and v.claim.kind in ("paper", "ours") and v.sign()]
    for v, p in zip(family, holm([v.sign()[3] for v in family])):
        v.p_holm = p
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
