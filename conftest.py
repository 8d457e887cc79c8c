"""Shared test fixtures (test_grok.py imports them) and the markers: `slow` (end-to-end runs of
several seconds each) and `cuda` (needs a GPU).

    python -m pytest -q test_grok.py replication                  # everything (about 2 minutes on 2 cores)
    python -m pytest -q test_grok.py replication -m "not slow"    # the specification checks, about 30 s
"""
import gzip
import os

import numpy as np

import numerics

numerics.pin()  # before torch is imported: the tests' golden curves are the portable (AVX2) bits
import grok  # noqa: E402
import trainer  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: an end-to-end run of several seconds (deselect with -m 'not slow')")
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (skipped without one; .ci/gpu runs them)")


def run_cli(argv):
    return grok.main(argv)


def interrupted(monkeypatch, step, argv):
    """Run grok.py with argv, pressing Ctrl-C (KeyboardInterrupt) during training step `step`."""
    calls, original = [0], trainer.adamw_update

    def adamw_step(*args, **kwargs):
        calls[0] += 1
        if calls[0] == step:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(trainer, "adamw_update", adamw_step)
        return run_cli(argv)


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with (gzip.open if path.endswith(".gz") else open)(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_mnist(folder, n_train=60, n_test=30, gz=True, layout=""):
    """A fake MNIST in IDX format: each class is a distinct bright square, so it is learnable."""
    rng = np.random.default_rng(0)
    target = os.path.join(folder, layout)
    os.makedirs(target, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28))
        for i, c in enumerate(labels):
            images[i, 2 * c:2 * c + 6, 2 * c:2 * c + 6] = 255
        ext = ".gz" if gz else ""
        write_idx(os.path.join(target, f"{prefix}-images-idx3-ubyte{ext}"), images)
        write_idx(os.path.join(target, f"{prefix}-labels-idx1-ubyte{ext}"), labels)
    return folder
