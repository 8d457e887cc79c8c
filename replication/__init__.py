"""The apparatus that judges the paper on the runs' CSVs: the claims and their tests (claims.py,
claim_tests.py), the judging choices (bars.py), the verdicts (verdicts.py), their intervals
(intervals.py), the report and its Markdown tables (report.py, blocks.py), merging a folder of runs into
results/ (merge.py) and the figures (plot.py). It imports the method (the modules at the repository's
root); nothing of the method imports it. Run its commands from the repository's root:

    python -m replication.report --check
    python -m replication.merge runs/mlp results/mlp --exp ticket_vs_norm --seeds 3
    python -m replication.plot --out results/mlp
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The repository's root: results/, the Markdown files and the method's modules are found from here."""

if ROOT not in sys.path:  # the method's modules, whatever the working directory
    sys.path.insert(0, ROOT)
