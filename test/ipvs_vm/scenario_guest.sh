#!/bin/bash
# Runs INSIDE ../shared/ipvs-vm (started by scenario.sh, cwd /payload, ./vigild beside it):
# vigild's IPVS driver over time, against the real kernel table, in a namespace of its own.
#   1. no IPVS at start (modprobe refused): one log line, the checkers run; once the module is
#      loaded, the table is programmed without a restart;
#   2. repair: a foreign `ipvsadm -D` of a vigil service, `-E` of its scheduler and `-e` of a
#      real server's weight are undone within a few seconds; a foreign service is never touched;
#   3. a failing real server leaves the table and comes back when it answers again;
#   4. a reload changes only the difference (counted netlink operations);
#   5. SIGKILL and restart: the new process adopts the table (no operation at all);
#   6. SIGTERM: vigil's services go, the foreign one stays;
#   7. lvs_sync_daemon: backup daemon while its instance is not MASTER, master daemon once it is.
# Prints "ok N - ..." / "not ok N - ..." lines and exits non-zero on any failure.
set -u
ns=ipvsscen
n=0 failed=0
log=/tmp/vigild.log
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.2 s
wait_for() {
  local secs=$1 what=$2
  shift 2
  local end=$(($(date +%s) + secs))
  while [ "$(date +%s)" -le $end ]; do
    if "$@" >/dev/null 2>&1; then ok "$what"; return 0; fi
    sleep 0.2
  done
  bad "$what (not within $secs s)"
  return 1
}
table() { ip netns exec $ns ipvsadm -Sn | sort; }
has() { table | grep -qxF -- "$1"; }
lacks() { ! table | grep -qxF -- "$1"; }
# the IPVS part of vigild's state (SIGUSR1), one counter
counter() {
  local before
  before=$(grep -c '"ipvs"' $log)
  kill -USR1 "$pid"
  for _ in $(seq 50); do
    [ "$(grep -c '"ipvs"' $log)" -gt "$before" ] && break
    sleep 0.1
  done
  grep '"ipvs"' $log | tail -n 1 | sed -n "s/.*\"ipvs\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}
cleanup() {
  [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
  for p in $(ip netns pids $ns 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  ip netns del $ns 2>/dev/null
}
trap cleanup EXIT

ip netns add $ns
ip -n $ns link set lo up
for a in 10.0.0.2 10.0.0.3; do ip -n $ns addr add $a/32 dev lo; done
mkdir -p /tmp/www && echo ok > /tmp/www/health
start_server() { ip netns exec $ns busybox httpd -f -p "$1:80" -h /tmp/www </dev/null >/dev/null 2>&1 & eval "srv_${1//./_}=$!"; }
start_server 10.0.0.2
start_server 10.0.0.3

write_config() { # $1: extra real server block for the second service
  cat > /tmp/scenario.conf <<EOF
global_defs {
    router_id scenario
}
virtual_server 10.0.1.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.2 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.0.0.3 80 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.0.1.2 80 {
    lb_algo wlc
    lb_kind DR
    protocol TCP
    real_server 10.0.0.2 80 {
    }
$1
}
EOF
}
write_config ""

# 1. no IPVS at start: modprobe refused (the module is not loaded in a fresh VM)
old_modprobe=$(cat /proc/sys/kernel/modprobe)
echo /bin/false > /proc/sys/kernel/modprobe
if grep -q '^ip_vs ' /proc/modules; then bad "ip_vs is not loaded in a fresh VM"; fi
ip netns exec $ns ./vigild --config /tmp/scenario.conf --log-level debug > $log 2>&1 &
pid=$!
wait_for 30 "without IPVS vigild says so and keeps checking" \
  grep -q 'IPVS is not available in this kernel' $log
wait_for 30 "the checkers run without IPVS" grep -q 'TCP connection to \[10.0.0.2\]:tcp:80 success' $log
echo "$old_modprobe" > /proc/sys/kernel/modprobe
modprobe ip_vs && modprobe ip_vs_rr && modprobe ip_vs_wlc
wait_for 30 "after modprobe ip_vs the table is programmed without a restart" \
  has "-a -t 10.0.1.1:80 -r 10.0.0.3:80 -m -w 1"
[ "$(grep -c 'IPVS is not available in this kernel' $log)" = 1 ] &&
  ok "the unavailability was logged once" || bad "the unavailability was logged once"
kill -0 $pid && ok "vigild kept running" || bad "vigild kept running"

# 2. repair; a foreign service beside ours
ip netns exec $ns ipvsadm -A -t 192.0.2.1:80 -s sh
ip netns exec $ns ipvsadm -a -t 192.0.2.1:80 -r 192.0.2.2:80 -m -w 7
foreign=$(table | grep 192.0.2.1)
ip netns exec $ns ipvsadm -D -t 10.0.1.1:80
wait_for 15 "a foreign ipvsadm -D of a vigil service is repaired" \
  has "-a -t 10.0.1.1:80 -r 10.0.0.2:80 -m -w 1"
has "-a -t 10.0.1.1:80 -r 10.0.0.3:80 -m -w 1" && ok "with all its real servers" || bad "with all its real servers"
ip netns exec $ns ipvsadm -E -t 10.0.1.2:80 -s rr
wait_for 15 "a foreign ipvsadm -E of the scheduler is undone" has "-A -t 10.0.1.2:80 -s wlc"
ip netns exec $ns ipvsadm -e -t 10.0.1.2:80 -r 10.0.0.2:80 -g -w 9
wait_for 15 "a foreign ipvsadm -e of a weight is undone" has "-a -t 10.0.1.2:80 -r 10.0.0.2:80 -g -w 1"
grep -q "changed behind vigild's back" $log && ok "each repair is logged" || bad "each repair is logged"
[ "$(table | grep 192.0.2.1)" = "$foreign" ] && ok "the foreign service is untouched" ||
  bad "the foreign service is untouched"

# 3. a failing real server leaves and comes back
kill "$srv_10_0_0_3"
wait_for 20 "a failing real server leaves the table" lacks "-a -t 10.0.1.1:80 -r 10.0.0.3:80 -m -w 1"
start_server 10.0.0.3
wait_for 20 "and comes back when it answers again" has "-a -t 10.0.1.1:80 -r 10.0.0.3:80 -m -w 1"

# 4. a reload changes only the difference: one added real server, one operation
sleep 2.5 # a repair pass that finds nothing to do
ops_before=$(counter operations)
write_config "    real_server 10.0.0.4 80 {
    }"
kill -HUP $pid
wait_for 15 "a reload adds the new real server" has "-a -t 10.0.1.2:80 -r 10.0.0.4:80 -g -w 1"
sleep 2.5
ops_after=$(counter operations)
[ -n "$ops_before" ] && [ "$((ops_after - ops_before))" = 1 ] &&
  ok "the reload took exactly one netlink operation ($ops_before -> $ops_after)" ||
  bad "the reload took exactly one netlink operation ($ops_before -> $ops_after)"

# 5. SIGKILL and restart: the table is adopted, no operation at all
before=$(table)
kill -KILL $pid
wait $pid 2>/dev/null
ip netns exec $ns ./vigild --config /tmp/scenario.conf --log-level debug > $log 2>&1 &
pid=$!
wait_for 20 "the restarted vigild adopts the services it finds" \
  grep -q 'adopting the existing service TCP \[10.0.1.1\]:80' $log
sleep 3
[ "$(counter operations)" = 0 ] && ok "the restart changed nothing in the table (0 operations)" ||
  bad "the restart changed nothing in the table ($(counter operations) operations)"
[ "$(table)" = "$before" ] && ok "the table is the same" || bad "the table is the same"

# 6. SIGTERM: ours go, the foreign one stays
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid
rc=$?
pid=
[ $rc = 0 ] && ok "vigild exits 0 on SIGTERM" || bad "vigild exits 0 on SIGTERM (rc $rc)"
[ "$(table)" = "$foreign" ] && ok "after stop only the foreign service is left" ||
  { bad "after stop only the foreign service is left"; table; }

# 7. lvs_sync_daemon follows its VRRP instance: backup daemon while the instance is not
#    MASTER (FAULT here, through a track_file), master daemon once it is, none after stop
ip -n $ns link add vs0 type dummy
ip -n $ns link set vs0 multicast on up
ip -n $ns addr add 10.9.0.1/24 dev vs0
echo 1 > /tmp/fault
cat > /tmp/sync.conf <<EOF
global_defs {
    router_id scenario
    lvs_sync_daemon vs0 VI_1
}
vrrp_track_file tf {
    file /tmp/fault
}
vrrp_instance VI_1 {
    state BACKUP
    interface vs0
    virtual_router_id 9
    priority 100
    advert_int 1
    track_file {
        tf weight 0
    }
    virtual_ipaddress {
        10.9.0.100/24
    }
}
EOF
daemons() { ip netns exec $ns ipvsadm -Ln --daemon; }
has_daemon() { daemons | grep -q "$1 sync daemon (mcast=vs0, syncid=9"; }
ip netns exec $ns ./vigild --config /tmp/sync.conf --log-level debug > $log 2>&1 &
pid=$!
wait_for 20 "a FAULT instance: the backup sync daemon runs" has_daemon backup
has_daemon master && bad "and no master sync daemon" || ok "and no master sync daemon"
echo 0 > /tmp/fault
wait_for 20 "the instance becomes MASTER: the master sync daemon runs" has_daemon master
has_daemon backup && bad "and the backup one is stopped" || ok "and the backup one is stopped"
kill -TERM $pid
wait $pid
pid=
[ -z "$(daemons)" ] && ok "after stop no sync daemon is left" || bad "after stop no sync daemon is left"

if [ $failed -ne 0 ]; then
  echo "---- vigild log (last run)"
  tail -n 60 $log
fi
echo "scenario: $n checks, $failed failed"
[ $failed -eq 0 ]
