"""Results as CSV files, torch-free (report.py and plot.py read them without torch): the one reader,
writer and number parser of the project, and the one definition of t_mem / t_gen on a curve.

    from tables import read_csv, write_csv, upsert_csv, number, grokking_times
    rows = read_csv("runs/summary.csv")                 # [{column: text}]
    t_gen = number(rows[0]["t_gen"])                    # float, None for '', the text otherwise
    grokking_times(curve, 0.95)                         # {t_mem, t_gen, tau_grok} of [{step, train_acc, ...}]

Numbers are written with six significant digits (fmt): what the golden-curve test compares.
"""
import csv
import errno
import os
import statistics

LOGGED = ("train_loss", "test_loss", "train_acc", "test_acc")  # a curve's values at each logged step


def fmt(value):
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def number(value):
    """A CSV cell as a number: None for an empty cell, the text itself when it is not a number."""
    if value in ("", None):
        return None
    try:
        return float(value)
    except ValueError:
        return value


def write_csv(path, rows, columns):
    """Write `rows` (dicts; extra keys ignored) atomically: a reader never sees half a file."""
    with open(path + ".part", "w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: fmt(v) for k, v in row.items()} for row in rows)
    os.replace(path + ".part", path)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def lock_exclusive(f):
    """Block until this process holds the exclusive lock of the open file f (released when f is
    closed): what lets several grok.py share one --out. fcntl's, so Linux and macOS; elsewhere
    (Windows) an OSError that says so, in one line."""
    try:
        import fcntl
    except ImportError:
        raise OSError(errno.ENOSYS, "grok.py locks its files with fcntl, which this system (Windows?) "
                      "does not have: run it under Linux, macOS or WSL") from None
    fcntl.flock(f, fcntl.LOCK_EX)


def upsert_csv(path, rows, columns, key=("exp", "run")):
    """Write `rows` into the CSV at `path`, replacing earlier rows with the same key: a rerun updates
    its rows, never duplicates them, and leaves the other experiments' rows alone."""
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    with open(path + ".lock", "w") as lock:
        # several grok.py sharing one --out (run_all.sh --list | parallel) must not lose rows
        lock_exclusive(lock)
        kept = []
        if os.path.exists(path):
            kept = [r for r in read_csv(path) if tuple(r[k] for k in key) not in new_keys]
        write_csv(path, kept + rows, columns)


def grokking_times(curves, threshold):
    """t_mem / t_gen: first logged step with train / test accuracy >= P (None when never reached);
    tau_grok = t_gen / t_mem (v3's definitions). A regression (curves without accuracies) has no
    accuracy: there t_mem / t_gen are the first steps whose train / test loss is at most (1 - P) times
    its value at theta_0 (ours; v3 gives no definition), i.e. the loss has fallen by the fraction P.
    `curves`: the logged rows of one run in step order, {step, train_acc, test_acc, train_loss, test_loss}."""
    first = curves[0]
    regression = first["train_acc"] is None

    def reached(r, split):
        if regression:
            return r[f"{split}_loss"] <= (1 - threshold) * first[f"{split}_loss"]
        return r[f"{split}_acc"] >= threshold
    t_mem = next((r["step"] for r in curves if reached(r, "train")), None)
    t_gen = next((r["step"] for r in curves if reached(r, "test")), None)
    return dict(t_mem=t_mem, t_gen=t_gen, tau_grok=t_gen / t_mem if t_mem and t_gen is not None else None)


# Numbers as the tables show them

def mean_std(values, spec, none="n.r."):
    """'mean ± std' of the values that are not None (None = not reached: counted, not averaged);
    the ± part only where there are two values or more, `none` where there is no value at all."""
    reached = [v for v in values if v is not None]
    if not reached:
        return none
    text = format(statistics.mean(reached), spec)
    if len(reached) > 1:
        text += " ± " + format(statistics.stdev(reached), spec)
    missing = len(values) - len(reached)
    return text + (f" ({missing} n.r.)" if missing else "")


def ratio_text(r):
    return "∞" if r >= 1e9 else "0" if r == 0 else f"{r:.1f}x" if r < 100 else f"{r:,.0f}x"
