#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build wash
# (optimized) and the sample app, bring up the platform (`wash up`: NATS with
# JetStream, a host and wadm) and deploy the sample app, which then answers
# on http://127.0.0.1:8080. `build-release/bin/wash down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
wash=build-release/bin/wash
$wash version
echo
$wash up --detached || { echo "(already up? 'wash down' stops it)"; }
$wash app deploy examples/hello/wadm.yaml
printf 'Waiting for the app'
for _ in $(seq 1 120); do
  if curl -fs 'http://127.0.0.1:8080/?name=you' >/dev/null 2>&1; then break; fi
  printf .
  sleep 0.5
done
echo
curl -fsS 'http://127.0.0.1:8080/?name=you'
echo
echo "The sample app runs on http://127.0.0.1:8080 (try: curl 'http://127.0.0.1:8080/?name=you')"
echo "  see it:   $wash app list; $wash get inventory"
echo "  stop it:  $wash down"
