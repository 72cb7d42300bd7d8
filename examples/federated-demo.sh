#!/usr/bin/env bash
# Three federated sites on this machine: the bundled demo slices split into three "hospitals",
# a consortium CA, one certificate per site, and three `samtune train --federation` processes that
# merge their decoders every 5 steps over mutual TLS on 127.0.0.1. Ends by checking that every site
# holds the same final decoder.  Usage: examples/federated-demo.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-runs/federated-demo}"
export SAMTUNE_KEYSTORE_PASSWORD="${SAMTUNE_KEYSTORE_PASSWORD:-demo-only-password}"   # the sites' keystores
export SAMTUNE_CA_PASSWORD="${SAMTUNE_CA_PASSWORD:-demo-only-ca-password}"            # the CA's key: never a site's
rm -rf "$WORK"
mkdir -p "$WORK"
./samtune --help >/dev/null                      # build once, before three processes start

./samtune certs ca --out "$WORK/consortium"
sites=(site-a site-b site-c)
ports=(7901 7902 7903)
i=0
for f in testdata/demo/*.mat; do                 # each site gets its own slices
  mkdir -p "$WORK/data-$((i % 3))"
  cp "$f" "$WORK/data-$((i % 3))/"
  i=$((i + 1))
done
for k in 0 1 2; do
  s=${sites[$k]}
  ./samtune certs site --ca "$WORK/consortium" --name "$s" --out "$WORK/$s"
  cat >"$WORK/$s/federation.json" <<JSON
{ "site": "$s", "bind": "127.0.0.1:${ports[$k]}",
  "peers": ["127.0.0.1:${ports[0]}", "127.0.0.1:${ports[1]}", "127.0.0.1:${ports[2]}"],
  "minPeers": 3, "syncEvery": 5, "merge": "mean", "shardedMerge": true, "roundTimeoutSeconds": 120,
  "keystore": "$WORK/$s/$s.p12", "ca": "$WORK/$s/ca.pem",
  "allowedSites": ["site-a", "site-b", "site-c"] }
JSON
done

pids=()
for k in 0 1 2; do
  s=${sites[$k]}
  ./samtune train --data "$WORK/data-$k" --epochs 20 --federation "$WORK/$s/federation.json" \
      --out "$WORK/$s/run" >"$WORK/$s/train.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for s in "${sites[@]}"; do
  echo "$s: $(grep -o 'federation finished.*' "$WORK/$s/train.log" || tail -n 3 "$WORK/$s/train.log")"
done
[ "$status" = 0 ] || { echo "a site failed; see $WORK/site-*/train.log" >&2; exit 1; }
finals="$(for s in "${sites[@]}"; do grep -o 'SHA-256 [0-9a-f]*' "$WORK/$s/train.log" | tail -n 1; done | sort -u | wc -l)"
[ "$finals" = 1 ] || { echo "the sites ended with different decoders" >&2; exit 1; }
echo "every site holds the same decoder: $WORK/site-*/run/decoder-last.safetensors"
