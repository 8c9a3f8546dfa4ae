#include "udp-loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

namespace {
constexpr int kBatch = 32;
constexpr size_t kMaxDatagram = 65536;  // any UDP payload fits: a datagram is never cut
constexpr int kRcvBuf = 4 << 20;        // absorb bursts; the kernel caps it at rmem_max

std::string errName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

/**
 * Answers JS would give from the header alone, mirrored exactly (DnsServer.onUdp and
 * wire.ts headerError): nothing for a non-query, REFUSED for a client outside the listener's
 * networks, NOTIMP for an opcode other than QUERY, FORMERR for a QUERY whose counts are not one question and at most one additional
 * (its OPT), or whose question is cut short. kPass: the datagram needs the table or JS.
 */
/**
 * True when the question cannot be decoded, exactly where dns-packet's decoder throws: a label
 * past the end, a name over 254 bytes, or no room for type and class. A compression pointer (or
 * another label type) is left to JS.
 */
bool questionCut(const uint8_t* q, size_t len) {
  size_t off = 12, total = 0;
  for (;;) {
    if (off >= len) return true;
    uint8_t l = q[off++];
    if (l == 0) break;
    if (l & 0xc0) return false;
    if (off + l > len || (total += l + 1) > 254) return true;
    off += l;
  }
  return off + 4 > len;
}

enum class Verdict { kPass, kDrop, kReply };
Verdict screen(const uint8_t* q, size_t len, bool admittedPeer, std::string& out, AnswerTable& table) {
  if (len < 12 || (q[2] & 0x80)) {
    table.dropped++;
    return Verdict::kDrop;
  }
  int rcode = 0;
  if (!admittedPeer) {
    rcode = 5;
    table.refused++;
  } else if (q[2] & 0x78) {
    rcode = 4;
    table.notimp++;
  } else if ((q[4] != 0 || q[5] != 1 || q[6] || q[7] || q[8] || q[9] || q[10] || q[11] > 1 || questionCut(q, len))) {
    rcode = 1;
    table.formerr++;
  } else {
    return Verdict::kPass;
  }
  // Header only: id, QR, the query's opcode and RD, RA, its CD, the rcode; every count zero.
  out.assign(12, '\0');
  out[0] = static_cast<char>(q[0]);
  out[1] = static_cast<char>(q[1]);
  out[2] = static_cast<char>(0x80 | (q[2] & 0x79));
  out[3] = static_cast<char>(0x80 | (q[3] & 0x10) | rcode);
  return Verdict::kReply;
}

/**
 * The key rule of DnsServer.onUdp, mirrored exactly: a query (QR=0) with opcode QUERY is keyed
 * by every byte after the first four (counts, question, additional records with any EDNS OPT),
 * so an answer JS stored for that key is JS's answer to this query except for the id, RD and CD
 * bits, which are patched here as JS does. Anything else (short, a response, another opcode, an
 * unknown client or key) goes to JS.
 */
bool answerHot(const AnswerTable& table, const uint8_t* q, size_t len, const sockaddr* peer, socklen_t peerLen, std::string& out) {
  if (len < 12 || (q[2] & 0xf8) != 0) return false;
  if (!table.lookup(peer, peerLen, q + 4, len - 4, out) || out.size() < 12) return false;
  out[0] = static_cast<char>(q[0]);
  out[1] = static_cast<char>(q[1]);
  out[2] = static_cast<char>((out[2] & 0xfe) | (q[2] & 0x01));  // RD
  out[3] = static_cast<char>((out[3] & 0xef) | (q[3] & 0x10));  // CD
  return true;
}
}  // namespace

UdpLoop::UdpLoop(std::shared_ptr<AnswerTable> table, int fd, int wake, napi_threadsafe_function onMiss, std::vector<ClientPrefix> clients,
                 bool anyClient)
    : table_(std::move(table)), fd_(fd), wake_(wake), onMiss_(onMiss), clients_(std::move(clients)), anyClient_(anyClient) {}

UdpLoop::~UdpLoop() { close(); }

UdpLoop* UdpLoop::open(std::shared_ptr<AnswerTable> table, const sockaddr* at, socklen_t len, napi_threadsafe_function onMiss,
                       std::vector<ClientPrefix> clients, bool anyClient, std::string& code, std::string& message) {
  int fd = socket(at->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    code = errName(errno);
    message = "socket " + code;
    return nullptr;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kRcvBuf, sizeof kRcvBuf);  // not fatal
  if (bind(fd, at, len) < 0) {
    code = errName(errno);
    message = "bind " + code;
    ::close(fd);
    return nullptr;
  }
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    code = errName(errno);
    message = "eventfd " + code;
    ::close(fd);
    return nullptr;
  }
  auto* loop = new UdpLoop(std::move(table), fd, wake, onMiss, std::move(clients), anyClient);
  // Signals belong to Node's main thread: the listener thread is created with all of them blocked.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    loop->thread_ = std::thread([loop] { loop->run(); });
  } catch (const std::system_error& e) {
    code = errName(e.code().value());
    message = "thread " + code;
    loop->closed_ = true;
    ::close(fd);
    ::close(wake);
    delete loop;
    loop = nullptr;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return loop;
}

int UdpLoop::port() const {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

bool UdpLoop::send(const uint8_t* data, size_t len, const sockaddr* peer, socklen_t peerLen) const {
  if (closed_) return false;
  return sendto(fd_, data, len, MSG_DONTWAIT, peer, peerLen) >= 0;
}

void UdpLoop::close() {
  if (closed_) return;
  closed_ = true;
  stopping_ = true;
  uint64_t one = 1;
  if (write(wake_, &one, sizeof one) < 0) {
    // cannot fail on this eventfd (its counter is nowhere near overflow); stopping_ is checked too
  }
  thread_.join();
  ::close(fd_);
  ::close(wake_);
  // Abort: queued misses are freed without calling JS, so nothing arrives after close().
  napi_release_threadsafe_function(onMiss_, napi_tsfn_abort);
}

void UdpLoop::run() {
  pthread_setname_np(pthread_self(), "ponton-dns");
  // Not zeroed: pages the kernel never writes into (beyond each slot's first query) stay unmapped,
  // so an idle listener holds about a page per slot rather than 2 MiB.
  std::unique_ptr<uint8_t[]> in(new uint8_t[kBatch * kMaxDatagram]);
  std::vector<std::string> out(kBatch);
  mmsghdr rx[kBatch], tx[kBatch];
  iovec rxIov[kBatch], txIov[kBatch];
  sockaddr_storage peers[kBatch];
  for (int i = 0; i < kBatch; i++) rxIov[i] = {&in[i * kMaxDatagram], kMaxDatagram};
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR || errno == ENOMEM) continue;
      return;
    }
    if (fds[1].revents || stopping_) return;
    // Drain what is queued before sleeping again: under load one wake-up serves many batches.
    for (int n = kBatch; n == kBatch && !stopping_;) {
      for (int i = 0; i < kBatch; i++) {
        memset(&rx[i], 0, sizeof rx[i]);
        rx[i].msg_hdr.msg_name = &peers[i];
        rx[i].msg_hdr.msg_namelen = sizeof peers[i];
        rx[i].msg_hdr.msg_iov = &rxIov[i];
        rx[i].msg_hdr.msg_iovlen = 1;
      }
      // Nothing (EAGAIN) or a queued ICMP error from an earlier reply: back to poll either way.
      n = recvmmsg(fd_, rx, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      int hits = 0;
      for (int i = 0; i < n; i++) {
        const uint8_t* q = static_cast<const uint8_t*>(rxIov[i].iov_base);
        const auto* peer = reinterpret_cast<const sockaddr*>(&peers[i]);
        socklen_t peerLen = rx[i].msg_hdr.msg_namelen;
        Verdict v = screen(q, rx[i].msg_len, anyClient_ || admitted(clients_, peer), out[hits], *table_);
        if (v == Verdict::kDrop) continue;
        bool hot = v == Verdict::kPass && answerHot(*table_, q, rx[i].msg_len, peer, peerLen, out[hits]);
        if (hot) {
          table_->hits++;
          if ((out[hits][3] & 0x0f) == 3) table_->nxdomain++;
        }
        if (v == Verdict::kReply || hot) {
          txIov[hits] = {out[hits].data(), out[hits].size()};
          memset(&tx[hits], 0, sizeof tx[hits]);
          tx[hits].msg_hdr.msg_name = &peers[i];
          tx[hits].msg_hdr.msg_namelen = peerLen;
          tx[hits].msg_hdr.msg_iov = &txIov[hits];
          tx[hits].msg_hdr.msg_iovlen = 1;
          hits++;
          continue;
        }
        auto* miss = new Miss{std::string(reinterpret_cast<const char*>(q), rx[i].msg_len), peers[i], peerLen};
        if (napi_call_threadsafe_function(onMiss_, miss, napi_tsfn_nonblocking) != napi_ok) {
          delete miss;
          table_->shed++;
        }
      }
      sendAll(tx, hits);
    }
  }
}

void UdpLoop::sendAll(mmsghdr* tx, int n) {
  for (int i = 0; i < n;) {
    int r = sendmmsg(fd_, tx + i, n - i, 0);
    if (r > 0) {
      i += r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (stopping_) return;  // close() is waiting: do not hold it up for a full send buffer
      pollfd p = {fd_, POLLOUT, 0};
      if (poll(&p, 1, 100) > 0) continue;
    }
    i++;  // this reply cannot go out (e.g. the client's route is gone): drop it, send the rest
  }
}
