// The hot-answer table shared by the JS thread (writer) and the listener threads (readers):
// (view, question key) -> precomputed answer, and client address -> view. The JS side decides
// every entry; this side never interprets DNS beyond the key rule in udp-loop.cc.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

class AnswerTable {
 public:
  void remember(const std::string& view, const std::string& key, const std::string& answer);
  void forget(const std::string& view, const std::string& key);
  /** Drops a view's answers and every client binding: views changed, so viewOf may have too. */
  void dropView(const std::string& view);
  void bindClient(const sockaddr* peer, socklen_t len, const std::string& view);
  /** Forgets the view of one client address (any IPv6 scope): its view changed, the others did not. */
  void unbindAddress(const std::string& address);
  /** Copies the answer for this client and key (key bytes from offset 4 of the query) into out. */
  bool lookup(const sockaddr* peer, socklen_t len, const uint8_t* key, size_t keyLen, std::string& out) const;

  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> nxdomain{0};
  /** Misses dropped because the JS queue was full (a flood): counted, like a full socket buffer. */
  std::atomic<uint64_t> shed{0};
  /** Answered from the header alone on a listener thread: FORMERR, NOTIMP, REFUSED; and ignored (short, responses). */
  std::atomic<uint64_t> formerr{0};
  std::atomic<uint64_t> notimp{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> dropped{0};

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> views_;
  std::unordered_map<std::string, std::string> clients_;
};

/** The identity of a client address (family, address, IPv6 scope; not the port) into key; false if unknown. */
bool clientKey(const sockaddr* peer, socklen_t len, std::string& key);
