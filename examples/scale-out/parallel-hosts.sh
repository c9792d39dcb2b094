#!/bin/bash
# GNU parallel over hosts: retail at --scale 100 in 64 shards, 8 at a time on each of two
# machines (over ssh), into a shared filesystem all of them mount at the same path; then the
# finish step here. Every host has the datagen clone at ~/datagen (after `npm ci`) and node
# on its PATH; this machine too, and you run the script from that clone.
#
# --joblog records each shard's exit status; running the script again with the same log
# (--resume-failed) runs only the shards that failed or never ran, then finish. A failed
# shard is retried once (--retries 2), on another host when there is one.
set -euo pipefail
HOSTS=${HOSTS:-8/host1,8/host2}
LAKE=${LAKE:-/mnt/lake}
seq 0 63 | parallel --sshlogin "$HOSTS" --workdir datagen --joblog datagen-retail-shards.log \
  --resume-failed --retries 2 \
  "npx datagen generate retail --scale 100 --shard {}/64 --out $LAKE/raw --quiet"
# parallel exits non-zero when a shard failed, so set -e stops here before finish.
npx datagen finish retail --shards 64 --out "$LAKE/raw"
