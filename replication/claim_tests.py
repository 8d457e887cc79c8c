"""The tests of the paper's claims: each a function of one seed's runs that says whether the claim
holds on that seed. claims.py holds the table that pairs each claim with its test.

    from claim_tests import Seed, base_groks
    holds, value, margin, effect = base_groks(Seed(seed, summary_rows_of_that_seed, curves, analysis))

A test returns Judged(holds, value, margin, effect): `holds` is True, False, or None when the seed cannot decide
(for instance the base never reached t_gen, so its mask is a transition ticket, not a grokking ticket);
`value` is the number shown as "ours" (each test's docstring ends with what it is); `margin` is how far
the seed is from the bar, in the claim's own unit; `effect`, for a test that compares steps, the ratio
of the two t_gen (or None). A test raises Missing when a run it needs is not
there (not run yet): that seed is left out of the verdict.

Every threshold a test uses is a bar in BARS (bars.py), with where it came from (the paper's words, or
chosen here: when, and whether the data had been seen) and the values one notch either side.
"""
import math
import statistics
from typing import NamedTuple

from replication.bars import BARS, bar
from replication.intervals import ratio
from paper import POPUP_STEPS

INF = math.inf


# ---------------------------------------------------------------------------------------------------
# The runs of one seed, as the tests see them

class Missing(Exception):
    """A run a claim needs is not there (not run yet): the seed is left out of the verdict."""


class Ambiguous(Exception):
    """Several runs fit where a test needs one (tickets at two pruning rates in one folder, say): the
    claim is judged on neither, never on whichever row was read last."""


class Seed:
    """One seed's summary rows (numbers parsed, '' as None) of one claim, and their curves."""

    def __init__(self, seed, rows, curves, analysis=None):
        self.seed, self.rows, self._curves, self._analysis = seed, rows, curves, analysis or {}

    def all(self, arm, **match):
        return [r for r in self.rows if r["arm"] == arm and all(r[k] == v for k, v in match.items())]

    def arm(self, arm, **match):
        """The one row of `arm` (and `match`, e.g. prune_rate=0.9); Missing when it is not there,
        Ambiguous when there are several."""
        found = self.all(arm, **match)
        if not found:
            raise Missing(f"seed {self.seed}: no {arm} {match}")
        if len(found) > 1:
            raise Ambiguous(f"seed {self.seed} has {len(found)} {arm} runs {match or ''} where the claim needs "
                            f"one ({', '.join(r['run'] for r in found)}): runs of other settings (a pruning "
                            "rate, say) belong in another --out folder")
        return found[0]

    def curve(self, row):
        if row["run"] not in self._curves:
            raise Missing(f"no curves for {row['run']}")
        return self._curves[row["run"]]

    def analysis(self, row, metric, exp=None):
        """{step: value} of an analysis metric (analysis.csv) of `row`'s run, as written by `exp`
        (default: the row's own); Missing when absent."""
        found = self._analysis.get((exp or row["exp"], row["run"]), {}).get(metric)
        if not found:
            raise Missing(f"no {metric} for {row['run']}")
        return found

    def acc_at(self, row, step):
        """Test accuracy of `row`'s run at a logged step."""
        for r in self.curve(row):
            if r["step"] == step:
                return r["test_acc"]
        raise Missing(f"{row['run']} has no logged step {step}")


def t_gen(row):
    """t_gen with 'not reached' as infinity, so that it compares as later than any step."""
    return INF if row["t_gen"] is None else row["t_gen"]


def pearson(xs, ys):
    """Pearson's correlation; None (undefined, the claim cannot be judged) when either side is constant."""
    mx, my = statistics.mean(xs), statistics.mean(ys)
    cov = sum((a - mx) * (b - my) for a, b in zip(xs, ys))
    sx = math.sqrt(sum((a - mx) ** 2 for a in xs))
    sy = math.sqrt(sum((b - my) ** 2 for b in ys))
    return cov / (sx * sy) if sx and sy else None


def spearman(xs, ys):
    """Spearman's rank correlation (ties get their mean rank); None when either side is constant."""
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for m in range(i, j + 1):
                r[order[m]] = (i + j) / 2
            i = j + 1
        return r
    return pearson(ranks(xs), ranks(ys))


class Judged(NamedTuple):
    """What a test says of one seed: holds (True, False, None = cannot decide), the value shown as
    "ours", the margin: how far that seed is from the bar, in the claim's own unit, and, for a claim
    that compares steps, its effect: (ratio, censored), the ratio of the later t_gen to the sooner one
    the claim is about, censored when a side never reached P and so counts at the run's length
    (intervals.ratio; report.py gives its median over seeds with an interval)."""
    holds: object
    value: object
    margin: str = ""
    effect: object = None


def effect(slow, fast):
    """The effect of a claim that compares two t_gen: intervals.ratio of the rows' t_gen (None: not
    reached, counted at the run's length)."""
    lengths = [r["steps"] for r in (slow, fast) if r.get("steps") is not None]
    if not lengths and (slow["t_gen"] is None or fast["t_gen"] is None):
        return None  # a bound needs the run's length
    return ratio(slow["t_gen"], fast["t_gen"], max(lengths, default=None))


def times(a, b, other="base"):
    """b / a as 'Nx', the speed-up of a over b, `other` (either may be infinity: not reached)."""
    if a == INF:
        return "never"
    if b == INF:
        return f"{other} n.r."
    return f"{b / a:.2f}x" if a else "∞x (at step 0)"


# ---------------------------------------------------------------------------------------------------
# The tests: one seed's runs -> Judged(holds, value, margin)

def base_groks(s):
    """Train accuracy reaches P by step mem_by (1,000) and test accuracy at least grok_delay (10) times
    later (a base that never reaches P is a seed against the claim: it has no effect t_gen / t_mem,
    never a bound in the claim's favour); value: the base's t_gen."""
    base = s.arm("base")
    if base["t_mem"] is None or base["t_gen"] is None:
        return Judged(False, base["t_gen"], "t_mem n.r." if base["t_mem"] is None else "t_gen n.r.")
    delay = ratio(base["t_gen"], base["t_mem"], base.get("steps"))
    holds = base["t_mem"] <= bar("mem_by") and delay[0] >= bar("grok_delay")
    return Judged(holds, base["t_gen"], f"t_mem {base['t_mem']:,.0f} (<= {bar('mem_by'):,}), "
                  f"t_gen/t_mem {delay[0]:.0f} (>= {bar('grok_delay')})", delay)


base_groks.compares = (">=", "grok_delay")
"""compares: (direction, bar) of a test whose effect is a ratio judged against a bar: ">=" the claim is
that the ratio reaches the bar (a speed-up), "<" that it stays below it (no speed-up). The report's sign
test reads it."""


def sooner(a, b):
    """t_gen a is a speed-up over t_gen b: a x speedup <= b (either may be infinity: not reached)."""
    return a * bar("speedup") <= b and a != INF


def grokked(s):
    """False when the base never reached t_gen: its mask is then a transition ticket (v3 calls only masks of a generalized network grokked tickets)."""
    return s.arm("base")["t_gen"] is not None


def sooner_than(fast, slow, value_of):
    """The test that t_gen(fast) is sooner than t_gen(slow) (speedup), undecided when the base never
    generalized; its value is value_of's t_gen, its effect t_gen(slow) / t_gen(fast)."""
    def test(s):
        first, later, shown = s.arm(fast), s.arm(slow), s.arm(value_of)
        if not grokked(s):
            return Judged(None, shown["t_gen"], "base n.r.", effect(later, first))
        return Judged(sooner(t_gen(first), t_gen(later)), shown["t_gen"],
                      f"{times(t_gen(first), t_gen(later), slow)} (>= {bar('speedup'):g}x)", effect(later, first))
    test.__doc__ = (f"t_gen({fast}) sooner than t_gen({slow}) (speedup); undecided when the base never "
                    f"generalized; value: t_gen of {value_of}.")
    test.__name__ = "ticket_before_base" if slow == "base" else "ticket_before"  # blocks.EFFECT_OF reads it
    test.compares = (">=", "speedup")
    return test


def ticket_before_base(arm="ticket"):
    return sooner_than(arm, "base", arm)


def ticket_before(other):
    return sooner_than("ticket", other, other)


def no_speedup(arm):
    def test(s):
        row, base = s.arm(arm), s.arm("base")
        if not grokked(s):
            return Judged(None, row["t_gen"], "base n.r.", effect(base, row))
        return Judged(not sooner(t_gen(row), t_gen(base)), row["t_gen"],
                      f"{times(t_gen(row), t_gen(base))} (< {bar('speedup'):g}x)", effect(base, row))
    test.__doc__ = (f"t_gen({arm}) is no speed-up over t_gen(base) (speedup); undecided when the base "
                    f"never generalized; value: t_gen of {arm}.")
    test.__name__ = "no_speedup"
    test.compares = ("<", "speedup")
    return test


def ticket_before_norm_controls(s):
    """t_gen(ticket) sooner than t_gen(same_l1) and t_gen(same_l2) (speedup); value: the sooner
    control's t_gen."""
    ticket, l1, l2 = s.arm("ticket"), s.arm("same_l1"), s.arm("same_l2")
    first = min(t_gen(l1), t_gen(l2))
    value = None if first == INF else first
    control = min((l1, l2), key=t_gen)
    if not grokked(s):
        return Judged(None, value, "base n.r.", effect(control, ticket))
    return Judged(sooner(t_gen(ticket), first), value,
                  f"{times(t_gen(ticket), first, 'controls')} (>= {bar('speedup'):g}x)", effect(control, ticket))


ticket_before_norm_controls.compares = (">=", "speedup")


def norms_l2_converge_l1_not(s):
    """max/min of the final L2 norms of base, ticket, same_l1, same_l2 <= l2_spread, and the ticket's
    final L1 norm <= l1_gap x the smallest dense one; value: the L2 max/min ratio."""
    rows = [s.arm(a) for a in ("base", "ticket", "same_l1", "same_l2")]
    l2 = [r["l2_final"] for r in rows]
    ratio = max(l2) / min(l2)
    l1 = rows[1]["l1_final"] / min(r["l1_final"] for r in rows[:1] + rows[2:])
    return Judged(ratio <= bar("l2_spread") and l1 <= bar("l1_gap"), ratio,
                  f"L2 {ratio:.2f} (<= {bar('l2_spread')}), L1 {l1:.2f} (<= {bar('l1_gap')})")


PRUNE_RATES = tuple(k / 10 for k in range(1, 10))


def most_rates_accelerate(s):
    """More than the fraction `most` (half) of k = 0.1 ... 0.9 reach P sooner than the base (speedup);
    value: how many do."""
    base = s.arm("base")
    tickets = [s.arm("ticket", prune_rate=k) for k in PRUNE_RATES]
    if not grokked(s):
        return Judged(None, None, "base n.r.")
    faster = sum(sooner(t_gen(t), t_gen(base)) for t in tickets)
    need = bar("most") * len(tickets)
    return Judged(faster > need, faster, f"{faster} of {len(tickets)} (> {need:.1f})")


def rate_fails(k):
    def test(s):
        ticket = s.arm("ticket", prune_rate=k)
        if not grokked(s):  # a transition ticket says nothing about grokking tickets
            return Judged(None, ticket["final_test_acc"], "base n.r.")
        margin = (f"reached P at {ticket['t_gen']:,.0f}" if ticket["t_gen"] is not None
                  else f"final {ticket['final_test_acc']:.3f} (< P)")
        return Judged(ticket["t_gen"] is None, ticket["final_test_acc"], margin)
    test.__doc__ = (f"the ticket at k = {k} never reaches P (undecided when the base never generalized); "
                    "value: its final test accuracy.")
    return test


def tau_smallest_near_07(s):
    """The k of the smallest tau_grok (over the tickets that reach P) is within tau_tolerance (0.1) of
    0.7; value: that k."""
    tickets = [s.arm("ticket", prune_rate=k) for k in PRUNE_RATES]
    reached = [t for t in tickets if t["tau_grok"] is not None]
    if not grokked(s) or not reached:
        return Judged(None, None, "base n.r." if reached else "no ticket reached P")
    best = min(reached, key=lambda t: t["tau_grok"])["prune_rate"]
    return Judged(abs(best - 0.7) <= bar("tau_tolerance") + 1e-9, best,
                  f"|{best:g} - 0.7| = {abs(best - 0.7):.2f} (<= {bar('tau_tolerance'):g})")


PAI = ("random", "snip", "grasp", "synflow")


def later(row):
    """Sort key of 'worse': later to P, then (neither reaching it) lower final test accuracy."""
    return t_gen(row), -row["final_test_acc"]


def pai_no_speedup(s):
    """No PaI mask is a speed-up over the base (speedup); value: the soonest PaI t_gen."""
    base, pai = s.arm("base"), [s.arm(a) for a in PAI]
    soonest = min(t_gen(r) for r in pai)
    value = None if soonest == INF else soonest
    first = effect(base, min(pai, key=t_gen))
    if not grokked(s):
        return Judged(None, value, "base n.r.", first)
    return Judged(not sooner(soonest, t_gen(base)), value,
                  f"soonest {times(soonest, t_gen(base))} (< {bar('speedup'):g}x)", first)


pai_no_speedup.compares = ("<", "speedup")


def ticket_before_pai(s):
    """The grokking ticket is a speed-up over every PaI mask (speedup); value: its t_gen."""
    ticket, pai = s.arm("ticket"), [s.arm(a) for a in PAI]
    first = effect(min(pai, key=t_gen), ticket)
    if not grokked(s):
        return Judged(None, ticket["t_gen"], "base n.r.", first)
    soonest = min(t_gen(r) for r in pai)
    return Judged(sooner(t_gen(ticket), soonest), ticket["t_gen"],
                  f"{times(t_gen(ticket), soonest, 'PaI')} (>= {bar('speedup'):g}x)", first)


ticket_before_pai.compares = (">=", "speedup")


def some_pai_worse_than_random(s):
    """At least one of SNIP, GraSP, SynFlow is worse than Random (later to P, or lower final test
    accuracy when neither reaches it); value: how many are."""
    random = s.arm("random")
    worse = sum(later(s.arm(a)) > later(random) for a in PAI[1:])
    return Judged(worse >= 1, worse, f"{worse} of 3 (>= 1)")


def grasp_worse_than_random(s):
    """GraSP is worse than Random (as `later`); value: GraSP's final test accuracy."""
    grasp, random = s.arm("grasp"), s.arm("random")
    return Judged(later(grasp) > later(random), grasp["final_test_acc"],
                  f"final {grasp['final_test_acc']:.3f} vs Random's {random['final_test_acc']:.3f}")


def memorizing(s):
    """theta_mem: train accuracy 1, test accuracy below mem_test (0.1); value: its test accuracy."""
    mem = s.arm("mem")
    return Judged(mem["final_train_acc"] >= 1.0 and mem["final_test_acc"] < bar("mem_test"),
                  mem["final_test_acc"], f"train {mem['final_train_acc']:.3f} (= 1), test "
                  f"{mem['final_test_acc']:.3f} (< {bar('mem_test')})")


def popup_reaches(arm, step=2000, target="ep_target"):
    def test(s):
        acc = s.acc_at(s.arm(arm), step)
        return Judged(acc >= bar(target), acc, f"{acc - bar(target):+.3f} (>= {bar(target)})")
    test.__doc__ = (f"test accuracy of {arm} at step {step:,} >= {target} ({BARS[target].value}); value: "
                    "that accuracy.")
    return test


def popup_lifts(s):
    """EP's test accuracy at step 2,000 is at least ep_lift (0.3) above theta_mem's; value: the lift."""
    lift = s.acc_at(s.arm("ep"), 2000) - s.arm("mem")["final_test_acc"]
    return Judged(lift >= bar("ep_lift"), lift, f"{lift - bar('ep_lift'):+.3f} (>= {bar('ep_lift')})")


def leak_lifts(s):
    """The authors' re-seeded split (test pairs that were theta_mem's training pairs) lifts EP's test
    accuracy at step 2,000 by at least leak_lift (0.05); value: the lift."""
    lift = s.acc_at(s.arm("ep_sd_leak"), 2000) - s.acc_at(s.arm("ep_sd"), 2000)
    return Judged(lift >= bar("leak_lift"), lift, f"{lift - bar('leak_lift'):+.3f} (>= {bar('leak_lift')})")


def phase_rows(s):
    base = s.arm("base")
    tickets = sorted(s.all("ticket"), key=lambda r: r["source_step"])
    if not tickets:
        raise Missing(f"seed {s.seed}: no phase tickets")
    return base, tickets


def split_at_t_gen(base, tickets):
    """(early, late): the masks from before the base's t_gen and from after, the boundary moved by
    phase_shift checkpoints."""
    first_late = next((i for i, t in enumerate(tickets) if t["source_step"] >= base["t_gen"]), len(tickets))
    cut = min(max(first_late + bar("phase_shift"), 0), len(tickets))
    return tickets[:cut], tickets[cut:]


def first_fast(base, tickets):
    """The base's test accuracy at the step of the first mask that is a speed-up: where the speed-up
    begins (None when no mask is)."""
    return next((t["source_test_acc"] for t in tickets if sooner(t_gen(t), t_gen(base))), None)


def generalized_masks_fast(s):
    """Every mask from a step >= t_gen(base) is a speed-up over the base (speedup); value: the latest
    t_gen among them."""
    base, tickets = phase_rows(s)
    if base["t_gen"] is None:
        return Judged(None, None, "base n.r.")
    late = split_at_t_gen(base, tickets)[1]
    if not late:
        return Judged(None, None, "no mask after t_gen")
    worst = max(t_gen(t) for t in late)
    return Judged(sooner(worst, t_gen(base)), None if worst == INF else worst,
                  f"slowest {times(worst, t_gen(base))} (>= {bar('speedup'):g}x)")


def early_masks_no_speedup(s):
    """No mask from a step < t_gen(base) (memorization, transition) is a speed-up over the base
    (speedup); value: the base's test accuracy at the first mask that is (where the speed-up begins)."""
    base, tickets = phase_rows(s)
    if base["t_gen"] is None:
        return Judged(None, None, "base n.r.")
    early = split_at_t_gen(base, tickets)[0]
    fast = [t for t in early if sooner(t_gen(t), t_gen(base))]
    where = ", ".join(f"{t['source_step']:,.0f} (base {t['source_test_acc']:.2f})" for t in fast)
    return Judged(not fast, first_fast(base, tickets),
                  f"{len(fast)} of {len(early)} fast" + (f": {where}" if fast else ""))


def phase_of(base, ticket):
    """memorization (the base's test accuracy at the mask's step below `chance`), late transition
    (within `late` of P, before t_gen), transition (in between), or generalized (from t_gen on)."""
    acc = ticket["source_test_acc"]
    if base["t_gen"] is not None and ticket["source_step"] >= base["t_gen"]:
        return "generalized"
    if acc < bar("chance"):
        return "memorization"
    return "late transition" if acc >= (base.get("threshold") or 0.95) - bar("late") else "transition"


def phase_no_speedup(phase):
    def test(s):
        base, tickets = phase_rows(s)
        if base["t_gen"] is None:
            return Judged(None, None, "base n.r.")
        mine = [t for t in tickets if phase_of(base, t) == phase]
        if not mine:
            return Judged(None, None, "no mask in this phase")
        fast = [t for t in mine if sooner(t_gen(t), t_gen(base))]
        accs = [t["source_test_acc"] for t in mine]
        return Judged(not fast, len(fast), f"{len(fast)} of {len(mine)} fast (base accuracy "
                      f"{min(accs):.2f}-{max(accs):.2f})")
    bounds = {"memorization": "below `chance` (0.1)", "transition": "from `chance` (0.1) to P - `late` (0.1)",
              "late transition": "within `late` (0.1) of P, before t_gen"}[phase]
    test.__doc__ = (f"No mask from the {phase} phase (the base's test accuracy at its step {bounds}) is a "
                    "speed-up over the base (speedup); value: how many are.")
    return test


def tracks_source(at_step=None):
    def test(s):
        _, tickets = phase_rows(s)
        source = [t["source_test_acc"] for t in tickets]
        acc = [s.acc_at(t, at_step) if at_step else t["final_test_acc"] for t in tickets]
        rho = spearman(source, acc)
        if rho is None:
            return Judged(None, None, "constant")
        return Judged(rho >= bar("track_rho"), rho, f"{rho - bar('track_rho'):+.3f} (>= {bar('track_rho')})")
    when = f"at step {at_step:,} of its training" if at_step else "at the end of its training"
    test.__doc__ = (f"Spearman correlation, over the masks, between the base's test accuracy at the "
                    f"source step and the ticket's test accuracy {when} is >= track_rho (0.9); value: "
                    "the correlation.")
    return test


def some_rate_generalizes(lo, hi, around=None):
    def test(s):
        a, b = (around - bar("critical_width"), around + bar("critical_width")) if around else (lo, hi)
        tickets = [t for t in s.all("ticket") if a - 1e-9 <= t["prune_rate"] <= b + 1e-9]
        if not tickets:
            raise Missing(f"seed {s.seed}: no ticket with k in [{a:g}, {b:g}]")
        best = max(t["final_test_acc"] for t in tickets)
        if not grokked(s):  # a transition ticket says nothing about grokking tickets
            return Judged(None, best, "base n.r.")
        reached = [t for t in tickets if t["t_gen"] is not None]
        rates = ", ".join(format(t["prune_rate"], "g") for t in reached)
        margin = f"k = {rates} reached P" if reached else f"best final {best:.3f} (< P)"
        return Judged(bool(reached), best, margin)
    where = (f"within critical_width (0.01) of k = {around}" if around else f"in [{lo}, {hi}]")
    test.__doc__ = (f"some ticket with k {where} trained without weight decay reaches P (undecided when "
                    "the base never generalized); value: the best final test accuracy among them.")
    return test


def periodic_from(s, arm):
    """The first checkpoint step by which the mean Fourier entropy of the neurons' input weights has
    made periodic_drop (0.9) of its whole drop from step 0 to the end of the run: when the neurons
    have become as periodic as they will get. Infinity when it never drops. Under the original test
    (periodic_drop = 'half_flat'): the first step whose entropy is at most half a flat spectrum's."""
    entropy = s.analysis(s.arm(arm), "entropy_in")
    steps = sorted(entropy)
    if bar("periodic_drop") == "half_flat":
        flat = s.analysis(s.arm(arm), "entropy_flat")[0]
        return next((t for t in steps if entropy[t] <= flat / 2), INF)
    drop = entropy[steps[0]] - entropy[steps[-1]]
    if drop <= 0:
        return INF
    return next(t for t in steps if entropy[steps[0]] - entropy[t] >= bar("periodic_drop") * drop)


def ticket_periodic_first(s):
    """The ticket's neurons become periodic (periodic_from) sooner than the base's (speedup); value:
    the ticket's step."""
    ticket, base = periodic_from(s, "ticket"), periodic_from(s, "base")
    value = None if ticket == INF else ticket
    if not grokked(s):
        return Judged(None, value, "base n.r.")
    return Judged(sooner(ticket, base), value, f"{times(ticket, base)} (>= {bar('speedup'):g}x)")


def after_memorization(s):
    """The base's Jaccard distances and test-accuracy changes, {end of interval: value} each, over the
    intervals that start at or after t_mem (jaccard_from; 'start': every interval, the original
    test): across the interval that holds memorization the mask changes most of all (the network
    leaves theta_0), which is not the transition the paper means."""
    base = s.arm("base")
    distance, jump = s.analysis(base, "jaccard_all"), s.analysis(base, "d_test_acc")
    ends = sorted(distance)
    starts = dict(zip(ends, [0] + ends[:-1]))
    t_mem = base["t_mem"] if base["t_mem"] is not None else INF
    keep = [t for t in ends if bar("jaccard_from") == "start" or starts[t] >= t_mem]
    if len(keep) < 2:
        raise Missing(f"seed {s.seed}: fewer than two intervals after t_mem")
    return {t: distance[t] for t in keep}, {t: jump[t] for t in keep}, keep[1] - keep[0]


def distance_peaks_with_accuracy(s):
    """After memorization (after_memorization), the interval with the largest Jaccard distance between
    the base's masks is within jaccard_within (one) interval of the one with the largest rise in test
    accuracy; value: where the distance peaks (end of the interval)."""
    distance, jump, interval = after_memorization(s)
    peak, rise = max(distance, key=distance.get), max(jump, key=jump.get)
    return Judged(abs(peak - rise) <= bar("jaccard_within") * interval, peak,
                  f"{abs(peak - rise) / interval:.0f} intervals from the rise at {rise:,} (<= {bar('jaccard_within')})")


def distance_correlates_with_accuracy(s):
    """After memorization, the Pearson correlation of the Jaccard distance and the test-accuracy
    change over the same intervals is >= jaccard_r (0.5); value: the correlation."""
    distance, jump, _ = after_memorization(s)
    steps = sorted(distance)
    r = pearson([distance[t] for t in steps], [jump[t] for t in steps])
    if r is None:
        return Judged(None, None, "constant")
    return Judged(r >= bar("jaccard_r"), r, f"{r - bar('jaccard_r'):+.2f} (>= {bar('jaccard_r')})")


def ticket_sooner_for_every_operation(s):
    """For every operation whose base generalized, the ticket generalizes sooner (speedup); the
    operations whose base never did are left out (not a failure of the ticket); undecided when
    none did; value: for how many operations the ticket is sooner."""
    pairs = [(b, s.arm("ticket", task=b["task"])) for b in s.all("base")]
    grokked = [(b, t) for b, t in pairs if b["t_gen"] is not None]
    if not pairs:
        raise Missing(f"seed {s.seed}: no operation ran")
    faster = sum(sooner(t_gen(t), t_gen(b)) for b, t in grokked)
    slowest = min((t_gen(b) / t_gen(t) for b, t in grokked), default=None)
    margin = f"{faster} of {len(grokked)}" + (f", least {slowest:.2f}x (>= {bar('speedup'):g}x)" if slowest else "")
    return Judged(faster == len(grokked) if grokked else None, faster, margin)


def popup_graph_falls(metric, arm="ep"):
    def test(s):
        at = s.analysis(s.arm(arm), metric, exp="graph")
        if POPUP_STEPS[0] not in at or POPUP_STEPS[-1] not in at:
            raise Missing(f"seed {s.seed}: no {metric} of {arm} at steps {POPUP_STEPS}")
        change = at[POPUP_STEPS[-1]] - at[POPUP_STEPS[0]]
        return Judged(change < 0, change, f"{change:+.3f} (< 0)")
    test.__doc__ = (f"{arm}'s {metric} (its learned mask as a graph, analysis.graph_metrics) is lower at "
                    f"step {POPUP_STEPS[-1]:,} than at step {POPUP_STEPS[0]:,}; value: the change.")
    return test


def dense_no_wd_fails(s):
    """The dense base trained without weight decay never reaches P; value: its final test accuracy."""
    base = s.arm("base_no_wd")
    return Judged(base["t_gen"] is None, base["final_test_acc"],
                  f"final {base['final_test_acc']:.3f} (< P)" if base["t_gen"] is None
                  else f"reached P at {base['t_gen']:,.0f}")
