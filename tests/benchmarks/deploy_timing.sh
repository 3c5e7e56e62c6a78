#!/usr/bin/env bash
# The local environment's deploy times, in one run (docs/benchmarks.md):
#   packaging (cold, then after a one-line change to one service), the full deploy from
#   nothing, a redeploy with no change, the redeploy after another one-line change (its
#   packaging included: the deploy builds the packages itself, and this change is new to the
#   cache), and the destroy.
#
#   bash tests/benchmarks/deploy_timing.sh      (from the repository root; ~10 minutes)
#
# Each figure is the wall time of the README's command, Pants start-up included. The one-line
# change is a comment appended to services/notify/notify/messages.py, reverted at the end
# whatever happens. Offline, set PIPELINE_TF_PROVIDER_MIRROR (docs/ci.md).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
target=services/notify/notify/messages.py
log=/tmp/deploy-timing.log
cp "$target" "$target.bench-orig"
trap 'mv "$target.bench-orig" "$target"' EXIT

seconds() { local start=$SECONDS; "$@" > "$log" 2>&1 || { cat "$log"; exit 1; }; echo $((SECONDS - start)); }
terraform_seconds() { grep -oE "│ terraform +│.*│ +[0-9.]+ │" "$log" | grep -oE "[0-9.]+ │$" | tr -d ' │'; }
packages=(services/ingest:lambda services/transform:lambda services/finalize:lambda services/notify:lambda libs/shared:layer-host)

./pants run envs/local:destroy > /dev/null 2>&1 || true
cold_package=$(seconds ./pants --no-local-cache --no-pantsd package "${packages[@]}")
full=$(seconds ./pants run envs/local:deploy -- --no-sample-day)
full_tf=$(terraform_seconds)
noop=$(seconds ./pants run envs/local:deploy -- --no-sample-day)
echo "# bench $(date -u +%FT%TZ)" >> "$target"
one_package=$(seconds ./pants package "${packages[@]}")
cp "$target.bench-orig" "$target" && echo "# bench again $(date -u +%FT%TZ)" >> "$target"
one=$(seconds ./pants run envs/local:deploy -- --no-sample-day)
one_tf=$(terraform_seconds)
applied=$(grep -cE "│ (data|network|pipeline|observability) +│ applied" "$log" || true)
destroy=$(seconds ./pants run envs/local:destroy)
destroy_tf=$(terraform_seconds)

printf '%-58s %8s %10s\n' "measurement" "seconds" "terraform"
printf '%-58s %8s %10s\n' "package all artifacts, no cache" "$cold_package" ""
printf '%-58s %8s %10s\n' "package after a one-line change to notify" "$one_package" ""
printf '%-58s %8s %10s\n' "full local deploy from nothing (4 stacks)" "$full" "$full_tf"
printf '%-58s %8s %10s\n' "redeploy, nothing changed" "$noop" ""
printf '%-58s %8s %10s\n' "redeploy after a change to notify ($applied stack applied)" "$one" "$one_tf"
printf '%-58s %8s %10s\n' "destroy" "$destroy" "$destroy_tf"
echo "full / one-service redeploy: $(python3 -c "print(f'{$full / max($one, 1):.1f}x')")"
