"""The paper's tasks: modular arithmetic, (Fashion-)MNIST, and v3's polynomial regression and sparse
parity, as full-batch tensors.

    from tasks import modular, mnist, poly, parity
    data = modular("add", p=67, frac_train=0.4, seed=0)   # 911 train / 1,367 test pairs
    data = mnist("data/mnist-5k", seed=0)                 # 1,000 of its 3,000 train images, its 2,000 test
    data = poly(seed=0)                                   # 100 train / 100 test points, y = (x.beta)^2 / 2
    data = parity(seed=0)                                 # 1,000 train / 10,000 test strings of 40 bits

Modular arithmetic (the paper's task): inputs are token pairs (a, b), the label is (a op b) mod p.
By default the pairs are the unordered ones, a <= b with a = b included (67*68/2 = 2,278 for p = 67,
the set the authors' figures used); `ordered=True` gives all p^2 pairs. The pairs are shuffled with the
run's seed and the first `frac_train` of them are the training set.

Polynomial regression (v3 Fig. 2d, after Kumar et al. 2023): x ~ N(0, I/d) in d = 40 dimensions,
y = (x . beta)^2 / 2 with beta ~ N(0, I), 100 training and 100 test points, mean squared error: a
loss-based task (Data.loss = "regression"), whose t_mem / t_gen are read from losses (tables.grokking_times).

Sparse parity (v3 Fig. 2e, after Barak et al. 2022; the paper gives no numbers, these are ours):
x uniform in {-1, +1}^40 plus a constant 1 input (a bias: see parity()), the label is the parity of
the first 3 bits (1 when their product is -1), 1,000 training and 10,000 test strings, all drawn with
the seed; cross-entropy on 2 classes.

MNIST: the standard IDX files (`train-images-idx3-ubyte[.gz]`, ...; the torchvision layout
`MNIST/raw/` works as-is), downloaded with checksums when missing. 1,000 training images are drawn with
the seed from the official train split and the model is evaluated on the official test split (the
authors' code did the reverse; this project decides for the standard way). Pixels are scaled to
[0, 1] and flattened to 784.
"""
import gzip
import hashlib
import os
import urllib.request
from dataclasses import dataclass

import numpy as np
import torch


class DataError(Exception):
    """Missing or corrupt data: the message says what is wrong and how to fix it."""


@dataclass
class Data:
    """One task's full-batch tensors. x is (n, 2) token ids for modular arithmetic, (n, d) floats
    otherwise; y holds class ids, or real targets when loss is "regression"."""
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int  # 1 for a regression: one output
    n_tokens: int = 0  # vocabulary size p for token inputs, 0 for vectors
    loss: str = "cross_entropy"
    """cross_entropy on classes; mse on one-hot classes (the paper's MNIST loss); regression: mse on y"""
    digest: str = ""
    """idx_digest of the files read (image tasks); "" for data generated from a seed"""

    def to(self, device):
        return Data(*(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test)),
                    self.n_classes, self.n_tokens, self.loss, self.digest)


# ---------------------------------------------------------------------------------------------------
# Modular arithmetic

# One line per operation: c = f(a, b) mod p. `add` is the paper's task; the rest are v3's.
OPERATIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "x2y2": lambda a, b: a * a + b * b,            # a^2 + b^2
    "x2xyy2": lambda a, b: a * a + a * b + b * b,  # a^2 + ab + b^2
    "x3xy": lambda a, b: a * a * a + a * b,        # a^3 + ab
}


def commutative(op, p):
    """Whether (a op b) mod p == (b op a) mod p for every pair: the MLP, which sees E[a] + E[b], can
    only learn such an operation on ordered pairs."""
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    return bool((OPERATIONS[op](a, b) % p == OPERATIONS[op](b, a) % p).all())


def modular(op="add", p=67, frac_train=0.4, seed=0, ordered=False):
    """All pairs (a, b) of tokens 0..p-1 (a <= b unless `ordered`), labelled (a op b) mod p, split
    into train and test by a permutation drawn from `seed`."""
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}; choose from {', '.join(OPERATIONS)}")
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.flatten(), b.flatten()
    if not ordered:
        a, b = a[a <= b], b[a <= b]
    x = torch.stack([a, b], dim=1)
    y = OPERATIONS[op](a, b) % p
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_train = int(frac_train * len(x))
    train, test = order[:n_train], order[n_train:]
    return Data(x[train], y[train], x[test], y[test], n_classes=p, n_tokens=p)


# ---------------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST from IDX files

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# Where to download from, and the MD5 of each official .gz file (the checksums torchvision uses).
SOURCES = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c")),
    "fashion": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310")),
}
DEFAULT_DIRS = {"mnist": "data/mnist", "fashion": "/usr/share/datasets/fashion-mnist"}


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array. Raises DataError if it is not a valid one."""
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read {path}: {e}") from None
    # Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then
    # each dimension as a big-endian uint32.
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] == 0:
        raise DataError(f"{path} is not an IDX file of unsigned bytes (bad header)")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    if len(raw) != 4 + 4 * ndim + size:
        raise DataError(f"{path} is truncated or corrupt: header says {shape}, "
                        f"file holds {len(raw) - 4 - 4 * ndim} bytes of data")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def find_idx(folder, name):
    """Path of IDX file `name` in `folder` or `folder/MNIST/raw` (torchvision), gzipped or not."""
    for sub in ("", "MNIST/raw", "FashionMNIST/raw"):
        for ext in ("", ".gz"):
            path = os.path.join(folder, sub, name + ext)
            if os.path.exists(path):
                return path
    return None


def download(dataset, folder):
    """Fetch the four official .gz files into `folder`, verifying each MD5 before keeping it. A
    failed download leaves no folder behind that it created (an empty one would look like data)."""
    url, md5s = SOURCES[dataset]
    created = not os.path.exists(folder)
    try:
        _fetch(url, md5s, dataset, folder)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
        raise


def _fetch(url, md5s, dataset, folder):
    for name, md5 in zip(IDX_FILES, md5s):
        if find_idx(folder, name):
            continue
        target = os.path.join(folder, name + ".gz")
        try:
            with urllib.request.urlopen(url + name + ".gz", timeout=30) as r:
                blob = r.read()
        except OSError as e:
            raise DataError(
                f"{dataset} files are missing from {folder} and downloading {url}{name}.gz failed "
                f"({e}); put the four IDX files ({', '.join(n + '.gz' for n in IDX_FILES)}) in "
                f"{folder} or pass --data-dir") from None
        if hashlib.md5(blob).hexdigest() != md5:
            raise DataError(f"downloaded {name}.gz has the wrong MD5 checksum; not kept")
        os.makedirs(folder, exist_ok=True)
        with open(target + ".part", "wb") as f:
            f.write(blob)
        os.replace(target + ".part", target)


def idx_arrays(folder, dataset="mnist"):
    """The four IDX arrays of `folder` (train images, train labels, test images, test labels),
    downloaded first if missing."""
    folder = folder or DEFAULT_DIRS[dataset]
    if not all(find_idx(folder, n) for n in IDX_FILES):
        download(dataset, folder)
    return [read_idx(find_idx(folder, n)) for n in IDX_FILES]


def idx_digest(folder, dataset="mnist", arrays=None):
    """What the data of an image run is: the first 16 hex digits of the sha256 of the four IDX arrays
    (each as its shape, then its bytes), whatever the folder and whether gzipped or not. Part of a
    run's identity (runs.Run.data)."""
    h = hashlib.sha256()
    for array in arrays if arrays is not None else idx_arrays(folder, dataset):
        h.update(repr(array.shape).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def mnist(folder=None, seed=0, n_train=1000, dataset="mnist"):
    """`n_train` images drawn with `seed` from the train split; the whole test split for evaluation."""
    folder = folder or DEFAULT_DIRS[dataset]
    images_tr, labels_tr, images_te, labels_te = arrays = idx_arrays(folder, dataset)
    for images, labels, split in ((images_tr, labels_tr, "train"), (images_te, labels_te, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{folder}: {split} images {images.shape} and labels {labels.shape} "
                            "do not match")
        if labels.max() > 9:
            raise DataError(f"{folder}: {split} labels outside 0..9")
    if n_train > len(images_tr):
        raise DataError(f"{folder}: asked for {n_train} training images, the train split has "
                        f"{len(images_tr)}")
    pick = torch.randperm(len(images_tr), generator=torch.Generator().manual_seed(seed))[:n_train]

    def as_tensors(images, labels):
        x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
        return x, torch.from_numpy(labels.astype(np.int64))

    x_train, y_train = as_tensors(images_tr, labels_tr)
    x_test, y_test = as_tensors(images_te, labels_te)
    return Data(x_train[pick], y_train[pick], x_test, y_test, n_classes=10, loss="mse",
                digest=idx_digest(folder, arrays=arrays))


# ---------------------------------------------------------------------------------------------------
# v3's other tasks: polynomial regression and sparse parity

def poly(seed=0, d=40, n_train=100, n_test=100):
    """x ~ N(0, I/d), y = (x . beta)^2 / 2 with beta ~ N(0, I): all drawn with `seed` (beta first)."""
    g = torch.Generator().manual_seed(seed)
    beta = torch.randn(d, generator=g)
    x = torch.randn(n_train + n_test, d, generator=g) / d ** 0.5
    y = (x @ beta) ** 2 / 2
    return Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:], n_classes=1, loss="regression")


def parity(seed=0, n_bits=40, k=3, n_train=1000, n_test=10_000):
    """x uniform in {-1, +1}^n_bits (and a constant 1), label 1 when the product of the first k bits
    is -1 (their parity is odd), else 0. Train and test strings are drawn independently with `seed`
    (a string in both has probability ~ n_train n_test / 2^40, negligible)."""
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (n_train + n_test, n_bits), generator=g).float() * 2 - 1
    y = (bits[:, :k].prod(1) < 0).long()
    # A constant 1 as a last input: the first layer's bias. Without it a ReLU network is positively
    # homogeneous, relu(z) - relu(-z) = z makes the odd part of its function linear in x, and the
    # parity of an odd number of bits (an odd function of x) can only be memorized, never learned.
    x = torch.cat([bits, torch.ones(len(bits), 1)], dim=1)
    return Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:], n_classes=2)
