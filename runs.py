"""What determines a run: its settings (Run), the id that names its folder, and the data and the
network at theta_0 built from them. Training them is trainer.py's.

    from runs import Run, build_model, load_data
    run = Run(seed=0)                          # the MLP on a + b mod 67, the paper's settings
    run.id                                     # 'add-mlp-s0-base-bf21a9e8' (numerics.REFERENCE)
    model, data = build_model(run), load_data(run)

A run's id is a hash of the settings that differ from the defaults (settings()): a new option with a
default leaves every earlier id alone, and two runs whose bits could differ (other numerics, other
data) never share one.
"""
import dataclasses
import hashlib
import json
from dataclasses import dataclass

import numerics

numerics.pin()  # before torch: portable kernels, unless an entry point already chose (grok.py --native-numerics)
import tasks  # noqa: E402
from models import MLP, MnistMLP, ParityMLP, PolyMLP, Transformer  # noqa: E402
from paper import IMAGE_TASKS  # noqa: E402

VECTOR_TASKS = {"poly": (tasks.poly, PolyMLP), "parity": (tasks.parity, ParityMLP)}  # v3's: data, network
# Run.net of the tasks whose network changed after runs were made, so that no id names two networks:
# poly's is the authors' three-ReLU network (runs made before 2026-12-03 had one ReLU, net "")
NETS = {"poly": "relu3"}


MODELS = {"mlp": MLP, "transformer": Transformer}


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Run:
    """Every setting that determines a run's result; a hash of it names the run's folder."""
    task: str = "add"
    """modular operation (add, sub, mul, x2y2, x2xyy2, x3xy), mnist / fashion, poly or parity"""
    model: str = "mlp"
    """mlp or transformer (images, poly, parity: their own MLP, models.DenseMLP)"""
    seed: int = 0
    """seeds the train/test split (or the training images, or the poly / parity data) and theta_0"""
    steps: int = 50_000
    """full-batch AdamW steps"""
    lr: float = 1e-3
    weight_decay: float = 1.0
    betas: tuple = (0.9, 0.98)
    eps: float = 1e-8
    p: int = 67
    """modulus of the modular task"""
    frac_train: float = 0.4
    """fraction of the pairs used for training"""
    ordered: bool = False
    """all p^2 ordered pairs instead of the unordered a <= b"""
    n_train: int = 1000
    """training examples (image, poly and parity tasks)"""
    data_dir: str = ""
    """folder of the IDX files (image tasks): where the data is, recorded but not part of the run's
    identity (two folders holding the same files give one id; other files in one folder, two)"""
    data: str = ""
    """what the data is: for image tasks tasks.idx_digest of the files the run reads (filled in from
    data_dir when left empty); "" for the tasks whose data is generated from the seed"""
    threshold: float = 0.95
    """P: t_mem / t_gen are the first steps with train / test accuracy >= P (a regression: with the
    loss at most (1 - P) times its value at theta_0)"""
    arm: str = "base"
    """base (dense, theta_0), ticket (theta_0 * m), same_l1 / same_l2 (dense, theta_0 * r_p), and
    the other arms of the experiments (experiments.py): PaI pruners, edge-popup, reinit, shuffled"""
    prune_rate: float = 0.0
    """k, the fraction of weights removed (tickets, and the controls matched to them)"""
    scope: str = "global"
    """magnitude pruning over all matrices together (global) or per matrix (layer)"""
    pruner: str = "magnitude"
    """how the mask was scored: magnitude (of the parent's weights at source_step), or at theta_0
    random, snip, grasp, synflow"""
    source_step: int = 0
    """step of the parent's checkpoint whose magnitudes make the mask; 0 = its final step"""
    popup_keep: float = 0.0
    """edge-popup: learn the mask as the top popup_keep of |scores| per matrix (0 = off)"""
    train_weights: bool = True
    """False freezes the weights (edge-popup learns only the scores)"""
    score_decay: float = 0.0
    """AdamW weight decay of the edge-popup scores. 0: the paper's EP, nothing decayed; the authors'
    code (one AdamW over every trainable tensor, -w 1) decays the scores with 1.0: a labelled variant"""
    split_seed: int = -1
    """seed of the train/test split when it is not the run's seed (-1): only the edge-popup leak
    diagnostic, which reproduces the authors' re-seeded split"""
    rewind: bool = True
    """a ticket starts from theta_0 * m; False starts it from the parent's weights at the mask's source
    step * m (the authors' MNIST config, reinitialize = False): a labelled diagnostic, not a ticket"""
    net: str = ""
    """the task's network where it has changed since runs were first made (NETS): poly "relu3"; ""
    for every other task"""
    draw: str = ""
    """the purpose of the run's own random draw, beyond theta_0 and the split, whose stream is
    tickets.stream_seed(seed, draw): random (the random pruner's scores), popup (edge-popup's
    scores), reinit (theta_0'), shuffle / shuffle_rows (a permutation of the mask); "" for none"""
    parent: str = ""
    """id of the run whose theta_0 (and weights, for a mask) this run starts from"""
    ckpt_every: int = 2000
    numerics: str = numerics.key("cpu")
    """what decides the run's bits (numerics.key: device, CPU kernels, MKL_CBWR, vendor where it
    matters, torch version; by default this process's): two trajectories never share an id. The
    reference numerics (numerics.REFERENCE, AMD's portable ones) leave the id as it was"""

    def __post_init__(self):
        if self.task in IMAGE_TASKS and not self.data and self.data_dir:
            object.__setattr__(self, "data", tasks.idx_digest(self.data_dir))

    @property
    def id(self):
        digest = hashlib.sha1(json.dumps(settings(config_of(self)), sort_keys=True).encode())
        k = f"-k{self.prune_rate:g}" if self.prune_rate else ""
        return f"{self.task}-{self.model}-s{self.seed}-{self.arm}{k}-{digest.hexdigest()[:8]}"


def config_of(run):
    """The run's settings as plain JSON values (as stored in config.json, state.pt and summary.json)."""
    return json.loads(json.dumps(dataclasses.asdict(run)))


# Recorded in config.json but not part of a run's identity: where the data lies is not what it is
# (Run.data is).
NOT_IDENTITY = ("data_dir",)


def settings(config):
    """The settings of a run's config that differ from the defaults (and the reference numerics): its
    identity. A new option with a default leaves the identity of every earlier run alone."""
    defaults = config_of(Run(numerics=numerics.REFERENCE))
    return {k: v for k, v in config.items()
            if k in defaults and v != defaults[k] and k not in NOT_IDENTITY}


def load_data(run):
    if run.task in IMAGE_TASKS:
        data = tasks.mnist(run.data_dir or None, run.seed, run.n_train, dataset=run.task)
        if run.data and data.digest != run.data:
            raise UsageError(f"run {run.id} was defined on data {run.data}, but the files in "
                             f"{run.data_dir or tasks.DEFAULT_DIRS[run.task]} are {data.digest}")
        return data
    if run.task in VECTOR_TASKS:
        return VECTOR_TASKS[run.task][0](run.seed, n_train=run.n_train)
    split_seed = run.seed if run.split_seed < 0 else run.split_seed
    return tasks.modular(run.task, run.p, run.frac_train, split_seed, run.ordered)


def build_model(run, seed=None):
    """The network at theta_0, seeded with the run's seed (or `seed`: another draw of the same law)."""
    seed = run.seed if seed is None else seed
    if run.net != NETS.get(run.task, ""):
        raise UsageError(f"{run.id}: net {run.net!r} is not the network of --task {run.task} "
                         f"({NETS.get(run.task, '')!r}): it is no longer built")
    if run.task in IMAGE_TASKS:
        return MnistMLP(seed=seed)
    if run.task in VECTOR_TASKS:
        return VECTOR_TASKS[run.task][1](seed=seed)
    return MODELS[run.model](p=run.p, seed=seed)
