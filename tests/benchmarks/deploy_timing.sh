#!/usr/bin/env bash
# Full deploy of the local environment from nothing, then a redeploy after a one-line change
# to one service, in the same run; the same for packaging (cold, then one service changed).
#
#   bash tests/benchmarks/deploy_timing.sh      (from the repository root; ~8 minutes)
#
# The one-line change is a comment appended to services/notify/notify/messages.py and
# reverted at the end, whatever happens.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
target=services/notify/notify/messages.py
cp "$target" "$target.bench-orig"
trap 'mv "$target.bench-orig" "$target"' EXIT

seconds() { local start=$SECONDS; "$@" > /tmp/deploy-timing.log 2>&1 || { cat /tmp/deploy-timing.log; exit 1; }; echo $((SECONDS - start)); }
packages=(services/ingest:lambda services/transform:lambda services/finalize:lambda services/notify:lambda libs/shared:layer)

./pants run envs/local:destroy > /dev/null 2>&1 || true
cold_package=$(seconds ./pants --no-local-cache --no-pantsd package "${packages[@]}")
full=$(seconds ./pants run envs/local:deploy -- --no-sample-day)
echo "# bench $(date -u +%FT%TZ)" >> "$target"
one_package=$(seconds ./pants package "${packages[@]}")
one=$(seconds ./pants run envs/local:deploy -- --no-sample-day)
applied=$(grep -cE "│ (data|network|pipeline|observability) +│ applied" /tmp/deploy-timing.log || true)
./pants run envs/local:destroy > /dev/null 2>&1

printf '%-52s %8s\n' "measurement" "seconds"
printf '%-52s %8s\n' "package all artifacts, no cache" "$cold_package"
printf '%-52s %8s\n' "package after a one-line change to notify" "$one_package"
printf '%-52s %8s\n' "full local deploy from nothing (4 stacks)" "$full"
printf '%-52s %8s\n' "redeploy after the change ($applied stack applied)" "$one"
echo "speed-up: $(python3 -c "print(f'{$full / max($one, 1):.1f}x')")"
