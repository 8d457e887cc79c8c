"""The paper's claims as code: the table of them (CLAIMS), each with its test (claim_tests.py).

    from claims import CLAIMS
    for claim in CLAIMS: print(claim.name, claim.paper, claim.command)

A claim is the paper's words and their source, the paper's number where there is one, the command that
makes the runs, which summary rows it reads (exp, and optionally model, task, steps) and a test: a
function of one seed's runs that returns (holds, value, margin). Kinds: `paper` (the paper's claim),
`sub` (a finer claim read from the paper's figures), `variant` (the authors' code's setting where it
differs from the paper), `diagnostic` (a measurement that may explain a gap; its "claim" is the
hypothesis tested), `ours` (a claim of this project, kept out of the paper's verdicts). report.py judges
them over seeds, and again with each bar of bars.BARS moved one notch (bars.judging): a verdict that
changes is called fragile.
"""
from dataclasses import dataclass
from typing import Callable

from replication.bars import BARS
from replication.claim_tests import (ticket_before, 
    base_groks, dense_no_wd_fails, distance_correlates_with_accuracy, distance_peaks_with_accuracy,
    early_masks_no_speedup, generalized_masks_fast, grasp_worse_than_random, leak_lifts, memorizing,
    most_rates_accelerate, no_speedup, norms_l2_converge_l1_not, pai_no_speedup, phase_no_speedup,
    popup_graph_falls, popup_lifts, popup_reaches, rate_fails, some_pai_worse_than_random,
    some_rate_generalizes, tau_smallest_near_07, ticket_before_base, ticket_before_norm_controls,
    ticket_before_pai, ticket_periodic_first, ticket_sooner_for_every_operation, tracks_source)


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
    """paper (the paper's claim), sub (a finer claim read from it), variant (the authors' code's
    setting), diagnostic (a hypothesis that may explain a gap) or ours (a claim this project makes,
    not the paper: kept out of the paper's verdicts)"""
    reads: tuple = ("for the paper", "against the paper")
    """what the verdict means: (if reproduced, if not reproduced); partly reads as mixed"""
    held_out: tuple = ()
    """seeds not judged: the seeds whose runs suggested the claim (a claim is not tested on its source)"""

    @property
    def central(self):
        """One of the comparisons the paper's argument rests on, judged on ten seeds (0-9):
        CENTRAL's experiments; every other claim on seeds 0-2."""
        return self.section != "graph" and any(  # the graph analyses of edge_popup's masks: three seeds
            self.select["exp"] == c["exp"] and all(self.select.get(k, v) == v for k, v in c.items())
            for c in CENTRAL)

    def meaning(self, verdict, failing=True):
        """What `verdict` means for the paper's argument; `failing`: some seed decided against the
        claim (a 'partly' whose other seeds could not decide reads as the claim where seeds decide)."""
        reads = self.reads if self.kind not in ("variant", "diagnostic") else ("holds", "does not hold")
        partly = "mixed: seed by seed" if failing else f"{reads[0]}, on every seed that decides"
        return {"reproduced": reads[0], "not reproduced": reads[1], "partly": partly}.get(verdict, "-")


# The comparisons results/ holds at ten seeds (run_all.sh --central): the paper's central evidence
# (the ticket against the base and the norm-matched controls on the MLP and the Transformer, masks
# pruned at initialization, edge-popup) and ours (mask_or_init on the MLP).
CENTRAL = (dict(exp="ticket_vs_norm", model="mlp", task="add"),
           dict(exp="ticket_vs_norm", model="transformer", task="add"),
           dict(exp="pai"), dict(exp="edge_popup"), dict(exp="mask_or_init", model="mlp"),
           dict(exp="norm_clamp", model="mlp"), dict(exp="norm_clamp", model="transformer"))


MLP_TVN = "python grok.py --exp ticket_vs_norm --seeds 0-9 --out runs/mlp"
TASKS_TVN = "python grok.py --exp ticket_vs_norm --task {} --seeds 0,1,2 --out runs/tasks"
TASKS_TICKET = "python grok.py --exp ticket --task {} --seeds 0,1,2 --out runs/tasks"
TF_TVN = "python grok.py --exp ticket_vs_norm --model transformer --seeds 0-9 --out runs/transformer"
MNIST_TVN = ("python grok.py --exp ticket_vs_norm --task mnist --seeds 0,1,2 "
             "--data-dir data/mnist-5k --out runs/mnist")
# the paper's MNIST length: shorter runs (the 20,000-step runs made first, where the base had barely
# passed P = 85%, so its mask was close to a transition ticket) are shown, not judged
MNIST_STEPS = 100_000
PAPER = "python grok.py --exp {} --seeds 0,1,2 --out runs/paper"
PAPER10 = "python grok.py --exp {} --seeds 0-9 --out runs/paper"  # the central ones (CENTRAL)
MASK_OR_INIT = "python grok.py --exp mask_or_init {}--seeds {} --out runs/{}"
# the claims of mask_or_init were written on 2026-12-03 before any of its runs, with the bar they use
# (speedup) as it stood: data not seen
OURS_BEFORE = "ours, set before its runs (2026-12-03); Frankle & Carbin's reinit and shuffle controls"


def mask_or_init_claims(model):
    """Ours, beyond the paper: is the ticket's speed-up in its mask, or in its mask on theta_0? Every
    arm of experiments.MASK_OR_INIT_ARMS: reinit, and the mask shuffled in each of two ways."""
    command = MASK_OR_INIT.format("" if model == "mlp" else f"--model {model} ", "0-9" if model == "mlp" else "0,1,2", model)
    sel = dict(exp="mask_or_init", model=model)
    words = {"shuffled": "within each matrix (each matrix's count kept)",
             "shuffled_rows": "within each row (each neuron's in-degree kept)"}
    return [Claim(f"mask_or_init_{model}_reinit", "mask_or_init", "the mask alone carries the speed-up: the "
                  "ticket's mask on a fresh draw theta_0' (reinit) generalizes at least 2x sooner than the base",
                  OURS_BEFORE, "-", command, sel, ticket_before_base("reinit"), kind="ours",
                  reads=("the mask alone carries the speed-up", "the speed-up needs the mask on θ₀, not the mask alone"))] + [
            Claim(f"mask_or_init_{model}_{arm}", "mask_or_init", f"the mask's structure matters: the ticket's "
                  f"mask permuted at random {words[arm]}, on theta_0, gives no speed-up over the base",
                  OURS_BEFORE, "-", command, sel, no_speedup(arm), kind="ours",
                  reads=("which weights the mask keeps matters, not only how many",
                         "a random mask of the same counts does as well"))
            for arm in words]


NORM_CLAMP = "python grok.py --exp norm_clamp {}--seeds 0-9 --out runs/{}"
# written on 2026-12-07 after the small-setting numbers (reference.py's --quick setting, three seeds: a
# dense network clamped to the ticket's L2 norm groks sooner than the free control, the ticket sooner
# still) and before any norm_clamp run at the paper's setting had been looked at; bar: speedup as it stood
OURS_CLAMP = ("ours, written 2026-12-07 after small-setting numbers, before any run at the paper's setting "
              "was looked at; Omnigrok's constraint (Liu et al. 2023) at the ticket's norm")


def norm_clamp_claims(model):
    """Ours, beyond the paper: is the ticket's norm, held step by step, enough? (experiments.exp_norm_clamp)"""
    command = NORM_CLAMP.format("" if model == "mlp" else f"--model {model} ", model)
    sel = dict(exp="norm_clamp", model=model)
    words = {"clamp_l2": "a dense network held at the ticket's L2 norm after every step (clamp_l2)",
             "clamp_l1": "a dense network held at the ticket's L1 norm after every step (clamp_l1)",
             "sphere_l2": "a dense network held at the ticket's final L2 norm from step 0 (sphere_l2)"}
    return [Claim(f"norm_clamp_{model}_{arm}", "norm_clamp", f"the ticket generalizes at least 2x sooner than {what}",
                  OURS_CLAMP, "-", command, sel, ticket_before(arm), kind="ours",
                  reads=("the norm, held step by step, does not explain the ticket's speed",
                         "held at the ticket's norm, a dense network is as fast"))
            for arm, what in words.items()]


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
        Claim(f"{tag}_norms", section, f"final L2 norms of the four arms similar (max/min <= "
              f"{BARS['l2_spread'].value}), L1 norms not (ticket's <= {BARS['l1_gap'].value} x the dense ones)",
              "v3 §4.1 Fig. 6 (the norms of the four arms)", "no number", command, sel, norms_l2_converge_l1_not, spec=".2f",
              kind="sub"),
    ]


CLAIMS = [
    *tvn_claims("mlp", "add", MLP_TVN, "v3 §3.2 Fig. 2(a); §4.1 Fig. 5(a)", "t_gen ~25-30k", "~6k"),
    *tvn_claims("transformer", "add", TF_TVN, "v3 §3.2 Fig. 2(b); App. G Fig. 16"),
    *tvn_claims("mlp", "mnist", MNIST_TVN, "v3 App. B.1 Fig. 10",
                steps=MNIST_STEPS),
    Claim("mnist_mlp_unrewound", "ticket_vs_norm", "the authors' MNIST \"ticket\" (final weights x m, "
          "not rewound) generalizes sooner than the base", "authors' config_pruning_mnist.py", "-",
          MNIST_TVN, dict(exp="ticket_vs_norm", task="mnist", steps=MNIST_STEPS),
          ticket_before_base("ticket_trained"), kind="variant"),

    Claim("prune_rate_most", "prune_rate", "most pruning rates k accelerate generalization",
          "v3 §3.2 Fig. 3(a)", "most of 0.1-0.9", PAPER.format("prune_rate"), dict(exp="prune_rate"),
          most_rates_accelerate),
    Claim("prune_rate_0.9_fails", "prune_rate", "k = 0.9 fails (test accuracy stuck)",
          "v3 §3.2 ('if it's too large (e.g., 0.9), it can't generalize'); v1 text (stuck near 0.4)", "~0.4", PAPER.format("prune_rate"),
          dict(exp="prune_rate"), rate_fails(0.9), spec=".3f"),
    Claim("prune_rate_tau", "prune_rate", "tau_grok is smallest near k = 0.7 (within 0.1)",
          "v3 §3.2 Fig. 3(a)", "0.7", PAPER.format("prune_rate"), dict(exp="prune_rate"),
          tau_smallest_near_07, spec=".1f"),

    Claim("pai_no_speedup", "pai", "masks pruned at initialization (Random, SNIP, GraSP, SynFlow) give "
          "no speed-up over the base", "v3 §4.2 Fig. 5(b); App. D",
          "no speed-up", PAPER10.format("pai"), dict(exp="pai"), pai_no_speedup),
    Claim("pai_ticket_first", "pai", "the grokking ticket generalizes sooner than every PaI mask",
          "v3 §4.2 Fig. 5(b)", "-", PAPER10.format("pai"), dict(exp="pai"), ticket_before_pai),
    Claim("pai_worse_than_random", "pai", "some PaI methods are worse than Random",
          "v3 §4.2 ('in some cases, perform worse than the random pruning')", "some", PAPER10.format("pai"), dict(exp="pai"),
          some_pai_worse_than_random),
    Claim("pai_grasp", "pai", "GraSP is worse than Random (a claim of ours, suggested by this project's "
          "seed-0 runs, judged on seeds 1-9: not the paper's)", "ours (seed 0, an earlier RESULTS)", "-",
          PAPER10.format("pai"), dict(exp="pai"), grasp_worse_than_random, spec=".3f", kind="ours",
          held_out=(0,)),

    Claim("edge_popup_mem", "edge_popup", "theta_mem memorizes (train 100%, test below 0.1)",
          "v3 §5.3 (θ_mem: a memorized solution)", "near chance", PAPER10.format("edge_popup"), dict(exp="edge_popup"), memorizing,
          spec=".3f", kind="sub"),
    Claim("edge_popup_ep", "edge_popup", f"learning only the mask (EP) of a memorizing network reaches "
          f"~0.92 test accuracy by step 2,000 (a seed holds with >= {BARS['ep_target'].value})",
          "v3 §5.3 Table 1", "0.92",
          PAPER10.format("edge_popup"), dict(exp="edge_popup"), popup_reaches("ep"), spec=".3f"),
    Claim("edge_popup_ep_lifts", "edge_popup", "EP lifts test accuracy by >= 0.3 above theta_mem's, "
          "weights unchanged", "v3 §5.3 Table 1 (EP against θ_mem)", "0.92 - chance", PAPER10.format("edge_popup"),
          dict(exp="edge_popup"), popup_lifts, spec=".3f", kind="sub"),
    Claim("edge_popup_wd", "edge_popup", "WD (weights trained) reaches ~1.0 by step 1,400",
          "v3 §5.3 Table 1", "1.00", PAPER10.format("edge_popup"), dict(exp="edge_popup"),
          popup_reaches("wd", 1400, "full"), spec=".3f"),
    Claim("edge_popup_ep_wd", "edge_popup", "EP+WD reaches ~1.0 by step 1,400", "v3 §5.3 Table 1", "0.99", PAPER10.format("edge_popup"), dict(exp="edge_popup"),
          popup_reaches("ep_wd", 1400, "full"), spec=".3f"),
    Claim("edge_popup_ep_sd", "edge_popup", f"EP with the scores decayed as in the authors' code reaches "
          f">= {BARS['ep_target'].value} by step 2,000", "authors' slth branch", "0.92", PAPER10.format("edge_popup"),
          dict(exp="edge_popup"), popup_reaches("ep_sd"), spec=".3f", kind="variant"),
    Claim("edge_popup_ep_wd_sd", "edge_popup", "EP+WD with the scores decayed reaches ~1.0 by step 1,400",
          "authors' slth branch", "0.99", PAPER10.format("edge_popup"), dict(exp="edge_popup"),
          popup_reaches("ep_wd_sd", 1400, "full"), spec=".3f", kind="variant"),
    Claim("edge_popup_leak", "edge_popup", "the authors' re-seeded split (half the test pairs were "
          "theta_mem's training pairs) lifts EP's test accuracy at step 2,000 by >= 0.05",
          "authors' slth branch", "-", PAPER10.format("edge_popup"), dict(exp="edge_popup"), leak_lifts,
          spec="+.3f", kind="diagnostic"),

    Claim("phase_generalized", "phase_tickets", "masks from the generalized network (step >= the "
          "base's t_gen) generalize sooner than the base", "v3 §3.2 Fig. 4(a)", "fast from ~25k",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), generalized_masks_fast),
    Claim("phase_early", "phase_tickets", "masks from memorization or transition (step < the base's "
          "t_gen) give no speed-up (value: the base's test accuracy at the first mask that does)",
          "v3 §3.2 Fig. 4(a) (non-grokked tickets)", "none before ~25k", PAPER.format("phase_tickets"),
          dict(exp="phase_tickets"), early_masks_no_speedup, spec=".2f"),
    *[Claim(f"phase_{phase.replace(' ', '_')}", "phase_tickets", f"... phase by phase: masks from the "
            f"{phase} give no speed-up", "v3 §3.2 Fig. 4(a) (the phases as v1 shades them)", "none",
            PAPER.format("phase_tickets"), dict(exp="phase_tickets"), phase_no_speedup(phase), kind="sub")
      for phase in ("memorization", "transition", "late transition")],
    Claim("phase_tracks_final", "phase_tickets", "their final test accuracy tracks the base's test "
          f"accuracy at the source step (Spearman >= {BARS['track_rho'].value})", "v3 §3.2 Fig. 4(a)",
          "tracks", PAPER.format("phase_tickets"), dict(exp="phase_tickets"), tracks_source(), spec=".2f"),
    Claim("phase_tracks_1000", "phase_tickets", "their test accuracy at step 1,000 tracks the base's "
          f"at the source step (Spearman >= {BARS['track_rho'].value})", "v3 §3.2 Fig. 4(a) (our reading)", "tracks",
          PAPER.format("phase_tickets"), dict(exp="phase_tickets"), tracks_source(1000), spec=".2f",
          kind="sub"),

    Claim("fourier_ticket_first", "fourier", "the ticket's neurons become periodic by ~2k steps, the "
          "base's only by ~30k (first checkpoint by which the mean Fourier entropy has made 90% of its "
          "drop; the ticket at least 2x sooner)", "v3 §5.2 Fig. 8", "~2k vs ~30k", PAPER.format("fourier"),
          dict(exp="fourier"), ticket_periodic_first),
    Claim("jaccard_peak", "jaccard", "the largest distance between masks 2k steps apart coincides "
          "with the largest jump in test accuracy (within one interval; intervals after t_mem)",
          "v3 §5.1 Fig. 7", "16-20k",
          PAPER.format("jaccard"), dict(exp="jaccard"), distance_peaks_with_accuracy),
    Claim("jaccard_correlates", "jaccard", "mask distance and test-accuracy change over the same "
          "intervals after t_mem correlate (Pearson >= 0.5)", "v3 §5.1 Fig. 7", "-", PAPER.format("jaccard"),
          dict(exp="jaccard"), distance_correlates_with_accuracy, spec=".2f", kind="sub"),

    Claim("ops_every_operation", "ops", "the grokking ticket reduces t_gen for every operation (those "
          "whose base generalized)", "v3 §3.2 Fig. 2(c)", "every operation", PAPER.format("ops"), dict(exp="ops"),
          ticket_sooner_for_every_operation),

    Claim("graph_popup_weighted_gap", "graph", "EP's weighted spectral gap falls as its mask is learned "
          "(0.612 at step 600, 0.358 at 2,000)", "v3 §5.2 Fig. 9; Table 1 (lower half)", "-0.254", PAPER.format("graph"),
          dict(exp="edge_popup"), popup_graph_falls("weighted_spectral_gap"), spec="+.3f"),
    Claim("graph_popup_ramanujan", "graph", "EP's Ramanujan gap falls as its mask is learned (-2.550 at "
          "step 600, -4.555 at 2,000)", "v3 §5.2 Fig. 9; Table 1 (lower half)", "-2.005", PAPER.format("graph"),
          dict(exp="edge_popup"), popup_graph_falls("ramanujan_gap"), spec="+.3f"),

    Claim("parity_mlp_base_groks", "tasks", "sparse parity: the dense network groks: train accuracy "
          "reaches P by step 1,000, test accuracy at least ten times later", "v3 §3.2 Fig. 2(d)-(e)", "-",
          TASKS_TICKET.format("parity"), dict(exp="ticket", task="parity"), base_groks),
    Claim("parity_mlp_ticket_early", "tasks", "sparse parity: the grokking ticket generalizes sooner "
          "than the base (at least 2x)", "v3 §3.2 Fig. 2(d)-(e)", "sooner", TASKS_TICKET.format("parity"),
          dict(exp="ticket", task="parity"), ticket_before_base()),
    Claim("poly_mlp_base_groks", "tasks", "polynomial regression: the dense network groks: its train "
          "loss falls by P = 95% by step 1,000, its test loss only at least ten times later", "v3 §3.2 Fig. 2(d)-(e)",
          "-", TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"), base_groks),
    Claim("poly_mlp_ticket_early", "tasks", "polynomial regression: the grokking ticket's test loss "
          "falls by P sooner than the base's (at least 2x)", "v3 §3.2 Fig. 2(d)-(e)", "sooner",
          TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"), ticket_before_base()),
    Claim("poly_mlp_norm_not_enough", "tasks", "polynomial regression: dense theta_0 rescaled to the "
          "ticket's L1 or L2 norm generalizes later than the ticket (at least 2x)", "v3 §3.2 Fig. 2(d)-(e)",
          "late", TASKS_TVN.format("poly"), dict(exp="ticket_vs_norm", task="poly"),
          ticket_before_norm_controls),

    *mask_or_init_claims("mlp"),
    *mask_or_init_claims("transformer"),
    *norm_clamp_claims("mlp"),
    *norm_clamp_claims("transformer"),

    Claim("no_wd_critical", "no_wd", "at the critical k ~ 0.81 a ticket generalizes without weight decay",
          "v3 App. H Fig. 17 (critical pruning rate 0.81)", "generalizes", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
          some_rate_generalizes(None, None, around=0.81), spec=".3f"),
    Claim("no_wd_any", "no_wd", "some k in 0.1-0.9 generalizes without weight decay", "v1-v3 abstracts; v3 App. H",
          "yes", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
          some_rate_generalizes(0.1, 0.9), spec=".3f", kind="sub"),
    Claim("no_wd_0.9_fails", "no_wd", "at k = 0.9 the ticket without weight decay fails", "v3 App. H Fig. 17 (critical pruning rate 0.81)",
          "fails", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000), rate_fails(0.9),
          spec=".3f"),
    Claim("no_wd_dense_fails", "no_wd", "the dense network without weight decay does not generalize",
          "v3 App. H (implied)", "fails", PAPER.format("no_wd"), dict(exp="no_wd", model="mlp", steps=50000),
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
