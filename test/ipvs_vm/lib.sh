# Sourced by the scripts here: finds ../shared/ipvs-vm (IPVS_VM_DIR overrides), prepares it, and
# makes a payload folder ($payload, removed on exit) to ship into the VM.
# Usage: ipvs_vm_prepare NAME
ipvs_vm_prepare() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  vm=${IPVS_VM_DIR:-$root/../shared/ipvs-vm}
  if [ ! -x "$vm/run.sh" ]; then
    echo "no IPVS VM at $vm (set IPVS_VM_DIR): ../shared/ipvs-vm is part of the CI machine" >&2
    exit 1
  fi
  "$vm/build.sh" >/dev/null
  payload=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-$1.XXXXXX")
  trap 'rm -rf "$payload"' EXIT
}
