#!/usr/bin/env bash
# The size of each operator tool's PEX (every pex_binary in envs/prod and envs/local): a real
# environment's tools must not carry the local emulator (moto and its server stack); only
# envs/local's deploy, plan and destroy do (build-support/macros.py).
#
#   bash tests/benchmarks/tool_sizes.sh      (from the repository root; ~2 minutes warm)
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

mapfile -t targets < <(./pants --no-pantsd list --filter-target-type=pex_binary envs/prod: envs/local:)
./pants --no-pantsd package "${targets[@]}" > /tmp/tool-sizes.log 2>&1 || { cat /tmp/tool-sizes.log; exit 1; }

printf '%-24s %8s %6s\n' "target" "MB" "moto"
for target in "${targets[@]}"; do
  dir=${target%%:*}; name=${target##*:}
  pex="dist/${dir//\//.}/$name.pex"
  moto=$( (unzip -l "$pex" | grep -c '\.deps/moto-' || true) | sed 's/^0$/no/; s/^[1-9][0-9]*$/yes/')
  printf '%-24s %8.1f %6s\n' "$target" "$(stat -c %s "$pex" | awk '{print $1 / 1e6}')" "$moto"
done
