#include "answer-table.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <mutex>

namespace {
// A flood of spoofed sources must not grow the bindings without bound; a reset only costs one
// JS round trip per client.
constexpr size_t kMaxClients = 65536;

/** A client key without its IPv6 scope: the family, then the address bytes. */
void addressKey(char family, const void* addr, size_t len, std::string& key) {
  key.assign(1, family);
  key.append(static_cast<const char*>(addr), len);
}
}  // namespace

bool clientKey(const sockaddr* peer, socklen_t len, std::string& key) {
  if (peer->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    addressKey('4', &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, sizeof(in_addr), key);
    return true;
  }
  if (peer->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(peer);
    addressKey('6', &a->sin6_addr, sizeof(in6_addr), key);
    key.append(reinterpret_cast<const char*>(&a->sin6_scope_id), sizeof(a->sin6_scope_id));
    return true;
  }
  return false;
}

void AnswerTable::remember(const std::string& view, const std::string& key, const std::string& answer) {
  std::unique_lock lock(mu_);
  views_[view][key] = answer;
}

void AnswerTable::forget(const std::string& view, const std::string& key) {
  std::unique_lock lock(mu_);
  auto v = views_.find(view);
  if (v != views_.end()) v->second.erase(key);
}

void AnswerTable::dropView(const std::string& view) {
  std::unique_lock lock(mu_);
  views_.erase(view);
  clients_.clear();
}

void AnswerTable::bindClient(const sockaddr* peer, socklen_t len, const std::string& view) {
  thread_local std::string client;
  if (!clientKey(peer, len, client)) return;
  {
    // JS binds the client of every query it answers: most are bound to that view already, and a
    // reader lock keeps the listener threads answering meanwhile.
    std::shared_lock lock(mu_);
    auto c = clients_.find(client);
    if (c != clients_.end() && c->second == view) return;
  }
  std::unique_lock lock(mu_);
  if (clients_.size() >= kMaxClients && clients_.find(client) == clients_.end()) clients_.clear();
  clients_[client] = view;
}

void AnswerTable::unbindAddress(const std::string& address) {
  in_addr a4;
  in6_addr a6;
  std::string prefix;
  if (inet_pton(AF_INET, address.c_str(), &a4) == 1) {
    addressKey('4', &a4, sizeof a4, prefix);
  } else if (inet_pton(AF_INET6, address.substr(0, address.find('%')).c_str(), &a6) == 1) {
    addressKey('6', &a6, sizeof a6, prefix);
  } else {
    return;
  }
  std::unique_lock lock(mu_);
  if (prefix[0] == '4') {
    clients_.erase(prefix);
    return;
  }
  // IPv6 keys end with the scope id: one address may be bound once per interface.
  for (auto c = clients_.begin(); c != clients_.end();) {
    if (c->first.compare(0, prefix.size(), prefix) == 0) c = clients_.erase(c);
    else ++c;
  }
}

bool AnswerTable::lookup(const sockaddr* peer, socklen_t len, const uint8_t* key, size_t keyLen, std::string& out) const {
  // Scratch strings per listener thread: no allocation per packet once they have grown (an IPv6
  // client key, 21 bytes, is past the inline capacity of std::string).
  thread_local std::string scratch;
  thread_local std::string client;
  if (!clientKey(peer, len, client)) return false;
  scratch.assign(reinterpret_cast<const char*>(key), keyLen);
  std::shared_lock lock(mu_);
  auto c = clients_.find(client);
  if (c == clients_.end()) return false;
  auto v = views_.find(c->second);
  if (v == views_.end()) return false;
  auto a = v->second.find(scratch);
  if (a == v->second.end()) return false;
  out.assign(a->second);
  return true;
}
