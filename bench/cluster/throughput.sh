#!/usr/bin/env bash
# TCP throughput (iperf3, one stream) in one run, alternated over ROUNDS, medians:
#   underlay   node n1 → node n2 over the underlay veths and bridge (the floor: no Ponton)
#   same-node  pod → pod on n1 (bridge, veths, Ponton's nft table)
#   cross-node pod on n1 → pod on n2 (+ VXLAN encapsulation both ways, MTU 1450)
#   native     the same on a second cluster with --cluster-routing native (plain routes, MTU 1500)
# and 64-byte UDP packets/s received, underlay and both cross-node paths.
# Namespaces only (prefix pcb-), removed at the end by name and PID. Usage: bench/cluster/throughput.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
command -v iperf3 >/dev/null || { echo "needs iperf3 (apt-get install iperf3)"; exit 1; }
ROUNDS=${1:-3}; SECS=${2:-5}
P=pcb; DIR=$(mktemp -d /tmp/ponton-cluster-bench.XXXXXX); PIDS=()
ponton() { local n=$1; shift; node bin/ponton --socket "$DIR/$n.sock" "$@"; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$DIR" /etc/netns/$P-* 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $P-SW; ip -n $P-SW link add br0 type bridge; ip -n $P-SW link set br0 up
PORT=0
plug() { ip -n $P-SW link add p$PORT type veth peer name "$2" netns "$1"; ip -n $P-SW link set p$PORT master br0 up; PORT=$((PORT + 1)); ip -n "$1" addr add "$3/24" dev "$2"; ip -n "$1" link set "$2" up; }
ip netns add $P-etcd; ip -n $P-etcd link set lo up; plug $P-etcd eth0 192.0.2.2
nsenter --net=/run/netns/$P-etcd etcd --name e --data-dir "$DIR/etcd" --listen-client-urls http://192.0.2.2:2379 --advertise-client-urls http://192.0.2.2:2379 --listen-peer-urls http://192.0.2.2:2380 --initial-advertise-peer-urls http://192.0.2.2:2380 --initial-cluster e=http://192.0.2.2:2380 >"$DIR/etcd.log" 2>&1 &
PIDS+=($!); disown $!
for _ in $(seq 150); do nsenter --net=/run/netns/$P-etcd etcdctl --endpoints http://192.0.2.2:2379 endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
echo "nameserver 192.0.2.1" >"$DIR/resolv.conf"
# Two clusters on the same switch, one per routing mode: etcd at .2 / .3, nodes .11/.12 / .21/.22.
start_cluster() { # MODE ETCD_IP NODE_BASE SUBNET
  local mode=$1 eip=$2 base=$3 subnet=$4
  ip netns add $P-etcd-$mode; ip -n $P-etcd-$mode link set lo up; plug $P-etcd-$mode eth0 "$eip"
  nsenter --net=/run/netns/$P-etcd-$mode etcd --name e --data-dir "$DIR/etcd-$mode" --listen-client-urls http://$eip:2379 --advertise-client-urls http://$eip:2379 --listen-peer-urls http://$eip:2380 --initial-advertise-peer-urls http://$eip:2380 --initial-cluster e=http://$eip:2380 >"$DIR/etcd-$mode.log" 2>&1 &
  PIDS+=($!); disown $!
  for _ in $(seq 150); do nsenter --net=/run/netns/$P-etcd-$mode etcdctl --endpoints http://$eip:2379 endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
  for i in 1 2; do
    local n=$mode$i ip=192.0.2.$base$i
    ip netns add $P-$n; ip -n $P-$n link set lo up; plug $P-$n eth0 "$ip"
    nsenter --net=/run/netns/$P-$n node bin/pontond --state-dir "$DIR/$n" --socket "$DIR/$n.sock" --prefix $P-$n --host-resolv-conf "$DIR/resolv.conf" --flow-log off \
      --cluster http://$eip:2379 --node-name n$i --node-ip "$ip" --cluster-routing "$mode" >"$DIR/$n.log" 2>&1 &
    PIDS+=($!); disown $!
  done
  for i in 1 2; do for _ in $(seq 150); do ponton $mode$i info >/dev/null 2>&1 && break; sleep 0.2; done; done
  ponton ${mode}1 network create pods --scope cluster --subnet "$subnet" >/dev/null
  for i in 1 2; do for _ in $(seq 100); do ponton $mode$i network inspect pods >/dev/null 2>&1 && break; sleep 0.2; done; done
  ponton ${mode}1 run -d --name a --network pods -- sleep 1d >/dev/null
  ponton ${mode}1 run -d --name b --network pods -- iperf3 -s >/dev/null
  ponton ${mode}2 run -d --name c --network pods -- iperf3 -s >/dev/null
}
start_cluster vxlan 192.0.2.2 1 10.42.0.0/16
start_cluster native 192.0.2.3 2 10.43.0.0/16
ipof() { ponton "$1" inspect "$2" | node -e 'const w=JSON.parse(require("fs").readFileSync(0))[0]; console.log(w.networks.find(n=>n.network==="pods").ip4)'; }
B=$(ipof vxlan1 b); C=$(ipof vxlan2 c); NC=$(ipof native2 c)
nsenter --net=/run/netns/$P-vxlan2 iperf3 -s -B 192.0.2.12 >/dev/null 2>&1 &
PIDS+=($!); disown $!
sleep 1
gbps() { nsenter --net=/run/netns/"$1" iperf3 -c "$2" -t "$SECS" -J 2>/dev/null | node -e 'const r=JSON.parse(require("fs").readFileSync(0)); console.log((r.end.sum_received.bits_per_second/1e9).toFixed(2))' || echo 0; }
# 64-byte UDP datagrams/s the receiver got (kpps), sender unthrottled.
kpps() { nsenter --net=/run/netns/"$1" iperf3 -c "$2" -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null | node -e 'const s=JSON.parse(require("fs").readFileSync(0)).end.sum; console.log(((s.packets - s.lost_packets) / s.seconds / 1e3).toFixed(0))' || echo 0; }
declare -A RES
for r in $(seq "$ROUNDS"); do
  RES[underlay]+="$(gbps $P-vxlan1 192.0.2.12) "
  RES[same]+="$(gbps $P-vxlan1-a "$B") "
  RES[cross]+="$(gbps $P-vxlan1-a "$C") "
  RES[native]+="$(gbps $P-native1-a "$NC") "
  RES[uunder]+="$(kpps $P-vxlan1 192.0.2.12) "
  RES[ucross]+="$(kpps $P-vxlan1-a "$C") "
  RES[unative]+="$(kpps $P-native1-a "$NC") "
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
U=$(echo "${RES[underlay]}" | median); S=$(echo "${RES[same]}" | median); X=$(echo "${RES[cross]}" | median); N=$(echo "${RES[native]}" | median)
UU=$(echo "${RES[uunder]}" | median); UX=$(echo "${RES[ucross]}" | median); UN=$(echo "${RES[unative]}" | median)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rounds $ROUNDS × ${SECS}s, Gbit/s (median; all rounds)"
printf '%-34s %7s  %-6s  %s\n' path Gbit/s ×floor rounds
printf '%-34s %7s  %-6s  %s\n' "underlay veth+bridge (floor)" "$U" 1.00 "${RES[underlay]}"
printf '%-34s %7s  %-6s  %s\n' "pod → pod, same node" "$S" "$(node -e "console.log(($S/$U).toFixed(2))")" "${RES[same]}"
printf '%-34s %7s  %-6s  %s\n' "pod → pod, other node (VXLAN)" "$X" "$(node -e "console.log(($X/$U).toFixed(2))")" "${RES[cross]}"
printf '%-34s %7s  %-6s  %s\n' "pod → pod, other node (native)" "$N" "$(node -e "console.log(($N/$U).toFixed(2))")" "${RES[native]}"
echo "64-byte UDP, kpps received (median; all rounds)"
printf '%-34s %7s  %-6s  %s\n' "underlay (floor)" "$UU" 1.00 "${RES[uunder]}"
printf '%-34s %7s  %-6s  %s\n' "pod → pod, other node (VXLAN)" "$UX" "$(node -e "console.log(($UX/$UU).toFixed(2))")" "${RES[ucross]}"
printf '%-34s %7s  %-6s  %s\n' "pod → pod, other node (native)" "$UN" "$(node -e "console.log(($UN/$UU).toFixed(2))")" "${RES[unative]}"
