"""Tests, one section per module in the order the imports run (tasks, models, tickets, trainer,
numerics, experiments and grok, analysis; CUDA last): the data,
the fast forward passes against the direct form, AdamW against torch.optim.AdamW, the pruners against
torch.nn.utils.prune, many runs batched against the same runs alone, the golden curve of the portable
numerics, every experiment end to end on a tiny configuration, resuming, bad input, the analyses
against values computed by hand. The apparatus that judges the paper has its own tests
(replication/test_replication.py). Run both: python -m pytest -q test_grok.py replication (about 2.5
minutes on 2 cores); -m "not slow" leaves out the end-to-end runs of several seconds each (the shared
fixtures and markers: conftest.py)."""
import csv
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import statistics
import sys

import pytest

import numerics

numerics.pin()  # before torch (conftest.py has already): the golden curves are the portable bits
import torch  # noqa: E402
import torch.nn.utils.prune as prune

from conftest import interrupted, make_mnist, run_cli
from tables import read_csv

import adamw
import analysis
import experiments
import grok
import inner
import tables
import tasks
import trainer
from runs import Run, UsageError, build_model, load_data
import tickets
import models
from models import MLP, Masked, MnistMLP, Transformer

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = ["--p", "11", "--steps", "60", "--ckpt-every", "20"]


def random_weights(seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(7, 5, generator=g), "b": torch.randn(3, 11, generator=g),
            "c": torch.randn(13, generator=g)}


# ---------------------------------------------------------------------------------------------------
# tasks.py: the data

@pytest.mark.parametrize("gz,layout", [(True, ""), (False, "MNIST/raw")])
def test_idx_loader_reads_fixture(tmp_path, gz, layout):
    folder = make_mnist(str(tmp_path), gz=gz, layout=layout)
    data = tasks.mnist(folder, seed=0, n_train=20)
    assert data.x_train.shape == (20, 784) and data.x_test.shape == (30, 784)
    assert 0 <= data.x_train.min() and data.x_train.max() == 1.0
    assert data.y_test.tolist() == [i % 10 for i in range(30)]
    again = tasks.mnist(folder, seed=0, n_train=20)
    assert torch.equal(data.x_train, again.x_train)
    assert not torch.equal(data.y_train, tasks.mnist(folder, seed=1, n_train=20).y_train)


def test_corrupt_idx_file_is_reported(tmp_path):
    folder = make_mnist(str(tmp_path), gz=False)
    path = os.path.join(folder, "t10k-images-idx3-ubyte")
    with open(path, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(tasks.DataError, match="truncated"):
        tasks.mnist(folder)


def test_download_keeps_only_files_with_the_right_checksum(tmp_path, monkeypatch):
    class Response:
        def __init__(self, blob):
            self.blob = blob
        def read(self):
            return self.blob
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(tasks.urllib.request, "urlopen", lambda url, timeout: Response(b"not mnist"))
    with pytest.raises(tasks.DataError, match="MD5"):
        tasks.download("mnist", str(tmp_path))
    assert os.listdir(tmp_path) == []
    blob = b"pretend this is the file"
    md5 = __import__("hashlib").md5(blob).hexdigest()
    monkeypatch.setitem(tasks.SOURCES, "mnist", ("http://example/", (md5,) * 4))
    monkeypatch.setattr(tasks.urllib.request, "urlopen", lambda url, timeout: Response(blob))
    tasks.download("mnist", str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(n + ".gz" for n in tasks.IDX_FILES)


def test_a_failed_download_leaves_no_folder_behind(tmp_path, monkeypatch):
    """An empty folder would look like data to the next command (and to a test that checks for it)."""
    def fail(url, timeout):
        raise OSError("no network")
    monkeypatch.setattr(tasks.urllib.request, "urlopen", fail)
    with pytest.raises(tasks.DataError, match="downloading"):
        tasks.mnist(str(tmp_path / "mnist"))
    assert not os.path.exists(tmp_path / "mnist")


def test_without_fcntl_grok_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    """Windows has no fcntl: importing the project works, and a run stops with one line, exit 2."""
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl now raises ImportError
    assert run_cli(["--exp", "base", "--p", "11", "--steps", "5", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fcntl" in err and "WSL" in err


@pytest.mark.skipif(not all(tasks.find_idx("/usr/share/datasets/fashion-mnist", n) for n in tasks.IDX_FILES),
                    reason="Debian's dataset-fashion-mnist is not installed (its four IDX files)")
def test_real_fashion_mnist_loads():
    data = tasks.mnist(None, seed=0, dataset="fashion")
    assert data.x_train.shape == (1000, 784) and data.x_test.shape == (10000, 784)
    assert sorted(data.y_test.unique().tolist()) == list(range(10))


def test_modular_split():
    data = tasks.modular("add", p=67, frac_train=0.4, seed=0)
    assert (len(data.x_train), len(data.x_test)) == (911, 1367)
    pairs = torch.cat([data.x_train, data.x_test])
    assert (pairs[:, 0] <= pairs[:, 1]).all() and len({tuple(p) for p in pairs.tolist()}) == 2278
    assert torch.equal(data.y_train, (data.x_train.sum(1)) % 67)
    assert len(tasks.modular("sub", p=5, ordered=True, frac_train=0.5).x_test) == 13


# ---------------------------------------------------------------------------------------------------
# models.py and the optimizer: the fast forward passes against the direct form, AdamW against torch

@pytest.mark.parametrize("make", [lambda: MLP(p=13), lambda: Transformer(p=13)])
@pytest.mark.parametrize("masked", [False, True])
def test_fast_forward_equals_direct_form(make, masked):
    model = make().double()
    if masked:
        scores = {n: torch.rand_like(w) for n, w in model.weights().items()}
        model.set_masks(tickets.mask_from_scores(scores, 0.6))
    data = tasks.modular("add", p=13, frac_train=0.5, ordered=True)
    fast, direct = model(data.x_train), model.direct(data.x_train)
    assert fast.shape == (len(data.x_train), 13)
    torch.testing.assert_close(fast, direct, rtol=1e-12, atol=1e-12)
    # the gradients agree too: training uses the fast form
    g_fast = torch.autograd.grad(fast.square().sum(), list(model.parameters()))
    g_direct = torch.autograd.grad(direct.square().sum(), list(model.parameters()))
    for a, b in zip(g_fast, g_direct):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("make", [MLP, Transformer])
def test_masks_survive_load_state_dict_and_in_place_edits(make):
    """A ticket saved and loaded (or a mask edited in place) computes with its masks, never silently
    with the dense network."""
    a = make(p=23, seed=0)
    a.set_masks({n: (torch.rand(w.shape, generator=torch.Generator().manual_seed(1)) > 0.5).float() for n, w in a.weights().items()})
    b = make(p=23, seed=1)
    b.load_state_dict(a.state_dict())
    x = torch.randint(0, 23, (20, 2), generator=torch.Generator().manual_seed(0))
    assert not b.dense and torch.equal(a(x), b(x))
    c = make(p=23, seed=0)
    assert c.dense
    with torch.no_grad():
        c.mask_W_E[0, 0] = 0  # in place, past set_masks
    manual = make(p=23, seed=0)
    with torch.no_grad():
        manual.W_E[0, 0] = 0
    assert not c.dense and torch.equal(c(x), manual(x))
    c.set_masks({n: torch.ones_like(m) for n, m in c.masks().items()})
    assert c.dense


def test_model_sizes_follow_the_spec():
    count = lambda m: sum(w.numel() for w in m.weights().values())
    assert (count(MLP()), count(Transformer()), count(MnistMLP())) == (115_000, 115_456, 198_800)
    w = MnistMLP(seed=0).W_1
    assert abs(w.std().item() - 8 / math.sqrt(784)) < 0.01


@pytest.mark.parametrize("weight_decay", [0.0, 0.1, 1.0])
def test_adamw_matches_torch(weight_decay):
    g = torch.Generator().manual_seed(0)
    shapes = [(5, 4), (3,), (2, 6)]
    ours = [torch.randn(s, generator=g) for s in shapes]
    ref = [torch.nn.Parameter(w.clone()) for w in ours]
    opt = torch.optim.AdamW(ref, lr=1e-2, betas=(0.9, 0.98), eps=1e-8, weight_decay=weight_decay, foreach=False)
    theta = torch.cat([w.flatten() for w in ours])
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    for step in range(1, 21):
        grads = [torch.randn(s, generator=g) for s in shapes]
        for p, gr in zip(ref, grads):
            p.grad = gr.clone()
        opt.step()
        adamw.adamw_step(theta, torch.cat([gr.flatten() for gr in grads]), m, v, step, lr=1e-2,
                         betas=(0.9, 0.98), eps=1e-8, weight_decay=weight_decay)
    torch.testing.assert_close(theta, torch.cat([p.detach().flatten() for p in ref]), rtol=1e-6, atol=1e-7)


def test_log_schedule_does_not_depend_on_the_runs_length():
    logged = lambda steps: [s for s in range(1, steps + 1) if trainer.should_log(s, steps)]
    long = logged(100_000)
    for steps in (50_000, 20_000, 2_000, 300, 7):
        assert logged(steps) == [s for s in long if s < steps] + [steps]  # so t_gen is the trajectory's
    assert long[:100] == list(range(1, 101)) and long[-1] == 100_000
    assert max(b - a for a, b in zip(long, long[1:])) == trainer.LOG_EVERY == 100


def test_grokking_times_count_a_step_at_exactly_p():
    """v3's definition: t_mem / t_gen are the first steps with accuracy >= P, so P itself counts."""
    curve = [dict(step=s, train_acc=a, test_acc=t) for s, a, t in ((0, 0.0, 0.0), (10, 0.95, 0.5), (20, 1.0, 0.95))]
    assert tables.grokking_times(curve, 0.95) == dict(t_mem=10, t_gen=20, tau_grok=2.0)


def test_measure_reports_never_reached_as_none():
    rows = [dict(step=s, train_acc=min(1, s / 10), test_acc=0.5, l1=1.0, l2=1.0) for s in range(20)]
    m = trainer.measure(rows, 0.95)
    assert m["t_mem"] == 10 and m["t_gen"] is None and m["tau_grok"] is None


def test_adamw_takes_torchs_tensor_step_and_refuses_step_0():
    """A step kept as torch keeps it (a float32 tensor in the optimizer's state) gives the same bits as
    the int; step 0, a 0-based loop's first, is refused (the bias correction would divide by zero)."""
    g = torch.Generator().manual_seed(0)
    theta = torch.randn(50, generator=g)
    states = [(theta.clone(), torch.zeros(50), torch.zeros(50)) for _ in range(2)]
    for step in range(1, 30):
        grad = torch.randn(50, generator=g)
        for (th, m, v), t in zip(states, (step, torch.tensor(float(step)))):
            adamw.adamw_step(th, grad, m, v, t, lr=1e-2, betas=(0.9, 0.98), eps=1e-8, weight_decay=1.0)
    assert all(torch.equal(a, b) for a, b in zip(*states))
    with pytest.raises(ValueError, match="counts from 1"):
        adamw.adamw_step(theta, theta, torch.zeros(50), torch.zeros(50), 0, lr=1e-2, betas=(0.9, 0.98),
                         eps=1e-8, weight_decay=1.0)


def test_masked_weights_are_w_times_m_and_a_single_pair_is_refused():
    model = MLP(p=7, seed=0)
    masks = tickets.mask_from_scores(tickets.magnitude_scores(model.weights()), 0.6)
    model.set_masks(masks)  # the raw weights keep their values; the network computes with W * m
    masked = model.masked_weights()
    assert all(torch.equal(masked[n], w.detach() * masks[n]) for n, w in model.weights().items())
    assert tickets.norm(masked, 1) == tickets.norm(tickets.rewind(model.weights(), masks), 1) < tickets.norm(model.weights(), 1)
    for net in (model, Transformer(p=7, seed=0)):
        with pytest.raises(ValueError, match=r"x\[None\]"):
            net(torch.tensor([1, 2]))
        assert net(torch.tensor([[1, 2]])).shape == (1, 7)


# ---------------------------------------------------------------------------------------------------
# tickets.py: the pruners against torch.nn.utils.prune and by hand, the random streams, the controls

@pytest.mark.parametrize("k", [0.0, 0.1, 0.37, 0.6, 0.9, 0.99])
def test_global_mask_matches_torch_prune(k):
    weights = random_weights()
    masks = tickets.mask_from_scores(tickets.magnitude_scores(weights, include_1d=True), k)
    n = sum(w.numel() for w in weights.values())
    assert sum(m.sum().item() for m in masks.values()) == n - round(k * n)
    modules = {name: torch.nn.Module() for name in weights}
    for name, module in modules.items():
        module.register_parameter("weight", torch.nn.Parameter(weights[name].clone()))
    prune.global_unstructured([(m, "weight") for m in modules.values()],
                              pruning_method=prune.L1Unstructured, amount=k)
    for name, module in modules.items():
        assert torch.equal(masks[name], module.weight_mask)


def test_layer_mask_keeps_exact_count_per_matrix():
    weights = random_weights(1)
    masks = tickets.mask_from_scores(tickets.magnitude_scores(weights, include_1d=True), 0.6, scope="layer")
    for name, w in weights.items():
        assert masks[name].sum().item() == w.numel() - round(0.6 * w.numel())
        kept, removed = w.abs()[masks[name] == 1], w.abs()[masks[name] == 0]
        assert kept.min() >= removed.max()


def test_ties_are_broken_by_position_not_over_pruned():
    scores = {"a": torch.ones(10), "b": torch.ones(10)}
    masks = tickets.mask_from_scores(scores, 0.25)  # 5 of 20, all tied
    assert masks["a"].tolist() == [0] * 5 + [1] * 5 and masks["b"].sum() == 10


def test_selection_removes_what_a_stable_sort_removes():
    g = torch.Generator().manual_seed(0)
    for _ in range(100):
        values = torch.randint(0, 4, (3, int(torch.randint(1, 60, (1,), generator=g))), generator=g).double()
        n = int(torch.randint(0, values.shape[1] + 1, (1,), generator=g))
        expected = torch.ones_like(values)
        for row, order in zip(expected, torch.sort(values, stable=True).indices):  # the naive form
            row[order[:n]] = 0
        assert torch.equal(tickets.keep_all_but_lowest(values, n), expected)


def test_bad_pruning_rate_is_refused():
    with pytest.raises(ValueError):
        tickets.mask_from_scores(random_weights(), 1.0)


def test_norm_matched_scale_matches_the_tickets_norm():
    theta0, masks = random_weights(2), tickets.mask_from_scores(tickets.magnitude_scores(random_weights(3), include_1d=True), 0.6)
    ticket = tickets.rewind(theta0, masks)
    for p in (1, 2):
        r = tickets.norm_matched_scale(theta0, masks, p)
        scaled = {n: w * r for n, w in theta0.items()}
        assert math.isclose(tickets.norm(scaled, p), tickets.norm(ticket, p), rel_tol=1e-6)
        assert 0 < r < 1


class Linear2(Masked):
    """y = W_2 W_1 x: a two-layer linear network, where every pruner has a closed form."""

    def __init__(self, d_in=4, d_hidden=3, d_out=2, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.add_weight("W_1", (d_hidden, d_in), 1.0, g)
        self.add_weight("W_2", (d_out, d_hidden), 1.0, g)

    def forward(self, x):
        return x @ self.w("W_1").T @ self.w("W_2").T


def test_synflow_is_the_product_of_absolute_weights():
    net = Linear2().double()
    scores = tickets.synflow_scores(net, lambda m: m(torch.ones(1, 4, dtype=torch.float64)), 0.5, rounds=1)
    A1, A2 = net.W_1.detach().abs(), net.W_2.detach().abs()
    # R = 1^T |W_2| |W_1| 1: dR/dW_1[i, j] = sum_k |W_2[k, i]|, dR/dW_2[k, i] = sum_j |W_1[i, j]|
    torch.testing.assert_close(scores["W_1"], A1 * A2.sum(0)[:, None])
    torch.testing.assert_close(scores["W_2"], A2 * A1.sum(1)[None, :])
    assert torch.equal(net.W_1.detach(), Linear2().double().W_1.detach())  # the model is untouched


def test_synflow_iterates_without_resurrecting_weights():
    net = MLP(p=7, d_emb=20, d_hidden=6)
    scores = tickets.synflow_scores(net, lambda m: m.from_counts(torch.ones(1, 7, dtype=torch.float64)), 0.8)
    mask = tickets.mask_from_scores(scores, 0.8)
    n = sum(m.numel() for m in mask.values())
    assert sum(m.sum().item() for m in mask.values()) == n - round(0.8 * n)
    # weights pruned in earlier rounds score -1, and stay pruned
    assert all((m[s == -1] == 0).all() for s, m in zip(scores.values(), mask.values()))
    assert 0 < sum((s == -1).sum().item() for s in scores.values()) < n - sum(m.sum().item() for m in mask.values()) + 1


def test_snip_is_weight_times_gradient():
    net, x, t = Linear2().double(), torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    scores = tickets.snip_scores(net, lambda m: ((m(x) - t) ** 2).sum())
    W1, W2 = net.W_1.detach(), net.W_2.detach()
    dy = 2 * (x @ W1.T @ W2.T - t)                    # dL/dy, one row per example
    grad_W2, grad_W1 = dy.T @ (x @ W1.T), (dy @ W2).T @ x
    torch.testing.assert_close(scores["W_1"], (W1 * grad_W1).abs())
    torch.testing.assert_close(scores["W_2"], (W2 * grad_W2).abs())


def test_grasp_is_weight_times_hessian_gradient():
    net, x, y = Linear2(d_out=3).double(), torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    scores = tickets.grasp_scores(net, lambda m: m(x), y, temperature=2.0)
    shapes = [w.shape for w in net.weights().values()]

    def loss(flat):  # the same loss as a function of all weights in one vector
        W1, W2 = flat[:12].view(shapes[0]), flat[12:].view(shapes[1])
        return torch.nn.functional.cross_entropy(x @ W1.T @ W2.T / 2.0, y)

    theta = torch.cat([w.detach().flatten() for w in net.weights().values()])
    g = torch.autograd.functional.jacobian(loss, theta)
    H = torch.autograd.functional.hessian(loss, theta)
    expected = theta * (H @ g)
    torch.testing.assert_close(torch.cat([s.flatten() for s in scores.values()]), expected)


@pytest.mark.parametrize("pruner", ["random", "snip", "grasp", "synflow"])
def test_every_pruner_keeps_exact_count(pruner):
    model, data = MLP(p=11, seed=1), tasks.modular(p=11)
    loss = lambda m: trainer.loss_fn(m(data.x_train), data.y_train)
    scores = {"random": lambda: tickets.random_scores(model.weights(), 0),
              "snip": lambda: tickets.snip_scores(model, loss),
              "grasp": lambda: tickets.grasp_scores(model, lambda m: m(data.x_train), data.y_train),
              "synflow": lambda: tickets.synflow_scores(model, experiments.synflow_input(model), 0.6, rounds=10)}[pruner]()
    for scope in ("global", "layer"):
        mask = tickets.mask_from_scores(scores, 0.6, scope)
        n = sum(m.numel() for m in mask.values())
        expected = n - round(0.6 * n) if scope == "global" else sum(m.numel() - round(0.6 * m.numel()) for m in mask.values())
        assert sum(m.sum().item() for m in mask.values()) == expected


def test_edge_popup_mask_is_exact_and_straight_through():
    s = torch.randn(10, 10, requires_grad=True)
    m = tickets.edge_popup_mask(s, 0.4)
    assert set(m.detach().unique().tolist()) == {0.0, 1.0} and m.sum().item() == 40
    assert (m.detach()[s.detach().abs() >= s.detach().abs().flatten().sort().values[60]] == 1).all()
    (m * torch.arange(100.0).view(10, 10)).sum().backward()
    torch.testing.assert_close(s.grad, torch.arange(100.0).view(10, 10) * s.detach().sign())
    # a stack of runs' scores: each run's matrix on its own, as the runs one by one
    stacked = torch.randn(4, 10, 10).round()  # ties
    with pytest.raises(ValueError):
        tickets.edge_popup_mask(stacked, 0.0, runs=True)  # nothing kept: no network
    assert torch.equal(tickets.edge_popup_mask(stacked, 0.3, runs=True),
                       torch.stack([tickets.edge_popup_mask(r, 0.3) for r in stacked]))


def test_stream_seeds_are_fixed_and_differ_by_seed_and_purpose():
    seeds = {(s, p): tickets.stream_seed(s, p) for s in range(3) for p in ("random", "popup", "reinit")}
    assert len(set(seeds.values())) == len(seeds) and all(0 <= v < 2 ** 63 for v in seeds.values())
    assert tickets.stream_seed(1, "random") == tickets.stream_seed(1, "random") != 1
    # fixed for good: the committed runs' draws depend on these values
    assert tickets.stream_seed(0, "random") == int.from_bytes(hashlib.sha256(b"0/random").digest()[:8], "little") >> 1


def top_overlap(mask, theta0, keep=0.4):
    """The fraction of the weights `mask` keeps that are among the top `keep` of |theta_0|, all
    matrices together (chance: keep)."""
    flat = lambda d: torch.cat([t.detach().flatten() for t in d.values()])
    top = tickets.mask_from_scores({"all": flat(theta0).abs()}, 1 - keep)["all"]
    return float((flat(mask) * top).sum() / flat(mask).sum())


@pytest.mark.parametrize("own_stream", [True, False])
def test_the_random_mask_is_independent_of_theta0_only_with_its_own_stream(own_stream):
    # seeded with the run seed, torch.rand replays the uniforms torch.randn turned into theta_0:
    # the random mask then keeps the large |theta_0| more often than chance (measured: 0.443)
    overlaps = []
    for seed in range(12):
        theta0 = MLP(p=23, seed=seed).weights()
        draw = tickets.stream_seed(seed, "random") if own_stream else seed
        overlaps.append(top_overlap(tickets.mask_from_scores(tickets.random_scores(theta0, draw), 0.6), theta0))
    assert (abs(statistics.mean(overlaps) - 0.4) < 0.01) == own_stream


@pytest.mark.parametrize("within", ["matrix", "row"])
def test_a_shuffled_mask_keeps_the_count_of_each_matrix_or_row_at_other_places(within):
    theta0 = MLP(p=23, seed=0).weights()
    mask = tickets.mask_from_scores(tickets.magnitude_scores(theta0), 0.6)
    shuffled = tickets.shuffled_mask(mask, tickets.stream_seed(0, "shuffle"), within)
    for name, m in mask.items():
        assert set(shuffled[name].unique().tolist()) <= {0.0, 1.0}
        assert shuffled[name].sum() == m.sum() and not torch.equal(shuffled[name], m)
        if within == "row":
            assert torch.equal(shuffled[name].sum(1), m.sum(1))
    # a magnitude mask keeps large |theta_0|; a shuffle keeps them at the matrix's own density only
    assert top_overlap(mask, theta0) == 1.0 and top_overlap(shuffled, theta0) < 0.6
    assert all(torch.equal(a, b) for a, b in zip(
        shuffled.values(), tickets.shuffled_mask(mask, tickets.stream_seed(0, "shuffle"), within).values()))
    with pytest.raises(ValueError):
        tickets.shuffled_mask(mask, 0, "column")


def test_reinit_draws_another_theta0_of_the_same_law():
    run = Run(seed=0, p=67)
    theta0 = build_model(run).weights()
    other = build_model(run, seed=tickets.stream_seed(0, "reinit")).weights()
    for name, w in theta0.items():
        w2, std = other[name].detach(), 1 / math.sqrt(w.shape[1])  # N(0, kappa / sqrt(fan_in)), kappa 1
        assert w2.shape == w.shape and not torch.equal(w2, w.detach())
        assert abs(w2.mean().item()) < 4 * std / math.sqrt(w.numel())
        assert abs(w2.std().item() / std - 1) < 0.03
        assert abs(torch.corrcoef(torch.stack([w.detach().flatten(), w2.flatten()]))[0, 1]) < 0.03


# ---------------------------------------------------------------------------------------------------
# tickets.py on a user's own model: a plain nn.Sequential with biases

def sequential(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def test_on_a_plain_sequential_the_mask_is_torch_prunes_the_biases_stay_and_pruned_weights_stay_zero():
    """The magnitude mask of named_parameters() covers the weight matrices only, equals
    prune.global_unstructured(L1Unstructured)'s on them, and after apply_masks 50 AdamW steps (weight
    decay 1) leave every pruned weight exactly zero; the biases are not pruned."""
    import copy
    model = sequential()
    mask = tickets.mask_from_scores(tickets.magnitude_scores(model.named_parameters()), 0.6)
    assert list(mask) == ["0.weight", "2.weight"]
    ref = copy.deepcopy(model)
    prune.global_unstructured([(ref[0], "weight"), (ref[2], "weight")], pruning_method=prune.L1Unstructured, amount=0.6)
    assert torch.equal(mask["0.weight"], ref[0].weight_mask) and torch.equal(mask["2.weight"], ref[2].weight_mask)
    biases = [model[i].bias.detach().clone() for i in (0, 2)]
    tickets.apply_masks(model, mask)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1.0)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    for _ in range(50):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for i, name in ((0, "0.weight"), (2, "2.weight")):
        assert torch.all(model[i].weight[mask[name] == 0] == 0) and torch.any(model[i].weight != 0)
        assert not hasattr(model[i], "bias_mask") and not torch.equal(model[i].bias.detach(), biases[i // 2])
    with pytest.raises(ValueError, match="no parameter"):
        tickets.apply_masks(sequential(), {"1.weight": torch.ones(1)})


def test_biases_are_pruned_only_when_asked_and_bad_rates_and_empty_dicts_say_why():
    model = sequential()
    weights = dict(model.named_parameters())
    assert set(tickets.magnitude_scores(weights, include_1d=True)) == set(weights)
    assert set(tickets.random_scores(weights, 0)) == {"0.weight", "2.weight"}
    with pytest.raises(ValueError, match="include_1d"):
        tickets.magnitude_scores({"0.bias": weights["0.bias"]})
    with pytest.raises(ValueError, match="empty"):
        tickets.magnitude_scores({})
    with pytest.raises(ValueError, match="empty"):
        tickets.mask_from_scores({}, 0.5)
    with pytest.raises(TypeError, match=r"float\(k\)"):
        tickets.mask_from_scores(tickets.magnitude_scores(weights), torch.tensor(0.6))


def test_rewind_and_the_norm_matched_scale_on_a_whole_state_dict():
    """theta_0 a state_dict with biases, masks on the weights only: rewind leaves the unmasked entries
    as they are, and r_p counts the masked tensors only (by hand)."""
    model = sequential()
    theta0 = {n: t.clone() for n, t in model.state_dict().items()}
    mask = tickets.mask_from_scores(tickets.magnitude_scores(theta0), 0.5)
    rewound = tickets.rewind(theta0, mask)
    assert set(rewound) == set(theta0) and torch.equal(rewound["0.bias"], theta0["0.bias"])
    assert torch.equal(rewound["2.weight"], theta0["2.weight"] * mask["2.weight"])
    w = torch.cat([theta0[n].flatten().double() for n in mask])
    m = torch.cat([mask[n].flatten().double() for n in mask])
    for p in (1, 2):
        assert tickets.norm_matched_scale(theta0, mask, p) == pytest.approx(((w * m).norm(p) / w.norm(p)).item(), rel=1e-12)
    with pytest.raises(ValueError, match="does not have"):
        tickets.rewind({"0.weight": theta0["0.weight"]}, mask)


def test_snip_grasp_and_synflow_score_a_plain_module():
    """Given the module (and the names of its weights, or by default its matrices), a loss closure for
    SNIP and GraSP, and for SynFlow only the input's shape: SNIP equals |w * dL/dw| by hand, SynFlow's
    shape form equals its closure form and its mask removes round(k N); nothing of the module changes."""
    model = sequential()
    before = {n: t.clone() for n, t in model.state_dict().items()}
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    loss_of = lambda m: torch.nn.functional.cross_entropy(m(x), y)
    snip = tickets.snip_scores(model, loss_of)
    assert list(snip) == ["0.weight", "2.weight"]
    grads = torch.autograd.grad(loss_of(model), [model[0].weight, model[2].weight])
    assert torch.equal(snip["0.weight"], (model[0].weight * grads[0]).detach().abs())
    assert list(tickets.snip_scores(model, loss_of, names=["2.weight"])) == ["2.weight"]
    grasp = tickets.grasp_scores(model, lambda m: m(x), y)
    assert list(grasp) == ["0.weight", "2.weight"] and all(torch.isfinite(s).all() for s in grasp.values())
    by_shape = tickets.synflow_scores(model, (1, 6), 0.6, rounds=10)
    by_closure = tickets.synflow_scores(model, lambda m: m(torch.ones(1, 6, dtype=torch.float64)), 0.6, rounds=10)
    assert all(torch.equal(by_shape[n], by_closure[n]) for n in by_shape)
    mask = tickets.mask_from_scores(by_shape, 0.6)
    assert sum(int(m.sum()) for m in mask.values()) == 48 + 24 - round(0.6 * 72)
    assert all(torch.equal(t, before[n]) for n, t in model.state_dict().items())


def test_shuffled_mask_is_defined_for_what_it_accepts():
    """within='matrix' permutes any tensor, keeping its count; within='row' keeps each row's count of a
    2-D mask and refuses 1-D and conv (4-D) masks with a clear error."""
    g = torch.Generator().manual_seed(0)
    masks = {"conv": (torch.rand(4, 3, 3, 3, generator=g) > 0.5).float(), "bias": (torch.rand(5, generator=g) > 0.5).float()}
    shuffled = tickets.shuffled_mask(masks, 1, "matrix")
    assert all(shuffled[n].shape == m.shape and shuffled[n].sum() == m.sum() for n, m in masks.items())
    for name in masks:
        with pytest.raises(ValueError, match="2-D"):
            tickets.shuffled_mask({name: masks[name]}, 1, "row")
    matrix = (torch.rand(6, 9, generator=g) > 0.5).float()
    rows = tickets.shuffled_mask({"w": matrix}, 1, "row")["w"]
    assert torch.equal(rows.sum(1), matrix.sum(1)) and not torch.equal(rows, matrix)


def test_the_readmes_example_on_a_users_sequential_runs_as_written():
    readme = open(os.path.join(HERE, "README.md")).read()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    scope = {}
    exec(code, scope)
    net, mask, theta0 = scope["net"], scope["mask"], scope["theta0"]
    assert list(mask) == ["0.weight", "2.weight"] and torch.equal(net[0].bias.detach(), theta0["0.bias"])
    assert torch.equal(net[2].weight, theta0["2.weight"] * mask["2.weight"])


def test_reference_warns_about_a_transition_ticket_and_names_its_curve_fields():
    import reference
    with pytest.warns(UserWarning, match="transition ticket"):
        curves = reference.grokking_ticket(p=11, seed=0, k=0.6, steps=20)
    last = curves["base"][-1]
    assert last.step == 20 and last == (last.step, last.train_loss, last.train_acc, last.test_loss, last.test_acc)
    assert reference.first_step(curves["base"], "train_acc") == next(r.step for r in curves["base"] if r.train_acc >= 0.95)


def test_reference_imported_after_torch_changes_no_environment_variable(tmp_path):
    import shutil
    import subprocess
    shutil.copy(os.path.join(HERE, "reference.py"), tmp_path / "reference.py")
    script = ("import os, torch\nbefore = dict(os.environ)\nimport reference\n"
              "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


# ---------------------------------------------------------------------------------------------------
# tasks.py and models.py: v3's other tasks, polynomial regression and sparse parity

def test_poly_data_is_the_stated_polynomial():
    data = tasks.poly(seed=3, d=5, n_train=4, n_test=6)
    assert data.x_train.shape == (4, 5) and data.x_test.shape == (6, 5) and data.loss == "regression"
    g = torch.Generator().manual_seed(3)  # beta first, then x, as the docstring says
    beta = torch.randn(5, generator=g)
    x = torch.randn(10, 5, generator=g) / 5 ** 0.5
    assert torch.equal(torch.cat([data.x_train, data.x_test]), x)
    torch.testing.assert_close(torch.cat([data.y_train, data.y_test]), (x @ beta) ** 2 / 2)
    assert torch.equal(tasks.poly(seed=3, d=5, n_train=4, n_test=6).y_test, data.y_test)
    assert not torch.equal(tasks.poly(seed=4, d=5, n_train=4, n_test=6).y_test, data.y_test)


def test_the_poly_network_is_the_authors_three_relus():
    net, x = models.PolyMLP(seed=0, d=5), torch.randn(7, 5)
    W = [net.w(n) for n in ("W_1", "W_2", "W_3", "W_4")]
    relu = torch.relu  # embed, ReLU, inproj, ReLU, outproj, ReLU, unembed (their model.py, branch transfer)
    expected = relu(relu(relu(x @ W[0].T) @ W[1].T) @ W[2].T) @ W[3].T
    torch.testing.assert_close(net(x), expected)
    assert [w.shape for w in W] == [(40, 5), (48, 40), (500, 48), (1, 500)]
    # the poly runs made before 2026-12-03 had one ReLU: a run without net "relu3" names that network, not built
    with pytest.raises(UsageError, match="no longer built"):
        build_model(Run(task="poly"))
    assert build_model(Run(task="poly", net="relu3")).relu == (1, 2, 3)


def test_parity_labels_are_the_parity_of_the_first_k_bits():
    data = tasks.parity(seed=0, n_bits=6, k=3, n_train=50, n_test=70)
    assert data.x_train.shape == (50, 7) and data.x_test.shape == (70, 7) and data.n_classes == 2
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert set(x[:, :6].unique().tolist()) == {-1.0, 1.0} and bool((x[:, 6] == 1).all())
        ones = (x[:, :3] < 0).sum(1)  # -1 bits: the product is -1 when their number is odd
        assert torch.equal(y, ones % 2)
    assert 0.3 < data.y_test.float().mean() < 0.7
    assert not torch.equal(tasks.parity(seed=1, n_bits=6, n_train=50, n_test=70).x_train, data.x_train)


def test_without_a_bias_input_a_relu_network_cannot_express_an_odd_parity():
    # why tasks.parity appends a constant 1: f(x) - f(-x) of a bias-free ReLU network is linear in x,
    # and the parity of 3 bits is odd (f(-x) = -f(x)) and not linear; with the constant input it is not
    torch.manual_seed(0)
    net = models.DenseMLP((6, 30, 1), relu=(1,), kappa=1.0, seed=0).double()
    x = torch.randint(0, 2, (40, 6)).double() * 2 - 1
    odd = (net(x) - net(-x))[:, 0]
    W1, W2 = net.W_1.detach(), net.W_2.detach()
    torch.testing.assert_close(odd, (x @ W1.T @ W2.T)[:, 0])  # relu(z) - relu(-z) = z
    ones = torch.cat([x, torch.ones(40, 1, dtype=x.dtype)], 1)
    net = models.DenseMLP((7, 30, 1), relu=(1,), kappa=1.0, seed=0).double()
    flipped = torch.cat([-x, torch.ones(40, 1, dtype=x.dtype)], 1)
    W1, W2 = net.W_1.detach(), net.W_2.detach()
    assert not torch.allclose((net(ones) - net(flipped))[:, 0], (x @ W1[:, :6].T @ W2.T)[:, 0])


def test_measure_on_a_regression_reads_the_loss():
    curves = [dict(step=s, train_loss=tr, test_loss=te, train_acc=None, test_acc=None, l1=1.0, l2=1.0)
              for s, tr, te in ((0, 1.0, 2.0), (10, 0.2, 1.5), (20, 0.04, 0.5), (30, 0.01, 0.1), (40, 0.01, 0.09))]
    m = trainer.measure(curves, 0.95)
    # train: first loss <= 0.05 * 1.0 at step 20; test: first <= 0.05 * 2.0 = 0.1 at step 30
    assert (m["t_mem"], m["t_gen"], m["tau_grok"]) == (20, 30, 1.5)
    assert m["final_test_acc"] is None and m["final_test_loss"] == 0.09
    assert trainer.measure(curves, 0.99)["t_gen"] is None


def test_the_mnist_network_is_unchanged_by_its_generalisation():
    # MnistMLP is now DenseMLP((784, 200, 200, 10)): same draws, same order, as the class it replaced
    g = torch.Generator().manual_seed(5)
    expected = [torch.randn(shape, generator=g) * (8.0 / math.sqrt(shape[1]))  # std = kappa / sqrt(fan_in)
                for shape in ((200, 784), (200, 200), (10, 200))]
    net = MnistMLP(seed=5)
    for w, e in zip(net.weights().values(), expected):
        assert torch.equal(w.detach(), e)
    x = torch.rand(3, 784)
    W1, W2, W3 = expected
    torch.testing.assert_close(net(x), torch.relu(torch.relu(x @ W1.T) @ W2.T) @ W3.T)


@pytest.mark.parametrize("task,exp,arms", [("poly", "ticket_vs_norm", ["base", "ticket", "same_l1", "same_l2"]),
                                           ("poly", "phase_tickets", ["base", "ticket", "ticket"]),
                                           ("parity", "ticket", ["base", "ticket"])])
@pytest.mark.slow
def test_the_new_tasks_run_end_to_end(tmp_path, task, exp, arms):
    out = str(tmp_path / "runs")
    assert run_cli(["--exp", exp, "--task", task, "--steps", "40", "--ckpt-every", "20", "--n-train", "64",
                    "--out", out]) == 0
    rows = read_csv(os.path.join(out, "summary.csv"))
    assert [r["arm"] for r in rows] == arms
    assert all(r["final_test_loss"] != "" for r in rows)
    assert all((r["final_test_acc"] == "") == (task == "poly") for r in rows)
    config = json.load(open(os.path.join(out, rows[0]["run"], "config.json")))
    assert (config["lr"], config["steps"], config["n_train"]) == (1e-2, 40, 64)


@pytest.mark.parametrize("argv", [["--exp", "pai", "--task", "poly"], ["--exp", "edge_popup", "--task", "parity"],
                                  ["--task", "poly", "--model", "transformer"], ["--exp", "fourier", "--task", "parity"],
                                  ["--exp", "ops", "--task", "parity"]])
def test_what_the_new_tasks_cannot_do_is_refused(tmp_path, capsys, argv):
    assert run_cli(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grok.py: error: ") and err.count("\n") == 1


@pytest.mark.slow
def test_edge_popup_saves_its_learned_masks_and_graph_reads_them(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "graph", "--p", "23", "--steps", "100", "--popup-steps", "100", "--out", out]) == 0
    rows = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv")) if r["exp"] == "edge_popup"}
    ep = os.path.join(out, rows["ep"]["run"], "ckpt")
    assert sorted(f for f in os.listdir(ep) if f.startswith("mask_")) == ["mask_000000.pt", "mask_000100.pt"]
    mask, scores0 = torch.load(os.path.join(ep, "mask_000100.pt")), torch.load(os.path.join(ep, "mask_000000.pt"))
    for name, m in mask.items():
        assert set(m.unique().tolist()) <= {0.0, 1.0} and abs(m.mean().item() - 0.4) < 0.01
    assert any(not torch.equal(mask[n], scores0[n]) for n in mask)  # the mask was learned
    assert not any(f.startswith("mask_") for f in os.listdir(os.path.join(out, rows["wd"]["run"], "ckpt")))
    found = [r for r in read_csv(os.path.join(out, "analysis.csv")) if r["exp"] == "graph" and r["run"] == rows["ep"]["run"]]
    weights = torch.load(os.path.join(ep, "step_000100.pt"))
    expected = analysis.graph_metrics(weights, mask)
    got = {r["metric"]: float(r["value"]) for r in found if r["step"] == "100"}
    for metric, value in expected.items():
        assert got[metric] == pytest.approx(value, rel=1e-5)


@pytest.mark.slow
def test_bench_runs_and_reports_both_implementations():
    import subprocess
    out = subprocess.run([sys.executable, "bench.py", "--models", "mlp", "--steps", "2"], capture_output=True,
                         text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith("mlp ")}
    assert set(rows) == {"straightforward", "ours"}
    assert float(rows["ours"][3]) < float(rows["straightforward"][3])  # fewer FLOPs per step, by design


# ---------------------------------------------------------------------------------------------------
# trainer.py: many runs as one batched model; a run's result does not depend on what it was batched with

def curves_by_run(out):
    """{run id: bytes of its curves.csv} for every finished run under out."""
    found = {}
    for d in sorted(os.listdir(out)):
        path = os.path.join(out, d, "curves.csv")
        if os.path.exists(path):
            with open(path, "rb") as f:
                found[d] = f.read()
    return found


BATCHED = [
    # MLP: base phase = seeds 0, 1 x weight decay 1 and 0; then masked tickets of two k, two seeds
    ["--exp", "no_wd", "--p", "23", "--steps", "40", "--seeds", "0,1", "--prune-rates", "0.3,0.9"],
    # Transformer: tickets, and dense controls rescaled to the ticket's norms, in one batch
    ["--exp", "ticket_vs_norm", "--model", "transformer", "--p", "23", "--steps", "30", "--seeds", "0,1"],
    # edge-popup: learned masks, frozen or trained weights, decayed or not, a re-seeded split
    ["--exp", "edge_popup", "--p", "23", "--steps", "100", "--seeds", "0"],
]


@pytest.mark.slow
@pytest.mark.parametrize("argv", BATCHED, ids=["mlp-no_wd", "transformer-ticket_vs_norm", "mlp-edge_popup"])
def test_a_run_in_a_batch_writes_the_same_curves_as_alone(tmp_path, argv):
    assert run_cli(argv + ["--ckpt-every", "20", "--batch", "1", "--out", str(tmp_path / "alone")]) == 0
    assert run_cli(argv + ["--ckpt-every", "20", "--out", str(tmp_path / "batched")]) == 0
    alone, batched = curves_by_run(tmp_path / "alone"), curves_by_run(tmp_path / "batched")
    assert len(alone) >= 4 and alone == batched
    for run in alone:  # and the same checkpoints
        a = torch.load(tmp_path / "alone" / run / "ckpt" / "step_000020.pt")
        b = torch.load(tmp_path / "batched" / run / "ckpt" / "step_000020.pt")
        assert all(torch.equal(a[n], b[n]) for n in a)


@pytest.mark.slow
def test_mnist_runs_in_a_batch_write_the_same_curves_as_alone(tmp_path):
    folder = make_mnist(str(tmp_path / "data"))
    argv = ["--exp", "ticket_vs_norm", "--task", "mnist", "--data-dir", folder, "--n-train", "40",
            "--steps", "20", "--seeds", "0,1"]
    assert run_cli(argv + ["--batch", "1", "--out", str(tmp_path / "alone")]) == 0
    assert run_cli(argv + ["--out", str(tmp_path / "batched")]) == 0
    alone = curves_by_run(tmp_path / "alone")
    assert len(alone) == 10 and alone == curves_by_run(tmp_path / "batched")


@pytest.mark.slow
def test_batched_training_groups_runs_and_caps_batches(tmp_path, monkeypatch):
    sizes, original = [], trainer.train_batch
    monkeypatch.setattr(trainer, "train_batch", lambda ms, out, log: sizes.append(len(ms)) or original(ms, out, log))
    argv = ["--exp", "prune_rate", "--p", "23", "--steps", "20", "--seeds", "0,1,2", "--prune-rates", "0.3,0.5,0.9"]
    assert run_cli(argv + ["--out", str(tmp_path / "a")]) == 0
    assert sizes == [3, 9]  # the bases of three seeds, then their nine tickets
    sizes.clear()
    assert run_cli(argv + ["--out", str(tmp_path / "b"), "--batch", "4"]) == 0
    assert sizes == [3, 4, 4, 1]
    sizes.clear()
    assert run_cli(argv + ["--out", str(tmp_path / "b"), "--prune-rates", "0.3,0.5,0.7,0.9"]) == 0
    assert sizes == [3]  # finished runs are reused; only the three new tickets train
    assert curves_by_run(tmp_path / "a").items() <= curves_by_run(tmp_path / "b").items()


@pytest.mark.slow
def test_an_interrupted_batch_resumes_each_run_bit_for_bit(tmp_path, monkeypatch):
    argv = ["--exp", "prune_rate", "--p", "23", "--steps", "50", "--ckpt-every", "20", "--seeds", "0,1",
            "--prune-rates", "0.3,0.9"]
    assert run_cli(argv + ["--out", str(tmp_path / "straight")]) == 0
    # Ctrl-C in the tickets' batch (the bases' batch takes 50 updates), after their checkpoint at 20
    assert interrupted(monkeypatch, 50 + 30, argv + ["--out", str(tmp_path / "resumed")]) == 130
    states = [d for d in os.listdir(tmp_path / "resumed") if os.path.exists(tmp_path / "resumed" / d / "state.pt")]
    assert len(states) == 4 and all(torch.load(tmp_path / "resumed" / d / "state.pt")["step"] == 20 for d in states)
    assert run_cli(argv + ["--out", str(tmp_path / "resumed")]) == 0
    assert curves_by_run(tmp_path / "straight") == curves_by_run(tmp_path / "resumed")
    # a run interrupted in a batch can also be finished alone, with the same result
    assert interrupted(monkeypatch, 50 + 30, argv + ["--out", str(tmp_path / "alone")]) == 130
    assert run_cli(argv + ["--out", str(tmp_path / "alone"), "--batch", "1"]) == 0
    assert curves_by_run(tmp_path / "straight") == curves_by_run(tmp_path / "alone")


def test_a_diverging_run_stops_without_taking_its_batch_down(tmp_path, capsys, monkeypatch):
    seed_of, evaluations, built, original = {}, {}, experiments.build_model, trainer.evaluate

    def build_model(run):
        model = built(run)
        seed_of[id(model)] = run.seed
        return model

    def evaluate(model, data):  # the run of seed 1 "diverges" at its 10th evaluation
        row = original(model, data)
        evaluations[id(model)] = evaluations.get(id(model), 0) + 1
        if seed_of[id(model)] == 1 and evaluations[id(model)] >= 10:
            row["train_loss"] = float("nan")
        return row
    monkeypatch.setattr(experiments, "build_model", build_model)
    monkeypatch.setattr(trainer, "evaluate", evaluate)
    out = tmp_path / "runs"
    assert run_cli(["--exp", "base", "--p", "23", "--steps", "30", "--seeds", "0,1,2", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "-s1-" in err and err.count("\n") == 1
    finished = {d.split("-")[2] for d in os.listdir(out) if os.path.exists(out / d / "summary.json")}
    assert finished == {"s0", "s2"}  # the others finished; the diverged one left no summary
    assert sorted(r["seed"] for r in read_csv(out / "summary.csv")) == ["0", "2"]  # and were recorded


# ---------------------------------------------------------------------------------------------------
# numerics.py: the same bits on every x86-64 CPU of one vendor with AVX2

# The MLP base of seed 0 (p = 67, the paper's settings), its first 1,000 steps in each vendor's
# portable numerics, trained as grok.py trains it (one thread): curves.csv as written, and a few of its
# rows for a readable failure.
# AMD (MKL_CBWR=AVX2, which MKL ignores on AMD): the same rows are in results/mlp/curves.csv (the
# headline's 50,000-step base, written by an AVX2-only AMD EPYC, whose logged steps up to 1,000 are
# these); seen to pass on 2-core AMD EPYCs with AVX2 (2026-12-06) and with AVX-512 (2026-12-03).
# Intel (MKL_CBWR=AVX2,STRICT): measured on a 2-core Intel Xeon (family 6 model 167, AVX-512 and AMX,
# torch reporting AVX512) on 2026-12-06, `MKL_CBWR=AVX2,STRICT python grok.py --exp base --steps 1000`
# with 1 and with 2 threads (the same file).
GOLDEN = {
    "AuthenticAMD": ("2d32f1f537b20773bbc99cdfc2cc36628e949cecb4ec753edcf1adbf5976d2e2",
                     {100: "100,0.249866,0.998902,15.8133,0,11729.6,43.7225",
                      600: "600,0.000200602,1,27.3329,0,13988.4,48.1506",
                      1000: "1000,3.51798e-06,1,32.7947,0.00219459,14960.4,50.046"}),
    "GenuineIntel": ("94dff8969a713ac96407d8124ce2603fa25a2d9733526c4f21d579dbec40848e",
                     {100: "100,0.249773,0.998902,15.8111,0,11729.6,43.7226",
                      600: "600,0.000200473,1,27.3393,0,13987.2,48.1449",
                      1000: "1000,3.53368e-06,1,32.9274,0.000731529,14962.1,50.0511"}),
}


def test_golden_curve_of_the_mlp_base_in_portable_numerics(tmp_path):
    vendor = numerics.vendor()
    if vendor not in GOLDEN or not numerics.portable(numerics.key("cpu")):
        pytest.skip(f"no golden curve for this CPU ({vendor or 'not x86-64'}, {numerics.key('cpu')})")
    sha256, golden_rows = GOLDEN[vendor]
    run = Run(seed=0, steps=1000)  # this process's numerics
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as grok.py trains by default
    try:
        trainer.train(run, build_model(run), load_data(run), out=str(tmp_path), log=lambda s: None)
    finally:
        torch.set_num_threads(threads)
    text = open(tmp_path / run.id / "curves.csv").read()
    rows = {int(line.split(",")[0]): line for line in text.splitlines()[1:]}
    assert len(rows) == 191 and {s: rows[s] for s in golden_rows} == golden_rows, \
        f"this machine ({numerics.describe()}) computes other bits than the golden curve"
    assert hashlib.sha256(text.encode()).hexdigest() == sha256
    if vendor == "AuthenticAMD":  # results/ was made on AMD: its base is this curve
        committed = [r for r in read_csv(os.path.join(HERE, "results", "mlp", "curves.csv"))
                     if r["run"] == "add-mlp-s0-base-bf21a9e8" and r["exp"] == "ticket_vs_norm" and int(r["step"]) <= 1000]
        mine = list(csv.DictReader(text.splitlines()))
        assert [{k: r[k] for k in mine[0]} for r in committed] == mine


@pytest.mark.slow
def test_the_thread_count_does_not_change_the_bits(tmp_path):
    """So it is recorded (config.json), not part of a run's identity (numerics.py)."""
    mnist = make_mnist(str(tmp_path / "mnist"), n_train=200, n_test=50)
    for n in (1, 2):
        assert run_cli(["--exp", "base", "--seeds", "0,1,2", "--steps", "300", "--threads", str(n),
                        "--out", str(tmp_path / str(n))]) == 0
        assert run_cli(["--exp", "base", "--task", "mnist", "--n-train", "200", "--steps", "200", "--threads",
                        str(n), "--data-dir", mnist, "--out", str(tmp_path / f"mnist{n}")]) == 0
    torch.set_num_threads(1)  # as grok.py leaves it by default
    assert curves_by_run(tmp_path / "1") == curves_by_run(tmp_path / "2")
    assert curves_by_run(tmp_path / "mnist1") == curves_by_run(tmp_path / "mnist2")


def fake_cpuinfo(tmp_path, vendor, model):
    path = tmp_path / f"cpuinfo-{vendor}"
    path.write_text(f"processor\t: 0\nvendor_id\t: {vendor}\nmodel name\t: {model}\nflags\t\t: avx2\n")
    return str(path)


def test_pin_sets_each_vendors_portable_kernels_unless_native_or_set_by_the_user(tmp_path):
    amd, intel = fake_cpuinfo(tmp_path, "AuthenticAMD", "AMD EPYC"), fake_cpuinfo(tmp_path, "GenuineIntel", "Xeon")
    numerics.pin(environ=(env := {}), cpuinfo=amd)
    assert env == {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}
    numerics.pin(environ=(env := {}), cpuinfo=intel)
    assert env == {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}  # MKL's strict CNR: any thread count
    numerics.pin(native=True, environ=(env := {}), cpuinfo=intel)
    assert env == {}
    numerics.pin(environ=(env := {"MKL_CBWR": "AUTO"}), cpuinfo=amd)
    assert env == {"MKL_CBWR": "AUTO", "ATEN_CPU_CAPABILITY": "avx2"}
    numerics.pin(environ=(env := {}), cpuinfo=str(tmp_path / "none"))  # no /proc/cpuinfo: nothing to pin
    assert env == {}
    if numerics.vendor() == "AuthenticAMD":  # this process: pinned by conftest.py, before torch
        assert numerics.key("cpu") == numerics.REFERENCE


def test_the_numerics_key_names_the_vendor_where_it_decides_the_bits(tmp_path):
    amd, intel = fake_cpuinfo(tmp_path, "AuthenticAMD", "AMD EPYC"), fake_cpuinfo(tmp_path, "GenuineIntel", "Xeon")
    on = dict(capability="AVX2", torch_version="2.13.0+cpu")
    assert numerics.key(cpuinfo=amd, environ={"MKL_CBWR": "AVX2"}, **on) == numerics.REFERENCE
    intel_key = numerics.key(cpuinfo=intel, environ={"MKL_CBWR": "AVX2,STRICT"}, **on)
    assert intel_key == "cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch 2.13.0+cpu"
    assert numerics.portable(numerics.REFERENCE) and numerics.portable(intel_key)
    # what made one id mean two trajectories: AMD's settings on an Intel CPU (MKL honours them there)
    assert numerics.key(cpuinfo=intel, environ={"MKL_CBWR": "AVX2"}, **on) == \
        "cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu on Xeon"
    assert not numerics.portable("cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu on Xeon")
    assert not numerics.portable(numerics.key(cpuinfo=amd, environ={}, capability="AVX512", torch_version="2.13.0+cpu"))
    ids = {Run(seed=0, numerics=k).id for k in (numerics.REFERENCE, intel_key)}
    assert len(ids) == 2 and Run(seed=0, numerics=numerics.REFERENCE).id == "add-mlp-s0-base-bf21a9e8"


def test_a_run_finished_under_one_numerics_is_never_reused_or_resumed_under_another(tmp_path):
    here = Run(seed=0, steps=5, p=23)
    trainer.train(here, build_model(here), load_data(here), out=str(tmp_path), log=lambda s: None)
    for other in ("cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch 2.13.0+cpu", numerics.REFERENCE + " on X"):
        if other == here.numerics:
            continue
        run = dataclasses.replace(here, numerics=other)
        assert run.id != here.id  # so its folder, checkpoints and state.pt are not here's
        with pytest.raises(UsageError, match="numerics"):  # and this process does not train it
            trainer.train(run, build_model(run), load_data(run), out=str(tmp_path))
    assert os.listdir(tmp_path) == [here.id]


def test_numerics_are_part_of_a_runs_identity_and_the_reference_keeps_the_old_ids():
    assert Run(seed=0, numerics=numerics.REFERENCE).id == "add-mlp-s0-base-bf21a9e8"  # the id in results/ before numerics
    other = Run(seed=0, numerics="cpu AVX512 MKL_CBWR=native torch 2.13.0+cpu on AMD EPYC")
    assert other.id != Run(seed=0, numerics=numerics.REFERENCE).id


def test_a_run_defined_for_other_numerics_is_refused(tmp_path):
    run = Run(seed=0, steps=5, numerics="cpu AVX512 MKL_CBWR=native torch 2.13.0+cpu on AMD EPYC")
    with pytest.raises(UsageError, match="numerics"):
        trainer.train(run, build_model(run), load_data(run), out=str(tmp_path))


def test_an_image_runs_identity_is_its_datas_content_not_its_path(tmp_path):
    a = make_mnist(str(tmp_path / "a" / "mnist"))
    b = make_mnist(str(tmp_path / "b" / "mnist"), gz=False)  # the same arrays, not gzipped
    other = make_mnist(str(tmp_path / "other"), n_train=70)
    run = lambda folder: Run(task="mnist", data_dir=folder, steps=5, n_train=20)
    assert run(a).data == run(b).data == tasks.idx_digest(a) and len(run(a).data) == 16
    assert run(a).id == run(b).id != run(other).id
    moved = dataclasses.replace(run(a), data_dir=other)  # other files where the run's data was
    with pytest.raises(UsageError, match="defined on data"):
        load_data(moved)
    assert load_data(run(b)).digest == run(a).data


def test_native_numerics_after_torch_was_imported_exits_2(tmp_path, capsys):
    assert run_cli(["--exp", "base", "--steps", "5", "--native-numerics", "--out", str(tmp_path)]) == 2
    assert "portable" in capsys.readouterr().err


def test_every_run_records_its_numerics(tmp_path):
    assert run_cli(["--exp", "base", "--p", "23", "--steps", "5", "--out", str(tmp_path)]) == 0
    (row,) = read_csv(tmp_path / "summary.csv")
    assert row["numerics"] == numerics.key("cpu")
    assert (row["p"], row["frac_train"], row["ordered"]) == ("23", "0.4", "False")  # what report.departures reads
    config = json.load(open(tmp_path / row["run"] / "config.json"))
    assert config["numerics"] == row["numerics"] and config["machine"]["threads"] == 1
    assert {"device", "torch", "cpu_capability", "mkl_cbwr", "cpu"} <= set(config["machine"])


def test_the_method_never_imports_the_apparatus():
    """Imports run one way: replication/ imports the method; no module at the root imports replication."""
    import ast
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".py") and not name.startswith("test_") and name != "conftest.py":
            tree = ast.parse(open(os.path.join(HERE, name)).read())
            imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
            imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
            assert not [m for m in imported if m.split(".")[0] == "replication"], name


PIECES = {
    ("reference.py",): "import subprocess, sys\n"
                       "out = subprocess.run([sys.executable, 'reference.py', '--p', '11', '--steps', '30'],"
                       " capture_output=True, text=True, check=True).stdout\n"
                       "assert all(arm in out for arm in ('base', 'ticket', 'same_l1', 'same_l2')), out\n",
    ("tickets.py",): "import torch, tickets\n"
                     "w = {'a': torch.randn(4, 5), 'b': torch.randn(3, 4)}\n"
                     "m = tickets.mask_from_scores(tickets.magnitude_scores(w), 0.6)\n"
                     "assert sum(int(x.sum()) for x in m.values()) == 32 - round(0.6 * 32)\n"
                     "r = tickets.norm_matched_scale(w, m, 1)\n"
                     "assert abs(tickets.norm({k: v * r for k, v in w.items()}, 1) - tickets.norm(tickets.rewind(w, m), 1)) < 1e-4\n",
    ("models.py", "tickets.py"): "import torch\nfrom models import MLP, Transformer\n"
                                 "x = torch.tensor([[1, 2], [3, 4]])\n"
                                 "assert MLP(p=7, seed=0)(x).shape == (2, 7) and Transformer(p=7, seed=0)(x).shape == (2, 7)\n",
    ("replication/intervals.py",): "from intervals import clopper_pearson, median_interval\n"
                                   "assert median_interval([3.0, 1.0, 2.0, 5.0, 4.0, 6.0])[1:] == (1.0, 6.0, 1 - 2 / 64)\n"
                                   "assert round(clopper_pearson(1000, 2000)[0], 3) == 0.478\n",
    ("adamw.py",): "import torch\nfrom adamw import adamw_step\n"
                   "theta = torch.ones(3); m, v = torch.zeros(3), torch.zeros(3)\n"
                   "adamw_step(theta, torch.zeros(3), m, v, 1, lr=0.1, betas=(0.9, 0.98), eps=1e-8, weight_decay=1.0)\n"
                   "assert torch.allclose(theta, torch.full((3,), 0.9))\n",
}


@pytest.mark.parametrize("files", list(PIECES))
def test_each_piece_runs_alone_in_an_empty_folder(tmp_path, files):
    """Copied into an empty folder with only the files the README says it needs, each piece runs; and
    importing it sets no environment variable (no side effects at import)."""
    import shutil
    import subprocess
    for name in files:  # each piece lands in the empty folder under its own name
        shutil.copy(os.path.join(HERE, name), tmp_path / os.path.basename(name))
    script = ("import os\nbefore = dict(os.environ)\n" + PIECES[files] +
              ("assert dict(os.environ) == before, 'import changed the environment'\n" if files[0] != "reference.py" else ""))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_pipeline_computes_what_reference_py_specifies(tmp_path):
    """reference.py (plain torch, torch.optim.AdamW, no batching) and grok.py --exp ticket_vs_norm
    (trainer.py's batched runs and its own AdamW) give the same curves in every printed digit for all
    four arms, and the base's final weights are equal bit for bit."""
    import reference
    assert run_cli(["--exp", "ticket_vs_norm", "--p", "23", "--steps", "300", "--out", str(tmp_path)]) == 0
    rows = read_csv(tmp_path / "curves.csv")
    with pytest.warns(UserWarning, match="transition ticket"):  # 300 steps: too few to grok
        curves = reference.grokking_ticket(p=23, seed=0, k=0.6, steps=300)
    assert set(curves) == {r["arm"] for r in rows}
    for arm, curve in curves.items():
        ours = [{k: r[k] for k in ("step", "train_loss", "train_acc", "test_loss", "test_acc")}
                for r in rows if r["arm"] == arm]
        assert ours == [dict(zip(("step", "train_loss", "train_acc", "test_loss", "test_acc"),
                                 (str(s), *map(tables.fmt, values)))) for s, *values in curve], arm
    data = tasks.modular("add", p=23, frac_train=0.4, seed=0)  # its own data and MLP are the pipeline's
    assert all(torch.equal(a, b) for a, b in zip(reference.modular_addition(23, 0.4, 0),
                                                 (data.x_train, data.y_train, data.x_test, data.y_test)))
    assert all(torch.equal(w, MLP(p=23, seed=0).weights()[n]) for n, w in reference.MLP(p=23, seed=0).weights().items())
    base = reference.MLP(p=23, seed=0)
    reference.train(base, reference.modular_addition(23, 0.4, 0), 300)
    (folder,) = [d for d in os.listdir(tmp_path) if "-base-" in d]
    final = torch.load(tmp_path / folder / "ckpt" / "step_000300.pt")
    assert all(torch.equal(w.detach(), final[name]) for name, w in base.weights().items())


# ---------------------------------------------------------------------------------------------------
# experiments.py and grok.py: every experiment end to end on a tiny configuration

ARMS = {"base": ["base"], "ticket": ["base", "ticket"],
        "ticket_vs_norm": ["base", "ticket", "same_l1", "same_l2"],
        "prune_rate": ["base", "ticket", "ticket"],
        "no_wd": ["base", "base_no_wd", "ticket", "ticket"],
        "phase_tickets": ["base", "ticket", "ticket", "ticket"],
        "pai": ["base", "ticket", "random", "snip", "grasp", "synflow"],
        "edge_popup": ["mem", "wd", "ep", "ep_wd", "ep_sd", "ep_wd_sd", "ep_sd_leak"],
        "fourier": ["base", "ticket"], "jaccard": ["base"],
        "graph": ["base", "mem", "wd", "ep", "ep_wd", "ep_sd", "ep_wd_sd", "ep_sd_leak"],
        "ops": ["base"] * len(tasks.OPERATIONS) + ["ticket"] * len(tasks.OPERATIONS),
        "mask_or_init": ["base", "ticket", "reinit", "shuffled", "shuffled_rows"],
        "norm_clamp": ["base", "ticket", "same_l1", "same_l2", "clamp_l1", "clamp_l2", "sphere_l2"],
        "plateau": ["base"]}
TINY_EXP = {"edge_popup": ["--p", "23", "--steps", "100"],  # theta_mem must be memorizing
            "graph": ["--p", "23", "--steps", "100", "--popup-steps", "100"]}


def test_a_clamped_control_has_the_tickets_norm_at_every_step(tmp_path):
    """clamp_l1 / clamp_l2 hold the dense network at the ticket's L1 / L2 norm of W * m after every
    step (the ticket's norms.pt, float64, one row per step), sphere_l2 at its final L2 norm from step
    0; their curves show it at every logged step; a batch of two seeds gives each the same curves as
    alone; the ticket's curve is the one ticket_vs_norm trains (the same run, reused)."""
    out, alone = str(tmp_path / "runs"), str(tmp_path / "alone")
    argv = ["--exp", "norm_clamp", "--p", "11", "--steps", "40", "--ckpt-every", "10", "--seeds", "0,1"]
    assert run_cli(argv + ["--out", out]) == 0
    rows = {(r["seed"], r["arm"]): r for r in read_csv(os.path.join(out, "summary.csv"))}
    curves = {}
    for r in read_csv(os.path.join(out, "curves.csv")):
        curves.setdefault(r["run"], {})[int(r["step"])] = r
    for seed in ("0", "1"):
        ticket = rows[seed, "ticket"]["run"]
        norms = torch.load(os.path.join(out, ticket, "norms.pt"))
        assert norms.dtype == torch.float64 and norms[:, 0].tolist() == list(range(41))
        for arm, q, target in (("clamp_l1", 1, norms[:, 1]), ("clamp_l2", 2, norms[:, 2]),
                               ("sphere_l2", 2, norms[-1:, 2].expand(41))):
            run = rows[seed, arm]["run"]
            for step in range(0, 41, 10):  # the checkpoints: the weights themselves
                w = torch.load(os.path.join(out, run, "ckpt", f"step_{step:06d}.pt"))
                assert tickets.norm(w, q) == pytest.approx(float(target[step]), rel=1e-6), (arm, step)
            column = f"l{q}"
            logged = curves[run]
            assert len(logged) > 30 and all(float(logged[s][column]) == pytest.approx(float(target[s]), rel=1e-5)
                                            for s in logged), arm
        # free controls start at the ticket's norm and drift; a clamped one does not
        free = curves[rows[seed, "same_l2"]["run"]]
        assert max(abs(float(free[s]["l2"]) / float(norms[s, 2]) - 1) for s in free) > 1e-3
    assert run_cli(argv[:-1] + ["0", "--batch", "1", "--out", alone]) == 0
    for r in read_csv(os.path.join(alone, "summary.csv")):
        assert (open(os.path.join(alone, r["run"], "curves.csv")).read()
                == open(os.path.join(out, r["run"], "curves.csv")).read()), r["arm"]
    assert run_cli(["--exp", "ticket_vs_norm"] + argv[2:] + ["--out", out]) == 0  # nothing retrained
    tvn = [r for r in read_csv(os.path.join(out, "summary.csv")) if r["exp"] == "ticket_vs_norm"]
    assert {r["run"] for r in tvn} <= {r["run"] for r in rows.values()}


def test_an_interrupted_ticket_resumes_with_the_same_norms_and_clamps(tmp_path, monkeypatch):
    """Ctrl-C while the ticket trains (its norms so far are in state.pt), then the same command: the
    ticket's norms.pt and the clamped arms' curves are those of an uninterrupted run, bit for bit."""
    argv = ["--exp", "norm_clamp", "--p", "11", "--steps", "60", "--ckpt-every", "20", "--arms", "clamp_l2"]
    once, twice = str(tmp_path / "once"), str(tmp_path / "twice")
    assert run_cli(argv + ["--out", once]) == 0
    assert interrupted(monkeypatch, 60 + 50, argv + ["--out", twice]) == 130  # the base's 60 steps, then the ticket's 50th
    assert run_cli(argv + ["--out", twice]) == 0
    for r in read_csv(os.path.join(once, "summary.csv")):
        assert (open(os.path.join(once, r["run"], "curves.csv")).read()
                == open(os.path.join(twice, r["run"], "curves.csv")).read()), r["arm"]
        if r["arm"] == "ticket":
            a, b = (torch.load(os.path.join(o, r["run"], "norms.pt")) for o in (once, twice))
            assert a.shape == (61, 3) and torch.equal(a, b)


def test_norm_clamp_refuses_a_task_that_is_not_modular_and_a_ticket_without_norms(tmp_path, capsys):
    assert run_cli(["--exp", "norm_clamp", "--task", "parity", "--out", str(tmp_path)]) == 2
    assert "modular" in capsys.readouterr().err
    out = str(tmp_path / "runs")
    argv = ["--p", "11", "--steps", "20", "--ckpt-every", "10", "--out", out]
    assert run_cli(["--exp", "ticket"] + argv) == 0
    ticket = next(r["run"] for r in read_csv(os.path.join(out, "summary.csv")) if r["arm"] == "ticket")
    os.remove(os.path.join(out, ticket, "norms.pt"))  # as a ticket trained before norms were recorded
    assert run_cli(["--exp", "norm_clamp"] + argv) == 2
    assert "no per-step norms" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("exp", list(grok.EXPERIMENTS))
def test_every_experiment_runs_end_to_end(tmp_path, exp):
    out = str(tmp_path / "runs")
    argv = ["--exp", exp, "--seeds", "0,1", "--out", out, "--prune-rates", "0.3,0.9"]
    argv += TINY_EXP.get(exp, TINY)
    assert run_cli(argv) == 0
    rows = read_csv(os.path.join(out, "summary.csv"))
    assert [r["arm"] for r in sorted(rows, key=lambda r: r["seed"])] == ARMS[exp] * 2
    for column in ("exp", "task", "model", "arm", "seed", "prune_rate", "weight_decay", "steps", "t_mem",
                   "t_gen", "tau_grok", "final_train_acc", "final_test_acc", "l1_init", "l2_init"):
        assert column in rows[0]
    curves = read_csv(os.path.join(out, "curves.csv"))
    assert {r["run"] for r in curves} == {r["run"] for r in rows}
    # rerunning reuses the finished runs and replaces the rows instead of appending duplicates
    assert run_cli(argv) == 0
    assert len(read_csv(os.path.join(out, "summary.csv"))) == len(rows)
    assert len(read_csv(os.path.join(out, "curves.csv"))) == len(curves)


def test_plateau_counts_every_wrong_answer_once_by_its_offset(tmp_path):
    """exp_plateau's rows agree with each other: the wrong answers counted by offset d = 1 ... floor(p/2)
    (analysis.answer_offsets) add up to the wrong test pairs listed and to n_wrong at the last step."""
    out = str(tmp_path)
    assert run_cli(["--exp", "plateau", "--model", "transformer", "--out", out, "--seeds", "0,1"] + TINY) == 0
    rows = read_csv(os.path.join(out, "analysis.csv"))
    for run in {r["run"] for r in rows}:
        mine = [r for r in rows if r["run"] == run and r["step"] == "60"]
        by_offset = {r["metric"]: float(r["value"]) for r in mine if r["metric"].startswith("offset_wrong_")}
        assert sorted(by_offset) == [f"offset_wrong_{d}" for d in range(1, 6)]  # p = 11
        n_wrong = [float(r["value"]) for r in mine if r["metric"] == "n_wrong"]
        assert sum(by_offset.values()) == sum(r["metric"] == "wrong_pair" for r in mine) == n_wrong[0] > 0
        assert len([r for r in mine if r["metric"].startswith("offset_gap_")]) == 5

def test_phase_tickets_take_every_checkpoint_up_to_the_base_length(tmp_path):
    """Masks every ckpt_every steps up to the base's length; the last is the base's final
    weights, so that phase ticket is the grokking ticket, curve for curve."""
    out = str(tmp_path)
    assert run_cli(["--exp", "phase_tickets", "--out", out] + TINY) == 0
    assert run_cli(["--exp", "ticket", "--out", out] + TINY) == 0
    rows = read_csv(os.path.join(out, "summary.csv"))
    phase = [r for r in rows if r["exp"] == "phase_tickets" and r["arm"] == "ticket"]
    assert sorted(int(r["source_step"]) for r in phase) == [20, 40, 60]
    (last,) = [r for r in phase if r["source_step"] == "60"]
    (ticket,) = [r for r in rows if r["exp"] == "ticket" and r["arm"] == "ticket"]
    assert last["run"] != ticket["run"]
    curves = read_csv(os.path.join(out, "curves.csv"))
    curve = lambda run: [{k: v for k, v in r.items() if k not in ("exp", "run")} for r in curves if r["run"] == run]
    assert curve(last["run"]) == curve(ticket["run"]) and len(curve(last["run"])) > 3


def test_ticket_vs_norm_invariants(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "ticket_vs_norm", "--out", out, "--prune-rate", "0.7"] + TINY) == 0
    rows = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv"))}
    ckpt = lambda arm, step: torch.load(os.path.join(out, rows[arm]["run"], "ckpt", f"step_{step:06d}.pt"))
    theta0, final = ckpt("base", 0), ckpt("base", 60)
    mask = tickets.mask_from_scores(tickets.magnitude_scores(final), 0.7)
    ticket0 = ckpt("ticket", 0)
    for name in theta0:  # the rewound ticket is theta_0 * m
        assert torch.equal(ticket0[name], theta0[name] * mask[name])
    # masked weights stay exactly zero through AdamW with weight decay 1
    for step in (20, 40, 60):
        weights = ckpt("ticket", step)
        for name, w in weights.items():
            assert (w[mask[name] == 0] == 0).all()
            assert (w[mask[name] == 1] != 0).all()
    # the controls start with the ticket's L1 (resp. L2) norm, over all weights together
    for arm, col in (("same_l1", "l1_init"), ("same_l2", "l2_init")):
        assert math.isclose(float(rows[arm][col]), float(rows["ticket"][col]), rel_tol=1e-5)
        assert all((w != 0).all() for w in ckpt(arm, 0).values())  # dense
    assert float(rows["base"]["l1_init"]) > float(rows["ticket"]["l1_init"])


def test_mask_or_init_starts_each_arm_as_specified(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "mask_or_init", "--out", out] + TINY) == 0
    rows = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv"))}
    assert list(rows) == ["base", "ticket", "reinit", "shuffled", "shuffled_rows"]
    load = lambda arm, what: torch.load(os.path.join(out, rows[arm]["run"], what))
    theta0, mask = load("base", "ckpt/step_000000.pt"), load("ticket", "mask.pt")
    p = json.load(open(os.path.join(out, rows["base"]["run"], "config.json")))["p"]
    reinit = build_model(Run(p=p), seed=tickets.stream_seed(0, "reinit")).weights()
    assert torch.equal(load("reinit", "mask.pt")["W_E"], mask["W_E"])
    for name in theta0:  # theta_0' * m: the ticket's mask on another draw
        assert torch.equal(load("reinit", "ckpt/step_000000.pt")[name], reinit[name].detach() * mask[name])
    for arm, within in (("shuffled", "matrix"), ("shuffled_rows", "row")):
        m = load(arm, "mask.pt")
        expected = tickets.shuffled_mask(mask, tickets.stream_seed(0, experiments.MASK_OR_INIT_ARMS[arm]), within)
        assert all(torch.equal(m[name], expected[name]) for name in mask)
        for name in theta0:  # theta_0 * m'
            assert torch.equal(load(arm, "ckpt/step_000000.pt")[name], theta0[name] * m[name])
    configs = {arm: json.load(open(os.path.join(out, r["run"], "config.json"))) for arm, r in rows.items()}
    assert [configs[a]["draw"] for a in rows] == ["", "", "reinit", "shuffle", "shuffle_rows"]


def test_mask_count_in_trained_ticket(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "ticket", "--out", out] + TINY) == 0
    row = [r for r in read_csv(os.path.join(out, "summary.csv")) if r["arm"] == "ticket"][0]
    mask = torch.load(os.path.join(out, row["run"], "mask.pt"))
    n = sum(m.numel() for m in mask.values())
    assert sum(m.sum().item() for m in mask.values()) == n - round(0.6 * n)


def test_runs_are_bit_reproducible(tmp_path):
    for name in ("a", "b"):
        assert run_cli(["--exp", "base", "--model", "transformer", "--out", str(tmp_path / name)] + TINY) == 0
    run = read_csv(str(tmp_path / "a" / "summary.csv"))[0]["run"]
    with open(tmp_path / "a" / run / "curves.csv") as a, open(tmp_path / "b" / run / "curves.csv") as b:
        assert a.read() == b.read()


def test_interrupted_run_resumes_bit_for_bit(tmp_path, monkeypatch):
    argv = ["--exp", "base", "--p", "11", "--steps", "90", "--ckpt-every", "25"]
    assert run_cli(argv + ["--out", str(tmp_path / "straight")]) == 0
    assert interrupted(monkeypatch, 60, argv + ["--out", str(tmp_path / "resumed")]) == 130
    run = [d for d in os.listdir(tmp_path / "resumed") if d.startswith("add")][0]
    assert not os.path.exists(tmp_path / "resumed" / run / "summary.json")
    assert torch.load(tmp_path / "resumed" / run / "state.pt")["step"] == 50
    assert run_cli(argv + ["--out", str(tmp_path / "resumed")]) == 0
    with open(tmp_path / "straight" / run / "curves.csv") as a, open(tmp_path / "resumed" / run / "curves.csv") as b:
        assert a.read() == b.read()


def test_mnist_end_to_end_with_fixture(tmp_path):
    folder = make_mnist(str(tmp_path / "data"))
    out = str(tmp_path / "runs")
    code = run_cli(["--exp", "ticket_vs_norm", "--task", "mnist", "--data-dir", folder, "--n-train", "40",
                    "--steps", "30", "--out", out])
    assert code == 0
    rows = read_csv(os.path.join(out, "summary.csv"))
    assert [r["arm"] for r in rows] == ["base", "ticket", "ticket_trained", "same_l1", "same_l2"]
    assert float(rows[0]["threshold"]) == 0.85 and float(rows[0]["weight_decay"]) == 0.1
    # the authors' unrewound variant starts from the base's final weights * m, the ticket from theta_0 * m
    arm = {r["arm"]: r for r in rows}
    ckpt = lambda arm_, step: torch.load(os.path.join(out, arm[arm_]["run"], "ckpt", f"step_{step:06d}.pt"))
    mask = torch.load(os.path.join(out, arm["ticket"]["run"], "mask.pt"))
    for name, w in ckpt("ticket_trained", 0).items():
        assert torch.equal(w, ckpt("base", 30)[name] * mask[name])
        assert torch.equal(ckpt("ticket", 0)[name], ckpt("base", 0)[name] * mask[name])
    assert "not rewound" in arm["ticket_trained"]["note"] and "variant" not in arm["ticket"]["note"]


# ---------------------------------------------------------------------------------------------------
# grok.py, bad input: one line on stderr, exit code 2, nothing written

@pytest.mark.parametrize("argv", [
    ["--exp", "nope"], ["--task", "div"], ["--model", "lstm"], ["--prune-rate", "1.0"],
    ["--prune-rate", "-0.1"], ["--steps", "0"], ["--p", "1"], ["--frac-train", "1.0"],
    ["--frac-train", "0"], ["--seeds", "a,b"], ["--task", "mnist", "--model", "transformer"],
    ["--exp", "pai", "--arms", "reinit"], ["--exp", "ticket", "--arms", "random"],
    ["--steps", "ten"], ["--task", "mnist", "--data-dir", "/nonexistent/folder/for/tests"],
    ["--ordered", "--task", "sub"], ["--ordered", "--task", "x3xy", "--p", "11"],
    ["--exp", "fourier", "--model", "transformer"], ["--exp", "fourier", "--task", "mnist"],
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.setattr(tasks, "download", lambda *a: (_ for _ in ()).throw(tasks.DataError("no network")))
    out = tmp_path / "runs"
    assert run_cli(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grok.py: error: ") and err.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())


def test_run_table_columns_line_up(capsys):
    """Long arm names (ticket_trained) and missing values ("-") keep every column of the per-run table
    under its header."""
    row = dict(arm="base", seed=0, prune_rate=0, t_mem=580, t_gen=16000, tau_grok=27.6, final_train_acc=1.0,
               final_test_acc=0.925, l1_init=54870.5, l2_init=162.44, source_step=None)
    grok.print_table([row, {**row, "arm": "ticket_trained", "prune_rate": 0.6, "t_mem": None, "t_gen": None,
                            "tau_grok": None, "source_step": 100000}])
    lines = capsys.readouterr().out.strip().split("\n\n")[0].split("\n")
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1, lines


def test_cuda_without_gpu_exits_2(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert run_cli(["--device", "cuda", "--out", str(tmp_path)] + TINY) == 2
    assert "CUDA" in capsys.readouterr().err


def test_corrupt_checkpoint_exits_2(tmp_path, capsys, monkeypatch):
    argv = ["--exp", "base", "--out", str(tmp_path)] + TINY
    assert interrupted(monkeypatch, 30, argv) == 130
    run = [d for d in os.listdir(tmp_path) if d.startswith("add")][0]
    with open(tmp_path / run / "state.pt", "wb") as f:
        f.write(b"not a checkpoint")
    capsys.readouterr()
    assert run_cli(argv) == 2
    assert "corrupt checkpoint" in capsys.readouterr().err


def test_mismatched_run_folder_exits_2(tmp_path, capsys):
    argv = ["--exp", "base", "--out", str(tmp_path)] + TINY
    assert run_cli(argv) == 0
    run = [d for d in os.listdir(tmp_path) if d.startswith("add")][0]
    path = tmp_path / run / "summary.json"
    summary = json.loads(path.read_text())
    summary["config"]["lr"] = 0.5
    path.write_text(json.dumps(summary))
    capsys.readouterr()
    assert run_cli(argv) == 2
    assert "other settings" in capsys.readouterr().err


def test_diverging_run_stops_with_a_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trainer, "loss_fn", lambda out, y, loss: (out * float("nan")).sum())
    assert run_cli(["--exp", "base", "--out", str(tmp_path)] + TINY) == 1
    assert "diverged" in capsys.readouterr().err


@pytest.mark.slow
def test_edge_popup_frozen_weights_do_not_change(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "edge_popup", "--out", out] + TINY_EXP["edge_popup"]) == 0
    rows = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv"))}
    ckpt = lambda arm, step: torch.load(os.path.join(out, rows[arm]["run"], "ckpt", f"step_{step:06d}.pt"))
    theta_mem = ckpt("mem", 50)
    for name, w in ckpt("ep", 100).items():
        assert torch.equal(w, theta_mem[name]) and torch.equal(ckpt("ep", 0)[name], theta_mem[name])
    assert not all(torch.equal(w, theta_mem[n]) for n, w in ckpt("ep_wd", 100).items())
    # the EP arm changes the function (the mask) without changing a weight
    curves = [r for r in read_csv(os.path.join(out, "curves.csv")) if r["run"] == rows["ep"]["run"]]
    assert curves[0]["train_loss"] != curves[-1]["train_loss"]


def test_ordered_pairs_are_refused_for_the_mlp_only_when_the_operation_is_not_commutative(tmp_path, capsys):
    assert [op for op in tasks.OPERATIONS if tasks.commutative(op, 11)] == ["add", "mul", "x2y2", "x2xyy2"]
    assert run_cli(["--ordered", "--task", "sub", "--out", str(tmp_path)] + TINY) == 2
    err = capsys.readouterr().err
    assert "--model transformer" in err and "drop --ordered" in err
    args = grok.parse_args(["--ordered", "--task", "sub", "--model", "transformer"])
    assert args.ordered and args.task == "sub"
    assert grok.parse_args(["--ordered", "--task", "mul"]).ordered


def test_training_flushes_float32_subnormals(tmp_path):
    """Subnormal probabilities of a memorized run without weight decay made its steps twice as slow."""
    torch.set_flush_denormal(False)
    assert torch.tensor([1e-39]).item() != 0  # a float32 subnormal
    run = Run(p=11, steps=2)
    trainer.train(run, build_model(run), load_data(run), str(tmp_path), log=lambda _: None)
    assert torch.tensor([1e-39]).item() == 0


def test_a_finished_run_is_unlocked_before_the_rest_of_its_phase_ends(tmp_path):
    """Two runs of one train_many call that cannot share a batch (other lengths): once the short one
    has written its summary, another command waiting on its lock may read it, while the long run is
    still being trained (and still locked)."""
    out = str(tmp_path)
    short, long = Run(p=11, steps=20, seed=0), Run(p=11, steps=40, seed=0)
    members = [(run, build_model(run), load_data(run)) for run in (short, long)]
    seen = []

    def free(run):  # flock conflicts between two open() of one file, even in one process
        with open(os.path.join(out, run.id, "lock"), "w") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

    def log(line):
        if line.startswith(f"[{long.id}] step 40/40"):  # the long run's last progress line
            seen.append((free(short), free(long)))

    trainer.train_many(members, out, log=log)
    assert seen == [(True, False)]
    assert free(long)


def test_score_decay_shrinks_scores_by_exactly_one_minus_lr_wd_without_gradient():
    model = MLP(p=11, seed=0)
    model.popup_keep = 0.4
    model.popup_scores = {n: torch.randn(w.shape, generator=torch.Generator().manual_seed(1))
                          for n, w in model.weights().items()}
    weights = trainer.weights_of(model)
    for score_decay, train_weights in ((1.0, False), (1.0, True), (0.0, False)):
        run = Run(p=11, lr=1e-2, score_decay=score_decay, train_weights=train_weights, weight_decay=0.5)
        params, decay = trainer.trainable(model, run)
        before = [p.detach().clone() for p in params]
        theta = torch.cat([p.detach().flatten() for p in params])
        m, v = torch.zeros_like(theta), torch.zeros_like(theta)
        for step in (1, 2, 3):  # no gradient: only the decoupled weight decay acts
            adamw.adamw_update(theta, torch.zeros_like(theta), m, v, step, run.lr, run.betas, run.eps, decay)
        n_weights = sum(w.numel() for w in weights.values()) if train_weights else 0
        scores_before = torch.cat([b.flatten() for b in before])[n_weights:]
        expected = scores_before
        for _ in range(3):
            expected = expected * (1 - run.lr * score_decay)
        assert torch.equal(theta[n_weights:], expected)
        if train_weights:  # the weights decay with the run's weight decay, not the scores'
            w0 = torch.cat([b.flatten() for b in before])[:n_weights]
            assert torch.equal(theta[:n_weights], w0 * (1 - run.lr * 0.5) * (1 - run.lr * 0.5) * (1 - run.lr * 0.5))
        else:
            assert len(params) == len(model.popup_scores)  # frozen weights are not in the optimizer


@pytest.mark.slow
def test_edge_popup_variants_are_labelled_and_the_leak_is_measured(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "edge_popup", "--out", out] + TINY_EXP["edge_popup"]) == 0
    rows = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv"))}
    assert rows["ep"]["note"] == "" and "authors' variant" in rows["ep_sd"]["note"]
    draw = lambda arm: json.load(open(os.path.join(out, rows[arm]["run"], "config.json")))["draw"]
    assert draw("wd") == "" and {draw(a) for a in rows if a.startswith("ep")} == {"popup"}  # not theta_0's stream
    assert "split of seed 1" in rows["ep_sd_leak"]["note"]
    leak = int(rows["ep_sd_leak"]["note"].split("split of seed 1, where ")[1].split("%")[0])
    assert 35 <= leak <= 65  # about half of a re-seeded 50% split's test pairs were theta_mem's training pairs
    ckpt = lambda arm, step: torch.load(os.path.join(out, rows[arm]["run"], "ckpt", f"step_{step:06d}.pt"))
    for arm in ("ep_sd", "ep_sd_leak"):  # decayed scores, weights still bit-identical to theta_mem
        assert all(torch.equal(w, ckpt("mem", 50)[n]) for n, w in ckpt(arm, 100).items())
    curves = {r["run"]: r for r in read_csv(os.path.join(out, "curves.csv"))}  # last row of each run
    assert curves[rows["ep"]["run"]]["train_loss"] != curves[rows["ep_sd"]["run"]]["train_loss"]


def test_edge_popup_refuses_a_checkpoint_that_is_not_memorizing(tmp_path, capsys):
    # one step of training (theta_mem at step 1) has not memorized
    assert run_cli(["--exp", "edge_popup", "--p", "23", "--steps", "2", "--out", str(tmp_path)]) == 2
    assert "not memorizing" in capsys.readouterr().err


def test_run_all_list_prints_commands_grok_accepts(tmp_path):
    import shlex
    import subprocess

    def listed(*argv):
        return subprocess.run(["bash", "run_all.sh", "--list", "--out", str(tmp_path), "--device", "cpu", *argv],
                              capture_output=True, text=True, check=True).stdout.strip().splitlines()

    exps = {}
    lines = listed()
    for line in lines:
        argv = shlex.split(line)
        assert argv[:2] == ["python", "grok.py"]
        args = grok.parse_args(argv[2:])
        assert os.path.dirname(args.out) == str(tmp_path) and args.device == "cpu"
        assert os.path.isdir(os.path.join(HERE, "results", os.path.basename(args.out)))  # results/' layout
        assert len(args.seeds) == 1  # one line per experiment and seed
        exps.setdefault((args.exp, args.task, args.model, args.steps), []).append(args.seeds[0])
    assert {e[0] for e in exps} == set(grok.EXPERIMENTS) - {"base"}
    assert all(seeds == [0, 1, 2] for seeds in exps.values()) and len(lines) == 3 * len(exps)
    central = [grok.parse_args(shlex.split(line)[2:]) for line in listed("--central", "--seeds", "3-9")]
    assert len(central) == 7 * 7 and {a.seeds[0] for a in central} == set(range(3, 10))
    assert {(a.exp, a.model) for a in central} == {("ticket_vs_norm", "mlp"), ("ticket_vs_norm", "transformer"),
                                                    ("pai", "mlp"), ("edge_popup", "mlp"), ("mask_or_init", "mlp"),
                                                    ("norm_clamp", "mlp"), ("norm_clamp", "transformer")}


def test_unwritable_out_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert run_cli(["--exp", "base", "--out", str(blocker)] + TINY) == 2
    err = capsys.readouterr().err
    assert err.startswith("grok.py: error: ") and err.count("\n") == 1


# ---------------------------------------------------------------------------------------------------
# analysis.py: inner structure against values computed by hand



def test_error_breakdown_and_wrong_set_overlap_by_hand():
    pairs = torch.tensor([[0, 0], [0, 1], [1, 2], [2, 2], [1, 4]])  # p = 5: answers 0, 1, 3, 4, 0
    correct = torch.tensor([True, False, False, True, True])
    e = analysis.error_breakdown(pairs, correct, 5)
    assert e["overall"] == 0.4 and e["a_eq_b"] == 0.0 and e["a_ne_b"] == 2 / 3
    assert e["by_answer"][0] == 0.0 and e["by_answer"][1] == 1.0 and e["by_answer"][3] == 1.0 and math.isnan(e["by_answer"][2])
    assert e["by_distance"][0] == 0.0 and e["by_distance"][1] == 1.0 and e["by_distance"][3] == 0.0
    assert e["by_token"][1] == 2 / 3 and e["by_token"][0] == 1 / 3  # token 0: (0,0) twice right, (0,1) wrong
    then, now = torch.tensor([False, False, True, True]), torch.tensor([False, True, False, True])
    assert analysis.wrong_set_overlap(then, now) == (1 / 3, 2, 2)


def test_answer_offsets_by_hand():
    # p = 5, pairs (0, 1) and (2, 2): c = 1 and 4. The first is answered 3 (offset +2), the second 0 (+1 = -4)
    pairs = torch.tensor([[0, 1], [2, 2]])
    logits = torch.tensor([[0.0, 1.0, 0.5, 2.0, 0.0],
                           [3.0, 0.0, 0.0, 1.0, 2.0]])
    wrong, gap, spread = analysis.answer_offsets(logits, pairs, 5)
    assert wrong.tolist() == [1, 1]  # one answer off by 1, one off by 2
    # margins at d = 1: 1 - (0.5 + 0) / 2 and 2 - (3 + 1) / 2; at d = 2: 1 - (2 + 0) / 2 and 2 - (0 + 0) / 2
    assert gap.tolist() == pytest.approx([(0.75 + 0.0) / 2, (0.0 + 2.0) / 2])
    assert spread.tolist() == pytest.approx([0.75 / 2 ** 0.5, 2.0 / 2 ** 0.5])  # two values x, y: |x - y| / sqrt(2)
    right = torch.tensor([[0.0, 5.0, 0.0, 0.0, 0.0]] * 2)
    assert analysis.answer_offsets(right, torch.tensor([[0, 1]] * 2), 5)[0].tolist() == [0, 0]  # right: no offset counted


def test_embedding_spectrum_of_a_cosine_is_its_frequency():
    p = 11
    a = torch.arange(p, dtype=torch.float64)
    W_E = torch.stack([torch.cos(2 * math.pi * 3 * a / p), torch.sin(2 * math.pi * 3 * a / p) * 0.5,
                       0.1 * torch.cos(2 * math.pi * 5 * a / p)])
    share = analysis.embedding_spectrum(W_E)
    assert share.shape == (5,) and share.sum().item() == pytest.approx(1.0)
    assert share[2].item() == pytest.approx(1.25 / 1.26) and analysis.key_frequencies(share) == [3]
    assert analysis.key_frequencies(share, mass=0.999) == [3, 5]


@pytest.mark.parametrize("p", [11, 67])
def test_fourier_entropy_of_a_cosine_is_zero_and_of_a_flat_spectrum_is_log_half_p(p):
    a = torch.arange(p, dtype=torch.float64)
    cosines = torch.stack([torch.cos(2 * math.pi * f * a / p + phase) for f, phase in ((1, 0.0), (3, 0.7))])
    assert analysis.fourier_entropy(cosines) == pytest.approx(0.0, abs=1e-9)
    spike = torch.zeros(2, p, dtype=torch.float64)
    spike[0, 0], spike[1, 5] = 1.0, -2.0   # a spike has every frequency at the same amplitude
    assert analysis.fourier_entropy(spike) == pytest.approx(math.log(p // 2))
    # all-zero rows (neurons the mask removed) are skipped, not averaged in
    assert analysis.fourier_entropy(torch.cat([spike, torch.zeros(3, p)])) == pytest.approx(math.log(p // 2))
    # the authors' cross-entropy with the softmax: log(n) for a flat q; log(e + n - 1) - 1 for one frequency
    n = p // 2
    assert analysis.fourier_entropy(spike, authors=True) == pytest.approx(math.log(n))
    assert analysis.fourier_entropy(cosines, authors=True) == pytest.approx(math.log(math.e + n - 1) - 1, abs=1e-9)


def test_neuron_rows_are_the_masked_products():
    weights = MLP(p=11, seed=0).weights()
    masks = tickets.mask_from_scores(tickets.random_scores(weights, 1), 0.6)
    rows = analysis.neuron_rows(weights, masks)
    w = {n: weights[n].detach() * masks[n] for n in weights}
    assert torch.allclose(rows["in"], w["W_in"] @ w["W_E"]) and rows["in"].shape == (48, 11)
    assert torch.allclose(rows["out"], (w["W_U"] @ w["W_out"]).T) and rows["out"].shape == (48, 11)


def test_jaccard_distance_by_hand():
    ones = {"a": torch.ones(4), "b": torch.ones(2, 3)}
    assert analysis.jaccard_distance(ones, ones) == {"a": 0.0, "b": 0.0, "all": 0.0}
    m1 = {"a": torch.tensor([1.0, 1, 0, 0]), "b": torch.tensor([[1.0, 0, 0], [0, 0, 0]])}
    m2 = {"a": torch.tensor([0.0, 1, 1, 0]), "b": torch.tensor([[0.0, 1, 0], [0, 0, 0]])}
    d = analysis.jaccard_distance(m1, m2)
    # a: intersection 1, union 3; b: disjoint; all: intersection 1, union 5
    assert d["a"] == pytest.approx(2 / 3) and d["b"] == 1.0 and d["all"] == pytest.approx(4 / 5)


def test_fourier_and_jaccard_write_their_analysis(tmp_path):
    out = str(tmp_path)
    assert run_cli(["--exp", "fourier", "--out", out] + TINY) == 0
    assert run_cli(["--exp", "jaccard", "--out", out] + TINY) == 0
    rows = read_csv(os.path.join(out, "analysis.csv"))
    fourier = [r for r in rows if r["exp"] == "fourier"]
    assert {r["arm"] for r in fourier} == {"base", "ticket"}
    assert {int(r["step"]) for r in fourier} == {0, 20, 40, 60}
    assert {r["metric"] for r in fourier} == set(inner.FOURIER_METRICS) | {"test_acc", "entropy_flat"}
    summary = {r["arm"]: r for r in read_csv(os.path.join(out, "summary.csv")) if r["exp"] == "fourier"}
    ckpt = torch.load(os.path.join(out, summary["ticket"]["run"], "ckpt", "step_000040.pt"))
    mask = torch.load(os.path.join(out, summary["ticket"]["run"], "mask.pt"))
    value = next(float(r["value"]) for r in fourier
                 if r["arm"] == "ticket" and r["step"] == "40" and r["metric"] == "entropy_in")
    assert value == pytest.approx(analysis.fourier_entropy(analysis.neuron_rows(ckpt, mask)["in"]), rel=1e-5)
    jaccard = [r for r in rows if r["exp"] == "jaccard"]
    assert {int(r["step"]) for r in jaccard} == {20, 40, 60}
    assert all(0 <= float(r["value"]) <= 1 for r in jaccard if r["metric"].startswith("jaccard"))


def test_graph_metrics_on_graphs_known_by_hand():
    # complete bipartite K_{3,5}: s = (sqrt(15), 0, 0): gap sqrt(15); d_avg = 2 * 15 / 8; mu = 0
    K = torch.ones(3, 5)
    assert analysis.spectral_gap(K) == pytest.approx(math.sqrt(15))
    assert analysis.ramanujan_gap(K) == pytest.approx(2 * math.sqrt(30 / 8 - 1))
    # the cycle of length 2n as a bipartite graph (u_i - v_i, u_i - v_{i+1}): s_k = 2 |cos(pi k / n)|
    n = 6
    C = torch.eye(n) + torch.roll(torch.eye(n), 1, dims=1)
    assert analysis.spectral_gap(C) == pytest.approx(2 - 2 * math.cos(math.pi / n))
    assert analysis.ramanujan_gap(C) == pytest.approx(2 * math.sqrt(2 - 1) - 2 * math.cos(math.pi / n))
    # a 3-regular bipartite graph on 7 + 7 nodes (three shifted identities): s_1 = 3, the rest of the
    # spectrum is |1 + w^k + w^3k| for the 7th roots of unity w
    R = sum(torch.roll(torch.eye(7), s, dims=1) for s in (0, 1, 3))
    w = [complex(math.cos(2 * math.pi * k / 7), math.sin(2 * math.pi * k / 7)) for k in range(7)]
    second = sorted(abs(1 + w[k] + w[k] ** 3) for k in range(1, 7))[-1]
    assert analysis.spectral_gap(R) == pytest.approx(3 - second)
    assert analysis.ramanujan_gap(R) == pytest.approx(2 * math.sqrt(2) - second)  # the Fano plane: Ramanujan
    assert analysis.ramanujan_gap(R) > 0
    # weighted: scaling every weight scales the gap
    assert analysis.spectral_gap(2.5 * C) == pytest.approx(2.5 * (2 - 2 * math.cos(math.pi / n)))


def test_path_length_and_clustering_by_hand():
    triangle = torch.ones(3, 3, dtype=torch.bool) & ~torch.eye(3, dtype=torch.bool)
    assert analysis.average_shortest_path(triangle) == pytest.approx(1.0)
    assert analysis.clustering(triangle) == pytest.approx(1.0)
    path = torch.zeros(4, 4, dtype=torch.bool)  # 0 - 1 - 2 - 3: distances 1,2,3,1,2,1 (each twice)
    for a in range(3):
        path[a, a + 1] = path[a + 1, a] = True
    assert analysis.average_shortest_path(path) == pytest.approx(10 / 6)
    assert analysis.clustering(path) == 0.0
    # a layered network: 2 inputs -> 2 hidden (all edges) -> 1 output (from hidden 0 only)
    A = analysis.layered_adjacency({"a": torch.ones(2, 2), "b": torch.tensor([[1.0, 0.0]])}, ["a", "b"])
    assert A.shape == (5, 5) and A.sum().item() == 2 * (4 + 1) and torch.equal(A, A.T)
    assert analysis.clustering(A) == 0.0  # layered graphs have no triangles
    # pairs: in-in 2 (x2), hid-hid 2 (x2), in-hid 1 (x8), in-out 2 (x4), hid0-out 1 (x2), hid1-out 3 (x2)
    assert analysis.average_shortest_path(A) == pytest.approx((2 * 2 + 2 * 2 + 8 + 4 * 2 + 2 + 3 * 2) / 20)


# ---------------------------------------------------------------------------------------------------
# CUDA (skipped without a GPU; .ci/gpu runs them where there is one)

def cuda(test):
    return pytest.mark.cuda(pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")(test))


@cuda
def test_cuda_same_command_same_csv_and_batched_close_to_alone(tmp_path):
    argv = ["--exp", "no_wd", "--p", "23", "--steps", "200", "--seeds", "0,1", "--prune-rates", "0.3,0.9",
            "--device", "cuda"]
    for name in ("a", "b"):
        assert run_cli(argv + ["--out", str(tmp_path / name)]) == 0
    assert curves_by_run(tmp_path / "a") == curves_by_run(tmp_path / "b")
    assert run_cli(argv + ["--batch", "1", "--out", str(tmp_path / "alone")]) == 0
    batched, alone = curves_by_run(tmp_path / "a"), curves_by_run(tmp_path / "alone")
    worst = 0.0
    for run in alone:
        rows_a = list(csv.DictReader(alone[run].decode().splitlines()))
        rows_b = list(csv.DictReader(batched[run].decode().splitlines()))
        worst = max(worst, max(abs(float(x["train_loss"]) - float(y["train_loss"])) for x, y in zip(rows_a, rows_b)))
    print(f"\ncuda: batched vs alone, identical CSVs: {alone == batched}; largest train-loss difference "
          f"over 200 steps: {worst:.3g}")
    assert worst < 1e-2


@cuda
def test_cuda_follows_the_cpu_for_the_first_steps(tmp_path):
    argv = ["--exp", "base", "--steps", "300", "--seeds", "0"]
    assert run_cli(argv + ["--device", "cpu", "--out", str(tmp_path / "cpu")]) == 0
    assert run_cli(argv + ["--device", "cuda", "--out", str(tmp_path / "cuda")]) == 0
    (cpu,), (gpu,) = curves_by_run(tmp_path / "cpu").values(), curves_by_run(tmp_path / "cuda").values()
    rows_cpu = list(csv.DictReader(cpu.decode().splitlines()))
    rows_gpu = list(csv.DictReader(gpu.decode().splitlines()))  # its own run id: other numerics
    diffs = [abs(float(a["train_loss"]) - float(b["train_loss"])) for a, b in zip(rows_cpu, rows_gpu)]
    print(f"\ncuda vs cpu, MLP seed 0: train loss differs by at most {max(diffs[:20]):.2g} in the first 20 "
          f"logged steps, {max(diffs):.2g} over 300 steps")
    assert max(diffs[:20]) < 1e-4
