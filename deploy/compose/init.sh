#!/usr/bin/env bash
# Writes the alliance files for deploy/compose.yaml into deploy/compose/alliance/: keys,
# the genesis signed by the three founders, and one node.toml per county, rewritten for
# the containers (listen on all interfaces, peers by service name, store in the volume).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${BASHU_BIN:-bashu}"
out="$here/alliance"
[ -e "$out/genesis.bin" ] && { echo "$out already holds an alliance" >&2; exit 1; }
"$bin" alliance init --dir "$out" --county 500153=荣昌区 --county 510521=泸县 --county 511083=隆昌市 \
  --host 0.0.0.0 --base-port 7150 --http-base-port 7250 --sync-interval 3600
for c in 500153 510521 511083; do
  f="$out/$c/node.toml"
  # Every container uses the same ports; peers are reached by service name.
  sed -i -E \
    -e 's|^listen = "0\.0\.0\.0:715[0-9]"|listen = "0.0.0.0:7150"|' \
    -e 's|^listen = "0\.0\.0\.0:725[0-9]"|listen = "0.0.0.0:7250"|' \
    -e 's|^data_dir = .*|data_dir = "/var/lib/bashu/data"|' \
    "$f"
  for p in 500153 510521 511083; do
    sed -i -E "/^county = \"$p\"/{n;s|^endpoint = .*|endpoint = \"http://node-$p:7150\"|}" "$f"
  done
done
# The containers run as uid 10001: let it read the (0600) key files.
echo "alliance files in $out; if the image's user cannot read them: chown -R 10001 $out" >&2
