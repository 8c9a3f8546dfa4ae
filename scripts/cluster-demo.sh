#!/usr/bin/env bash
# A three-node Ponton cluster on this machine, without touching its own interfaces, routes or
# firewall: an "underlay" namespace with a bridge (the switch), a three-member etcd (Debian's
# etcd-server) in namespaces on it, three node namespaces each running a pontond (`nsenter --net`),
# a cluster network with a /24 per node, a pod per node, cross-node traffic over VXLAN, then a node
# killed and its tunnel gone. Everything is removed at the end (by PID and by namespace name).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "cluster-demo: run as root (sudo $0)"; exit 1; }
command -v etcd >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null; }
[ -f dist/src/daemon/main.js ] || scripts/setup.sh

P=pcd   # namespace prefix of this demo
DIR=$(mktemp -d /tmp/ponton-cluster-demo.XXXXXX)
TTL=3
PIDS=()
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }
ponton() { local n=$1; shift; node bin/ponton --socket "$DIR/$n.sock" "$@"; }
cleanup() {
  step "tear down"
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$DIR" /etc/netns/$P-* 2>/dev/null || true
  echo "removed"
}
trap cleanup EXIT

step "underlay: switch $P-SW (bridge br0) on 192.0.2.0/24"
ip netns add $P-SW; ip -n $P-SW link set lo up
ip -n $P-SW link add br0 type bridge; ip -n $P-SW link set br0 up
PORT=0
plug() { # plug NS IFNAME IP
  ip -n $P-SW link add p$PORT type veth peer name "$2" netns "$1"
  ip -n $P-SW link set p$PORT master br0 up; PORT=$((PORT + 1))
  ip -n "$1" addr add "$3/24" dev "$2"; ip -n "$1" link set "$2" up
}

step "etcd: three members at 192.0.2.2-4"
INITIAL=etcd0=http://192.0.2.2:2380,etcd1=http://192.0.2.3:2380,etcd2=http://192.0.2.4:2380
for i in 0 1 2; do
  ip=192.0.2.$((2 + i)); ns=$P-etcd$i
  ip netns add $ns; ip -n $ns link set lo up; plug $ns eth0 $ip
  nsenter --net=/run/netns/$ns etcd --name etcd$i --data-dir "$DIR/etcd$i" \
    --listen-client-urls http://$ip:2379 --advertise-client-urls http://$ip:2379 \
    --listen-peer-urls http://$ip:2380 --initial-advertise-peer-urls http://$ip:2380 \
    --initial-cluster $INITIAL --initial-cluster-state new --initial-cluster-token $P >"$DIR/etcd$i.log" 2>&1 &
  PIDS+=($!); disown $!
done
ETCD=http://192.0.2.2:2379,http://192.0.2.3:2379,http://192.0.2.4:2379
for _ in $(seq 150); do
  nsenter --net=/run/netns/$P-etcd0 etcdctl --endpoints $ETCD --dial-timeout 1s endpoint health >/dev/null 2>&1 && break; sleep 0.2
done
show nsenter --net=/run/netns/$P-etcd0 etcdctl --endpoints $ETCD member list

step "three nodes n1-n3 at 192.0.2.11-13, a pontond each (lease TTL ${TTL}s)"
for i in 1 2 3; do
  ns=$P-n$i; ip=192.0.2.$((10 + i))
  ip netns add $ns; ip -n $ns link set lo up; plug $ns eth0 $ip
  echo "nameserver 192.0.2.1" >"$DIR/resolv.conf"
  nsenter --net=/run/netns/$ns node bin/pontond --state-dir "$DIR/n$i" --socket "$DIR/n$i.sock" --prefix $P-n$i \
    --host-resolv-conf "$DIR/resolv.conf" --cluster $ETCD --node-name n$i --node-ip $ip --node-lease-ttl $TTL >"$DIR/n$i.log" 2>&1 &
  PIDS+=($!); disown $!
done
for i in 1 2 3; do for _ in $(seq 150); do ponton n$i info >/dev/null 2>&1 && break; sleep 0.2; done; done
show ponton n1 node ls

step "a cluster network: 10.42.0.0/16, a /24 per node (claimed in etcd transactions)"
show ponton n1 network create pods --scope cluster --subnet 10.42.0.0/16 --node-mask 24
for i in 1 2 3; do
  for _ in $(seq 100); do ponton n$i network inspect pods >/dev/null 2>&1 && break; sleep 0.2; done
  ponton n$i run -d --name pod$i --network pods --label app=echo -- socat TCP-LISTEN:7000,fork,reuseaddr 'SYSTEM:echo hello from pod'$i' - you are $SOCAT_PEERADDR' >/dev/null
done
show ponton n1 node ls
show ponton n1 node tunnels
IP2=$(ponton n2 inspect pod2 | node -e 'const w=JSON.parse(require("fs").readFileSync(0))[0]; console.log(w.networks.find(n=>n.network==="pods").ip4)')
IP3=$(ponton n3 inspect pod3 | node -e 'const w=JSON.parse(require("fs").readFileSync(0))[0]; console.log(w.networks.find(n=>n.network==="pods").ip4)')

show ponton n2 network ls
step "pod1 (n1) → pod2 (n2) and pod3 (n3), with the pods' own addresses"
show ip netns exec $P-n1-pod1 ping -c 2 -W 1 "$IP2"
tcp() { sleep 1 | ip netns exec $P-n1-pod1 socat -T 3 - TCP:"$1":7000; }
for _ in $(seq 20); do tcp "$IP3" 2>/dev/null | grep -q . && break; sleep 0.3; done
echo "\$ ip netns exec $P-n1-pod1 socat - TCP:$IP3:7000"; tcp "$IP3" || true
show ip -n $P-n1 -d link show pvx0
show ip -n $P-n1 route show dev pvx0
show bridge -n $P-n1 fdb show dev pvx0

step "a service made on n2 over the pods of all three nodes: the VIP from n1's pod, NodePort on n3"
show ponton n2 service create echo --port 7000/tcp --selector app=echo --vip 10.96.0.70 --publish 30070:7000
for _ in $(seq 30); do [ "$(ponton n1 service inspect echo | grep -c '"workload"')" = 3 ] && break; sleep 0.3; done
show ponton n1 service ls
for _ in 1 2 3 4 5 6; do sleep 1 | ip netns exec $P-n1-pod1 socat -T 2 - TCP:10.96.0.70:7000 || true; done
for _ in 1 2 3; do sleep 1 | ip netns exec $P-etcd0 socat -T 2 - TCP:192.0.2.13:30070 || true; done
show ip netns exec $P-n3-pod3 getent hosts echo.default.svc.cluster.local pod1.ponton.internal
show ponton n3 observe --all-nodes --port 7000 --last 8

step "kill -9 n3's pontond: NotReady after ${TTL}s, its tunnel leaves n1 (its pod keeps its kernel state)"
kill -9 "${PIDS[5]}"
sleep $((TTL + 2))
show ponton n1 node ls
show ponton n1 node tunnels
show ip -n $P-n1 route show dev pvx0
show ip netns exec $P-n1-pod1 ping -c 1 -W 1 "$IP2"
