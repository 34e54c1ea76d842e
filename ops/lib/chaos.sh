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
# A seed is `N` (every kind) or `N:kind,kind,...` (the kinds it draws from, in that order).
# Seeds 2 and 7 are regression seeds, kept with the 25 kinds they were drawn from: 2's clusters
# going down and flapping made librdkafka deliver offsets twice within one assignment, which left
# a commit point stuck for good; 7's permanent refusal on A stranded answered grants in the spool's
# quarantine (docs/chaos.md, "Found"). A seed replays its schedule only with the kinds it was
# drawn from, so adding a kind to the harness would otherwise change what they test. Seed 12 draws
# from every kind, retention-overrun and clock-skew among them. The 20-seed sweep in docs/chaos.md
# (REWARD_CHAOS_SEEDS="$(seq 5 24)") is the wider check before changing the harness.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bin=$1
kinds25=produce-errors,fetch-errors,commit-errors,rtt,broker-down,cluster-down,cluster-flap,leaderless
kinds25+=,permanent-produce-error,fatal-idempotence,sdk-kill,consumer-kill,consumer-term,consumer-stop,consumer-join
kinds25+=,db-kill,db-stop,db-read-only,db-locks,partner-5xx,partner-429,partner-slow,partner-late,poison,order-storm
seeds=(${REWARD_CHAOS_SEEDS:-2:$kinds25 7:$kinds25 12})
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for entry in "${seeds[@]}"; do
    seed=${entry%%:*}
    faults=()
    [[ $entry == *:* ]] && faults=(--faults "${entry#*:}")
    for attempt in 1 2; do
        started=$(date +%s)
        status=0
        "$bin/reward-bench" chaos --seed "$seed" --duration 45 --settle 150 "${faults[@]}" 2>&1 | tee "$log" || status=$?
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
