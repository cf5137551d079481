#!/usr/bin/env bash
# Runs the hostile-input fuzz (test/chaos/hostile-input.test.ts) on N random seeds, one vitest
# process each, and lists the seeds that failed or hung. The file's own watchdog kills a run
# stuck in a synchronous call (HOSTILE_HANG_MS, 10 s) and prints the call; `timeout` is the last
# resort should the watchdog itself fail. Replay one seed: HOSTILE_SEED=<seed> npx vitest run
# test/chaos/hostile-input.test.ts
# usage: test/chaos/hostile-sweep.sh [N=60] [log dir=/tmp/kairos-hostile-sweep]
set -u
cd "$(dirname "$0")/../.."
n=${1:-60}
logs=${2:-/tmp/kairos-hostile-sweep}
mkdir -p "$logs"
pass=0
failed=()
began=$(date +%s)
for ((i = 0; i < n; i++)); do
  seed=$(( (RANDOM << 15 | RANDOM) ))
  start=$(date +%s)
  HOSTILE_SEED=$seed timeout -s KILL 300 node_modules/.bin/vitest run --typecheck.enabled=false test/chaos/hostile-input.test.ts > "$logs/$seed.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1))
    echo "seed $seed: pass ($(( $(date +%s) - start )) s)"
    rm "$logs/$seed.log"
  else
    failed+=("$seed")
    echo "seed $seed: FAIL, exit $rc ($(( $(date +%s) - start )) s): $(grep -a -m2 -E '\[watchdog\]|Counterexample|Error:' "$logs/$seed.log" | tr '\n' ' ')"
  fi
done
echo "$pass of $n seeds passed in $(( $(date +%s) - began )) s; failed: ${failed[*]:-none} (logs in $logs)"
[ ${#failed[@]} -eq 0 ]
