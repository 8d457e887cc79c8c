"""Are the wrong test pairs of the Transformer's plateaued bases concentrated on some answers c = (a + b)
mod p, or on some distances |a - b|, beyond what chance gives? For each base (seed and length) in
results/transformer's plateau rows: the largest error rate over the answer (distance) classes, against the same statistic when
as many wrong pairs are placed at random among the test pairs (300 draws, random.Random(0)).

    python docs/plateau_scatter.py        # from the repository root; a few seconds
"""
import collections
import csv
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tasks  # noqa: E402

P, DRAWS = 67, 300
rows = [r for r in csv.DictReader(open("results/transformer/analysis.csv"))
        if r["exp"] == "plateau" and r["metric"] == "wrong_pair"]
wrong_by_base = collections.defaultdict(set)  # (seed, last step) -> its wrong test pairs
for r in rows:
    v = int(float(r["value"]))
    wrong_by_base[int(r["seed"]), int(r["step"])].add((v // P, v % P))
rng = random.Random(0)
for (seed, step), wrong in sorted(wrong_by_base.items()):
    data = tasks.modular("add", P, 0.4, int(seed), False)
    test = [tuple(x) for x in data.x_test.tolist()]

    def worst(chosen, key):
        groups = collections.defaultdict(lambda: [0, 0])
        for t in test:
            groups[key(t)][0] += 1
            groups[key(t)][1] += t in chosen
        return max(e / n for n, e in groups.values())

    for name, key in (("answer", lambda t: (t[0] + t[1]) % P), ("distance", lambda t: abs(t[0] - t[1]))):
        seen = worst(wrong, key)
        draws = [worst(set(rng.sample(test, len(wrong))), key) for _ in range(DRAWS)]
        print(f"seed {seed}, step {step:,}: {len(wrong)} wrong of {len(test)}; worst {name} class {seen:.2f} wrong; "
              f"as bad or worse in {sum(d >= seen for d in draws) / DRAWS:.0%} of random placements")
