"""The apparatus tests' hand-made worlds: the CSVs of every experiment's runs, made so that every claim
holds (write_world(folder, good=True)) or fails (good=False); write_one_run, two runs of one seed."""
import math
import os

import tables
from replication import claim_tests


SUMMARY_FIELDS = ["exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "steps", "t_mem",
                  "t_gen", "tau_grok", "final_train_acc", "final_test_acc", "l1_final", "l2_final",
                  "source_step", "source_test_acc", "note", "run"]


def write_world(folder, good, seeds=(0, 1)):
    """summary.csv, curves.csv and analysis.csv of every experiment's runs, made by hand so that every
    claim holds (good) or fails (not good)."""
    rows, curves, analyses = [], [], []

    def add(exp, arm, seed, model="mlp", task="add", steps=50000, k=0.0, t_mem=100, t_gen=None,
            test=1.0, l1=10000.0, l2=34.0, source=None, source_acc=None, accs=None):
        run = f"{exp}-{task}-{model}-{steps}-{arm}-{k}-{source}-s{seed}"
        rows.append(dict(exp=exp, task=task, model=model, arm=arm, seed=seed, prune_rate=k, weight_decay=1,
                         steps=steps, t_mem=t_mem, t_gen=t_gen, tau_grok=t_gen / t_mem if t_gen else None,
                         final_train_acc=1.0, final_test_acc=test, l1_final=l1, l2_final=l2,
                         source_step=source, source_test_acc=source_acc, note="", run=run))
        for step, acc in sorted({0: 0.0, **(accs or {})}.items()):
            curves.append(dict(run=run, step=step, train_acc=1.0, test_acc=acc))

    for seed in seeds:
        for model, task, steps in (("mlp", "add", 50000), ("transformer", "add", 50000), ("mlp", "mnist", 100000),
                                   ("mlp", "poly", 10000)):
            at = dict(model=model, task=task, steps=steps, seed=seed, exp="ticket_vs_norm")
            add(arm="base", t_mem=100 if good else 5000, t_gen=20000 if good else 30000, **at)
            add(arm="ticket", k=0.6, t_gen=600 if good else None, l1=6800, l2=33 if good else 10, **at)
            add(arm="same_l1", k=0.6, t_gen=19000 if good else 20000, l1=9800, l2=35, **at)
            add(arm="same_l2", k=0.6, t_gen=None if good else 20000, **at)
            if task == "mnist":
                add(arm="ticket_trained", k=0.6, t_gen=1000 if good else None, **at)
        add("prune_rate", "base", seed, t_gen=20000)
        for k in claim_tests.PRUNE_RATES:
            if good:
                add("prune_rate", "ticket", seed, k=k, t_gen=None if k == 0.9 else 1000 + round(abs(k - 0.7) * 1e4))
            else:
                add("prune_rate", "ticket", seed, k=k, t_gen=100 if k == 0.9 else None, test=0.5)
        add("pai", "base", seed, t_gen=20000)
        add("pai", "ticket", seed, k=0.6, t_gen=600 if good else None)
        for arm, good_run, bad_run in (("random", (None, 0.3), (None, 0.1)), ("snip", (None, 0.5), (100, 1.0)),
                                       ("grasp", (None, 0.1), (100, 1.0)), ("synflow", (40000, 1.0), (100, 1.0))):
            t, acc = good_run if good else bad_run
            add("pai", arm, seed, k=0.6, t_gen=t, test=acc)
        add("edge_popup", "mem", seed, steps=1000, test=0.01 if good else 0.5)
        for arm, acc in (("wd", 1.0), ("ep", 0.95), ("ep_wd", 1.0), ("ep_sd", 0.9), ("ep_wd_sd", 1.0),
                         ("ep_sd_leak", 1.0)):
            acc = acc if good else 0.3
            add("edge_popup", arm, seed, steps=2000, accs={s: acc for s in (600, 1000, 1400, 2000)}, test=acc)
            if arm == "ep":  # its learned mask's graph metrics (inner.exp_graph) fall (good) or rise
                analyses += [dict(exp="graph", run=rows[-1]["run"], step=step, metric=metric,
                                  value=(1.0 - step / 1e4) * (1 if good else -1))
                             for step in (600, 1000, 1400, 2000)
                             for metric in ("weighted_spectral_gap", "ramanujan_gap")]
        # sparse parity: the base groks and the ticket is fast (good), or the base memorizes late (bad)
        add("ticket", "base", seed, task="parity", steps=20000, t_mem=100 if good else 5000, t_gen=8000)
        add("ticket", "ticket", seed, task="parity", steps=20000, k=0.6, t_gen=1000 if good else None)
        add("phase_tickets", "base", seed, t_gen=29000)  # its masks at 26,000 are from the late transition
        for source in range(2000, 30001, 4000):
            acc = source / 30000
            early = source < 29000
            fast = early != good
            tracked = acc if good else 1 - acc
            add("phase_tickets", "ticket", seed, k=0.6, t_gen=500 if fast else None, test=tracked,
                source=source, source_acc=acc, accs={1000: tracked})
        for model, steps, exp_good in (("mlp", 50000, True), ("transformer", 30000, False), ("mlp", 30000, False)):
            at = dict(model=model, steps=steps, seed=seed, exp="no_wd")
            add(arm="base", t_gen=20000, **at)
            add(arm="base_no_wd", t_gen=None if good else 100, test=0.001 if good else 1.0, **at)
            for k in (0.6, 0.7, 0.8, 0.81, 0.85, 0.9):
                reaches = k == 0.81 if good else (k == 0.9 and exp_good)
                add(arm="ticket", k=k, t_gen=5000 if reaches else None, test=1.0 if reaches else 0.2, **at)
        # analyses: the ticket's neurons periodic early and the base's late; the mask distance peaks
        # with the test-accuracy jump
        add("fourier", "base", seed, t_gen=20000)
        add("fourier", "ticket", seed, k=0.6, t_gen=600)
        periodic = {"base": {0: 3.0, 2000: 3.0, 30000: 1.0, 50000: 0.9},
                    "ticket": {0: 3.0, 2000: 1.0, 50000: 0.9} if good else {0: 3.0, 2000: 3.0, 50000: 1.0}}
        for arm in ("base", "ticket"):
            run = rows[-2 if arm == "base" else -1]["run"]
            analyses.append(dict(exp="fourier", run=run, step=0, metric="entropy_flat", value=math.log(33)))
            analyses += [dict(exp="fourier", run=run, step=s, metric="entropy_in", value=h)
                         for s, h in periodic[arm].items()]
        add("jaccard", "base", seed, t_gen=20000)
        for step in range(2000, 30001, 2000):
            near = step == 18000
            distance = (0.3 if near else 0.1) if good else (0.3 if step == 4000 else 0.2 - step / 1e6 - 0.1 * near)
            analyses += [dict(exp="jaccard", run=rows[-1]["run"], step=step, metric="jaccard_all", value=distance),
                         dict(exp="jaccard", run=rows[-1]["run"], step=step, metric="d_test_acc",
                              value=0.5 if near else 0.01)]
        # mask_or_init: the mask alone is fast and a shuffled one is not (good), or the other way round
        for model in ("mlp", "transformer"):
            at = dict(model=model, seed=seed, exp="mask_or_init")
            add(arm="base", t_gen=20000, **at)
            add(arm="ticket", k=0.6, t_gen=600, **at)
            add(arm="reinit", k=0.6, t_gen=5000 if good else 15000, **at)
            for arm in ("shuffled", "shuffled_rows"):
                add(arm=arm, k=0.6, t_gen=25000 if good else 5000, **at)
        # norm_clamp: the ticket is fast and the clamped dense controls late (good), or the other way round
        for model in ("mlp", "transformer"):
            at = dict(model=model, seed=seed, exp="norm_clamp")
            add(arm="base", t_gen=20000, **at)
            add(arm="ticket", k=0.6, t_gen=600 if good else 5000, **at)
            for arm in ("same_l1", "same_l2", "clamp_l1", "clamp_l2", "sphere_l2"):
                add(arm=arm, k=0.6, t_gen=19000 if good else 4000, **at)
        # ops: add groks and its ticket is fast (good) or slow (bad); sub's base never groks: left out
        for op, base_t_gen in (("add", 20000), ("sub", None)):
            add("ops", "base", seed, task=op, t_gen=base_t_gen)
            add("ops", "ticket", seed, task=op, k=0.6, t_gen=600 if good else 30000)
    os.makedirs(folder, exist_ok=True)
    tables.write_csv(os.path.join(folder, "analysis.csv"), analyses, ["exp", "run", "step", "metric", "value"])
    tables.write_csv(os.path.join(folder, "summary.csv"), rows, SUMMARY_FIELDS)
    tables.write_csv(os.path.join(folder, "curves.csv"), curves, ["run", "step", "train_acc", "test_acc"])
    return folder


def write_one_run(folder, run="r1", loss="0.5", numerics_of=lambda arm: "n"):
    os.makedirs(folder, exist_ok=True)
    rows = [dict(exp="ticket", task="add", model="mlp", arm=arm, seed=0, steps=50000, run=f"{run}-{arm}",
                 numerics=numerics_of(arm)) for arm in ("base", "ticket")]
    tables.write_csv(os.path.join(folder, "summary.csv"), rows, list(rows[0]))
    curves = [dict(exp="ticket", run=r["run"], step=s, train_loss=loss if s else "1", test_loss="1",
                   train_acc="1", test_acc="0") for r in rows for s in (0, 10)]
    tables.write_csv(os.path.join(folder, "curves.csv"), curves, list(curves[0]))
