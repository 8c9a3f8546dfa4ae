#!/usr/bin/env bash
# The main job: set up, then run the seeds' workshop topology (examples/workshop.yaml) with a real
# pontond on a sandbox "host" — a network namespace with an uplink to a sandbox "outside" — so the
# demo never touches this machine's own interfaces, routes or firewall. `--keep` leaves it running.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo $0)"; exit 1; }
scripts/setup.sh

KEEP=${1:-}
HOST=ponton-demo-host
OUT=ponton-demo-outside
DIR=$(mktemp -d /tmp/ponton-demo.XXXXXX)
export PONTON_SOCKET=$DIR/ponton.sock
P="bin/ponton"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }
DAEMON_PID=""
OUTSIDE_PID=""
cleanup() {
  [ "$KEEP" = "--keep" ] && { echo "left running: socket $PONTON_SOCKET (daemon pid $DAEMON_PID); remove with: $0 --clean"; return; }
  step "tear down"
  $P down examples/workshop.yaml || true
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null || true
  [ -n "$OUTSIDE_PID" ] && kill "$OUTSIDE_PID" 2>/dev/null || true
  ip netns del $HOST 2>/dev/null || true
  ip netns del $OUT 2>/dev/null || true
  rm -rf "$DIR"
  echo "sandbox removed"
}
if [ "$KEEP" = "--clean" ]; then
  pkill -f "state-dir /tmp/ponton-demo" || true
  for w in ns1 ns2 echo-1 echo-2 echo-3; do ip netns del demo-$w 2>/dev/null || true; rm -rf /etc/netns/demo-$w; done
  ip netns del $HOST 2>/dev/null || true; ip netns del $OUT 2>/dev/null || true; exit 0
fi
trap cleanup EXIT

step "sandbox: host namespace $HOST, outside namespace $OUT (uplink 198.51.100.1 <-> 198.51.100.2)"
ip netns add $HOST; ip netns add $OUT
ip -n $HOST link set lo up; ip -n $OUT link set lo up
ip -n $HOST link add uplink0 type veth peer name eth0 netns $OUT
ip -n $HOST addr add 198.51.100.1/24 dev uplink0; ip -n $HOST link set uplink0 up
ip -n $OUT addr add 198.51.100.2/24 dev eth0; ip -n $OUT link set eth0 up
ip -n $HOST route add default via 198.51.100.2
echo "nameserver 198.51.100.2" > "$DIR/resolv.conf"
ip netns exec $OUT socat -lf /dev/null TCP-LISTEN:80,fork,reuseaddr 'SYSTEM:sed -u "/^\r*$/q" >/dev/null; echo HTTP/1.0 200 OK; echo; echo hello from outside. you came from $SOCAT_PEERADDR' &
OUTSIDE_PID=$!

step "start pontond inside the sandbox host"
nsenter --net=/run/netns/$HOST node bin/pontond --state-dir "$DIR/state" --socket "$PONTON_SOCKET" --prefix demo --host-resolv-conf "$DIR/resolv.conf" >"$DIR/pontond.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 50); do [ -S "$PONTON_SOCKET" ] && break; sleep 0.1; done

step "ponton up examples/workshop.yaml"
show $P up examples/workshop.yaml
show $P ls
show $P network ls
show $P port ls
show $P firewall ls
sleep 0.5

step "published ports from the outside (8003 is rejected by the user hook)"
for port in 8001 8002 8003; do
  printf 'curl 198.51.100.1:%s -> ' $port
  ip netns exec $OUT curl -s -m 2 http://198.51.100.1:$port/ || echo "(refused: user hook rule)"
done
step "from the host itself, through 127.0.0.1"
show nsenter --net=/run/netns/$HOST curl -s -m 2 http://127.0.0.1:8001/
step "ns1 -> ns2 on the bridge, and hairpin through the gateway"
NS2=$($P inspect ns2 -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].networks[0].ip4))')
show ip netns exec demo-ns1 ping -c 2 -W 1 "$NS2"
show ip netns exec demo-ns1 curl -s -m 2 http://172.20.0.1:8002/
step "egress NAT: ns1 reaches the outside, which sees the host's uplink address"
show ip netns exec demo-ns1 curl -s -m 2 http://198.51.100.2/

step "why each packet went where it went: flow records from the kernel"
show $P observe --last 12
show $P flows status

step "the pieces in the kernel"
show ip -n $HOST -br link show type bridge
show ip -n $HOST -br link show type veth
show ip netns exec demo-ns1 ip -br addr
show ip netns exec demo-ns1 ip route
show ip netns exec $HOST nft list map inet ponton pub4
show ip netns exec $HOST nft list chain inet ponton user
show ip netns exec $HOST nft list chain inet ponton nat_postrouting
