#!/bin/bash
# bench/checks/vm.sh: vigild's checker CPU against keepalived's, in one run, inside the IPVS VM
# (../shared/ipvs-vm: Debian's kernel with IPVS under QEMU; keepalived's checker needs IPVS).
#
#   bench/checks/vm.sh [N_REAL_SERVERS (2000)] [SECONDS (30)] [VIGILD (build/daemon/vigild)]
#
# One config: N real servers with TCP_CHECK at delay_loop 10 (N/10 checks per second), 100 per
# virtual server, every real server its own loopback address (127.1.x.y) served by one busybox
# httpd on 0.0.0.0:80. keepalived (checker process only, -C) runs first, then vigild, each for
# a 12 s warmup and then SECONDS measured; CPU is utime+stime of all the daemon's processes
# from /proc. Under TCG everything runs 8-11x slower than on the host: the ratio is the point.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-2000}
SECS=${2:-30}
VIGILD=${3:-$ROOT/build/daemon/vigild}
source "$ROOT/bench/vm_payload.sh" vm
python3 - "$N" > "$P/bench.conf" <<'PY'
import sys
n = int(sys.argv[1])
print("global_defs {\n    router_id bench\n}")
for v in range(0, n, 100):
    print(f"virtual_server 10.98.{v // 100 // 256}.{v // 100 % 256} 80 {{\n"
          "    lb_algo rr\n    lb_kind NAT\n    protocol TCP")
    for i in range(v, min(n, v + 100)):
        print(f"    real_server 127.1.{i // 256}.{i % 256} 80 {{\n"
              "        TCP_CHECK {\n            delay_loop 10\n            connect_timeout 5\n"
              "        }\n    }")
    print("}")
PY
cat > "$P/guest.sh" <<GUEST
set -u
cd "\$(dirname "\$0")"
modprobe ip_vs 2>/dev/null
ip link set lo up
mkdir -p /tmp/www && echo ok > /tmp/www/index.html
busybox httpd -f -p 0.0.0.0:80 -h /tmp/www </dev/null >/dev/null 2>&1 &
sleep 0.5
cpu() { # total utime+stime ticks of the given pids
  t=0
  for p in "\$@"; do
    set -- \$(cut -d')' -f2 /proc/\$p/stat)
    t=\$((t + \${12} + \${13}))
  done
  echo \$t
}
measure() { # NAME PIDS...
  name=\$1; shift
  sleep 12
  c0=\$(cpu "\$@"); t0=\$(cut -d' ' -f1 /proc/uptime)
  sleep $SECS
  c1=\$(cpu "\$@"); t1=\$(cut -d' ' -f1 /proc/uptime)
  rss=0
  for p in "\$@"; do rss=\$((rss + \$(awk '/VmRSS/ {print \$2}' /proc/\$p/status))); done
  awk -v n="\$name" -v c=\$((c1 - c0)) -v a="\$t0" -v b="\$t1" -v r="\$rss" \
    'BEGIN { printf "RESULT %s cpu_percent %.2f rss_mib %.1f\n", n, c / (b - a), r / 1024 }'
}
./bin/keepalived -n -l -D -C -f ./bench.conf -p /tmp/ka.pid -c /tmp/kc.pid >/tmp/ka.log 2>&1 &
sleep 3
measure keepalived \$(pidof keepalived)
kill \$(pidof keepalived); sleep 2
ipvsadm -C
./bin/vigild --config ./bench.conf --log-level warn >/tmp/vigild.log 2>&1 &
V=\$!
measure vigild \$V
kill \$V; sleep 1
tail -3 /tmp/vigild.log
GUEST
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-$((120 + 3 * SECS))}
out=$("$VMDIR/run.sh" "$P" "bash ./guest.sh" 2>&1 | tee /dev/stderr | grep '^RESULT' || true)
echo "$out"
ka=$(awk '$2 == "keepalived" { print $4 }' <<<"$out")
vg=$(awk '$2 == "vigild" { print $4 }' <<<"$out")
if [ -n "$ka" ] && [ -n "$vg" ]; then
  awk -v k="$ka" -v v="$vg" -v n="$N" 'BEGIN { printf "%d TCP_CHECK real servers, delay_loop 10: vigild %.2f %% vs keepalived %.2f %% of one core: ratio %.2f\n", n, v, k, (k > 0 ? v / k : 0) }'
else
  echo "bench/checks/vm.sh: missing results" >&2
  exit 1
fi
