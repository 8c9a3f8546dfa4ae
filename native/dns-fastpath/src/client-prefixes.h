// Who a listener answers: the subnets of the network it serves (the host must not be an open
// resolver). Checked on the listener thread before anything else, so an outsider costs a compare.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

struct ClientPrefix {
  int family;
  uint8_t addr[16];
  int bits;
};

/** "10.0.0.0/24", "fd00::/64" (a bare address is a host prefix); false on anything else. */
bool parsePrefix(const std::string& text, ClientPrefix& out);

/** True when the peer's address lies in one of the prefixes (IPv4-mapped IPv6 peers count as IPv4). */
bool admitted(const std::vector<ClientPrefix>& prefixes, const sockaddr* peer);
