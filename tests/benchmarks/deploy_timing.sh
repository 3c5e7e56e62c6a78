#!/usr/bin/env bash
# The local environment's deploy times, in one run (docs/benchmarks.md):
#   packaging (cold, then after a one-line change to one service), the full deploy from
#   nothing, a redeploy with no change, the redeploy after another one-line change (its
#   packaging included: the deploy builds the packages itself, and this change is new to the
#   cache), the destroy, and with the CDKTF CLI on PATH the stock `cdktf deploy` of the same
#   stacks (from nothing, then after a one-line change).
#
#   bash tests/benchmarks/deploy_timing.sh      (from the repository root; ~10 minutes, ~17 with cdktf)
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
applied=$(grep -cE "│ (data|network|retention|pipeline|observability) +│ applied" "$log" || true)
destroy=$(seconds ./pants run envs/local:destroy)
destroy_tf=$(terraform_seconds)

printf '%-58s %8s %10s\n' "measurement" "seconds" "terraform"
printf '%-58s %8s %10s\n' "package all artifacts, no cache" "$cold_package" ""
printf '%-58s %8s %10s\n' "package after a one-line change to notify" "$one_package" ""
printf '%-58s %8s %10s\n' "full local deploy from nothing (5 stacks)" "$full" "$full_tf"
printf '%-58s %8s %10s\n' "redeploy, nothing changed" "$noop" ""
printf '%-58s %8s %10s\n' "redeploy after a change to notify ($applied stack applied)" "$one" "$one_tf"
printf '%-58s %8s %10s\n' "destroy" "$destroy" "$destroy_tf"
# The stock CDKTF CLI on the same stacks, when it is on PATH (npm install cdktf-cli@0.21.0):
# into an emptied emulator (moto's reset), `cdktf deploy '*'` from nothing, then after another
# one-line change. The CLI runs the app (envs/local/cdktf.json: ./pants run envs/local:synth,
# which packages and synthesizes against the running emulator), then Terraform stack by stack.
stock_full=""; stock_one=""; stock_note="not measured, cdktf is not on PATH (npm install cdktf-cli@0.21.0)"
if command -v cdktf > /dev/null; then
  state=.terraform-state/local-loc
  ./pants run envs/local:deploy -- --no-sample-day > /dev/null 2>&1  # a running emulator
  url=$(python3 -c "import json; print(json.load(open('$state/emulator.json'))['url'])")
  curl -sf -X POST "$url/moto-api/reset" > /dev/null
  rm -f "$state"/*.tfstate* "$state/deploy-record.json"
  export TF_CLI_CONFIG_FILE="$PWD/$state/terraform/terraform.rc"  # the mirror, as ours uses
  stock() { (cd envs/local && CHECKPOINT_DISABLE=1 cdktf deploy '*' --auto-approve --skip-provider-lock); }
  if stock_full=$(seconds stock) && echo "# bench stock $(date -u +%FT%TZ)" >> "$target" \
    && stock_one=$(seconds stock); then :; else
    stock_note="failed (its output: $log)"; stock_full=""
  fi
  ./pants run envs/local:destroy > /dev/null 2>&1
fi

if [[ -n "$stock_full" ]]; then
  printf '%-58s %8s\n' "stock: cdktf deploy '*' from nothing (same 5 stacks)" "$stock_full"
  printf '%-58s %8s\n' "stock: cdktf deploy '*' after a change to notify" "$stock_one"
  echo "stock / ours: full $(python3 -c "print(f'{$stock_full / $full:.1f}x')"), one-service $(python3 -c "print(f'{$stock_one / max($one, 1):.1f}x')")"
else
  echo "stock cdktf deploy: $stock_note"
fi
echo "full / one-service redeploy: $(python3 -c "print(f'{$full / max($one, 1):.1f}x')")"
