#!/bin/bash
# Runs the IPVS kernel tests (test/ipvs_vm/kernel_test.cpp) inside ../shared/ipvs-vm: this
# machine's kernel has no IPVS. Usage: run.sh TEST_BINARY
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
vm=${IPVS_VM_DIR:-$root/../shared/ipvs-vm}
if [ ! -x "$vm/run.sh" ]; then
  echo "no IPVS VM at $vm (set IPVS_VM_DIR): ../shared/ipvs-vm is part of the CI machine" >&2
  exit 1
fi
"$vm/build.sh" >/dev/null
payload=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-ipvs-vm.XXXXXX")
trap 'rm -rf "$payload"' EXIT
cp "$bin" "$payload/kernel_test"
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-300}
"$vm/run.sh" "$payload" \
  'modprobe ip_vs && modprobe ip_vs_rr && modprobe ip_vs_sh && modprobe ip_vs_wlc; ASAN_OPTIONS=detect_leaks=0 ./kernel_test'
