#!/usr/bin/env bash
# Installs what Ponton needs on Debian/Ubuntu (as root) and builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in iproute2 nftables kmod iputils-ping curl socat busybox-static util-linux conntrack gcc g++ make python3 libc6-dev haproxy; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's haproxy package enables and starts its own service (haproxy.service, an empty
  # /etc/haproxy/haproxy.cfg). pontond runs its own HAProxy (master-worker, config under its state
  # directory) and needs none of it: when this script installed the package, that service goes.
  if [[ " ${need[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now haproxy.service >/dev/null 2>&1 || true
  fi
fi
modprobe br_netfilter 2>/dev/null || true
# A new dependency (package-lock.json newer than the installed tree) installs again.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run -s build
echo "== built: bin/ponton (and its native client bin/ponton-client), bin/pontond, bin/ponton-cni, native/dns-fastpath"
