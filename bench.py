"""Speed of training at the paper's settings: one run against a straightforward implementation, and
many runs batched into one model.

    python bench.py                              # all models, on the CPU, one thread, portable numerics
    python bench.py --native-numerics --threads 2  # this CPU's own kernels (AVX-512 where it has them)
    python bench.py --runs 1,3,9,27,81           # ms per run-step against the number of runs in a batch
    python bench.py --models mlp --device cuda --runs 1,10,100

Without --runs, for each model it times, in the same process:
- ours: one training step of the trainer (trainer.stack with one run: the regrouped forward pass,
  float64 cross-entropy, one AdamW update of a flat weight vector), plus the evaluation of both
  splits amortised over the logging schedule of a paper-length run (trainer.should_log);
- straightforward: the direct form of the forward pass (models.*.direct), torch.optim.AdamW, and
  the test set evaluated after every step, as the authors' code does.
FLOPs are the matrix-multiply FLOPs of one step counted by torch.utils.flop_counter (forward,
backward and any evaluation), so GFLOP/s is the rate each implementation achieves on them.
With --runs, it times one training step of R runs (seeds 0 ... R-1, dense) trained as one batched
model and divides by R: the cost of one run-step, which is what a sweep of many runs pays.
Do not run it while something else loads the machine.
"""
import argparse
import statistics
import sys
import time

import numerics

numerics.pin(native="--native-numerics" in sys.argv[1:])  # before torch (numerics.py)
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode

import runs
import trainer


def flops(fn):
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def timed(fn, n, device, repeats=3):
    """Median over `repeats` of the mean seconds per call over n calls."""
    for _ in range(max(3, n // 10)):
        fn()
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t) / n)
    return statistics.median(times)


def paper_run(model_name, seed=0, data_dir=""):
    image = model_name == "mnist"
    return runs.Run(task="mnist" if image else "add", model="mlp" if image else model_name, seed=seed,
                       steps=100_000 if image else 50_000, weight_decay=0.1 if image else 1.0,
                       threshold=0.85 if image else 0.95, data_dir=data_dir if image else "")


def members(model_name, R, device, data_dir=""):
    """R dense runs (seeds 0 ... R-1) ready to be stacked; one data split shared (timing only)."""
    data = runs.load_data(paper_run(model_name, 0, data_dir)).to(device)
    found = []
    for seed in range(R):
        run = paper_run(model_name, seed, data_dir)
        model = runs.build_model(run).to(device)
        params, decay = trainer.trainable(model, run)
        theta = torch.cat([p.detach().flatten() for p in params])
        found.append(trainer.Member(run, model, data, [], 0, theta, torch.zeros_like(theta),
                                    torch.zeros_like(theta), params, decay))
    return found


def stepper(ms):
    step = trainer.stack(ms)[3]
    counter = iter(range(1, 10 ** 9))
    return lambda: step(next(counter))


def bench(model_name, device, n, data_dir=""):
    ms = members(model_name, 1, device, data_dir)
    run, model, data = ms[0].run, ms[0].model, ms[0].data
    step = stepper(ms)
    n_logs = sum(trainer.should_log(s, run.steps) for s in range(1, run.steps + 1))
    evaluate = lambda: trainer.evaluate(model, data)
    t_ours = timed(step, n, device) + timed(evaluate, max(3, n // 20), device) * n_logs / run.steps
    f_ours = flops(step) + flops(evaluate) * n_logs / run.steps

    model = runs.build_model(run).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=run.lr, betas=run.betas, eps=run.eps,
                            weight_decay=run.weight_decay)

    def direct_step():
        loss = trainer.loss_fn(model.direct(data.x_train), data.y_train, data.loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            trainer.loss_fn(model.direct(data.x_test), data.y_test, data.loss).item()

    t_direct = timed(direct_step, max(5, n // 4), device)
    return t_ours, f_ours, t_direct, flops(direct_step), run.steps


def bench_runs(model_name, device, n, sizes, data_dir=""):
    """(R, seconds per batched step, matrix FLOPs per batched step) for each R in sizes."""
    found = []
    for R in sizes:
        step = stepper(members(model_name, R, device, data_dir))
        found.append((R, timed(step, max(3, n // R), device), flops(step)))
    return found


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="mlp,transformer,mnist", help="comma-separated: mlp, transformer, mnist")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per repeat (ours; with --runs, "
                    "divided by R)")
    ap.add_argument("--runs", help="comma-separated numbers of runs R in a batch: time per run-step")
    ap.add_argument("--data-dir", default="data/mnist-5k", help="MNIST IDX files (for mnist)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1, as grok.py)")
    ap.add_argument("--native-numerics", action="store_true", help="this CPU's own kernels, not the "
                    "portable AVX2 ones (numerics.py)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench.py: error: --device cuda: no CUDA GPU is available here")
    try:
        sizes = [int(r) for r in args.runs.split(",")] if args.runs else []
    except ValueError:
        sys.exit(f"bench.py: error: --runs must be comma-separated integers, got {args.runs!r}")
    print(f"{numerics.key(args.device)}, {args.device}, {torch.get_num_threads()} threads, {numerics.cpu_model()}")
    if sizes:
        print(f"{'model':12} {'runs':>5} {'ms/step':>9} {'ms/run-step':>12} {'GFLOP/s':>8} {'vs R=1':>7}")
        for name in args.models.split(","):
            rows = bench_runs(name, args.device, args.steps, sizes, args.data_dir)
            single = rows[0][1] / rows[0][0]
            for R, t, f in rows:
                print(f"{name:12} {R:5d} {t * 1e3:9.3f} {t / R * 1e3:12.4f} {f / t / 1e9:8.1f} "
                      f"{single / (t / R):6.1f}x")
        sys.exit(0)
    print(f"{'model':12} {'impl':16} {'ms/step':>8} {'MFLOP/step':>11} {'GFLOP/s':>8} "
          f"{'paper run':>10} {'speed-up':>8}")
    for name in args.models.split(","):
        t_ours, f_ours, t_direct, f_direct, steps = bench(name, args.device, args.steps, args.data_dir)
        for impl, t, f in (("straightforward", t_direct, f_direct), ("ours", t_ours, f_ours)):
            print(f"{name:12} {impl:16} {t * 1e3:8.2f} {f / 1e6:11.1f} {f / t / 1e9:8.1f} "
                  f"{t * steps / 60:8.1f}m {t_direct / t:7.1f}x")
