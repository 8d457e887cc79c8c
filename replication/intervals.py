"""How large an effect is over seeds, and how sure: the estimators the report and the figures use.
numpy only; each a function of plain numbers, to be lifted out alone (copy this file; it imports
nothing of the project).

    from intervals import clopper_pearson, median_interval, censored_median_interval, sign_test, holm, kaplan_meier
    clopper_pearson(3, 3)                        # (0.292, 1.0): 3 seeds of 3 hold, 95% interval of the rate
    median_interval([6.8, 8.2, 9.0, 11.0, 12.4, 13.0, 17.1, 21.0, 29.0, 32.8])
                                                 # (12.7, 8.2, 29.0, 0.979): median, exact interval [x(2), x(9)], its coverage
    median_interval([29.0, 32.8, 6.8])           # (29.0, 6.8, 32.8, 0.75): three values: no 95% interval exists
    censored_median_interval([(25.0, ">="), (29.0, ""), (32.8, "")])  # (29.0, 32.8, 25.0, inf, 0.75): a bound widens it
    sign_test(9, 1)                              # 0.0107: one-sided P(at least 9 of 10 "for" | no effect)
    holm([0.01, 0.04, 0.03])                     # [0.03, 0.06, 0.06]: Holm's adjusted p-values
    kaplan_meier([600, 1700, None], [50_000] * 3) # fraction of seeds that have reached P by each step

Why intervals (Agarwal et al., "Deep RL at the Edge of the Statistical Precipice", NeurIPS 2021): a
verdict over three seeds is a success rate whose interval runs from 0.29 to 1, and the per-seed
speed-ups of one comparison vary by an order of magnitude, so a reader needs the size of the effect
with its uncertainty, not only a yes. At ten seeds exact methods beat resampling: the interval of a
median is a pair of order statistics whose coverage is known exactly (a percentile bootstrap of the
median of ten values returns about the 3rd and 8th, which cover 89%, not 95%).

Censoring. t_gen is the time to an event (test accuracy reaches P); a run that never reaches it is
censored at its length: its t_gen is only known to be later. A speed-up t_gen(slow) / t_gen(fast)
with a censored side is a bound (slow censored: a lower bound, marked ">=" or "≥"; fast censored: an
upper bound, "<=" or "≤"; both: "?"): it is never dropped; it enters the median as the range of values
it allows (censored_median_interval), so the median itself may be known only as a bound, and the
interval opens on the censored side. In kaplan_meier a censored time is None or NaN.
"""
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np



def _log_binom_pmf(i: int, n: int, p: float) -> float:
    """log P(X = i), X ~ Binomial(n, p), 0 < p < 1: in logs, so that n in the thousands neither
    overflows (math.comb times a float) nor underflows."""
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p))


def binom_cdf(j: int, n: int, p: float) -> float:
    """P(X <= j), X ~ Binomial(n, p), exact to rounding for any n (summed from logs, largest term first)."""
    if j < 0:
        return 0.0
    if j >= n or p <= 0:
        return 1.0
    if p >= 1:
        return 0.0
    if p == 0.5:  # the sign test's and the median's: exact in integers (Python's int / int rounds once)
        return sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n
    logs = [_log_binom_pmf(i, n, p) for i in range(j + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(v - top) for v in logs))


def clopper_pearson(k: int, n: int, level: float = 0.95) -> Tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial rate with k successes in n trials:
        lower = p such that P(X >= k | n, p) = (1 - level) / 2   (0 when k = 0)
        upper = p such that P(X <= k | n, p) = (1 - level) / 2   (1 when k = n)
    i.e. the Beta(k, n - k + 1) and Beta(k + 1, n - k) quantiles, found here by bisection on the exact
    binomial tail (binom_cdf, in logs: any n), so no scipy is needed."""
    if not (isinstance(k, (int, np.integer)) and isinstance(n, (int, np.integer))) or not 0 <= k <= n or n == 0:
        raise ValueError(f"need integers 0 <= k <= n and n > 0, got k={k}, n={n}")
    alpha = (1 - level) / 2

    def solve(f, target):  # the p in [0, 1] with f(p) = target, f falling
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
        return (lo + hi) / 2

    # P(X >= k) = 1 - P(X <= k - 1) = alpha  <=>  P(X <= k - 1) = 1 - alpha
    lower = 0.0 if k == 0 else solve(lambda p: binom_cdf(k - 1, n, p), 1 - alpha)
    upper = 1.0 if k == n else solve(lambda p: binom_cdf(k, n, p), alpha)
    return lower, upper


def order_statistic_rank(n: int, level: float = 0.95) -> Tuple[int, float]:
    """(j, coverage): the largest j (1 <= j <= n / 2 + 1/2) whose interval [x(j), x(n+1-j)] of n sorted
    values covers the median of their distribution with probability
        coverage = 1 - 2 P(Bin(n, 1/2) <= j - 1)   (exact, for any continuous distribution)
    at least `level`; when none does (n < 6 at 95%), j = 1, the range [min, max], whose coverage
    1 - 2 / 2^n is then below `level`. For n = 10 at 95%: j = 2, coverage 0.979."""
    if n < 1:
        raise ValueError("no values")
    j = 1
    while j + 1 <= (n + 1) // 2 and 1 - 2 * binom_cdf(j, n, 0.5) >= level:
        j += 1
    return j, 1 - 2 * binom_cdf(j - 1, n, 0.5)


def _checked(values):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values")
    if np.isnan(values).any():
        raise ValueError("a value is NaN: give a censored seed as a bound to censored_median_interval, "
                         "or leave it out and say so")
    return values


def median_interval(values: Sequence[float], level: float = 0.95) -> Tuple[float, float, float, float]:
    """(median, lower, upper, coverage): the median of `values` (one per seed) and the distribution-free
    interval of the median of their distribution, [x(j), x(n+1-j)] of the sorted values with j from
    order_statistic_rank: exact, no random numbers, and `coverage` its actual confidence (>= level,
    or below it when n is too small for any such interval to reach it: say so beside it)."""
    x = np.sort(_checked(values))
    j, coverage = order_statistic_rank(x.size, level)
    return float(np.median(x)), float(x[j - 1]), float(x[x.size - j]), coverage


LOWER = {"≥": False, ">=": False, "": False, "≤": True, "<=": True, "?": True}  # the lower end is 0
UPPER = {"≥": True, ">=": True, "": False, "≤": False, "<=": False, "?": True}  # the upper end is inf


def ratio(slow: Optional[float], fast: Optional[float], length: float) -> Tuple[float, str]:
    """(slow / fast, censored): a speed-up of two t_gen, each None (never reached) counted as the run's
    `length`. censored is "" when both reached P, else what the ratio then is: "≥" a lower bound (slow
    never reached), "≤" an upper bound (fast never reached), "?" neither (both never reached)."""
    censored = {(False, False): "", (True, False): "≥", (False, True): "≤", (True, True): "?"}[
        slow is None, fast is None]
    slow, fast = (length if slow is None else slow), (length if fast is None else fast)
    return (slow / fast if fast else math.inf), censored


def censored_median_interval(effects: Sequence[Tuple[float, str]], level: float = 0.95
                             ) -> Tuple[float, float, float, float, float]:
    """(low, high, lower, upper, coverage) for effects [(ratio, mark)] from ratio(), some of them
    bounds. Each seed's true ratio lies in a range: [r, r] when both arms reached P, [r, inf) for
    ">=" / "≥", [0, r] for "<=" / "≤", [0, inf) for "?". The median over seeds then lies in
    [low, high] = [median of the ranges' lower ends, median of their upper ends] (low == high: the
    censoring does not reach the middle and the median is known). The interval is the order-statistic
    interval of median_interval with its lower end x(j) taken from the lower ends and its upper end
    x(n+1-j) from the upper ends: for every set of true values the censoring allows, x_true(j) >=
    x_low(j) and x_true(n+1-j) <= x_high(n+1-j), so it contains their exact interval and covers the
    median with at least `coverage`; a censored seed widens it, never narrows it."""
    if not effects:
        raise ValueError("no values")
    low_ends = np.sort(_checked([0.0 if LOWER[mark] else r for r, mark in effects]))
    high_ends = np.sort(_checked([math.inf if UPPER[mark] else r for r, mark in effects]))
    n = len(effects)
    j, coverage = order_statistic_rank(n, level)
    middle = lambda x: float(x[n // 2]) if n % 2 else float((x[n // 2 - 1] + x[n // 2]) / 2)
    return middle(low_ends), middle(high_ends), float(low_ends[j - 1]), float(high_ends[n - j]), coverage


def sign_test(n_for: int, n_against: int) -> float:
    """The exact one-sided sign test: P(at least n_for of n = n_for + n_against seeds fall on the
    claim's side | each side equally likely) = P(Bin(n, 1/2) >= n_for). Seeds that fall on neither side
    (their bounds straddle the bar) are left out, as ties are in a sign test. 1.0 with no seed."""
    n = n_for + n_against
    return 1.0 if n == 0 else 1 - binom_cdf(n_for - 1, n, 0.5)


def holm(pvalues: Sequence[float]) -> List[float]:
    """Holm's step-down adjustment of a family of p-values (controls the family-wise error rate
    without assuming independence): sorted ascending, p_(i) becomes max over i' <= i of
    min(1, (m - i' + 1) p_(i')); returned in the given order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def kaplan_meier(times: Sequence[Optional[float]], lengths: Sequence[float]) -> Tuple[List[float], List[float]]:
    """The fraction of seeds that have reached P by each step, a Kaplan-Meier estimate: `times` holds
    each seed's t_gen (None or NaN: never reached, censored at its run's `lengths` entry). Returns (steps,
    fraction): at each step where a seed reached P, 1 - S(t), with
        S(t) = prod over event steps t_i <= t of (1 - d_i / n_i),
    d_i the seeds reaching P at t_i and n_i those still at risk (neither reached nor censored before
    t_i). With every run of one length this is simply the share of seeds reached by t."""
    reached = lambda t: t is not None and not (isinstance(t, float) and math.isnan(t))
    events = sorted((t if reached(t) else length, reached(t)) for t, length in zip(times, lengths))
    steps, fraction, surviving, at_risk = [0], [0.0], 1.0, len(events)
    i = 0
    while i < len(events):
        t = events[i][0]
        same = [reached for step, reached in events if step == t]
        reached = sum(same)
        if reached:
            surviving *= 1 - reached / at_risk
            steps.append(t)
            fraction.append(1 - surviving)
        at_risk -= len(same)
        i += len(same)
    return steps, fraction
