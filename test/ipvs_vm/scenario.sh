#!/bin/bash
# vigild's IPVS driver over time (repair, failing real servers, reload by difference, restart
# adoption, no IPVS at start) inside ../shared/ipvs-vm: see scenario_guest.sh.
# Usage: scenario.sh VIGILD (a release build: under QEMU's emulation a sanitizer build is slow)
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
ipvs_vm_prepare ipvs-scenario
cp "$bin" "$payload/vigild"
cp "$here/scenario_guest.sh" "$payload/"
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-400}
"$vm/run.sh" "$payload" 'bash ./scenario_guest.sh'
