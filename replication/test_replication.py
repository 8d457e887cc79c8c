"""Tests of the apparatus that judges the paper (replication/): every claim of claims.py on hand-made
runs where it holds and where it fails, the verdicts and the report's blocks, the judging choices
(bars.py), merging runs into results/, the figures, and the intervals against values computed by hand.
Run from the repository's root: python -m pytest -q replication (the method's tests: test_grok.py;
the hand-made worlds: replication/conftest.py)."""
import math
import statistics
import os
import sys

import pytest

import numerics

numerics.pin()  # before torch
import grok  # noqa: E402
import tables  # noqa: E402
from conftest import run_cli  # noqa: E402  (the repository root's conftest: grok.main)
from replication import ROOT, bars, blocks, claim_tests, claims, report  # noqa: E402
from replication import verdicts as vd  # noqa: E402
from replication.conftest import write_one_run, write_world  # noqa: E402
from tables import read_csv  # noqa: E402

TINY = ["--p", "11", "--steps", "60", "--ckpt-every", "20"]


# ---------------------------------------------------------------------------------------------------
# verdicts.py and merge.py: what may be judged together

def test_report_refuses_two_curves_under_one_run_id(tmp_path, capsys):
    write_one_run(str(tmp_path / "a"), loss="0.5")
    write_one_run(str(tmp_path / "b"), loss="0.25")
    assert report.main(["--out", str(tmp_path / "a"), "--out", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    assert report.main(["--out", str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "r1-base has two different curves" in err and "/a/" in err and "/b/" in err and "step 10" in err


def test_report_refuses_one_comparison_made_under_two_numerics(tmp_path, capsys):
    write_one_run(str(tmp_path), numerics_of=lambda arm: "portable" if arm == "base" else "native")
    assert report.main(["--out", str(tmp_path)]) == 2
    assert "mixes numerics" in capsys.readouterr().err


@pytest.mark.parametrize("change, words", [(dict(p=23.0), "at p = 23"), (dict(p=113.0), "at p = 113"),
                                            (dict(frac_train=0.5), "at training fraction 0.5"),
                                            (dict(steps=1500.0), "at 1,500 steps"), (dict(lr=3e-3), "at lr 0.003")])
def test_a_verdict_on_runs_not_at_the_papers_setting_names_the_departure(change, words):
    claim = next(c for c in claims.CLAIMS if c.name == "add_mlp_ticket_early")
    rows = [dict(exp="ticket_vs_norm", task="add", model="mlp", arm=arm, seed=0.0, steps=50000.0, prune_rate=k,
                 t_mem=100.0, t_gen=t_gen, run=f"r-{arm}", lr=1e-3, weight_decay=1.0, threshold=0.95, p=67.0,
                 frac_train=0.4, ordered="False", numerics=numerics.REFERENCE)
            for arm, k, t_gen in (("base", 0.0, 20000.0), ("ticket", 0.6, 1000.0))]
    at_paper = vd.judge(claim, rows, {})
    assert at_paper.shown() == "reproduced, 1 of 1 seed" and at_paper.meaning() == "for the paper"
    v = vd.judge(claim, [{**r, **change} for r in rows], {})
    assert v.verdict == "reproduced" and v.shown() == f"reproduced, 1 of 1 seed ({words}: not the paper's setting)"
    assert "not the paper's setting" in v.meaning()


def test_report_refuses_two_tickets_where_a_claim_needs_one(tmp_path, capsys):
    """Tickets at two pruning rates in one folder: the claims of ticket_vs_norm (k = 0.6) are judged on
    neither, not on whichever row was read last."""
    rows = [dict(exp="ticket_vs_norm", task="add", model="mlp", arm=arm, seed=0, steps=50000, prune_rate=k,
                 t_mem=100, t_gen=t_gen, run=f"r-{arm}-{k}", numerics=numerics.REFERENCE)
            for arm, k, t_gen in (("base", 0, 20000), ("ticket", 0.6, 1000), ("ticket", 0.8, 30000))]
    tables.write_csv(str(tmp_path / "summary.csv"), rows, list(rows[0]))
    curves = [dict(exp="ticket_vs_norm", run=r["run"], step=0, train_loss=1, test_loss=1, train_acc=0,
                   test_acc=0) for r in rows]
    tables.write_csv(str(tmp_path / "curves.csv"), curves, list(curves[0]))
    assert report.main(["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "claim add_mlp_ticket_early: seed 0 has 2 ticket runs" in err and "r-ticket-0.8" in err
    tables.write_csv(str(tmp_path / "summary.csv"), rows[:2], list(rows[0]))
    assert report.main(["--out", str(tmp_path)]) == 0


def test_committed_results_hold_one_curve_per_run_id_and_every_row_its_numerics():
    rows, _, _ = vd.load([os.path.join(ROOT, "results")])  # raises Mixed otherwise
    assert rows and all(r.get("numerics") for r in rows)


def test_merge_replaces_a_rerun_that_has_the_same_bits_and_leaves_the_rest(tmp_path, capsys):
    from replication import merge
    results, runs = str(tmp_path / "results"), str(tmp_path / "runs")
    portable = lambda arm: numerics.REFERENCE
    write_one_run(results, numerics_of=portable)
    other = dict(exp="other", task="add", model="mlp", arm="base", seed=0, steps=50000, run="o",
                 numerics=numerics.REFERENCE)
    tables.upsert_csv(os.path.join(results, "summary.csv"), [other], list(other))
    write_one_run(runs, numerics_of=portable)  # the same two runs, logged at one more step
    extra = [dict(exp="ticket", run=f"r1-{arm}", step=20, train_loss="0.1", test_loss="1", train_acc="1",
                  test_acc="1") for arm in ("base", "ticket")]
    tables.upsert_csv(os.path.join(runs, "curves.csv"), extra, list(extra[0]), key=("exp", "run", "step"))
    assert merge.main([runs, results, "--exp", "ticket", "--seeds", "0"]) is None
    assert "r1-base: the same as in ticket on all 2 steps both logged" in capsys.readouterr().out
    summary = read_csv(os.path.join(results, "summary.csv"))
    assert sorted(r["run"] for r in summary) == ["o", "r1-base", "r1-ticket"]
    curves = read_csv(os.path.join(results, "curves.csv"))
    assert sorted(int(r["step"]) for r in curves if r["run"] == "r1-base") == [0, 10, 20]


def test_merge_refuses_a_changed_curve_and_rows_not_in_portable_numerics(tmp_path, capsys):
    from replication import merge
    results, runs = str(tmp_path / "results"), str(tmp_path / "runs")
    write_one_run(results, loss="0.5", numerics_of=lambda arm: numerics.REFERENCE)
    before = open(os.path.join(results, "curves.csv")).read()
    write_one_run(runs, loss="0.25", numerics_of=lambda arm: numerics.REFERENCE)
    with pytest.raises(SystemExit) as exit_:
        merge.main([runs, results, "--exp", "ticket", "--seeds", "0"])
    assert exit_.value.code == 2 and "r1-base: differs from its committed curve in ticket from step 10" \
        in capsys.readouterr().out
    assert open(os.path.join(results, "curves.csv")).read() == before
    assert merge.main([runs, results, "--exp", "ticket", "--seeds", "0", "--replace-changed"]) is None
    assert {r["train_loss"] for r in read_csv(os.path.join(results, "curves.csv")) if r["step"] == "10"} == {"0.25"}
    write_one_run(runs, numerics_of=lambda arm: "cpu AVX512 MKL_CBWR=native torch 2.13.0+cpu on X")
    with pytest.raises(SystemExit) as exit_:
        merge.main([runs, results, "--exp", "ticket", "--seeds", "0", "--replace-changed"])
    assert exit_.value.code == 2 and "not made in portable numerics" in capsys.readouterr().err



def test_merge_refuses_to_mix_amd_and_intel_numerics_in_one_folder(tmp_path, capsys):
    from replication import merge
    intel = "cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch 2.13.0+cpu"
    results, runs = str(tmp_path / "results"), str(tmp_path / "runs")
    write_one_run(results, numerics_of=lambda arm: numerics.REFERENCE)
    before = open(os.path.join(results, "summary.csv")).read()
    write_one_run(runs, run="r2", numerics_of=lambda arm: intel)  # other ids: would sit beside them
    with pytest.raises(SystemExit) as exit_:
        merge.main([runs, results, "--exp", "ticket", "--seeds", "0", "--replace-changed"])
    assert exit_.value.code == 2 and "GenuineIntel" in capsys.readouterr().err
    assert open(os.path.join(results, "summary.csv")).read() == before
    assert merge.main([runs, str(tmp_path / "intel"), "--exp", "ticket", "--seeds", "0"]) is None  # a folder of its own


def test_merge_refuses_an_analysis_that_changed(tmp_path, capsys):
    from replication import merge
    for folder, value in (("results", "0.5"), ("runs", "0.25")):
        write_one_run(str(tmp_path / folder), numerics_of=lambda arm: numerics.REFERENCE)
        rows = [dict(exp="ticket", run="r1-base", metric="entropy", step=s, value=value if s else "1")
                for s in (0, 10)]
        tables.write_csv(str(tmp_path / folder / "analysis.csv"), rows, list(rows[0]))
    with pytest.raises(SystemExit):
        merge.main([str(tmp_path / "runs"), str(tmp_path / "results"), "--exp", "ticket", "--seeds", "0"])
    assert "r1-base: its ticket analysis differs from the committed one (entropy at step 10)" \
        in capsys.readouterr().out


# The pieces meant to be copied (README, "Pieces to copy"), each with only what it needs
def test_plot_says_how_to_install_matplotlib(tmp_path, capsys, monkeypatch):
    from replication import plot
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    monkeypatch.setattr(sys, "argv", ["plot.py", "--out", str(tmp_path)])
    assert plot.main() == 2
    assert "pip install matplotlib" in capsys.readouterr().err


@pytest.mark.slow
def test_plot_draws_every_experiment(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from replication import plot
    out = str(tmp_path)
    for exp in ("ticket_vs_norm", "prune_rate", "fourier", "jaccard", "pai"):
        assert run_cli(["--exp", exp, "--out", out, "--prune-rates", "0.3,0.9"] + TINY) == 0
    monkeypatch.setattr(sys, "argv", ["plot.py", "--out", out])
    assert plot.main() == 0
    pngs = lambda: sorted(f for f in os.listdir(tmp_path) if f.endswith(".png"))  # beside the CSVs, as in results/
    assert pngs() == [
        "fourier_add_mlp.png", "jaccard_add_mlp.png", "pai_add_mlp.png", "prune_rate_add_mlp.png",
        "ticket_vs_norm_add_mlp.png", "weights_pai_seed0.png"]
    # a longer base beside the first: one figure per length; two seeds: the seeds' figure too
    assert run_cli(["--exp", "ticket_vs_norm", "--out", out, "--p", "11", "--steps", "80", "--seeds", "0,1"]) == 0
    assert plot.main() == 0
    assert {"ticket_vs_norm_add_mlp_0.06k.png", "ticket_vs_norm_add_mlp_0.08k.png",
            "seeds_ticket_vs_norm_add_mlp_0.08k.png"} <= set(pngs())


def test_plot_draws_the_norms_of_two_networks_in_one_figure(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from replication import plot
    out = str(tmp_path / "runs")
    assert run_cli(["--exp", "norm_clamp", "--out", out, "--arms", "clamp_l2,sphere_l2"] + TINY) == 0
    summary, curves, _ = plot.read(out)
    runs = plot.norm_runs(summary, curves, "add", "mlp")
    assert sorted(r["arm"] for _, r in runs) == ["base", "clamp_l2", "sphere_l2", "ticket"]
    fig = plot.norms_figure([("mlp", runs, curves), ("again", runs, curves)], plt)
    # a row per network, a line per run in each of its two panels
    assert len(fig.axes) == 4 and [len(ax.get_lines()) for ax in fig.axes] == [len(runs)] * 4
    plt.close(fig)
    monkeypatch.setattr(sys, "argv", ["plot.py", "--norms", out, out, "--out", str(tmp_path / "figures")])
    assert plot.main() == 0 and os.path.exists(tmp_path / "figures" / "norms_norm_clamp.png")
    monkeypatch.setattr(sys, "argv", ["plot.py", "--norms", str(tmp_path)])  # no CSVs there
    assert plot.main() == 2 and "no results there" in capsys.readouterr().err

def test_plot_gives_a_ticket_one_colour_per_pruning_rate_on_every_seed():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from replication import plot
    runs = [dict(exp="prune_rate", arm="ticket", seed=str(seed), prune_rate=str(k), run=f"{seed}-{k}")
            for seed in (0, 1) for k in (0.3, 0.6, 0.9)]
    curves = {("prune_rate", r["run"]): [dict(step="1", test_acc="0.5")] for r in runs}
    fig, ax = plt.subplots()
    plot.curves_panel(ax, runs, curves, "prune_rate", plt)
    colour = {(r["seed"], r["prune_rate"]): tuple(line.get_color()) for r, line in zip(runs, ax.get_lines())}
    plt.close(fig)
    assert all(colour["0", k] == colour["1", k] for k in ("0.3", "0.6", "0.9"))
    assert len({colour["0", k] for k in ("0.3", "0.6", "0.9")}) == 3




# ---------------------------------------------------------------------------------------------------
# claims.py, claim_tests.py, bars.py, report.py: every claim judged on hand-made runs, one world where each holds and one where each fails


def test_every_claim_holds_in_a_world_made_to_hold_it(tmp_path):
    verdicts = vd.judge_all([write_world(str(tmp_path / "good"), good=True)])[0]
    assert {v.claim.name: v.verdict for v in verdicts} == {c.name: "reproduced" for c in claims.CLAIMS}
    assert all(list(v.per_seed) == [s for s in (0, 1) if s not in v.claim.held_out] for v in verdicts)


# in a world where k = 0.9 generalizes without weight decay, "some k generalizes" cannot fail
IMPLIED_IN_BAD_WORLD = {"no_wd_any"}


def test_every_claim_fails_in_a_world_made_to_fail_it(tmp_path):
    verdicts = vd.judge_all([write_world(str(tmp_path / "bad"), good=False)])[0]
    got = {v.claim.name: v.verdict for v in verdicts}
    assert got == {c.name: "reproduced" if c.name in IMPLIED_IN_BAD_WORLD else "not reproduced"
                   for c in claims.CLAIMS}
    tickets = [dict(arm="ticket", prune_rate=k, t_gen=None, final_test_acc=0.2, run=str(k)) for k in (0.1, 0.5, 0.9)]
    seed = claim_tests.Seed(0, [dict(arm="base", t_gen=20000.0, run="b")] + tickets, {})
    assert claim_tests.some_rate_generalizes(0.1, 0.9)(seed)[:2] == (False, 0.2)
    # from a base that never generalized (a transition ticket) neither claim can be decided
    seed = claim_tests.Seed(0, [dict(arm="base", t_gen=None, run="b")] + tickets, {})
    assert claim_tests.some_rate_generalizes(0.1, 0.9)(seed)[:2] == (None, 0.2)
    assert claim_tests.rate_fails(0.9)(seed)[:2] == (None, 0.2)


def test_every_claim_says_what_it_tests_and_what_its_value_is():
    names = [c.name for c in claims.CLAIMS]
    assert len(names) == len(set(names))
    for claim in claims.CLAIMS:
        assert vd.Verdict(claim, {}).measure() != "-", claim.name
        assert claim.kind in ("paper", "sub", "variant", "diagnostic", "ours")
        assert claim.command.startswith("python grok.py")
        grok.parse_args(claim.command.split("grok.py ", 1)[1].split())  # a command grok.py accepts


def test_verdicts_over_seeds_and_missing_runs(tmp_path):
    claim = claims.CLAIMS[0]
    verdict = lambda per_seed: vd.Verdict(claim, per_seed).verdict
    assert verdict({}) == "not run"
    assert verdict({0: (None, None), 1: (None, 5)}) == "inconclusive"
    assert verdict({0: (True, 1), 1: (None, 5)}) == "partly"
    assert verdict({0: (True, 1), 1: (False, 5)}) == "partly"
    assert verdict({0: (False, 1), 1: (None, 5)}) == "not reproduced"
    v = vd.Verdict(claim, {0: (True, 600.0), 1: (True, None), 2: (True, 500.0)})
    assert v.ours() == "550 ± 71 (1 n.r.)" and v.seeds() == "600 / n.r. / 500"
    # one formatter for every mean ± std cell (report blocks and grok.py's table)
    assert vd.mean_std([0.5, 0.7], ".2f") == "0.60 ± 0.14"
    assert vd.mean_std([1234.0], ",.0f") == "1,234"
    assert vd.mean_std([None, None], ",.0f") == "n.r." and vd.mean_std([], ".2f", none="-") == "-"
    # a speed-up is at least 2x: a few percent is within the spread of t_gen between seeds and machines
    assert claim_tests.sooner(600, 17400) and claim_tests.sooner(5000, 10000)
    assert not claim_tests.sooner(14520, 15360) and not claim_tests.sooner(claim_tests.INF, claim_tests.INF)
    assert claim_tests.sooner(600, claim_tests.INF)
    # a base that never generalized makes its ticket claims inconclusive, not failed
    base = dict(arm="base", t_mem=100.0, t_gen=None, run="b")
    ticket = dict(arm="ticket", t_gen=600.0, run="t")
    assert claim_tests.ticket_before_base()(claim_tests.Seed(0, [base, ticket], {}))[:2] == (None, 600.0)
    # a seed without the runs a claim needs is left out, and the claim is "not run"
    folder = write_world(str(tmp_path / "w"), good=True, seeds=(0,))
    rows, curves, _ = vd.load([folder])
    rows = [r for r in rows if not (r["exp"] == "pai" and r["arm"] == "synflow")]
    assert vd.judge(next(c for c in claims.CLAIMS if c.name == "pai_no_speedup"), rows, curves).verdict == "not run"


def test_an_extended_base_replaces_the_shorter_one_in_the_claims(tmp_path):
    rows, _, _ = vd.load([write_world(str(tmp_path), good=True, seeds=(0,))])
    claim = next(c for c in claims.CLAIMS if c.name == "add_transformer_ticket_early")
    short = [dict(r, steps=r["steps"], t_gen=None if r["arm"] == "base" else r["t_gen"]) for r in rows]
    assert vd.judge(claim, short, {}).verdict == "inconclusive"  # the 50k base never generalized
    longer = [dict(r, steps=100000.0, run=r["run"] + "-100k") for r in rows
              if r["exp"] == "ticket_vs_norm" and r["model"] == "transformer"]
    assert vd.judge(claim, short + longer, {}).verdict == "reproduced"
    # where the paper's length was enough, an extended run does not replace it
    failing_longer = [dict(r, ticket=None, t_gen=None if r["arm"] == "ticket" else r["t_gen"]) for r in longer]
    assert vd.judge(claim, rows + failing_longer, {}).verdict == "reproduced"
    assert vd.judge(claim, short + failing_longer, {}).verdict == "not reproduced"
    # an extended base that did not generalize either, whose arms were not trained: the shorter runs
    longer_base = [dict(r, t_gen=None) for r in longer if r["arm"] == "base"]
    assert vd.judge(claim, short + longer_base, {}).verdict == "inconclusive"


def test_mnist_claims_are_judged_at_the_papers_length_only(tmp_path):
    rows, curves, _ = vd.load([write_world(str(tmp_path), good=True, seeds=(0,))])
    mnist = [r for r in rows if r["task"] == "mnist"]
    for name in ("mnist_mlp_ticket_early", "mnist_mlp_unrewound"):
        claim = next(c for c in claims.CLAIMS if c.name == name)
        assert vd.judge(claim, mnist, curves).verdict == "reproduced"
        # shorter runs (the earlier 20,000 steps) are shown, not judged
        assert vd.judge(claim, [dict(r, steps=20000.0) for r in mnist], curves).verdict == "not run"


def test_mask_distance_claims_skip_the_interval_that_holds_memorization():
    base = dict(arm="base", exp="jaccard", run="b", t_mem=84.0)
    distance = {2000: 0.66, 4000: 0.2, 6000: 0.3, 8000: 0.1}   # the first interval: leaving theta_0
    jump = {2000: -0.01, 4000: 0.0, 6000: 0.4, 8000: 0.01}
    seed = claim_tests.Seed(0, [base], {}, {("jaccard", "b"): {"jaccard_all": distance, "d_test_acc": jump}})
    assert claim_tests.distance_peaks_with_accuracy(seed)[:2] == (True, 6000)
    holds, r, *_ = claim_tests.distance_correlates_with_accuracy(seed)
    assert holds and r == pytest.approx(claim_tests.pearson([0.2, 0.3, 0.1], [0.0, 0.4, 0.01]))


def test_fourier_periodic_from_is_where_the_entropy_made_90_percent_of_its_drop():
    row = dict(arm="ticket", exp="fourier", run="r")
    analysis = {("fourier", "r"): {"entropy_in": {0: 3.0, 2000: 1.2, 4000: 1.0, 50000: 1.0}}}
    assert claim_tests.periodic_from(claim_tests.Seed(0, [row], {}, analysis), "ticket") == 2000
    analysis = {("fourier", "r"): {"entropy_in": {0: 3.0, 2000: 3.1, 50000: 3.0}}}
    assert claim_tests.periodic_from(claim_tests.Seed(0, [row], {}, analysis), "ticket") == claim_tests.INF


def test_spearman_against_a_hand_computed_value():
    assert claim_tests.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert claim_tests.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks x = 1,2,3 ; y = 1.5,1.5,3 (a tie): r = cov / (sx sy) = 1.5 / sqrt(2 * 1.5)
    assert claim_tests.spearman([1, 2, 3], [5, 5, 7]) == pytest.approx(1.5 / math.sqrt(2 * 1.5))
    assert claim_tests.spearman([1, 2, 3], [0, 0, 0]) is None  # undefined: the claim is not judged, not failed


def test_report_blocks_are_regenerated_and_checked(tmp_path):
    folder = write_world(str(tmp_path), good=True, seeds=(0, 1))
    verdicts, rows, curves, analysis = vd.judge_all([folder])
    text = ("intro\n<!-- report:runs exp=prune_rate -->\nstale\n<!-- /report -->\nmiddle\n"
            "<!-- report:claims pai -->\n<!-- /report -->\n<!-- report:popup -->\n<!-- /report -->\n"
            "<!-- report:analysis exp=fourier -->\n<!-- /report -->\n")
    new = blocks.fill(text, verdicts, rows, curves, analysis)
    assert new.startswith("intro\n<!-- report:runs exp=prune_rate -->\n| arm |") and "stale" not in new
    assert "| ticket | 0.9 |  | 50,000 | 0,1 | 100 / 100 | n.r. / n.r. | n.r. |" in new
    assert "`pai_no_speedup`" in new and "`prune_rate_tau`" not in new
    assert "| ep | 0,1 | 0.95 ± 0.00 (0.68) |" in new
    assert "| entropy_in | ticket | 0,1 | 3.00 ± 0.00 | 1.00 ± 0.00 |" in new
    assert blocks.fill(new, verdicts, rows, curves, analysis) == new  # regenerating a fresh file changes nothing



def block_row(exp, arm, seed, t_gen, model="mlp", steps=50000.0, **values):
    return row(arm, exp=exp, model=model, seed=float(seed), steps=steps, t_gen=t_gen, run=f"{exp}-{model}-{arm}-s{seed}-{steps:.0f}",
               prune_rate=0.0 if arm == "base" else 0.6, **values)


def test_clamp_gain_block_by_hand():
    # same_l2 / clamp_l2 on six seeds: 6, 2, 20, 3, 2 and >= 12.5 (same_l2 never reached P: 50,000 / 4,000).
    # Lower ends 2 2 3 6 12.5 20 and upper ends 2 2 3 6 20 inf: the median is 4.5 either way; n = 6 gives
    # the interval [x(1), x(6)] = [2, inf] with coverage 1 - 2/64 = 96.9%. L1 on three seeds: seed 0's
    # clamp never reached P (9,000 / 50,000 = 0.18: at least 5.6x slower), seed 2's free control never
    # did (>= 16.7x); with seed 6's 4.0x the median is (2.5 + 4.0) / 2, and four seeds give no 95% interval.
    rows = []
    for s, (clamp, free) in enumerate([(1000, 6000), (2000, 4000), (500, 10000), (1000, 3000), (4000, 8000), (4000, None)]):
        rows += [block_row("norm_clamp", "base", s, 20000.0), block_row("norm_clamp", "clamp_l2", s, clamp),
                 block_row("ticket_vs_norm", "base", s, 20000.0), block_row("ticket_vs_norm", "same_l2", s, free)]
    for s, (clamp, free) in enumerate([(None, 9000), (2000, 5000), (3000, None)]):
        rows += [block_row("norm_clamp", "clamp_l1", s, clamp), block_row("ticket_vs_norm", "same_l1", s, free)]
    rows.append(block_row("norm_clamp", "clamp_l2", 0, 100.0, model="transformer"))  # another network: not counted
    # seed 6's base never generalized and was extended to 100,000 steps: its 50,000-step same_l1 (4,000,
    # a ratio of 4.0) is the free control of the 50,000-step clamp, not the 100,000-step one
    rows += [block_row("ticket_vs_norm", "base", 6, None, steps=steps) for steps in (50000.0, 100000.0)]
    rows += [block_row("ticket_vs_norm", "same_l1", 6, 4000.0), block_row("norm_clamp", "clamp_l1", 6, 1000.0),
             block_row("ticket_vs_norm", "same_l1", 6, 90000.0, steps=100000.0)]
    table = blocks.block_clamp_gain(rows, "model=mlp").splitlines()
    assert table[2] == ("| same_l1 / clamp_l1 | 0,1,2,6 | ≥5.6x slower; 2.5x; ≥16.7x; 4.0x | "
                        "3.2x (range ∞x slower to ∞: no 95% interval with n = 4) |")
    assert table[3] == "| same_l2 / clamp_l2 | 0,1,2,3,4,5 | 6.0x; 2.0x; 20.0x; 3.0x; 2.0x; ≥12.5x | 4.5x [2.0x, ∞] (96.9%) |"


def test_norms_block_is_the_median_over_seeds_at_each_step():
    rows = [block_row("norm_clamp", arm, s, 1000.0) for arm in ("ticket", "clamp_l2") for s in range(3)]
    rows.append(block_row("norm_clamp", "ticket", 0, 1000.0, model="transformer"))
    curves = {f"norm_clamp-mlp-{arm}-s{s}-50000": [dict(step=step, l2=l2 + s * s + 100 * (arm == "clamp_l2"), l1=1000.0 * (s + 1) ** 2 + step)
                                           for step, l2 in ((0, 30.0), (1000, 50.0))]
              for arm in ("ticket", "clamp_l2") for s in range(3)}
    curves["norm_clamp-transformer-ticket-s0-50000"] = [dict(step=0, l2=1e6, l1=1e6)]
    table = blocks.block_norms(rows, curves, "exp=norm_clamp model=mlp at=0,1000,2000").splitlines()
    assert table[0] == "| arm | seeds | step 0: L2 / L1 | step 1,000: L2 / L1 | step 2,000: L2 / L1 |"
    # seeds' L2 30, 31, 34 (median 31, mean 31.7) and L1 1,000, 4,000, 9,000 at step 0; the transformer's left out
    assert table[2:] == ["| ticket | 3 | 31.0 / 4,000 | 51.0 / 5,000 | - / - |",
                         "| clamp_l2 | 3 | 131.0 / 4,000 | 151.0 / 5,000 | - / - |"]


def test_plateau_block_reads_each_metric_at_the_bases_last_step():
    rows = [block_row("plateau", "base", 0, None, model="transformer", steps=100000.0, final_test_acc=0.9288),
            block_row("plateau", "base", 1, 7000.0, model="transformer", final_test_acc=1.0)]
    last = dict(a_eq_b=0.5, a_ne_b=0.071, by_answer_min=0.0, by_answer_max=0.25, by_distance_min=0.01,
                by_distance_max=0.3, by_token_min=0.02, by_token_max=0.2, wrong_overlap=0.9, n_key_frequencies=4)
    # offsets d = 1 ... 5: the smallest mean margins at d = 4 (2.0), 2 (3.0) and 5 (4.0); 6 of the 10
    # wrong answers are at those three
    gap, spread, wrong = [9.0, 3.0, 8.0, 2.0, 4.0], [1.0, 1.5, 1.0, 0.5, 1.0], [4, 3, 0, 2, 1]
    last.update({f"offset_{name}_{d}": v for name, values in (("gap", gap), ("spread", spread), ("wrong", wrong))
                 for d, v in enumerate(values, start=1)})
    analysis = {("plateau", rows[0]["run"]): {**{k: {100000: v} for k, v in last.items()}, "n_wrong": {80000: 101, 100000: 97}},
                ("plateau", rows[1]["run"]): {"n_wrong": {50000: 4}, "n_key_frequencies": {50000: 5}}}
    table = blocks.block_plateau(rows, analysis).splitlines()
    assert table[2:] == ["| 1 | 50,000 | 7,000 | 1.000 | - / - | - | - | - | 4 | - | 5 | - | - |",  # shorter first
                         "| 0 | 100,000 | n.r. | 0.929 | 0.50 / 0.071 | 0.00-0.25 | 0.01-0.30 | 0.02-0.20 | "
                         "97 (101 at 80,000) | 0.90 | 4 | 2.0 ± 0.5 (d = 4) | 60% (±4, ±2, ±5) |"]


def test_at_p_block_judges_the_claims_again_on_the_curves():
    # at P = 0.95 the ticket is 3x sooner than clamp_l2 on seeds 0 and 1 and 1.5x on seed 2; at 0.90 it is
    # 600 / 500 = 1.2x on every seed: the claim (>= 2x) then holds on none
    rows, curves = [], {}
    for s in range(3):
        for arm, at_90, at_95 in (("base", 8000, 10000), ("ticket", 500, 1000), ("clamp_l2", 600, 3000 if s < 2 else 1500)):
            rows.append(block_row("norm_clamp", arm, s, float(at_95)))
            curves[rows[-1]["run"]] = [dict(step=step, train_acc=float(step > 0), test_acc=acc)
                                       for step, acc in ((0, 0.0), (100, 0.0), (at_90, 0.92), (at_95, 0.97))]
    verdicts = [vd.judge(c, rows, curves, {}) for c in claims.CLAIMS if c.name.startswith("norm_clamp_mlp")]
    table = blocks.block_at_p(verdicts, rows, curves, {}, "-0.05 norm_clamp_mlp_clamp_l2").splitlines()
    assert table[0] == ("| claim | seed by seed at the paper's P | verdict at P -0.05 | seed by seed at P -0.05 | "
                        "median effect at P -0.05 |")
    assert table[2:] == ["| `norm_clamp_mlp_clamp_l2` | 0:yes 1:yes 2:no | **does not hold, 0 of 3 seeds** | 0:no 1:no 2:no | "
                         "1.2x (range 1.2x to 1.2x: no 95% interval with n = 3) |"]

# Every bar of bars.BARS tested at its edge: a hand-made seed just inside it and one just outside,
# so that moving any bar (or the 0.7 and 0.81 it is centred on) fails a behavioural test.

def row(arm, **values):
    found = dict(arm=arm, t_mem=100.0, t_gen=None, tau_grok=None, prune_rate=0.0, final_train_acc=1.0,
                 final_test_acc=1.0, l1_final=1.0, l2_final=1.0, source_step=None, source_test_acc=None,
                 threshold=0.95, task="add")
    found.update(values)
    found.setdefault("run", f"{arm}-{found['prune_rate']}-{found['source_step']}-{found['task']}")
    return found


def judge_rows(test, rows, curves=None, analysis=None):
    return claim_tests.Judged(*test(claim_tests.Seed(0, rows, curves or {}, analysis or {})))


def phase_seed(fast_at, base_t_gen=20000.0):
    """A base and its phase tickets: slow masks at base accuracy 0.0 / 0.5 and, at `fast_at`
    (step, base accuracy), one mask that is a speed-up."""
    step, acc = fast_at
    return [row("base", t_gen=base_t_gen), row("ticket", source_step=2000.0, source_test_acc=0.0),
            row("ticket", source_step=4000.0, source_test_acc=0.5),
            row("ticket", source_step=step, source_test_acc=acc, t_gen=500.0)]


def permuted(swaps, n=20):
    ranks = list(range(n))
    for a, b in swaps:
        ranks[a], ranks[b] = ranks[b], ranks[a]
    return ranks


def correlated(r):
    """xs and ys whose Pearson correlation is r."""
    xs = list(range(10))
    z = [1.0 - 2 * (i % 2) for i in xs]
    mean = statistics.mean(xs)
    along = sum((a - mean) * b for a, b in zip(xs, z)) / sum((a - mean) ** 2 for a in xs)
    z = [b - along * (a - mean) for a, b in zip(xs, z)]
    c = math.sqrt(sum((a - mean) ** 2 for a in xs) / sum(b * b for b in z)) * math.sqrt(1 / r ** 2 - 1)
    return xs, [a + c * b for a, b in zip(xs, z)]


def jaccard(distance, jump, t_mem=100.0):
    base = row("base", t_mem=t_mem, t_gen=20000.0, run="b")
    analysis = {("jaccard", "b"): {"jaccard_all": dict(zip(range(2000, 2000 * len(distance) + 1, 2000), distance)),
                                   "d_test_acc": dict(zip(range(2000, 2000 * len(jump) + 1, 2000), jump))}}
    return [dict(base, exp="jaccard")], {}, analysis


def no_wd_seed(reaching):
    return [row("base", t_gen=20000.0)] + [row("ticket", prune_rate=k, final_test_acc=0.2,
                                               t_gen=5000.0 if k == reaching else None)
                                           for k in (0.79, 0.8, 0.81, 0.82)]


EDGES = {  # bar -> case(inside) -> Judged
    "speedup": lambda inside: judge_rows(claim_tests.ticket_before_base(), [
        row("base", t_gen=2010.0 if inside else 1990.0), row("ticket", t_gen=1000.0)]),  # 2.01x / 1.99x
    "mem_by": lambda inside: judge_rows(claim_tests.base_groks, [row("base", t_mem=1000.0 if inside else 1010.0,
                                                                t_gen=50000.0)]),
    "grok_delay": lambda inside: judge_rows(claim_tests.base_groks, [row("base", t_mem=100.0,
                                                                    t_gen=1000.0 if inside else 900.0)]),
    "l2_spread": lambda inside: judge_rows(claim_tests.norms_l2_converge_l1_not, [
        row("base", l2_final=1.0, l1_final=10.0), row("ticket", l2_final=1.249 if inside else 1.251, l1_final=5.0),
        row("same_l1", l2_final=1.0, l1_final=10.0), row("same_l2", l2_final=1.0, l1_final=10.0)]),
    "l1_gap": lambda inside: judge_rows(claim_tests.norms_l2_converge_l1_not, [
        row("base", l1_final=10.0), row("ticket", l1_final=8.99 if inside else 9.01),
        row("same_l1", l1_final=10.0), row("same_l2", l1_final=10.0)]),
    "most": lambda inside: judge_rows(claim_tests.most_rates_accelerate, [row("base", t_gen=20000.0)] + [
        row("ticket", prune_rate=k, t_gen=500.0 if i < (5 if inside else 4) else None)
        for i, k in enumerate(claim_tests.PRUNE_RATES)]),  # 5 of 9 / 4 of 9
    "tau_tolerance": lambda inside: judge_rows(claim_tests.tau_smallest_near_07, [row("base", t_gen=20000.0)] + [
        row("ticket", prune_rate=k, t_gen=1000.0, tau_grok=1.0 if k == (0.8 if inside else 0.9) else 5.0)
        for k in claim_tests.PRUNE_RATES]),  # the grid is 0.1 apart: 0.8 and 0.9 are the nearest either side
    "mem_test": lambda inside: judge_rows(claim_tests.memorizing, [row("mem", final_test_acc=0.099 if inside else 0.101)]),
    "ep_target": lambda inside: judge_rows(claim_tests.popup_reaches("ep"), [row("ep", run="ep")],
                                           {"ep": [dict(step=2000, test_acc=0.901 if inside else 0.899)]}),
    "full": lambda inside: judge_rows(claim_tests.popup_reaches("wd", 1400, "full"), [row("wd", run="wd")],
                                      {"wd": [dict(step=1400, test_acc=0.951 if inside else 0.949)]}),
    "ep_lift": lambda inside: judge_rows(claim_tests.popup_lifts, [row("mem", final_test_acc=0.1), row("ep", run="ep")],
                                         {"ep": [dict(step=2000, test_acc=0.401 if inside else 0.399)]}),
    "leak_lift": lambda inside: judge_rows(claim_tests.leak_lifts, [row("ep_sd", run="a"), row("ep_sd_leak", run="b")],
                                           {"a": [dict(step=2000, test_acc=0.5)],
                                            "b": [dict(step=2000, test_acc=0.551 if inside else 0.549)]}),
    "track_rho": lambda inside: judge_rows(claim_tests.tracks_source(), [row("base", t_gen=20000.0)] + [
        row("ticket", source_step=1000.0 * (i + 1), source_test_acc=float(i), final_test_acc=float(a))
        for i, a in enumerate(permuted([(0, 8), (10, 11), (12, 13)] + ([] if inside else [(14, 15)])))]),
    # rho 0.9008 / 0.8992
    "phase_shift": lambda inside: judge_rows(claim_tests.early_masks_no_speedup, phase_seed(
        (10000.0 if inside else 8000.0, 0.5), base_t_gen=10000.0)),  # a fast mask at t_gen / one checkpoint before
    "chance": lambda inside: judge_rows(claim_tests.phase_no_speedup("memorization"), phase_seed(
        (6000.0, 0.101 if inside else 0.099))),
    "late": lambda inside: judge_rows(claim_tests.phase_no_speedup("transition"), phase_seed(
        (6000.0, 0.851 if inside else 0.849))),  # a fast mask in the late transition / in the transition
    "periodic_drop": lambda inside: claim_tests.Judged(claim_tests.periodic_from(claim_tests.Seed(0, [row("ticket", run="t", exp="fourier")], {}, {
        ("fourier", "t"): {"entropy_in": {0: 1.0, 1000: 0.101 if inside else 0.099, 2000: 0.0}}}), "ticket") == 2000, 0),
    "jaccard_from": lambda inside: judge_rows(claim_tests.distance_peaks_with_accuracy, *jaccard(
        [0.9, 0.1, 0.1, 0.5, 0.1], [0.0, 0.0, 0.0, 0.5, 0.0], t_mem=100.0 if inside else 0.0)),
    # the largest distance is across memorization (the first interval); the rise, at 8,000, is the later peak
    "jaccard_within": lambda inside: judge_rows(claim_tests.distance_peaks_with_accuracy, *jaccard(
        [0.1, 0.1, 0.1, 0.5, 0.1], [0.0] * (2 if inside else 1) + [0.5] + [0.0] * (2 if inside else 3),
        t_mem=0.0)),  # the distance peaks at 8,000; the rise at 6,000 (one interval) / 4,000 (two)
    "jaccard_r": lambda inside: judge_rows(claim_tests.distance_correlates_with_accuracy, *jaccard(
        *correlated(0.501 if inside else 0.499), t_mem=0.0)),
    "critical_width": lambda inside: judge_rows(claim_tests.some_rate_generalizes(None, None, around=0.81),
                                                no_wd_seed(0.8 if inside else 0.79)),
}


def test_every_bar_has_an_edge_case():
    assert set(EDGES) == set(bars.BARS) - {"P"}  # P is tested with vd.remeasured


@pytest.mark.parametrize("name", list(EDGES))
def test_a_bar_holds_just_inside_and_fails_just_outside(name):
    assert EDGES[name](True)[0] is True and EDGES[name](False)[0] is False


def test_judging_moves_a_bar_and_puts_it_back():
    with bars.judging(speedup=1.5):
        assert EDGES["speedup"](False)[0] is True
    assert bars.bar("speedup") == bars.BARS["speedup"].value and EDGES["speedup"](False)[0] is False
    with pytest.raises(KeyError):
        with bars.judging(no_such_bar=1):
            pass


def test_remeasured_finds_t_gen_again_at_another_p():
    rows = [row("base", run="b", threshold=0.95, t_mem=10.0, t_gen=30.0)]
    curves = {"b": [dict(step=s, train_acc=a, test_acc=t) for s, a, t in
                    ((0, 0.0, 0.0), (10, 0.96, 0.0), (20, 1.0, 0.91), (30, 1.0, 0.96), (40, 1.0, 0.995))]}
    assert [(r["t_mem"], r["t_gen"]) for r in vd.remeasured(rows, curves, 0)] == [(10, 30)]
    assert [(r["t_mem"], r["t_gen"], r["threshold"]) for r in vd.remeasured(rows, curves, -0.05)] == [(10, 20, 0.9)]
    assert [(r["t_mem"], r["t_gen"]) for r in vd.remeasured(rows, curves, +0.04)] == [(20, 40)]


def test_remeasured_moves_p_on_a_regression_too():
    # a regression's P is the fraction by which the loss has fallen (tables.grokking_times): its notches count
    rows = [row("base", run="b", threshold=0.95, t_mem=20.0, t_gen=None)]
    curves = {"b": [dict(step=s, train_acc=None, test_acc=None, train_loss=a, test_loss=t) for s, a, t in
                    ((0, 100.0, 100.0), (10, 8.0, 50.0), (20, 4.0, 9.0), (30, 0.5, 6.0))]}
    assert [(r["t_mem"], r["t_gen"]) for r in vd.remeasured(rows, curves, 0)] == [(20, None)]
    assert [(r["t_mem"], r["t_gen"]) for r in vd.remeasured(rows, curves, -0.05)] == [(10, 20)]
    assert [(r["t_mem"], r["t_gen"]) for r in vd.remeasured(rows, curves, +0.04)] == [(30, None)]


def test_a_fragile_verdict_says_what_it_flips_to(tmp_path):
    folder = str(tmp_path)
    summary = [dict(exp="ticket_vs_norm", task="add", model="mlp", arm=a, seed=0, steps=50000, t_mem=50,
                    t_gen=t, run=a, threshold=0.95) for a, t in (("base", 1750), ("ticket", 1000))]
    tables.write_csv(os.path.join(folder, "summary.csv"), summary, list(summary[0]))
    curves = [dict(run=r["run"], step=s, train_acc=a, test_acc=t) for r in summary
              for s, a, t in ((0, 0, 0), (50, 1, 0), (r["t_gen"], 1, 1))]
    tables.write_csv(os.path.join(folder, "curves.csv"), curves, list(curves[0]))
    verdicts = {v.claim.name: v for v in vd.judge_all([folder])[0]}
    early = verdicts["add_mlp_ticket_early"]
    assert early.verdict == "not reproduced" and ("speedup 1.5", "reproduced") in early.flips
    assert early.robustness().startswith("fragile: ") and "1.75x (>= 2x)" in early.margins()
    assert verdicts["add_mlp_base_groks"].robustness() == "robust"


def test_the_report_on_a_users_runs_lists_the_claims_they_judge_and_counts_the_rest(tmp_path, capsys):
    assert run_cli(["--exp", "ticket_vs_norm", "--p", "11", "--steps", "60", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert report.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    judged = [line.split()[0] for line in out.splitlines() if line[:1].strip()]
    assert judged[:4] == ["add_mlp_base_groks", "add_mlp_ticket_early", "add_mlp_norm_not_enough",
                          "add_mlp_norms"] and f"{len(claims.CLAIMS) - 4} more claims not run" in out


def test_every_bar_says_where_it_came_from_and_every_source_is_in_spec():
    assert all(b.origin in ("paper", "ours") and b.why for b in bars.BARS.values())
    # the paper's bars and claims cite the paper by version (v1-v3), never a document users do not have
    assert all(any(v in b.why for v in ("v1", "v2", "v3")) or b.origin == "ours" for b in bars.BARS.values())
    assert all(any(v in c.source for v in ("v1", "v2", "v3", "authors'", "ours")) for c in claims.CLAIMS)
    assert not any("SPEC" in b.why for b in bars.BARS.values()) and not any("SPEC" in c.source for c in claims.CLAIMS)
    assert all("v2 Fig" not in c.source for c in claims.CLAIMS)  # v2's figures were not found: v3's are cited
    ours = {c.name for c in claims.CLAIMS if c.kind == "ours"}
    assert ours == {"pai_grasp"} | {c.name for c in claims.CLAIMS if c.section in ("mask_or_init", "norm_clamp")}
    assert all(c.source.startswith("ours") for c in claims.CLAIMS if c.name in ours)


@pytest.mark.slow
def test_committed_results_md_is_what_the_committed_csvs_give():
    assert report.main(["--check"]) == 0


def test_report_prints_a_line_per_claim_and_refuses_a_missing_folder(tmp_path, capsys):
    folder = write_world(str(tmp_path / "w"), good=True, seeds=(0,))
    assert report.main(["--out", folder]) == 0
    names = {c.name for c in claims.CLAIMS}
    lines = [line for line in capsys.readouterr().out.strip().splitlines() if line.split()[:1] and line.split()[0] in names]
    # every claim holds in this world: the paper's reproduced, ours holds
    judged = [c for c in claims.CLAIMS if 0 not in c.held_out]  # the others are not run on seed 0 alone
    assert len(lines) == len(judged) and all(line.split()[:2] == [c.name, "holds," if c.kind == "ours" else "reproduced,"]
                                             for c, line in zip(judged, lines))
    assert report.main(["--out", str(tmp_path / "nope")]) == 2
    assert "no folder" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# intervals.py: effects over seeds with their uncertainty, against values computed by hand

def test_clopper_pearson_matches_the_closed_forms_and_the_tables():
    from replication import intervals
    # k = n and k = 0 have closed forms: lower = (alpha/2)^(1/n), upper = 1 - (alpha/2)^(1/n)
    assert intervals.clopper_pearson(3, 3) == (pytest.approx(0.025 ** (1 / 3), abs=1e-12), 1.0)  # 0.292
    assert intervals.clopper_pearson(0, 10) == (0.0, pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12))
    assert intervals.clopper_pearson(5, 10) == (pytest.approx(0.1871, abs=1e-4), pytest.approx(0.8129, abs=1e-4))
    assert intervals.clopper_pearson(7, 10) == (pytest.approx(0.3475, abs=1e-4), pytest.approx(0.9333, abs=1e-4))
    with pytest.raises(ValueError):
        intervals.clopper_pearson(4, 3)


def test_clopper_pearson_is_exact_for_large_n():
    """n in the thousands (an accuracy on 2,000 test examples): no overflow; the interval of k = n / 2
    is symmetric about 1/2 and its half-width the normal approximation's 1.96 sqrt(1/4n), to 1e-3."""
    from replication import intervals
    for n in (1100, 2000):
        lo, hi = intervals.clopper_pearson(n // 2, n)
        assert lo + hi == pytest.approx(1.0, abs=1e-9) and hi - 0.5 == pytest.approx(1.96 * math.sqrt(0.25 / n), abs=1e-3)
    assert intervals.binom_cdf(3, 10, 0.5) == (1 + 10 + 45 + 120) / 1024  # exact at p = 1/2
    with pytest.raises(ValueError):
        intervals.clopper_pearson(0.5, 3)


def test_the_exact_interval_of_the_median_on_hand_computed_cases():
    """[x(j), x(n+1-j)] covers the median with 1 - 2 P(Bin(n, 1/2) <= j - 1): at n = 10, j = 2, 1 -
    2 * 11/1024 = 97.9%; at n = 3 only the range, 75%, and n = 6 is the first n whose range reaches 95%."""
    from replication import intervals
    values = [6.8, 32.8, 8.2, 9.0, 11.0, 12.4, 13.0, 17.1, 21.0, 29.0]
    assert intervals.median_interval(values) == (12.7, 8.2, 29.0, 1 - 2 * 11 / 1024)
    assert intervals.median_interval([29.0, 32.8, 6.8]) == (29.0, 6.8, 32.8, 0.75)
    assert intervals.order_statistic_rank(5) == (1, 1 - 2 / 32) and intervals.order_statistic_rank(6) == (1, 1 - 2 / 64)
    assert intervals.order_statistic_rank(10, level=0.99)[0] == 1
    # the coverage by simulation: 20,000 draws of ten values from an exponential, median log 2
    rng = __import__("numpy").random.default_rng(0)
    hits = sum(lo <= math.log(2) <= hi for lo, hi in
               (intervals.median_interval(rng.exponential(size=10))[1:3] for _ in range(20000)))
    assert hits / 20000 == pytest.approx(0.9785, abs=0.005)
    with pytest.raises(ValueError, match="NaN"):
        intervals.median_interval([1.0, float("nan"), 3.0])


def test_the_sign_test_and_holm_by_hand():
    from replication import intervals
    assert intervals.sign_test(10, 0) == 1 / 1024 and intervals.sign_test(9, 1) == 11 / 1024
    assert intervals.sign_test(6, 0) == 1 / 64 and intervals.sign_test(0, 0) == 1.0
    assert intervals.sign_test(3, 3) == 42 / 64  # P(Bin(6, 1/2) >= 3)
    # Holm: sorted 0.01, 0.03, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04)
    assert intervals.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert intervals.holm([0.5, 0.9]) == [1.0, 1.0]


def test_a_censored_ratio_counts_at_the_runs_length_and_is_marked():
    from replication import intervals
    assert intervals.ratio(17400, 600, 50000) == (29.0, "")
    assert intervals.ratio(None, 500, 50000) == (100.0, "≥")  # the slow arm never reached P: a lower bound
    assert intervals.ratio(20000, None, 50000) == (0.4, "≤")
    assert intervals.ratio(None, None, 50000) == (1.0, "?")
    s = claim_tests.Seed(0, [dict(arm="base", t_gen=None, t_mem=90, steps=50000, run="b"),
                             dict(arm="ticket", t_gen=2000, t_mem=100, steps=50000, run="t")], {})
    judged = claim_tests.ticket_before_base()(s)
    assert judged.holds is None and judged.effect == (25.0, "≥")  # inconclusive, its effect kept, marked
    claim = next(c for c in claims.CLAIMS if c.name == "add_mlp_ticket_early")
    v = vd.Verdict(claim, {0: judged, 1: claim_tests.Judged(True, 600, "", (29.0, "")),
                               2: claim_tests.Judged(True, 500, "", (32.8, ""))})
    # the undecided seed 0 is listed apart, not pooled: the effect is over seeds 1 and 2
    assert v.effect() == "30.9x (range 29.0x to 32.8x: no 95% interval with n = 2) on the 2 that decide"
    assert v.undecided() == "1 undecided (0: ≥25.0x)"
    assert v.effects() == "0: ≥25.0x; 1: 29.0x; 2: 32.8x"
    assert v.rate() == "2/3 [0.09, 0.99]; 2/2 [0.16, 1.00] of the 2 that decide"
    assert v.sign() == (2, 0, 0, 0.25)


def test_a_censored_seed_widens_the_median_and_its_interval_by_hand():
    from replication import intervals
    # uncensored: the same as median_interval
    assert intervals.censored_median_interval([(29.0, ""), (32.8, ""), (6.8, "")]) == (29.0, 29.0, 6.8, 32.8, 0.75)
    # the lower ends [25, 29, 32.8] and upper ends [inf, 29, 32.8]: the median lies in [29, 32.8]; the
    # range's lower end from the lower ends (25), its upper end from the upper ends (inf)
    assert intervals.censored_median_interval([(25.0, "≥"), (29.0, ""), (32.8, "")]) == (29.0, 32.8, 25.0, math.inf, 0.75)
    # every seed an upper bound: the median is at most the bounds' median, the interval starts at 0
    low, high, lower, upper, _ = intervals.censored_median_interval([(0.3, "≤"), (0.4, "≤"), (0.9, "≤")])
    assert (low, high, lower, upper) == (0.0, 0.4, 0.0, 0.9)
    assert vd.median_text(low, high) == "≥2.5x slower" and vd.median_text(0.0, math.inf) == "?"
    assert vd.median_text(7.0, math.inf) == "≥7.0x" and vd.median_text(3.0, 5.0) == "3.0x to 5.0x"
    assert vd.effect_text(0.376) == "2.7x slower" and vd.effect_text(0.0) == "∞x slower"
    # an even count: the middle pair's mean with an unbounded seed is unbounded
    assert intervals.censored_median_interval([(2.0, ""), (4.0, ""), (9.0, "≥"), (8.0, "≥")])[:2] == (6.0, math.inf)
    # one censored seed of five, above the middle: the median is known
    effects = [(2.0, ""), (3.0, ""), (4.0, ""), (5.0, ""), (60.0, "≥")]
    assert intervals.censored_median_interval(effects)[:2] == (4.0, 4.0)
    # ten seeds, two of them lower bounds at the top: x(2) from the lower ends, x(9) = inf from the upper
    ten = [(float(r), "") for r in range(1, 9)] + [(9.0, "≥"), (10.0, "≥")]
    assert intervals.censored_median_interval(ten) == (5.5, 5.5, 2.0, math.inf, 1 - 2 * 11 / 1024)


def test_a_base_that_never_groks_is_a_seed_against_a_groks_claim():
    """Never a bound in the claim's favour: no effect, counted apart, and against in the sign test."""
    never = claim_tests.Seed(0, [dict(arm="base", t_gen=None, t_mem=90, steps=50000, run="b")], {})
    judged = claim_tests.base_groks(never)
    assert judged.holds is False and judged.effect is None
    claim = next(c for c in claims.CLAIMS if c.name == "add_transformer_base_groks")
    J = claim_tests.Judged
    v = vd.Verdict(claim, {0: judged, 1: J(True, 9000, "", (100.0, "")), 2: J(True, 9000, "", (140.0, ""))})
    assert v.effect() == "120x (range 100x to 140x: no 95% interval with n = 2) on the 2 that reached P; 1 never reached P"
    assert v.sign() == (2, 1, 0, 0.5)


def test_negative_claims_say_when_their_arm_never_reached_p():
    J = claim_tests.Judged
    claim = next(c for c in claims.CLAIMS if c.name == "pai_no_speedup")
    v = vd.Verdict(claim, {0: J(True, None, "", (0.4, "≤")), 1: J(True, 30000, "", (0.5, "")),
                           2: J(True, 15000, "", (1.2, "")), 3: J(False, 2000, "", (8.0, ""))})
    assert v.negative() == ("the arm never reached P on 1, reached it later than the base on 1, sooner, under the bar on 1, "
                            "sooner by the bar or more on 1")
    assert v.sides() == {0: "for", 1: "for", 2: "for", 3: "against"}


def test_seeds_that_cannot_decide_are_said_and_claims_of_ours_hold_or_not():
    J = claim_tests.Judged
    paper = next(c for c in claims.CLAIMS if c.name == "add_transformer_ticket_early")
    undecided = vd.Verdict(paper, {0: J(None, None, ""), 1: J(True, 1.0, ""), 2: J(True, 1.0, "")})
    assert undecided.verdict == "partly" and undecided.rate() == "2/3 [0.09, 0.99]; 2/2 [0.16, 1.00] of the 2 that decide"
    assert undecided.meaning() == "for the paper, on every seed that decides"
    failing = vd.Verdict(paper, {0: J(False, 1.0, ""), 1: J(True, 1.0, ""), 2: J(None, None, "")})
    assert failing.meaning() == "mixed: seed by seed"
    ours = next(c for c in claims.CLAIMS if c.name == "mask_or_init_mlp_reinit")
    assert vd.Verdict(ours, {0: J(False, 1.0, "")}).shown() == "does not hold, 0 of 1 seed"
    assert vd.Verdict(ours, {0: J(True, 1.0, "")}).shown() == "holds, 1 of 1 seed"
    assert vd.Verdict(paper, {0: J(True, 1.0, ""), 1: J(True, 1.0, ""), 2: J(True, 1.0, "")}).shown() == "reproduced, 3 of 3 seeds"


def test_a_claim_is_not_judged_on_the_seed_that_suggested_it(tmp_path):
    grasp = next(c for c in claims.CLAIMS if c.name == "pai_grasp")
    verdicts = vd.judge_all([write_world(str(tmp_path / "good"), good=True, seeds=(0, 1, 2))])[0]
    assert grasp.held_out == (0,) and list(next(v for v in verdicts if v.claim is grasp).per_seed) == [1, 2]


def test_kaplan_meier_on_hand_computed_cases():
    from replication import intervals
    # one length: the share of seeds that have reached P
    assert intervals.kaplan_meier([600, 1700, None], [50000] * 3) == ([0, 600, 1700], [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3)])
    # a seed censored at 150 leaves one at risk at 200: S = 2/3 * (1 - 1/1) = 0
    assert intervals.kaplan_meier([100, None, 200], [500, 150, 500]) == ([0, 100, 200], [0.0, pytest.approx(1 / 3), 1.0])
    # ties: two seeds reach P at the same step
    assert intervals.kaplan_meier([300, 300, None, 900], [1000] * 4) == ([0, 300, 900], [0.0, 0.5, 0.75])






def test_every_claim_is_made_by_a_command_of_run_all(tmp_path):
    """Every claim of claims.py is made by one of run_all.sh's commands (same experiment, model, task
    and length), so that run_all.sh followed by the report judges them all."""
    import shlex
    import subprocess
    listed = subprocess.run(["bash", "run_all.sh", "--list", "--out", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip().splitlines()
    made = {(a.exp, a.task, a.model, a.steps) for a in (grok.parse_args(shlex.split(line)[2:]) for line in listed)}
    for claim in claims.CLAIMS:
        args = grok.parse_args(claim.command.split("grok.py ", 1)[1].split())
        assert (args.exp, args.task, args.model, args.steps) in made, claim.name


def test_intervals_py_runs_alone_and_its_docstring_example_is_what_it_says(tmp_path):
    """Copied into an empty folder, intervals.py imports alone (numpy only), sets no environment
    variable, and every line of its docstring's example runs and returns what its comment says."""
    import shutil
    import subprocess
    shutil.copy(os.path.join(ROOT, "replication", "intervals.py"), tmp_path / "intervals.py")
    script = '''import os, re, math
before = dict(os.environ)
import intervals
assert dict(os.environ) == before
pairs = []
for line in intervals.__doc__.split("\\n\\n")[1].splitlines():
    code, _, comment = line.strip().partition("  #")
    if line.strip().startswith("#"):  # a comment continued on its own line: the previous line's
        pairs[-1] = (pairs[-1][0], line.strip()[1:])
    else:
        pairs.append((code, comment))
for code, comment in pairs:
    if code.startswith("from"):
        exec(code)
        continue
    value = eval(code)
    said = re.match(r"\\s*(\\(.*?\\)|\\[.*?\\]|[0-9.]+)[:]", comment)
    if said:
        expect = eval(said.group(1).replace("inf", "math.inf"))
        got = [round(v, 4) if isinstance(v, float) else v for v in (value if isinstance(value, (tuple, list)) else [value])]
        want = list(expect) if isinstance(expect, (tuple, list)) else [expect]
        assert len(got) >= len(want) and all(abs(g - w) <= 1e-3 * max(1, abs(w)) or g == w for g, w in zip(got, want)), (code, value)
print(intervals.kaplan_meier([600, float("nan"), 1700], [5000] * 3))
'''
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "([0, 600, 1700], [0.0, 0.33333333333333326, 0.6666666666666666])"  # NaN: censored
