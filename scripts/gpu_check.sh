#!/usr/bin/env bash
# The GPU check: on a small demo corpus, one short training of every model with its GPU configuration (bf16), token
# extraction, TTS synthesis RTF and SAER throughput, printed as a table (scripts/gpu_check.py says what each step does).
# Time-boxed: stopped after --time_limit seconds (default 480; the table of the steps done so far is printed).
# Needs nothing beyond scripts/setup_env.sh (run here; idempotent) and works offline.
#
#   bash scripts/gpu_check.sh                       # a GPU machine: GPU-sized models, bf16, on cuda
#   bash scripts/gpu_check.sh --cpu                 # the same steps on the CPU (CPU-sized models)
#   bash scripts/gpu_check.sh --cpu --tiny          # tiny corpus and models (what the test runs: ~30 s on 2 cores)
#   options: --work_dir DIR (default: a new folder under /tmp), --nj N, --time_limit SECONDS
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
limit=480
args=()
while (($#)); do
  case "$1" in
    --time_limit) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || { echo "gpu_check.sh: --time_limit needs seconds" >&2; exit 2; }
      limit=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
bash "$root/scripts/setup_env.sh"
cd "$root"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"  # cstoolkit of this checkout
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
# SIGINT first (the script prints the table of the steps done so far), SIGKILL 20 s later
exec timeout --signal=INT --kill-after=20 "$limit" "$root/.venv/bin/python" "$root/scripts/gpu_check.py" "${args[@]}"
