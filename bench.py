"""Speed of one training step at the paper's settings, ours against a straightforward implementation.

    python bench.py                  # all models, on the CPU, with torch's default thread count
    python bench.py --models mlp --device cuda

For each model it times, in the same process:
- ours: grok.train_step (the regrouped forward pass, float64 cross-entropy, one AdamW update of a
  flat weight vector), plus the evaluation of both splits amortised over the logging schedule of a
  paper-length run (grok.should_log);
- straightforward: the direct form of the forward pass (models.*.direct), torch.optim.AdamW, and
  the test set evaluated after every step, as the authors' code does.
FLOPs are the matrix-multiply FLOPs of one step counted by torch.utils.flop_counter (forward,
backward and any evaluation), so GFLOP/s is the rate each implementation achieves on them.
Do not run it while something else loads the machine.
"""
import argparse
import statistics
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

import grok


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


def bench(model_name, device, n):
    run = grok.Run(task="mnist" if model_name == "mnist" else "add", model="mlp" if model_name == "mnist"
                   else model_name, steps=100_000 if model_name == "mnist" else 50_000,
                   weight_decay=0.1 if model_name == "mnist" else 1.0,
                   data_dir=args.data_dir if model_name == "mnist" else "")
    data = grok.load_data(run).to(device)
    image = run.task in grok.IMAGE_TASKS

    # ours
    model = grok.build_model(run).to(device)
    params, weight_decay = grok.trainable(model, run)
    theta = grok.flatten_(params)
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    counter = iter(range(1, 10 ** 9))
    step = lambda: grok.train_step(model, params, theta, m, v, data, next(counter), run, weight_decay)
    n_logs = sum(grok.should_log(s, run.steps) for s in range(1, run.steps + 1))
    evaluate = lambda: grok.evaluate(model, data, image)
    t_ours = timed(step, n, device) + timed(evaluate, max(3, n // 20), device) * n_logs / run.steps
    f_ours = flops(step) + flops(evaluate) * n_logs / run.steps

    # straightforward
    model = grok.build_model(run).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=run.lr, betas=run.betas, eps=run.eps,
                            weight_decay=run.weight_decay)

    def direct_step():
        loss = grok.loss_fn(model.direct(data.x_train), data.y_train, image)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            grok.loss_fn(model.direct(data.x_test), data.y_test, image).item()

    n_direct = max(5, n // 4)
    t_direct = timed(direct_step, n_direct, device)
    f_direct = flops(direct_step)
    return t_ours, f_ours, t_direct, f_direct, run.steps


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="mlp,transformer,mnist", help="comma-separated: mlp, transformer, mnist")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per repeat (ours)")
    ap.add_argument("--data-dir", default="../shared/data/mnist-5k", help="MNIST IDX files (for mnist)")
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench.py: error: --device cuda: no CUDA GPU is available here")
    print(f"torch {torch.__version__}, {args.device}, {torch.get_num_threads()} threads")
    print(f"{'model':12} {'impl':16} {'ms/step':>8} {'MFLOP/step':>11} {'GFLOP/s':>8} "
          f"{'paper run':>10} {'speed-up':>8}")
    for name in args.models.split(","):
        t_ours, f_ours, t_direct, f_direct, steps = bench(name, args.device, args.steps)
        for impl, t, f in (("straightforward", t_direct, f_direct), ("ours", t_ours, f_ours)):
            print(f"{name:12} {impl:16} {t * 1e3:8.2f} {f / 1e6:11.1f} {f / t / 1e9:8.1f} "
                  f"{t * steps / 60:8.1f}m {t_direct / t:7.1f}x")
