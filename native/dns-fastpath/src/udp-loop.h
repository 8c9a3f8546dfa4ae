// One UDP listening socket served by its own thread: queries whose (client, key) is in the table
// are answered here in batches (recvmmsg/sendmmsg); everything else is handed to JS through a
// thread-safe function, and JS replies through send().
#pragma once

#include <node_api.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "answer-table.h"
#include "client-prefixes.h"

/** A query for JS: the datagram and who sent it. Owned by the queue until JS has seen it. */
struct Miss {
  std::string msg;
  sockaddr_storage peer;
  socklen_t peerLen;
};

class UdpLoop {
 public:
  /**
   * Binds and starts the thread; on failure returns null with errno-style code and message set.
   * `clients`: who is answered at all (others get REFUSED); empty with `open` true: everyone.
   */
  static UdpLoop* open(std::shared_ptr<AnswerTable> table, const sockaddr* at, socklen_t len, napi_threadsafe_function onMiss,
                       std::vector<ClientPrefix> clients, bool anyClient, std::string& code, std::string& message);
  ~UdpLoop();

  int port() const;
  /** Sends one datagram from the JS thread; false when closed or the kernel refused it. */
  bool send(const uint8_t* data, size_t len, const sockaddr* peer, socklen_t peerLen) const;
  /** Stops the thread, closes the socket and lets the thread-safe function go. Idempotent. */
  void close();

 private:
  UdpLoop(std::shared_ptr<AnswerTable> table, int fd, int wake, napi_threadsafe_function onMiss, std::vector<ClientPrefix> clients,
          bool anyClient);
  void run();
  /** Sends a batch of replies, waiting briefly when the socket buffer is full. */
  void sendAll(mmsghdr* tx, int n);

  std::shared_ptr<AnswerTable> table_;
  int fd_;
  int wake_;
  napi_threadsafe_function onMiss_;
  const std::vector<ClientPrefix> clients_;
  const bool anyClient_;
  std::thread thread_;
  bool closed_ = false;  // JS thread only
  std::atomic<bool> stopping_{false};
};
