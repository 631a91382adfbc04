# Sourced by the benchmarks that run inside the IPVS VM (bench/*/vm.sh): checks the VM and the
# vigild binary, and lays out a payload folder with vigild and keepalived in bin/.
#   VIGILD=... ; source "$ROOT/bench/vm_payload.sh" NAME   ->  $VMDIR, $P (removed at exit)
VMDIR=${IPVS_VM_DIR:-$ROOT/../shared/ipvs-vm}
[ -x "$VMDIR/run.sh" ] || { echo "no $VMDIR/run.sh (set IPVS_VM_DIR)" >&2; exit 2; }
[ -x "$VIGILD" ] || { echo "no vigild at $VIGILD (build it: scripts/demo or meson)" >&2; exit 2; }
KA=$(command -v keepalived || echo /usr/sbin/keepalived)
"$VMDIR/build.sh" >/dev/null
P=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-bench-$1.XXXXXX")
trap 'rm -rf "$P"' EXIT
mkdir -p "$P/bin"
cp "$(readlink -f "$VIGILD")" "$P/bin/vigild"
cp "$(readlink -f "$KA")" "$P/bin/keepalived"
