#include "client-prefixes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <cstdlib>

bool parsePrefix(const std::string& text, ClientPrefix& out) {
  size_t slash = text.find('/');
  std::string addr = text.substr(0, slash);
  memset(&out, 0, sizeof out);
  if (inet_pton(AF_INET, addr.c_str(), out.addr) == 1) {
    out.family = AF_INET;
    out.bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), out.addr) == 1) {
    out.family = AF_INET6;
    out.bits = 128;
  } else {
    return false;
  }
  if (slash != std::string::npos) {
    char* end = nullptr;
    long bits = strtol(text.c_str() + slash + 1, &end, 10);
    if (*end != '\0' || end == text.c_str() + slash + 1 || bits < 0 || bits > out.bits) return false;
    out.bits = static_cast<int>(bits);
  }
  return true;
}

namespace {
bool matches(const ClientPrefix& p, const uint8_t* addr) {
  int full = p.bits / 8, rest = p.bits % 8;
  if (memcmp(p.addr, addr, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (p.addr[full] & mask) == (addr[full] & mask);
}
}  // namespace

bool admitted(const std::vector<ClientPrefix>& prefixes, const sockaddr* peer) {
  const uint8_t* addr;
  int family = peer->sa_family;
  if (family == AF_INET) {
    addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr);
  } else if (family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
    addr = reinterpret_cast<const uint8_t*>(a6);
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      family = AF_INET;
      addr += 12;
    }
  } else {
    return false;
  }
  for (const auto& p : prefixes)
    if (p.family == family && matches(p, addr)) return true;
  return false;
}
