#!/usr/bin/env bash
# The chaos stage of ops/test: `reward-bench chaos` with fixed seeds, 45 s of traffic and faults
# each (every kind of docs/chaos.md), every one on a fresh stack of its own (its own mariadbd,
# Kafka mock clusters, partner simulator, consumers, reward-api and SDK traffic).
#
# Usage: ops/lib/chaos.sh BIN
#   BIN   the folder of the built executables (reward-bench and the processes it starts)
# A failed seed prints its schedule and broken invariants and keeps its children's logs (the path
# is printed); `ops/chaos --seed N` replays it.
#
# Seeds 2 and 7 are regression seeds: 2's clusters going down and flapping made librdkafka deliver
# offsets twice within one assignment, which left a commit point stuck for good; 7's permanent
# refusal on A stranded answered grants in the spool's quarantine (docs/chaos.md, "Found").
# Two seeds, not three: the whole CI run had grown past its 45 minutes; the 20-seed sweep in
# docs/chaos.md (REWARD_CHAOS_SEEDS="$(seq 5 24)") is the wider check before changing the harness.
# A seed replays its schedule only with the fault kinds it was drawn from: adding a kind to the
# harness changes what a seed draws, so a regression seed is re-checked when kinds are added.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bin=$1
seeds=(${REWARD_CHAOS_SEEDS:-2 7})
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for seed in "${seeds[@]}"; do
    for attempt in 1 2; do
        started=$(date +%s)
        status=0
        "$bin/reward-bench" chaos --seed "$seed" --duration 45 --settle 150 2>&1 | tee "$log" || status=$?
        echo "ops/test: chaos seed $seed took $(($(date +%s) - started)) s"
        [[ $status -eq 0 ]] && break
        # librdkafka 2.0.2's mock aborting on its own assertion (docs/chaos.md, "Seen and not ours")
        # ends the run without a verdict on our code: run the seed once more. Any other failure,
        # or the mock aborting twice, fails the stage.
        if [[ $attempt -eq 1 ]] && grep -q 'the Kafka mock host exited with status .*librdkafka.s mock' "$log"; then
            echo "ops/test: chaos seed $seed: librdkafka's mock aborted (not a verdict on the stack); running it once more"
            continue
        fi
        exit "$status"
    done
done
