#!/bin/bash
# bench/ipvs/vm.sh: how fast vigild programs a large IPVS table, against keepalived 2.2.7 in
# the same run, inside the IPVS VM (../shared/ipvs-vm: Debian's kernel with IPVS under QEMU).
#
#   bench/ipvs/vm.sh [N_VIRTUAL_SERVERS (2300)] [REAL_SERVERS_PER_VS (16)] [VIGILD (build/daemon/vigild)]
#
# One config: N virtual servers with M NAT real servers each (2300 x 16 = 36,800, the size of
# keepalived #2318), no checkers (every real server is up from the start). For each daemon:
# the time from its start until the kernel holds the whole table (polling /proc/net/ip_vs);
# for vigild also the time to repair the table after `ipvsadm -C` (keepalived never repairs
# it). Under TCG everything runs 8-11x slower than on the host: the ratio is the point.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NVS=${1:-2300}
NRS=${2:-16}
VIGILD=${3:-$ROOT/build/daemon/vigild}
source "$ROOT/bench/vm_payload.sh" ipvs
python3 - "$NVS" "$NRS" > "$P/bench.conf" <<'PY'
import sys
nvs, nrs = int(sys.argv[1]), int(sys.argv[2])
print("global_defs {\n    router_id bench\n}")
for v in range(nvs):
    print(f"virtual_server 10.100.{v // 256}.{v % 256} 80 {{\n"
          "    lb_algo wrr\n    lb_kind NAT\n    protocol TCP")
    for r in range(nrs):
        i = v * nrs + r
        print(f"    real_server 10.{200 + i // 65536}.{i // 256 % 256}.{i % 256} 8080 {{\n"
              "        weight 2\n    }")
    print("}")
PY
WANT=$((NVS + NVS * NRS))
LAST_VS=10.100.$(((NVS - 1) / 256)).$(((NVS - 1) % 256)):80
cat > "$P/guest.sh" <<GUEST
set -u
cd "\$(dirname "\$0")"
modprobe ip_vs && modprobe ip_vs_wrr
# Each daemon in a network namespace of its own, so each starts from a fresh IPVS table: after a
# flush the kernel keeps deleted real servers in a trash list for a while and every add walks
# it, which would bill keepalived's leftovers to the second daemon.
for n in ka vg; do ip netns add \$n && ip -n \$n link set lo up; done
# (the namespaces also give each daemon a fresh table: see the note on the trash below)
now() { echo \$EPOCHREALTIME; } # bash's wall clock, in microseconds, as vigild's log
# since T0 of the first log line of vigild matching PATTERN: "since_log NAME PATTERN T0"
since_log() {
  local ts; ts=\$(grep -m1 "\$2" /tmp/vigild.log | cut -d' ' -f1,2)
  [ -n "\$ts" ] || return 0
  awk -v n="\$1" -v a="\$3" -v b="\$(date -d "\${ts%.*}" +%s).\${ts#*.}" \
    'BEGIN { printf "RESULT %s %.2f s\\n", n, b - a }'
}
entries() { echo \$((\$(ip netns exec \$1 cat /proc/net/ip_vs | wc -l) - 3)); }
# Reading the whole table (/proc/net/ip_vs or a netlink dump) takes over a second under TCG,
# which would add up to two readings to whichever daemon is measured. So the poll asks only for
# the last virtual server of the config (both daemons add services in config order, each with
# its real servers: one small netlink dump), and only when that one is complete is the whole
# table counted; the time is taken before that count. A table found incomplete goes on polling.
last_dests() {
  ip netns exec \$1 ipvsadm -Ln -t $LAST_VS 2>/dev/null | grep -c '^  -> [0-9]' || true
}
# until_full NAME NS T0: seconds from T0 until NS's table holds all $WANT entries
until_full() {
  t=\$(now)
  for _ in \$(seq 6000); do
    if [ "\$(last_dests \$2)" -ge $NRS ]; then
      t=\$(now)
      [ "\$(entries \$2)" -ge $WANT ] && break
    fi
    sleep 0.05
  done
  awk -v n="\$1" -v a="\$3" -v b="\$t" -v e="\$(entries \$2)" \
    'BEGIN { printf "RESULT %s full_table_s %.2f entries %d\\n", n, b - a, e }'
}
# What reading the configuration costs each daemon here (keepalived reads it twice at start:
# its parent and its checker process).
for d in "./bin/keepalived -t -f ./bench.conf" "./bin/vigild -t --config ./bench.conf"; do
  a=\$(now); \$d >/dev/null 2>&1; b=\$(now)
  awk -v d="\$(basename "\${d%% *}")" -v a=\$a -v b=\$b 'BEGIN { printf "RESULT config_test %s %.2f s\\n", d, b - a }'
done
t0=\$(now)
ip netns exec ka ./bin/keepalived -n -l -D -C -f ./bench.conf -p /tmp/ka.pid -c /tmp/kc.pid >/tmp/ka.log 2>&1 &
until_full keepalived ka \$t0
kill -KILL \$(pidof keepalived) 2>/dev/null; sleep 1
# /proc/net/ip_vs walks one hash table shared by every namespace and miscounts when another
# namespace holds a large table: keepalived's goes with its namespace.
ip netns del ka; sleep 3
t0=\$(now)
ip netns exec vg ./bin/vigild --config ./bench.conf --log-level info >/tmp/vigild.log 2>&1 &
V=\$!
until_full vigild vg \$t0
since_log vigild_ready "vigild ready" \$t0
since_log vigild_first_pass_done "IPVS: pass 1:" \$t0
sleep 5
# The repair includes the kernel's own cost of re-adding next to the trash of the cleared table.
ip netns exec vg ipvsadm -C
t0=\$(now)
until_full vigild_repair_after_clear vg \$t0
kill \$V; wait \$V
echo "RESULT vigild_exit \$? left \$(entries vg)"
# A restart right after a stop: the stop removed every real server into the kernel's trash
# (kept two minutes, walked by every add); vigild removes them in the reverse of the order it
# adds them, so each add of the new process finds its own at the head of the trash.
t0=\$(now)
ip netns exec vg ./bin/vigild --config ./bench.conf --log-level info >/tmp/vigild2.log 2>&1 &
V=\$!
until_full vigild_restart_after_stop vg \$t0
kill \$V; wait \$V
grep -E "ready|Initializing|behind|stop|pass|error|critical" /tmp/vigild.log | head -20; tail -3 /tmp/vigild.log
GUEST
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-1500}
out=$("$VMDIR/run.sh" "$P" "bash ./guest.sh" 2>&1 | tee /dev/stderr | grep '^RESULT' || true)
echo "$out"
awk '/RESULT keepalived /{k=$4} /RESULT vigild /{v=$4} END {
  if (k > 0 && v > 0) printf "vigild / keepalived time to the full table: %.3f (goal <= 0.2)\n", v / k }' <<<"$out"
