#!/usr/bin/env bash
# Spread one `lcurve validate` over a SLURM job array, then assemble the result.
#
#   sbatch examples/slurm/validate-array.sh CONFIG [OUT] [-- extra validate flags]
#
# Every array task computes its share (--shard i/N, balanced by estimated cost) of the
# trials into the shared results store; a final job, started when the whole array has
# finished (afterany: also after pre-empted or failed tasks), assembles the output from
# the store, computing whatever a lost task left missing. Re-submitting the same command
# resumes: finished trials are never recomputed. The store must be on a filesystem every
# node sees ($LCURVE_STORE below); each task writes its own file in it, so no locking is
# needed.
#
#SBATCH --job-name=lcurve-validate
#SBATCH --array=0-31
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=lcurve-%A_%a.log

set -euo pipefail
CONFIG=${1:?usage: sbatch validate-array.sh CONFIG [OUT] [-- validate flags]}
OUT=${2:-validate.csv}
shift $(( $# >= 2 ? 2 : 1 ))
[[ ${1:-} == "--" ]] && shift
export LCURVE_STORE=${LCURVE_STORE:-$PWD/.lcurve-store}
export RAYON_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
LCURVE=${LCURVE:-lcurve}

N=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch: this script runs as a job array}
I=$(( SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0} ))

# The first task submits the assembling job, to start once the whole array has ended.
if [[ $I == 0 ]]; then
    sbatch --dependency="afterany:${SLURM_ARRAY_JOB_ID}" --job-name=lcurve-assemble \
        --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}" --output="lcurve-%j-assemble.log" \
        --wrap "$(printf '%q ' "$LCURVE" validate "$CONFIG" --out "$OUT" "$@")"
fi

exec "$LCURVE" validate "$CONFIG" --shard "$I/$N" "$@"
