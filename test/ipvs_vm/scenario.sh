#!/bin/bash
# vigild's IPVS driver over time (repair, failing real servers, reload by difference, restart
# adoption, no IPVS at start) inside ../shared/ipvs-vm: see scenario_guest.sh.
# Usage: scenario.sh VIGILD (a release build: under QEMU's emulation a sanitizer build is slow)
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
vm=${IPVS_VM_DIR:-$here/../../../shared/ipvs-vm}
if [ ! -x "$vm/run.sh" ]; then
  echo "no IPVS VM at $vm (set IPVS_VM_DIR): ../shared/ipvs-vm is part of the CI machine" >&2
  exit 1
fi
"$vm/build.sh" >/dev/null
payload=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-ipvs-scenario.XXXXXX")
trap 'rm -rf "$payload"' EXIT
cp "$bin" "$payload/vigild"
cp "$here/scenario_guest.sh" "$payload/"
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-400}
"$vm/run.sh" "$payload" 'bash ./scenario_guest.sh'
