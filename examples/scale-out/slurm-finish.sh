#!/bin/bash
# The finish step of slurm-array.sh (submitted with --dependency=afterok:<array job id>):
# checks that the 64 shards are all there and agree, then writes _ledger.jsonl,
# _ledger_summary.md and _manifest.json. A missing shard: one line naming it, nothing written.
#SBATCH --job-name=datagen-retail-finish
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=00:30:00
#SBATCH --output=datagen-retail-finish-%j.out
set -euo pipefail
: "${LAKE:?set LAKE to a folder on the shared filesystem}"
srun npx datagen finish retail --shards 64 --out "$LAKE/raw"
