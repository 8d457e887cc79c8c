"""Fold finished runs into the committed results: the rows of one experiment's seeds in results/FOLDER
are replaced by the same runs' rows from a runs folder, after checking them. How results/ is kept.

    python -m replication.merge runs/mnist results/mnist --exp ticket_vs_norm --seeds 2 --where steps=100000
    python -m replication.merge runs/mnist results/mnist --exp ticket_vs_norm --seeds 2 --dry-run   # check only
    python -m replication.report --write && python -m replication.plot --out results/mnist                      # then

The rules: every committed row comes from portable numerics (numerics.portable), all the rows of one
results folder from the same portable numerics (AMD's and Intel's are other bits), and a run trained again replaces its old rows, never sits beside them. Before
replacing, each new curve is compared with the committed curve of the same run id on the steps both
logged, in every printed digit of the four logged values (tables.LOGGED): a rerun of a portable run
must give the same bits, so a difference means the old curve was made under other numerics (or a code
change moved the trajectory) and merge refuses, naming the first differing step, unless
--replace-changed says that replacing it is the point of the rerun. The same flag is needed to drop a
committed run that the runs folder does not have again. The analyses of a run (analysis.csv) are
compared the same way, value by value. Torch-free.
"""
import argparse
import os
import sys

import numerics
from tables import LOGGED, read_csv, write_csv

FILES = ("summary.csv", "curves.csv", "analysis.csv")  # analysis.csv: fourier, jaccard, graph


class Refused(Exception):
    """The merge would put in results/ what does not belong there; nothing was written."""


def selects(row, exp, seeds, where):
    """Is this summary row one of experiment `exp`'s runs of `seeds`, with every column of `where`
    (column -> text, compared as the CSV writes it) equal?"""
    return (row["exp"] == exp and row["seed"] in seeds
            and all(row.get(column) == value for column, value in where.items()))


def first_difference(old, new):
    """The first step both curves logged at which their printed values differ (None if none), and the
    number of steps both logged. `old`, `new`: curve rows of one run ({step, train_loss, ...: text})."""
    old_at = {int(r["step"]): tuple(r.get(k) for k in LOGGED) for r in old}
    new_at = {int(r["step"]): tuple(r.get(k) for k in LOGGED) for r in new}
    common = sorted(set(old_at) & set(new_at))
    return next((s for s in common if old_at[s] != new_at[s]), None), len(common)


def plan(src, dst, exp, seeds, where=None):
    """What merging would do: ({file: (kept rows, new rows, columns)}, report lines, problems).
    Problems (each refuses the merge unless --replace-changed) are the committed runs whose curves
    differ from the new ones and the committed runs that the new rows do not have again. Raises
    Refused for what no flag allows: nothing selected, or new rows not made in portable numerics."""
    where = where or {}
    seeds = {str(s) for s in seeds}

    def rows(folder, name):
        path = os.path.join(folder, name)
        return read_csv(path) if os.path.exists(path) else []

    new_summary = [r for r in rows(src, "summary.csv") if selects(r, exp, seeds, where)]
    if not new_summary:
        raise Refused(f"{src}/summary.csv has no finished run of {exp}, seeds {','.join(sorted(seeds))}"
                      + "".join(f", {k}={v}" for k, v in where.items()))
    foreign = [r["run"] for r in new_summary if not numerics.portable(r.get("numerics") or "")]
    if foreign:
        raise Refused(f"not made in portable numerics, so not for results/: {', '.join(foreign)}")
    # AMD's and Intel's portable numerics are different bits: one results folder holds one of them
    committed = {r.get("numerics") for r in rows(dst, "summary.csv") if r.get("numerics")}
    other = sorted({r["numerics"] for r in new_summary} - committed) if committed else []
    if other:
        raise Refused(f"made with numerics '{other[0]}', but {dst} holds runs made with "
                      f"'{sorted(committed)[0]}': other bits, so not merged into one folder")
    old_summary = [r for r in rows(dst, "summary.csv") if selects(r, exp, seeds, where)]
    new_keys = {(r["exp"], r["run"]) for r in new_summary}
    old_keys = {(r["exp"], r["run"]) for r in old_summary}

    lines, problems = [], []
    for _, run in sorted(old_keys - new_keys):
        problems.append(f"{run}: committed, but not in {src}: merging would drop it")
    old_curves, new_curves = {}, {}
    for r in rows(dst, "curves.csv"):
        old_curves.setdefault((r.get("exp", ""), r["run"]), []).append(r)
    for r in rows(src, "curves.csv"):
        new_curves.setdefault((r.get("exp", ""), r["run"]), []).append(r)
    for key in sorted(new_keys):
        if key not in new_curves:
            raise Refused(f"{key[1]}: in {src}/summary.csv but without its curve in {src}/curves.csv")
        # the same run id in any experiment (a base is shared by several): one run id, one trajectory
        committed = sorted(k for k in old_curves if k[1] == key[1])
        if not committed:
            lines.append(f"{key[1]}: new")
        for exp_, run in committed:
            step, common = first_difference(old_curves[(exp_, run)], new_curves[key])
            if step is None:
                lines.append(f"{run}: the same as in {exp_} on all {common} steps both logged")
            else:
                problems.append(f"{run}: differs from its committed curve in {exp_} from step {step} "
                                f"({common} steps both logged)")

    # analyses (analysis.csv) of the same run's checkpoints must agree too, on what both computed
    old_values, new_values = {}, {}
    for folder, values in ((dst, old_values), (src, new_values)):
        for r in rows(folder, "analysis.csv"):
            if (r["exp"], r["run"]) in new_keys:
                values[(r["exp"], r["run"], r["metric"], int(r["step"]))] = r["value"]
    differ = sorted(k for k in set(old_values) & set(new_values) if old_values[k] != new_values[k])
    for exp_, run in sorted({k[:2] for k in differ}):
        first = next(k for k in differ if k[:2] == (exp_, run))
        problems.append(f"{run}: its {exp_} analysis differs from the committed one ({first[2]} at step {first[3]})")

    changes = {}
    for name in FILES:
        old, new = rows(dst, name), rows(src, name)
        if name == "summary.csv":
            kept, added = [r for r in old if not selects(r, exp, seeds, where)], new_summary
        else:  # the curves and analyses of the selected runs, keyed like the summaries
            kept = [r for r in old if (r.get("exp", ""), r["run"]) not in old_keys]
            added = [r for r in new if (r.get("exp", ""), r["run"]) in new_keys]
        if not added and len(kept) == len(old):
            continue
        columns = list(old[0]) if old else list(added[0])
        if added and set(added[0]) - set(columns):  # an older file without a newer column: take the new
            columns = list(added[0])                 # order, the old rows blank there
        changes[name] = (kept, added, columns)
        lines.append(f"{name}: -{len(old) - len(kept)} +{len(added)} rows")
    return changes, lines, problems


def write(dst, changes):
    os.makedirs(dst, exist_ok=True)
    for name, (kept, added, columns) in changes.items():
        write_csv(os.path.join(dst, name), kept + added, columns)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m replication.merge", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("src", help="the runs folder (grok.py's --out), e.g. runs/mnist")
    parser.add_argument("dst", help="the results folder, e.g. results/mnist")
    parser.add_argument("--exp", required=True, help="the experiment whose rows are replaced")
    parser.add_argument("--seeds", required=True, help="comma-separated seeds whose rows are replaced")
    parser.add_argument("--where", nargs="*", default=[], metavar="COLUMN=VALUE",
                        help="only the rows with these summary.csv values, e.g. steps=100000 model=transformer")
    parser.add_argument("--replace-changed", action="store_true",
                        help="replace committed curves that differ from the new ones, and drop committed "
                             "runs the runs folder lacks (a rerun of machine-specific results)")
    parser.add_argument("--dry-run", action="store_true", help="check and print, write nothing")
    args = parser.parse_args(argv)
    try:
        where = dict(w.split("=", 1) for w in args.where)
    except ValueError:
        parser.exit(2, f"python -m replication.merge: error: --where takes COLUMN=VALUE, got {args.where}\n")
    if not os.path.isdir(args.src):
        parser.exit(2, f"python -m replication.merge: error: no folder {args.src}\n")
    try:
        changes, lines, problems = plan(args.src, args.dst, args.exp, args.seeds.split(","), where)
    except Refused as e:
        parser.exit(2, f"python -m replication.merge: refused: {e}\n")
    print("\n".join(lines + problems))
    if problems and not args.replace_changed:
        parser.exit(2, f"python -m replication.merge: refused: {len(problems)} committed run(s) would change "
                       "(above); --replace-changed if that is the point of the rerun\n")
    if args.dry_run:
        print("(dry run: nothing written)")
        return
    write(args.dst, changes)
    print(f"merged into {args.dst}; now: python -m replication.report --write")


if __name__ == "__main__":
    sys.exit(main())
