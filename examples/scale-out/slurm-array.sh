#!/bin/bash
# Slurm job array: retail at --scale 100 in 64 shards, at most 16 running at a time, into a
# shared filesystem every node mounts. Slurm sets SLURM_ARRAY_TASK_ID (0..63) in each task;
# `--shard env/64` reads it. Submit from the datagen clone (after `npm ci`; node on the
# compute nodes' PATH), so `npx datagen` runs its build; then the finish step after all 64:
#
#   jobid=$(LAKE=/lustre/$USER/lake sbatch --parsable examples/scale-out/slurm-array.sh)
#   LAKE=/lustre/$USER/lake sbatch --dependency=afterok:$jobid examples/scale-out/slurm-finish.sh
#
# A failed task leaves the finish job pending (DependencyNeverSatisfied). Re-run only that
# index, e.g. 17, then finish:  sbatch --array=17 examples/scale-out/slurm-array.sh
#SBATCH --job-name=datagen-retail
#SBATCH --array=0-63%16
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=datagen-retail-%A_%a.out
set -euo pipefail
: "${LAKE:?set LAKE to a folder on the shared filesystem}"
srun npx datagen generate retail --scale 100 --shard env/64 --out "$LAKE/raw" --quiet
