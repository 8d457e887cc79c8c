"""Every claim of the paper judged on the runs' CSVs, seed by seed, with a verdict; RESULTS.md from it.

    python -m replication.report                 # one line per claim, on the committed CSVs under results/
    python -m replication.report --out runs      # the same on your own runs: did the paper reproduce on your machine?
    python -m replication.report --write         # regenerate the marked blocks of RESULTS.md, README.md and docs/ from results/
    python -m replication.report --check         # exit 1 when one of them is not what results/ gives (CI)
    python -m replication.report --sensitivity   # every verdict again with each judging choice moved one notch

The claims are in claims.py, their tests in claim_tests.py, the judging in verdicts.py, whose
docstring defines the verdicts and the statistics printed beside them (--help prints it too).

RESULTS.md, README.md and docs/ (PATHS) hold blocks between `<!-- report:WHAT -->` and `<!-- /report -->`,
where WHAT is `central`, `verdicts`, `verdicts compact`, `verdicts noncentral`, `verdicts short`, `claims SECTION`, `runs exp=E [model=M] [task=T] [steps=N]`, `popup`,
`popup_graph`, `analysis exp=E`, `numerics`, `sensitivity`, `bars`, `at_p OFFSET [PREFIX]` (the central
claims, or those named PREFIX..., with every P moved by OFFSET), `norms exp=E [model=M] at=S1,S2` (each arm's median norms at steps S), `plateau` or `clamp_gain
model=M` (how much sooner the clamp makes the free control); --write fills them from results/, the prose around them is written by hand.
"""
import argparse
import os
import sys

from replication import ROOT
from replication.verdicts import PATHS, Mixed, judge_all
from replication.verdicts import __doc__ as VERDICTS  # the verdicts and statistics, for --help


def main(argv=None):
    try:
        return report(argv)
    except Mixed as e:
        print(f"python -m replication.report: error: {e}", file=sys.stderr)
        return 2


def report(argv):
    ap = argparse.ArgumentParser(prog="python -m replication.report", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:] + VERDICTS.split("\n\n")[2:]))
    ap.add_argument("--out", action="append", help="results folder(s) to judge, each with summary.csv "
                    "and curves.csv in it or in its subfolders (default results; repeatable)")
    ap.add_argument("--write", action="store_true", help="regenerate the blocks of RESULTS.md, "
                    "README.md and docs/ from results/")
    ap.add_argument("--check", action="store_true", help="exit 1 when one of those files is not "
                    "what results/ gives")
    ap.add_argument("--sensitivity", action="store_true", help="print every claim's verdict with each "
                    "judging choice (bars.BARS) moved one notch down / up")
    args = ap.parse_args(argv)
    here = ROOT
    outs = args.out or [os.path.join(here, "results")]
    for out in outs:
        if not os.path.isdir(out):
            print(f"python -m replication.report: error: no folder {out}", file=sys.stderr)
            return 2
    if args.write or args.check:
        from replication import blocks  # the Markdown tables
        verdicts, rows, curves, analysis = judge_all([os.path.join(here, "results")])
        stale = []
        for name in PATHS:
            path = os.path.join(here, name)
            with open(path) as f:
                text = f.read()
            new = blocks.fill(text, verdicts, rows, curves, analysis)
            if new != text:
                stale.append(name)
                if args.write:
                    with open(path, "w") as f:
                        f.write(new)
        if args.check:
            if stale:
                print(f"python -m replication.report: {', '.join(stale)} not what results/ gives: run python -m replication.report --write",
                      file=sys.stderr)
                return 1
            print(f"python -m replication.report: {', '.join(PATHS)} match results/")
            return 0
        print(f"python -m replication.report: rewrote {', '.join(stale) or 'nothing (already up to date)'}")
        return 0
    verdicts = judge_all(outs)[0]
    if args.sensitivity:
        from replication import blocks
        print(blocks.block_sensitivity(verdicts))
        return 0
    ran = [v for v in verdicts if v.verdict != "not run"]
    width = max([len(v.claim.name) for v in ran] + [1])
    for v in ran:
        apart = "; ".join(t for t in (v.undecided(), v.negative()) if t)
        print(f"{v.claim.name:{width}}  {v.shown():15} holds {v.rate():31} effect {v.effect()}  "
              f"ours {v.ours()} (seeds {v.seeds()}; {v.measure()})  paper {v.claim.paper_value}  [{v.claim.kind}]\n"
              f"{'':{width}}  per seed {v.holds_for()}; margin {v.margins()}; {v.robustness()}"
              + (f"\n{'':{width}}  sign test against the bar: {v.sign_text()}" if v.sign() else "")
              + (f"\n{'':{width}}  {apart}" if apart else ""))
    if len(ran) < len(verdicts):
        print(f"{len(verdicts) - len(ran)} more claims not run: their experiments are not in "
              f"{', '.join(outs)} (run_all.sh runs them all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
