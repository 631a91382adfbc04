#!/bin/bash
# Records keepalived 2.2.7's IPVS table for every config here (running, and after SIGTERM) into
# expected/, inside ../shared/ipvs-vm. Run it after adding or changing a config; scripts/test
# compares vigild's tables with these.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm=${IPVS_VM_DIR:-$here/../../../shared/ipvs-vm}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$vm/oracle/oracle.sh" keepalived "$here" "$out"
mkdir -p "$here/expected"
cp "$out"/*.running "$out"/*.after-stop "$here/expected/"
