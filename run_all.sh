#!/usr/bin/env bash
# Every comparison of the paper at its settings, seeds 0, 1, 2, one command after another, then the
# figures and the verdicts (report.py). Finished runs are reused, so an interrupted run_all.sh picks
# up where it stopped.
#
#   bash run_all.sh                               # 2-core CPU: roughly 16 hours (README); GPU: --device cuda
#   bash run_all.sh --device cuda --out runs --data-dir ~/data/mnist
#   bash run_all.sh --list | parallel -j 4        # one self-contained command per line, for a cluster
#
# Arguments other than --list are passed to every grok.py command. Commands sharing an --out can run
# at the same time: a run that another command is training is waited for, then reused.
set -euo pipefail
cd "$(dirname "$0")"

list=0
extra=()
out=runs
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=1 ;;
    --out) out="$2"; extra+=("$1" "$2"); shift ;;
    --out=*) out="${1#--out=}"; extra+=("$1") ;;
    *) extra+=("$1") ;;
  esac
  shift
done
more=""
[ ${#extra[@]} -gt 0 ] && more=" $(printf '%q ' "${extra[@]}")" && more="${more% }"

# One command per experiment with all three seeds: each phase of an experiment (the seeds' base runs,
# then everything derived from them) trains as batched models, which is what makes a GPU worth it.
commands=(
  "python grok.py --exp ticket_vs_norm --seeds 0,1,2"
  "python grok.py --exp ticket_vs_norm --model transformer --seeds 0,1,2"
  # a Transformer base that has not generalized in 50,000 steps is extended (report.py judges each
  # seed on its shortest base that generalized)
  "python grok.py --exp ticket_vs_norm --model transformer --seeds 0,1,2 --steps 100000"
  "python grok.py --exp ticket_vs_norm --task mnist --seeds 0,1,2"
)
for exp in prune_rate no_wd phase_tickets pai edge_popup fourier jaccard graph ops; do
  commands+=("python grok.py --exp $exp --seeds 0,1,2")
done
# v3's other tasks (tasks.py): polynomial regression (a loss-based task) and sparse parity
commands+=("python grok.py --exp ticket_vs_norm --task poly --seeds 0,1,2")
commands+=("python grok.py --exp ticket --task parity --seeds 0,1,2")
# ours, beyond the paper: is the ticket its mask, or its mask on theta_0 (reinit, shuffled masks)?
commands+=("python grok.py --exp mask_or_init --seeds 0,1,2")
commands+=("python grok.py --exp mask_or_init --model transformer --seeds 0,1,2")
# the authors' variants of no_wd: their committed run (Transformer, 30,000 steps) and the MLP alike
rates="0.6,0.7,0.75,0.8,0.81,0.85,0.9"
commands+=("python grok.py --exp no_wd --model transformer --steps 30000 --prune-rates $rates --seeds 0,1,2")
commands+=("python grok.py --exp no_wd --steps 30000 --prune-rates $rates --seeds 0,1,2")

if [ "$list" = 1 ]; then
  for c in "${commands[@]}"; do echo "$c$more"; done
  exit 0
fi

start=$(date +%s)
n=${#commands[@]}
failed=()
for i in "${!commands[@]}"; do
  now=$(date +%s)
  elapsed=$((now - start))
  remaining="?"
  [ "$i" -gt 0 ] && remaining="~$((elapsed * (n - i) / i / 60))m"
  echo "[run_all $((i + 1))/$n] elapsed $((elapsed / 60))m, remaining $remaining: ${commands[$i]}$more"
  rc=0
  eval "${commands[$i]}$more" || rc=$?
  [ "$rc" = 130 ] && { echo "[run_all] interrupted: run it again to continue"; exit 130; }
  [ "$rc" != 0 ] && failed+=("${commands[$i]}$more (exit $rc)")
done
echo "[run_all] $n commands in $((($(date +%s) - start) / 60))m, ${#failed[@]} failed; figures:"
python plot.py --out "$out" || echo "[run_all] no figures (see above); the CSVs are in $out"
python report.py --out "$out"
for f in ${failed[@]+"${failed[@]}"}; do echo "[run_all] FAILED: $f"; done
[ ${#failed[@]} = 0 ]
