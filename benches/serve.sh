#!/usr/bin/env bash
# `photon serve` against the batch command on the same images and model, in one run:
#  - batch: `photon process` over N copies of the sample photos (its own images/s, load excluded);
#  - server: time from start to the first answer with --preload, then immich's visual request
#    from 1, 8 and 32 concurrent clients (benches/serve_load.mjs: images/s, p50/p99 latency);
#  - memory: resident set idle, with the model loaded, and after --model-ttl unloads it.
#
#   benches/serve.sh [COPIES]        (default 30 copies of the 7 photos: 210 images)
# Env: PHOTON (the binary; default target/release/photon, else target/debug/photon),
# MODEL (a model folder name under $PHOTON_MODELS; default efficientnet-lite0), SERVE_FLAGS
# (more `photon serve` flags, e.g. "--sessions 1 --threads 2").
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-30}
photon=${PHOTON:-target/release/photon}
[ -x "$photon" ] || photon=target/debug/photon
models=${PHOTON_MODELS:-$PWD/models}
model=${MODEL:-efficientnet-lite0}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/photos"
for i in $(seq -w 1 "$copies"); do
  for f in testdata/photos/*; do cp "$f" "$work/photos/${i}_$(basename "$f")"; done
done
n=$(ls "$work/photos" | wc -l)
echo "binary: $photon; model: $model; $n images; $(nproc) cores"

# The batch command, as a user runs it (every stage but tags).
"$photon" process "$work/photos" --model "$models/$model" --no-tagging -o "$work/batch.jsonl" 2> "$work/batch.log"
batch=$(grep -o '[0-9.]* images/s' "$work/batch.log" | cut -d' ' -f1)
echo "batch photon process: $batch images/s"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_ping() { until curl -sf "http://$1/ping" >/dev/null; do sleep 0.02; done; }
visual() {
  curl -sf -o /dev/null -F "entries={\"clip\":{\"visual\":{\"modelName\":\"$model\"}}}" \
    -F "image=@testdata/photos/dog.jpg" "http://$1/predict"
}

# Start to first answer, with the model preloaded.
addr=127.0.0.1:$(free_port)
start=$(date +%s.%N)
# shellcheck disable=SC2086
"$photon" serve --listen "$addr" --models "$models" --preload "$model" ${SERVE_FLAGS:-} 2> "$work/serve.log" &
server=$!
wait_ping "$addr"
visual "$addr"
first=$(echo "$(date +%s.%N) - $start" | bc)
echo "start to first answer with --preload: ${first} s"
for clients in 1 8 32; do
  line=$(node benches/serve_load.mjs "http://$addr" "$model" "$work/photos" "$clients")
  ips=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')
  echo "$line  ratio to batch: $(echo "scale=2; $ips / $batch" | bc)"
done
kill -TERM $server; wait $server

# Memory: idle, loaded, after the TTL unloads the model.
addr=127.0.0.1:$(free_port)
"$photon" serve --listen "$addr" --models "$models" --model-ttl 2 2> "$work/serve2.log" &
server=$!
wait_ping "$addr"
idle=$(rss_mb $server)
node benches/serve_load.mjs "http://$addr" "$model" "$work/photos" 8 > /dev/null
loaded=$(rss_mb $server)
until curl -s "http://$addr/healthz" | grep -q '"models_loaded":\[\]'; do sleep 0.2; done
sleep 0.5
unloaded=$(rss_mb $server)
echo "RSS: idle ${idle} MB, loaded ${loaded} MB, after TTL unload ${unloaded} MB"
kill -TERM $server; wait $server
