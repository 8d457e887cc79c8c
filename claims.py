"""The paper's claims as code: each a test of one seed's runs, and the table of them (CLAIMS).

    from claims import CLAIMS, Seed
    holds, value = claim.test(Seed(seed, summary_rows_of_that_seed, curves, analysis))

A claim is the paper's words and their source, the paper's number where there is one, the command that
makes the runs, which summary rows it reads (exp, and optionally model, task, steps) and a test: a
function of one seed's runs that returns (holds, value). `holds` is True, False, or None when the
seed cannot decide (for instance the base never reached t_gen, so its mask is a transition ticket,
not a grokking ticket); `value` is the number shown as "ours" (each test's docstring ends with what it
is). Kinds: `paper` (the paper's claim), `sub` (a finer claim read from the paper's figures),
`variant` (the authors' code's setting where it differs from the paper), `diagnostic` (a measurement
that may explain a gap; its "claim" is the hypothesis tested). report.py judges them over seeds.
"""
import math
import statistics
from dataclasses import dataclass
from typing import Callable

INF = math.inf


# ---------------------------------------------------------------------------------------------------
# The runs of one seed, as the tests see them

class Missing(Exception):
    """A run a claim needs is not there (not run yet): the seed is left out of the verdict."""


def number(value):
    if value in ("", None):
        return None
    try:
        return float(value)
    except ValueError:
        return value


class Seed:
    """One seed's summary rows (numbers parsed, '' as None) of one claim, and their curves."""

    def __init__(self, seed, rows, curves, analysis=None):
        self.seed, self.rows, self._curves, self._analysis = seed, rows, curves, analysis or {}

    def all(self, arm, **match):
        return [r for r in self.rows if r["arm"] == arm and all(r[k] == v for k, v in match.items())]

    def arm(self, arm, **match):
        """The one row of `arm` (and `match`, e.g. prune_rate=0.9); Missing when it is not there."""
        found = self.all(arm, **match)
        if not found:
            raise Missing(f"seed {self.seed}: no {arm} {match}")
        return found[-1]

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


# ---------------------------------------------------------------------------------------------------
# The tests: one seed's runs -> (holds, value)

def base_groks(s):
    """Train accuracy reaches P within 1,000 steps and test accuracy reaches it at least ten times later;
    value: the base's t_gen."""
    base = s.arm("base")
    if base["t_mem"] is None or base["t_gen"] is None:
        return False, base["t_gen"]
    return base["t_mem"] <= 1000 and base["t_gen"] >= 10 * base["t_mem"], base["t_gen"]


SPEEDUP = 2.0
"""'Sooner' and 'speed-up' mean reaching P in at most 1/SPEEDUP of the steps of what it is compared
with: the paper's tickets are 4-5x faster (~6k vs ~25-30k), and a few percent is within the seed-to-seed
and machine-to-machine spread of t_gen."""


def sooner(a, b):
    """t_gen a is a speed-up over t_gen b (either may be infinity: not reached)."""
    return a * SPEEDUP <= b and a != INF


def grokked(s):
    """False when the base never reached t_gen: its mask is then a transition ticket (SPEC 4)."""
    return s.arm("base")["t_gen"] is not None


def ticket_before_base(arm="ticket"):
    def test(s):
        ticket = s.arm(arm)
        if not grokked(s):
            return None, ticket["t_gen"]
        return sooner(t_gen(ticket), t_gen(s.arm("base"))), ticket["t_gen"]
    test.__doc__ = (f"t_gen({arm}) sooner than t_gen(base); inconclusive when the base never generalized; "
                    f"value: t_gen of {arm}.")
    return test


def ticket_before_norm_controls(s):
    """t_gen(ticket) sooner than t_gen(same_l1) and t_gen(same_l2); value: the sooner control's t_gen."""
    ticket, l1, l2 = s.arm("ticket"), s.arm("same_l1"), s.arm("same_l2")
    first = min(t_gen(l1), t_gen(l2))
    value = None if first == INF else first
    if not grokked(s):
        return None, value
    return sooner(t_gen(ticket), first), value


L2_SPREAD = 1.25  # "similar": the largest final L2 norm at most 25% above the smallest
L1_GAP = 0.9      # "lower": the ticket's final L1 norm at most 90% of every dense arm's


def norms_l2_converge_l1_not(s):
    """max/min of the final L2 norms of base, ticket, same_l1, same_l2 <= L2_SPREAD, and the ticket's
    final L1 norm <= L1_GAP x the smallest dense one; value: the L2 max/min ratio."""
    rows = [s.arm(a) for a in ("base", "ticket", "same_l1", "same_l2")]
    l2 = [r["l2_final"] for r in rows]
    ratio = max(l2) / min(l2)
    l1_lower = rows[1]["l1_final"] <= L1_GAP * min(r["l1_final"] for r in rows[:1] + rows[2:])
    return ratio <= L2_SPREAD and l1_lower, ratio


PRUNE_RATES = tuple(k / 10 for k in range(1, 10))


def most_rates_accelerate(s):
    """More than half of k = 0.1 ... 0.9 reach P sooner than the base (SPEEDUP); value: how many do."""
    base = s.arm("base")
    tickets = [s.arm("ticket", prune_rate=k) for k in PRUNE_RATES]
    if not grokked(s):
        return None, None
    faster = sum(sooner(t_gen(t), t_gen(base)) for t in tickets)
    return faster > len(tickets) / 2, faster


def rate_fails(k):
    def test(s):
        ticket = s.arm("ticket", prune_rate=k)
        if not grokked(s):  # a transition ticket says nothing about grokking tickets
            return None, ticket["final_test_acc"]
        return ticket["t_gen"] is None, ticket["final_test_acc"]
    test.__doc__ = (f"the ticket at k = {k} never reaches P (inconclusive when the base never generalized); "
                    "value: its final test accuracy.")
    return test


def tau_smallest_near_07(s):
    """The k of the smallest tau_grok (over the tickets that reach P) is within 0.1 of 0.7; value: that k."""
    tickets = [s.arm("ticket", prune_rate=k) for k in PRUNE_RATES]
    reached = [t for t in tickets if t["tau_grok"] is not None]
    if not grokked(s) or not reached:
        return None, None
    best = min(reached, key=lambda t: t["tau_grok"])["prune_rate"]
    return abs(best - 0.7) <= 0.1 + 1e-9, best


PAI = ("random", "snip", "grasp", "synflow")


def later(row):
    """Sort key of 'worse': later to P, then (neither reaching it) lower final test accuracy."""
    return t_gen(row), -row["final_test_acc"]


def pai_no_speedup(s):
    """No PaI mask is a speed-up over the base (SPEEDUP); value: the soonest PaI t_gen."""
    base, pai = s.arm("base"), [s.arm(a) for a in PAI]
    soonest = min(t_gen(r) for r in pai)
    value = None if soonest == INF else soonest
    if not grokked(s):
        return None, value
    return not sooner(soonest, t_gen(base)), value


def ticket_before_pai(s):
    """The grokking ticket is a speed-up over every PaI mask; value: its t_gen."""
    ticket, pai = s.arm("ticket"), [s.arm(a) for a in PAI]
    if not grokked(s):
        return None, ticket["t_gen"]
    return sooner(t_gen(ticket), min(t_gen(r) for r in pai)), ticket["t_gen"]


def some_pai_worse_than_random(s):
    """At least one of SNIP, GraSP, SynFlow is worse than Random (later to P, or lower final test
    accuracy when neither reaches it); value: how many are."""
    random = s.arm("random")
    worse = sum(later(s.arm(a)) > later(random) for a in PAI[1:])
    return worse >= 1, worse


def grasp_worse_than_random(s):
    """GraSP is worse than Random (as `later`); value: GraSP's final test accuracy."""
    grasp = s.arm("grasp")
    return later(grasp) > later(s.arm("random")), grasp["final_test_acc"]


def memorizing(s):
    """theta_mem: train accuracy 1, test accuracy below 0.1; value: its test accuracy."""
    mem = s.arm("mem")
    return mem["final_train_acc"] >= 1.0 and mem["final_test_acc"] < 0.1, mem["final_test_acc"]


POPUP_STEPS = (600, 1000, 1400, 2000)  # where v3's Table 1 reports test accuracy
PAPER_TABLE_1 = {"wd": (0.53, 0.95, 1.00, 1.00), "ep": (0.68, 0.80, 0.84, 0.92),
                 "ep_wd": (0.82, 0.96, 0.99, 1.00)}  # v3 Table 1, means of 3 seeds, at POPUP_STEPS
# v3 Table 1 (bottom), EP's mask at POPUP_STEPS (the path length only at the first and last)
PAPER_TABLE_1_GRAPH = {("ep", "weighted_spectral_gap"): (0.612, 0.810, 0.479, 0.358),
                       ("ep", "ramanujan_gap"): (-2.550, -4.022, -4.335, -4.555),
                       ("ep", "average_shortest_path"): (1.964, None, None, 1.959)}
EP_TARGET = 0.9  # "~0.92" (v3 Table 1, mean of 3 seeds): a seed holds with >= 0.9 at step 2,000


def popup_reaches(arm, step=2000, target=EP_TARGET):
    def test(s):
        acc = s.acc_at(s.arm(arm), step)
        return acc >= target, acc
    test.__doc__ = f"test accuracy of {arm} at step {step} >= {target}; value: that accuracy."
    return test


def popup_lifts(s):
    """EP's test accuracy at step 2,000 is at least 0.3 above theta_mem's; value: the lift."""
    lift = s.acc_at(s.arm("ep"), 2000) - s.arm("mem")["final_test_acc"]
    return lift >= 0.3, lift


def leak_lifts(s):
    """The authors' re-seeded split (test pairs that were theta_mem's training pairs) lifts EP's test
    accuracy at step 2,000 by at least 0.05; value: the lift."""
    lift = s.acc_at(s.arm("ep_sd_leak"), 2000) - s.acc_at(s.arm("ep_sd"), 2000)
    return lift >= 0.05, lift


def phase_rows(s):
    base = s.arm("base")
    tickets = sorted(s.all("ticket"), key=lambda r: r["source_step"])
    if not tickets:
        raise Missing(f"seed {s.seed}: no phase tickets")
    return base, tickets


def generalized_masks_fast(s):
    """Every mask from a step >= t_gen(base) is a speed-up over the base; value: the latest t_gen
    among them."""
    base, tickets = phase_rows(s)
    late = [t for t in tickets if base["t_gen"] is not None and t["source_step"] >= base["t_gen"]]
    if not late:
        return None, None
    worst = max(t_gen(t) for t in late)
    return sooner(worst, t_gen(base)), None if worst == INF else worst


def early_masks_no_speedup(s):
    """No mask from a step < t_gen(base) (memorization, transition) is a speed-up over the base;
    value: how many of them are."""
    base, tickets = phase_rows(s)
    if base["t_gen"] is None:
        return None, None
    early = [t for t in tickets if t["source_step"] < base["t_gen"]]
    faster = sum(sooner(t_gen(t), t_gen(base)) for t in early)
    return faster == 0, faster


TRACK_RHO = 0.9


def tracks_source(at_step=None):
    def test(s):
        _, tickets = phase_rows(s)
        source = [t["source_test_acc"] for t in tickets]
        acc = [s.acc_at(t, at_step) if at_step else t["final_test_acc"] for t in tickets]
        rho = spearman(source, acc)
        return (None, None) if rho is None else (rho >= TRACK_RHO, rho)
    when = f"at step {at_step:,} of its training" if at_step else "at the end of its training"
    test.__doc__ = (f"Spearman correlation, over the masks, between the base's test accuracy at the "
                    f"source step and the ticket's test accuracy {when} is >= {TRACK_RHO}; value: the "
                    "correlation.")
    return test


def some_rate_generalizes(lo, hi):
    def test(s):
        tickets = [t for t in s.all("ticket") if lo - 1e-9 <= t["prune_rate"] <= hi + 1e-9]
        if not tickets:
            raise Missing(f"seed {s.seed}: no ticket with k in [{lo}, {hi}]")
        best = max(t["final_test_acc"] for t in tickets)
        if not grokked(s):  # a transition ticket says nothing about grokking tickets
            return None, best
        return any(t["t_gen"] is not None for t in tickets), best
    test.__doc__ = (f"some ticket with k in [{lo}, {hi}] trained without weight decay reaches P "
                    "(inconclusive when the base never generalized); value: the best final test accuracy "
                    "among them.")
    return test


PERIODIC_DROP = 0.9


def periodic_from(s, arm):
    """The first checkpoint step by which the mean Fourier entropy of the neurons' input weights has
    made PERIODIC_DROP of its whole drop from step 0 to the end of the run: when the neurons have
    become as periodic as they will get. Infinity when it never drops."""
    entropy = s.analysis(s.arm(arm), "entropy_in")
    steps = sorted(entropy)
    drop = entropy[steps[0]] - entropy[steps[-1]]
    if drop <= 0:
        return INF
    return next(t for t in steps if entropy[steps[0]] - entropy[t] >= PERIODIC_DROP * drop)


def ticket_periodic_first(s):
    """The ticket's neurons become periodic (periodic_from) at least 2x sooner than the base's; value:
    the ticket's step."""
    ticket, base = periodic_from(s, "ticket"), periodic_from(s, "base")
    value = None if ticket == INF else ticket
    if not grokked(s):
        return None, value
    return sooner(ticket, base), value


def after_memorization(s):
    """The base's Jaccard distances and test-accuracy changes, {end of interval: value} each, over the
    intervals that start at or after t_mem: across the interval that holds memorization the mask
    changes most of all (the network leaves theta_0), which is not the transition the paper means."""
    base = s.arm("base")
    distance, jump = s.analysis(base, "jaccard_all"), s.analysis(base, "d_test_acc")
    ends = sorted(distance)
    starts = dict(zip(ends, [0] + ends[:-1]))
    t_mem = base["t_mem"] if base["t_mem"] is not None else INF
    keep = [t for t in ends if starts[t] >= t_mem]
    if len(keep) < 2:
        raise Missing(f"seed {s.seed}: fewer than two intervals after t_mem")
    return {t: distance[t] for t in keep}, {t: jump[t] for t in keep}, keep[1] - keep[0]


def distance_peaks_with_accuracy(s):
    """After memorization (after_memorization), the interval with the largest Jaccard distance between
    the base's masks is within one interval of the one with the largest rise in test accuracy;
    value: where the distance peaks (end of the interval)."""
    distance, jump, interval = after_memorization(s)
    peak, rise = max(distance, key=distance.get), max(jump, key=jump.get)
    return abs(peak - rise) <= interval, peak


def distance_correlates_with_accuracy(s):
    """After memorization, the Pearson correlation of the Jaccard distance and the test-accuracy
    change over the same intervals is >= 0.5; value: the correlation."""
    distance, jump, _ = after_memorization(s)
    steps = sorted(distance)
    r = pearson([distance[t] for t in steps], [jump[t] for t in steps])
    return (None, None) if r is None else (r >= 0.5, r)


def ticket_sooner_for_every_operation(s):
    """For every operation whose base generalized, the ticket generalizes sooner (SPEEDUP); the
    operations whose base never did are left out (not a failure of the ticket); inconclusive when
    none did; value: for how many operations the ticket is sooner."""
    pairs = [(b, s.arm("ticket", task=b["task"])) for b in s.all("base")]
    grokked = [(b, t) for b, t in pairs if b["t_gen"] is not None]
    if not pairs:
        raise Missing(f"seed {s.seed}: no operation ran")
    faster = sum(sooner(t_gen(t), t_gen(b)) for b, t in grokked)
    return (faster == len(grokked) if grokked else None), faster


def popup_graph_falls(metric, arm="ep"):
    def test(s):
        at = s.analysis(s.arm(arm), metric, exp="graph")
        if POPUP_STEPS[0] not in at or POPUP_STEPS[-1] not in at:
            raise Missing(f"seed {s.seed}: no {metric} of {arm} at steps {POPUP_STEPS}")
        change = at[POPUP_STEPS[-1]] - at[POPUP_STEPS[0]]
        return change < 0, change
    test.__doc__ = (f"{arm}'s {metric} (its learned mask as a graph, analysis.graph_metrics) is lower at "
                    f"step {POPUP_STEPS[-1]:,} than at step {POPUP_STEPS[0]:,}; value: the change.")
    return test


def dense_no_wd_fails(s):
    """The dense base trained without weight decay never reaches P; value: its final test accuracy."""
    base = s.arm("base_no_wd")
    return base["t_gen"] is None, base["final_test_acc"]


# ---------------------------------------------------------------------------------------------------
# The claims

@dataclass
class Claim:
    name: str
    section: str
    paper: str
    """the paper's words (or, for variants and diagnostics, the hypothesis)"""
    source: str
    paper_value: str
    command: str
    select: dict
    """summary rows the claim reads: exp, and optionally model, task, steps"""
    test: Callable
    spec: str = ",.0f"
    """format of the value"""
    kind: str = "paper"


MLP_TVN = "python grok.py --exp ticket_vs_norm --seeds 0,1,2 --out runs/mlp"
TASKS_TVN = "python grok.py --exp ticket_vs_norm --task {} --seeds 0,1,2 --out runs/tasks"
TASKS_TICKET = "python grok.py --exp ticket --task {} --seeds 0,1,2 --out runs/tasks"
TF_TVN = "python grok.py --exp ticket_vs_norm --model transformer --seeds 0,1,2 --out runs/transformer"
MNIST_TVN = ("OMP_NUM_THREADS=1 python grok.py --exp ticket_vs_norm --task mnist --seeds 0,1,2 "
             "--data-dir ../shared/data/mnist-5k --out runs/mnist")
# the paper's MNIST length: shorter runs (an earlier session's 20,000 steps, where the base had barely
# passed P = 85%, so its mask was close to a transition ticket) are shown, not judged
MNIST_STEPS = 100_000
PAPER = "python grok.py --exp {} --seeds 0,1,2 --out runs/paper"
NO_WD_30K = ("python grok.py --exp no_wd --steps 30000 {}--prune-rates 0.6,0.7,0.75,0.8,0.81,0.85,0.9 "
             "--seeds 0 --out runs/variants")


def tvn_claims(model, task, command, source, base_value="-", ticket_value="sooner", steps=None):
    """The claims of ticket_vs_norm for one task and model: on the runs of length `steps`, or else
    each seed's shortest runs whose base generalized (report.selected)."""
    sel = dict(exp="ticket_vs_norm", model=model, task=task, **({"steps": steps} if steps else {}))
    tag, section = f"{task}_{model}", "ticket_vs_norm"
    return [
        Claim(f"{tag}_base_groks", section, "the dense network groks: train accuracy reaches P by step "
              "1,000, test accuracy at least ten times later", source, base_value, command, sel,
              base_groks),
        Claim(f"{tag}_ticket_early", section, "the grokking ticket generalizes sooner than the base (at least 2x)",
              source, ticket_value, command, sel, ticket_before_base()),
        Claim(f"{tag}_norm_not_enough", section, "dense theta_0 rescaled to the ticket's L1 or L2 norm "
              "generalizes later than the ticket (the ticket at least 2x sooner)", source, "late (grokking)",
              command, sel, ticket_before_norm_controls),
        Claim(f"{tag}_norms", section, f"final L2 norms of the four arms similar (max/min <= {L2_SPREAD}), "
              f"L1 norms not (ticket's <= {L1_GAP} x the dense ones)", "v2 Fig. 3", "no number", command,
              sel, norms_l2_converge_l1_not, spec=".2f", kind="sub"),
    ]


CLAIMS = [
    *tvn_claims("mlp", "add", MLP_TVN, "v1 Fig. 1, v2 Fig. 3", "t_gen ~25-30k", "~6k"),
    *tvn_claims("transformer", "add", TF_TVN, "v1 Fig. 1, v2 Fig. 3"),
    *tvn_claims("mlp", "mnist", MNIST_TVN, "v1 Fig. 4, v2", steps=MNIST_STEPS),
    Claim("mnist_mlp_unrewound", "ticket_vs_norm", "the authors' MNIST \"ticket\" (final weights x m, "
          "not rewound) generalizes sooner than the base", "authors' config_pruning_mnist.py", "-",
          MNIST_TVN, dict(exp="ticket_vs_norm", task="mnist", steps=MNIST_STEPS),
          ticket_before_base("ticket_trained"), kind="variant"),

    Claim("prune_rate_most", "prune_rate", "most pruning rates k accelerate generalization",
          "v3 Fig. 3", "most of 0.1-0.9", PAPER.format("prune_rate"), dict(exp="prune_rate"),
          most_rates_accelerate),
    Claim("prune_rate_0.9_fails", "prune_rate", "k = 0.9 fails (test accuracy stuck)", "v3 Fig. 3",
          "~0.4", PAPER.format("prune_rate"), dict(exp="prune_rate"), rate_fails(0.9), spec=".3f"),
    Claim("prune_rate_tau", "prune_rate", "tau_grok is smallest near k = 0.7 (within 0.1)", "v3 Fig. 3",
          "0.7", PAPER.format("prune_rate"), dict(exp="prune_rate"), tau_smallest_near_07, spec=".1f"),

    Claim("pai_no_speedup", "pai", "masks pruned at initialization (Random, SNIP, GraSP, SynFlow) give "
          "no speed-up over the base", "v2 Fig. 6", "no speed-up", PAPER.format("pai"), dict(exp="pai"),
          pai_no_speedup),
    Claim("pai_ticket_first", "pai", "the grokking ticket generalizes sooner than every PaI mask",
          "v2 Fig. 6", "-", PAPER.format("pai"), dict(exp="pai"), ticket_before_pai),
    Claim("pai_worse_than_random", "pai", "some PaI methods are worse than Random", "v2 Fig. 6",
          "some", PAPER.format("pai"), dict(exp="pai"), some_pai_worse_than_random),
    Claim("pai_grasp", "pai", "GraSP is worse than Random", "ours (seed 0, earlier RESULTS)", "-",
          PAPER.format("pai"), dict(exp="pai"), grasp_worse_than_random, spec=".3f", kind="sub"),

    Claim("edge_popup_mem", "edge_popup", "theta_mem memorizes (train 100%, test below 0.1)",
          "v3 §4", "near chance", PAPER.format("edge_popup"), dict(exp="edge_popup"), memorizing,
          spec=".3f", kind="sub"),
    Claim("edge_popup_ep", "edge_popup", f"learning only the mask (EP) of a memorizing network reaches "
          f"~0.92 test accuracy by step 2,000 (a seed holds with >= {EP_TARGET})", "v3 Table 1", "0.92",
          PAPER.format("edge_popup"), dict(exp="edge_popup"), popup_reaches("ep"), spec=".3f"),
    Claim("edge_popup_ep_lifts", "edge_popup", "EP lifts test accuracy by >= 0.3 above theta_mem's, "
          "weights unchanged", "v3 Table 1", "0.92 - chance", PAPER.format("edge_popup"),
          dict(exp="edge_popup"), popup_lifts, spec=".3f", kind="sub"),
    Claim("edge_popup_wd", "edge_popup", "WD (weights trained) reaches ~1.0 by step 1,400",
          "v3 Table 1", "1.00", PAPER.format("edge_popup"), dict(exp="edge_popup"),
          popup_reaches("wd", 1400, 0.95), spec=".3f"),
    Claim("edge_popup_ep_wd", "edge_popup", "EP+WD reaches ~1.0 by step 1,400", "v3 Table 1", "0.99",
          PAPER.format("edge_popup"), dict(exp="edge_popup"), popup_reaches("ep_wd", 1400, 0.95),
          spec=".3f"),
    Claim("edge_popup_ep_sd", "edge_popup", f"EP with the scores decayed as in the authors' code reaches "
          f">= {EP_TARGET} by step 2,000", "authors' slth branch", "0.92", PAPER.format("edge_popup"),
          dict(exp="edge_popup"), popup_reaches("ep_sd"), spec=".3f", kind="variant"),
    Claim("edge_popup_ep_wd_sd", "edge_popup", "EP+WD with the scores decayed reaches ~1.0 by step 1,400",
          "authors' slth branch", "0.99", PAPER.format("edge_popup"), dict(exp="edge_popup"),
          popup_reaches("ep_wd_sd", 1400, 0.95), spec=".3f", kind="variant"),
    Claim("edge_popup_leak", "edge_popup", "the authors' re-seeded split (half the test pairs were "
          "theta_mem's training pairs) lifts EP's test accuracy at step 2,000 by >= 0.05",
          "authors' slth branch", "-", PAPER.format("edge_popup"), dict(exp="edge_popup"), leak_lifts,
          spec="+.3f", kind="diagnostic"),

    Claim("phase_generalized", "phase_tickets", "masks from the generalized network (step >= the "
          "base's t_gen) generalize sooner than the base", "v1 Fig. 2, v2 Fig. 4", "fast from ~25k",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), generalized_masks_fast),
    Claim("phase_early", "phase_tickets", "masks from memorization or transition (step < the base's "
          "t_gen) give no speed-up", "v1 Fig. 2, v2 Fig. 4", "none before ~25k",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), early_masks_no_speedup),
    Claim("phase_tracks_final", "phase_tickets", "their final test accuracy tracks the base's test "
          f"accuracy at the source step (Spearman >= {TRACK_RHO})", "v1 Fig. 2", "tracks",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), tracks_source(), spec=".2f"),
    Claim("phase_tracks_1000", "phase_tickets", "their test accuracy at step 1,000 tracks the base's "
          f"at the source step (Spearman >= {TRACK_RHO})", "v1 Fig. 2 (our reading)", "tracks",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), tracks_source(1000), spec=".2f",
          kind="sub"),

    Claim("fourier_ticket_first", "fourier", "the ticket's neurons become periodic by ~2k steps, the "
          "base's only by ~30k (first checkpoint by which the mean Fourier entropy has made 90% of its "
          "drop; the ticket at least 2x sooner)", "v3 §5.2, Fig. 8", "~2k vs ~30k", PAPER.format("fourier"),
          dict(exp="fourier"), ticket_periodic_first),
    Claim("jaccard_peak", "jaccard", "the largest distance between masks 2k steps apart coincides "
          "with the largest jump in test accuracy (within one interval; intervals after t_mem)", "v3 §5.1, Fig. 7", "16-20k",
          PAPER.format("jaccard"), dict(exp="jaccard"), distance_peaks_with_accuracy),
    Claim("jaccard_correlates", "jaccard", "mask distance and test-accuracy change over the same "
          "intervals after t_mem correlate (Pearson >= 0.5)", "v3 §5.1, Fig. 7", "-", PAPER.format("jaccard"),
          dict(exp="jaccard"), distance_correlates_with_accuracy, spec=".2f", kind="sub"),

    Claim("ops_every_operation", "ops", "the grokking ticket reduces t_gen for every operation (those "
          "whose base generalized)", "v3 Fig. 2c", "every operation", PAPER.format("ops"), dict(exp="ops"),
          ticket_sooner_for_every_operation),

    Claim("graph_popup_weighted_gap", "graph", "EP's weighted spectral gap falls as its mask is learned "
          "(0.612 at step 600, 0.358 at 2,000)", "v3 Table 1 (bottom)", "-0.254", PAPER.format("graph"),
          dict(exp="edge_popup"), popup_graph_falls("weighted_spectral_gap"), spec="+.3f"),
    Claim("graph_popup_ramanujan", "graph", "EP's Ramanujan gap falls as its mask is learned (-2.550 at "
          "step 600, -4.555 at 2,000)", "v3 Table 1 (bottom)", "-2.005", PAPER.format("graph"),
          dict(exp="edge_popup"), popup_graph_falls("ramanujan_gap"), spec="+.3f"),

    Claim("parity_mlp_base_groks", "tasks", "sparse parity: the dense network groks: train accuracy "
          "reaches P by step 1,000, test accuracy at least ten times later", "v3 Fig. 2e", "-",
          TASKS_TICKET.format("parity"), dict(exp="ticket", task="parity"), base_groks),
    Claim("parity_mlp_ticket_early", "tasks", "sparse parity: the grokking ticket generalizes sooner "
          "than the base (at least 2x)", "v3 Fig. 2e", "sooner", TASKS_TICKET.format("parity"),
          dict(exp="ticket", task="parity"), ticket_before_base()),
    Claim("poly_mlp_base_groks", "tasks", "polynomial regression: the dense network groks: its train "
          "loss falls by P = 95% by step 1,000, its test loss only at least ten times later", "v3 Fig. 2d",
          "-", TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"), base_groks),
    Claim("poly_mlp_ticket_early", "tasks", "polynomial regression: the grokking ticket's test loss "
          "falls by P sooner than the base's (at least 2x)", "v3 Fig. 2d", "sooner",
          TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"), ticket_before_base()),
    Claim("poly_mlp_norm_not_enough", "tasks", "polynomial regression: dense theta_0 rescaled to the "
          "ticket's L1 or L2 norm generalizes later than the ticket (at least 2x)", "v3 Fig. 2d",
          "late", TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"),
          ticket_before_norm_controls),

    Claim("no_wd_critical", "no_wd", "at the critical k ~ 0.81 a ticket generalizes without weight decay",
          "v2 Fig. 7, v3", "generalizes", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
          some_rate_generalizes(0.80, 0.82), spec=".3f"),
    Claim("no_wd_any", "no_wd", "some k in 0.1-0.9 generalizes without weight decay", "v2 Fig. 7",
          "yes", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
          some_rate_generalizes(0.1, 0.9), spec=".3f", kind="sub"),
    Claim("no_wd_0.9_fails", "no_wd", "at k = 0.9 the ticket without weight decay fails", "v2 Fig. 7",
          "fails", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000), rate_fails(0.9),
          spec=".3f"),
    Claim("no_wd_dense_fails", "no_wd", "the dense network without weight decay does not generalize",
          "v2 Fig. 7", "fails", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
          dense_no_wd_fails, spec=".3f", kind="sub"),
    Claim("no_wd_transformer_30k", "no_wd", "the authors' committed no-wd run: Transformer, base and "
          "tickets 30,000 steps; some k in 0.6-0.9 generalizes without weight decay",
          "authors' master run.sh", "-", NO_WD_30K.format("--model transformer "),
          dict(exp="no_wd", model="transformer", steps=30000), some_rate_generalizes(0.6, 0.9),
          spec=".3f", kind="variant"),
    Claim("no_wd_mlp_30k", "no_wd", "the MLP with the mask of a 30,000-step base, tickets 30,000 steps: "
          "some k in 0.6-0.9 generalizes without weight decay", "authors' master config", "-",
          NO_WD_30K.format(""), dict(exp="no_wd", model="mlp", steps=30000),
          some_rate_generalizes(0.6, 0.9), spec=".3f", kind="variant"),
]
