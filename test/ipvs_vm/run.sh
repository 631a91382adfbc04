#!/bin/bash
# Runs the IPVS kernel tests (test/ipvs_vm/kernel_test.cpp) inside ../shared/ipvs-vm: this
# machine's kernel has no IPVS. Usage: run.sh TEST_BINARY
set -euo pipefail
bin=$1
source "$(dirname "$0")/lib.sh"
ipvs_vm_prepare ipvs-vm
cp "$bin" "$payload/kernel_test"
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-300}
"$vm/run.sh" "$payload" \
  'modprobe ip_vs && modprobe ip_vs_rr && modprobe ip_vs_sh && modprobe ip_vs_wlc && modprobe ip_vs_wrr; ASAN_OPTIONS=detect_leaks=0 ./kernel_test'
