"""Results as CSV files, torch-free (report.py and plot.py read them without torch): the one reader,
writer and number parser of the project.

    from tables import read_csv, write_csv, upsert_csv, number
    rows = read_csv("runs/summary.csv")                 # [{column: text}]
    t_gen = number(rows[0]["t_gen"])                    # float, None for '', the text otherwise

Numbers are written with six significant digits (fmt): what the golden-curve test compares.
"""
import csv
import fcntl
import os


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


def upsert_csv(path, rows, columns, key=("exp", "run")):
    """Write `rows` into the CSV at `path`, replacing earlier rows with the same key: a rerun updates
    its rows, never duplicates them, and leaves the other experiments' rows alone."""
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    with open(path + ".lock", "w") as lock:
        # several grok.py sharing one --out (run_all.sh --list | parallel) must not lose rows
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = []
        if os.path.exists(path):
            kept = [r for r in read_csv(path) if tuple(r[k] for k in key) not in new_keys]
        write_csv(path, kept + rows, columns)

