#!/bin/bash
# bench/reload/vm.sh: a reload of a large checked configuration, vigild against keepalived 2.2.7
# in the same VM boot (../shared/ipvs-vm: Debian's kernel with IPVS under QEMU; keepalived's
# checker needs IPVS, which this machine's kernel lacks).
#
#   bench/reload/vm.sh [N_VIRTUAL_SERVERS (300)] [REAL_SERVERS (2400)] [RELOADS (3)] [VIGILD]
#
# The configuration is bench/config_load/gen.py's (every real server with a TCP_CHECK, one in
# four with an HTTP_GET too) with delay_loop 3600, so the checks themselves cost nothing during
# the measure: what is measured is the reload. Each daemon starts in a network namespace of its
# own, fills its IPVS table (the real servers are up until a check says otherwise), and is then
# reloaded RELOADS times with one real server's weight changed. Reported per reload: the wall
# time from SIGHUP until the daemon says it is done (keepalived: its parent's "Reload complete",
# once its children confirmed; vigild: "configuration reloaded"). keepalived 2.2.7
# rebuilds its checker queue in O(n^2) on reload (#2318, fixed in 2.3.0), hence the default
# size: at 2,300 / 37,000 its reload takes minutes under TCG, which runs 8-11x slower than the
# host. The ratio is the point.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NVS=${1:-300}
NRS=${2:-2400}
RELOADS=${3:-3}
VIGILD=${4:-$ROOT/build/daemon/vigild}
source "$ROOT/bench/vm_payload.sh" reload
python3 "$ROOT/bench/config_load/gen.py" --vs "$NVS" --rs "$NRS" |
  sed 's/delay_loop 10/delay_loop 3600/' >"$P/a.conf"
# the same file with the first real server's weight changed
sed '0,/weight 1$/s//weight 7/' "$P/a.conf" >"$P/b.conf"
WANT=$((NVS + NRS))
cat > "$P/guest.sh" <<GUEST
set -u
cd "\$(dirname "\$0")"
modprobe ip_vs && modprobe ip_vs_wrr
for n in ka vg; do ip netns add \$n && ip -n \$n link set lo up; done
now() { cut -d' ' -f1 /proc/uptime; }
entries() { echo \$((\$(ip netns exec \$1 cat /proc/net/ip_vs | wc -l) - 3)); }
until_full() {
  for _ in \$(seq 600); do [ "\$(entries \$1)" -ge $WANT ] && return 0; sleep 0.5; done
  return 1
}
# count LOG PATTERN
count() { grep -c "\$2" "\$1" 2>/dev/null || true; }
# reloads NAME PID LOG PATTERN: RELOADS reloads, each waited for (its PATTERN line counted)
reloads() {
  for k in \$(seq $RELOADS); do
    if [ \$((k % 2)) -eq 1 ]; then cp b.conf run.conf; else cp a.conf run.conf; fi
    before=\$(count "\$3" "\$4")
    t0=\$(now)
    kill -HUP \$2
    for _ in \$(seq 30000); do [ "\$(count "\$3" "\$4")" -gt "\$before" ] && break; sleep 0.05; done
    t1=\$(now)
    awk -v n="\$1" -v k="\$k" -v a="\$t0" -v b="\$t1" \
      'BEGIN { printf "RESULT %s reload %d wall_s %.2f\n", n, k, b - a }'
    sleep 2
  done
}
cp a.conf run.conf
echo "RESULT keepalived starting"
ip netns exec ka ./bin/keepalived -n -l -D -C -f ./run.conf -p /tmp/ka.pid -c /tmp/kc.pid >/tmp/ka.log 2>&1 &
until_full ka || echo "RESULT keepalived never filled its table"
sleep 3
echo "RESULT keepalived table full, \$(entries ka) entries"
reloads keepalived "\$(cat /tmp/ka.pid)" /tmp/ka.log "Reload complete"
kill -TERM "\$(cat /tmp/ka.pid)"; sleep 3
ip netns del ka; sleep 2
cp a.conf run.conf
ip netns exec vg ./bin/vigild --config ./run.conf --log-level info >/tmp/vg.log 2>&1 &
V=\$!
until_full vg || echo "RESULT vigild never filled its table"
sleep 3
reloads vigild \$V /tmp/vg.log "configuration reloaded"
grep "configuration reloaded" /tmp/vg.log | sed 's/^/RESULT vigild /'
kill \$V; wait \$V
GUEST
export IPVS_VM_TIMEOUT=${IPVS_VM_TIMEOUT:-1500}
out=$("$VMDIR/run.sh" "$P" "bash ./guest.sh" 2>&1 | tee /dev/stderr | grep '^RESULT' || true)
echo "$out"
awk '/RESULT keepalived reload/{k += $6; nk++} /RESULT vigild reload/{v += $6; nv++} END {
  if (nk > 0 && nv > 0 && k > 0)
    printf "mean reload wall time: keepalived %.2f s, vigild %.2f s: vigild / keepalived %.3f (goal <= 0.5)\n",
      k / nk, v / nv, (v / nv) / (k / nk) }' <<<"$out"
