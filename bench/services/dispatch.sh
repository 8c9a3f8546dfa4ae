#!/bin/bash
# The service dispatch alone, without pontond: client ns -- router ns -- server ns, the router holding
# our dispatch shape (svc_ips verdict map -> one chain per service leaving a slot in the ct mark ->
# svc_dnat over the shared slot map) for N services. New connections per second (wrk, Connection: close) to the backend directly and
# through the VIP, in alternation, 5 rounds. Run as root: bench/services/dispatch.sh 3; ... 10000
# Throwaway namespaces named pdpPID*, removed at the end.
set -euo pipefail
P=pdp$$
N=${1:-10000}
trap 'kill ${SRV:-} 2>/dev/null || true; for s in c r s; do ip netns del ${P}$s 2>/dev/null || true; done' EXIT
ip netns add ${P}c; ip netns add ${P}r; ip netns add ${P}s
ip link add ${P}a type veth peer name ${P}b; ip link set ${P}a netns ${P}c; ip link set ${P}b netns ${P}r
ip link add ${P}x type veth peer name ${P}y; ip link set ${P}x netns ${P}r; ip link set ${P}y netns ${P}s
ip -n ${P}c addr add 10.1.0.2/24 dev ${P}a; ip -n ${P}c link set ${P}a up; ip -n ${P}c link set lo up; ip -n ${P}c route add default via 10.1.0.1
ip -n ${P}r addr add 10.1.0.1/24 dev ${P}b; ip -n ${P}r link set ${P}b up; ip -n ${P}r addr add 10.2.0.1/24 dev ${P}x; ip -n ${P}r link set ${P}x up; ip -n ${P}r link set lo up
ip -n ${P}s addr add 10.2.0.2/24 dev ${P}y; ip -n ${P}s link set ${P}y up; ip -n ${P}s link set lo up; ip -n ${P}s route add default via 10.2.0.1
ip netns exec ${P}r sysctl -qw net.ipv4.ip_forward=1
ip netns exec ${P}c sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec ${P}c sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
node -e '
const n = +process.argv[1]; const out = [];
const slot = (i) => 0x80000000 + i * 65536;
out.push(`table inet ponton {
  map svc_ips { type ipv4_addr . inet_proto . inet_service : verdict; }
  map svc_eps { type mark : ipv4_addr . inet_service; }
  chain pre { type nat hook prerouting priority -100; ip daddr . meta l4proto . th dport vmap @svc_ips; ct mark and 0x80000000 == 0x80000000 goto svc_dnat; }
  chain svc_dnat { meta nfproto ipv4 meta l4proto tcp dnat ip to ct mark map @svc_eps; }
  chain target { ct mark set numgen inc mod 1 offset ${0xfffe0000}; }`);
for (let i = 0; i < n; i++) out.push(`  chain svc_${i} { ct mark set numgen inc mod 2 offset ${slot(i)}; }`);
out.push("}");
const els = ["10.96.255.254 . tcp . 80 : jump target"], eps = [`${0xfffe0000} : 10.2.0.2 . 80`];
for (let i = 0; i < n; i++) { els.push(`10.${97 + (i >> 16)}.${(i >> 8) & 255}.${i & 255} . tcp . 80 : jump svc_${i}`); eps.push(`${slot(i)} : 10.2.0.9 . 80`, `${slot(i) + 1} : 10.2.0.8 . 80`); }
for (let k = 0; k < els.length; k += 2000) out.push(`add element inet ponton svc_ips { ${els.slice(k, k + 2000).join(", ")} }`);
for (let k = 0; k < eps.length; k += 4000) out.push(`add element inet ponton svc_eps { ${eps.slice(k, k + 4000).join(", ")} }`);
console.log(out.join("\n"));' $N | ip netns exec ${P}r nft -f -
ip netns exec ${P}s node -e 'require("http").createServer((q,s)=>s.end("ok\n")).listen(80)' & SRV=$!
sleep 1
for round in 1 2 3 4 5; do
  for t in direct vip; do
    addr=10.2.0.2; [ $t = vip ] && addr=10.96.255.254
    ip netns exec ${P}r conntrack -F 2>/dev/null || true
    r=$(ip netns exec ${P}c wrk -t1 -c10 -d3 -H "Connection: close" http://$addr/ 2>/dev/null | awk '/Requests\/sec/ {print $2}')
    echo "N=$N round=$round $t $r"
  done
done
