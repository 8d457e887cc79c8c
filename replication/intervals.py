"""How large an effect is over seeds, and how sure: the three estimators report.py and plot.py use.
numpy only; each a function of plain numbers, to be lifted out alone.

    from intervals import clopper_pearson, median_interval, kaplan_meier
    clopper_pearson(3, 3)                        # (0.292, 1.0): 3 seeds of 3 hold, 95% interval of the rate
    median_interval([29.0, 32.8, 6.8])           # (29.0, 6.8, 32.8): median speed-up, 95% bootstrap interval
    censored_median_interval([(25.0, "≥"), (29.0, ""), (32.8, "")])  # (29.0, 32.8, 25.0, inf): a bound widens it
    kaplan_meier([600, 1700, None], [50_000] * 3) # fraction of seeds that have reached P by each step

Why intervals (Agarwal et al., "Deep RL at the Edge of the Statistical Precipice", NeurIPS 2021): a
verdict over three seeds is a success rate whose interval runs from 0.29 to 1, and the per-seed
speed-ups of one comparison vary by an order of magnitude, so a reader needs the size of the effect
with its uncertainty, not only a yes.

Censoring. t_gen is the time to an event (test accuracy reaches P); a run that never reaches it is
censored at its length: its t_gen is only known to be later. A speed-up t_gen(slow) / t_gen(fast)
with a censored side is a bound (slow censored: a lower bound; fast censored: an upper bound): it is
never dropped; it enters the median as the range of values it allows (censored_median_interval), so
the median itself may be known only as a bound, and the interval opens on the censored side.
"""
import math

import numpy as np

RESAMPLES = 10_000
"""bootstrap resamples of the seeds (each seed drawn with replacement, as many as there are)"""


def clopper_pearson(k, n, level=0.95):
    """The exact (Clopper-Pearson) interval for a binomial rate with k successes in n trials:
        lower = p such that P(X >= k | n, p) = (1 - level) / 2   (0 when k = 0)
        upper = p such that P(X <= k | n, p) = (1 - level) / 2   (1 when k = n)
    i.e. the Beta(k, n - k + 1) and Beta(k + 1, n - k) quantiles, found here by bisection on the exact
    binomial tail (math.comb), so no scipy is needed."""
    if not 0 <= k <= n or n == 0:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    alpha = (1 - level) / 2

    def at_most(j, p):  # P(X <= j) for X ~ Binomial(n, p): falls as p grows
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(j + 1))

    def solve(f, target):  # the p in [0, 1] with f(p) = target, f falling
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
        return (lo + hi) / 2

    # P(X >= k) = 1 - P(X <= k - 1) = alpha  <=>  P(X <= k - 1) = 1 - alpha
    lower = 0.0 if k == 0 else solve(lambda p: at_most(k - 1, p), 1 - alpha)
    upper = 1.0 if k == n else solve(lambda p: at_most(k, p), alpha)
    return lower, upper


def median_interval(values, level=0.95, resamples=RESAMPLES, seed=0):
    """(median, lower, upper): the median of `values` (one per seed) and the percentile bootstrap
    interval of that median: resample the seeds with replacement `resamples` times (numpy's
    default_rng(seed), so the same values always give the same interval), take each resample's median,
    and read the (1 - level) / 2 and (1 + level) / 2 quantiles (numpy's linear interpolation)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values")
    rng = np.random.default_rng(seed)
    medians = np.median(values[rng.integers(0, values.size, size=(resamples, values.size))], axis=1)
    lower, upper = np.quantile(medians, [(1 - level) / 2, (1 + level) / 2])
    return float(np.median(values)), float(lower), float(upper)


def ratio(slow, fast, length):
    """(slow / fast, censored): a speed-up of two t_gen, each None (never reached) counted as the run's
    `length`. censored is "" when both reached P, else what the ratio then is: "≥" a lower bound (slow
    never reached), "≤" an upper bound (fast never reached), "?" neither (both never reached)."""
    censored = {(False, False): "", (True, False): "≥", (False, True): "≤", (True, True): "?"}[
        slow is None, fast is None]
    slow, fast = (length if slow is None else slow), (length if fast is None else fast)
    return (slow / fast if fast else math.inf), censored


def censored_median_interval(effects, level=0.95, resamples=RESAMPLES, seed=0):
    """(low, high, lower, upper) for effects [(ratio, mark)] from ratio(), some of them bounds. Each
    seed's true ratio lies in a range: [r, r] when both arms reached P, [r, inf) for "≥", [0, r] for
    "≤", [0, inf) for "?". The median over seeds then lies in [low, high] = [median of the ranges'
    lower ends, median of their upper ends] (low == high: the censoring does not reach the middle and
    the median is known). The 95% interval runs from the bootstrap's lower quantile of the lower ends'
    median to its upper quantile of the upper ends' median (the same resamples, median_interval):
    every set of true values consistent with the censoring has its interval inside, so a censored seed
    widens the interval instead of narrowing it at its bound."""
    low_ends = [0.0 if mark in ("≤", "?") else r for r, mark in effects]
    high_ends = [math.inf if mark in ("≥", "?") else r for r, mark in effects]
    # inf - inf is nan in the quantile's interpolation: BIG stands for inf, and any value it enters (the
    # mean of an even count's two middle values, an interpolated quantile) stays far above any ratio
    finite = lambda values: [min(v, BIG) for v in values]
    back = lambda v: math.inf if v >= BIG * 1e-100 else v
    low, lower, _ = median_interval(finite(low_ends), level, resamples, seed)
    high, _, upper = median_interval(finite(high_ends), level, resamples, seed)
    return back(low), back(high), back(lower), back(upper)


BIG = 1e300


def kaplan_meier(times, lengths):
    """The fraction of seeds that have reached P by each step, a Kaplan-Meier estimate: `times` holds
    each seed's t_gen (None: never reached, censored at its run's `lengths` entry). Returns (steps,
    fraction): at each step where a seed reached P, 1 - S(t), with
        S(t) = prod over event steps t_i <= t of (1 - d_i / n_i),
    d_i the seeds reaching P at t_i and n_i those still at risk (neither reached nor censored before
    t_i). With every run of one length this is simply the share of seeds reached by t."""
    events = sorted((t if t is not None else length, t is not None) for t, length in zip(times, lengths))
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
