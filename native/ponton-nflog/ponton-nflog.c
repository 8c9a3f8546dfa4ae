/*
 * ponton-nflog: reads NFLOG groups of the current network namespace over raw nfnetlink and hands
 * pontond's flow collector compact binary frames on stdout, many per write.
 *
 * Why a helper and not a Node addon: the only work is a blocking netlink read loop; a separate
 * process keeps the daemon's event loop free, cannot crash it, needs no libnetfilter_log, and is
 * built with the same `cc` line as ponton-cni. Decoding the packet headers is left to the daemon
 * (pure TypeScript, unit-tested, done only when a record is read): this program only moves bytes.
 *
 * Why binary and batched: at ten thousand new connections a second, one JSON line per packet (hex
 * payload, an if_indextoname per interface) cost more CPU than the connections themselves. Now a
 * packet is one fixed header plus its first bytes; interface names and log prefixes are sent once
 * as numbered strings and packets carry the numbers.
 *
 * Usage: ponton-nflog GROUP...   (e.g. 2 3)
 *        PONTON_NFLOG_RCVBUF=BYTES sets the netlink socket's buffer (default 8 MiB; the kernel
 *        doubles it): a small one lets a test see losses counted.
 * Frames, little-endian, each `u16 type, u16 size` (size a multiple of 8, header included):
 *   1 packet:  u8 group, u8 payload length, u16 in, u16 out, u16 prefix (string ids, 0 = none),
 *              u32 packet mark, f64 unix time; then the packet's first bytes (≤ 128).
 *   2 string:  u16 id, u8 length, pad; then the bytes (an interface name or a log prefix).
 *   3 lost:    u8 group, pad; u32 packets lost (gaps in the kernel's per-group sequence numbers),
 *              u32 overflows (ENOBUFS: the socket buffer was full because we read too slowly).
 *   4 ready:   once every group is bound (a packet logged after it is seen).
 *   5 forget:  string ids start again from 1 (the table was full).
 * Exits when the daemon goes away (parent-death signal, or stdout closed) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../netlink-attr.h"

#define COPY_RANGE 128
#define RECV_BUF (1 << 17)
/* Kernel-side batching: up to QTHRESH packets per netlink message, in a buffer of NLBUFSIZ bytes
   (the kernel's maximum is 128 KiB), never held longer than HOLD_CS hundredths of a second. */
#define QTHRESH 128
#define NLBUFSIZ (64 * 1024)
#define HOLD_CS 5
#define MAX_GROUPS 8
#define STRINGS 4096 /* hash slots; at most half are used before the table starts again */
#define IFCACHE 1024
#define IFNAME_MAX_AGE_S 1

enum { F_PACKET = 1, F_STRING = 2, F_LOST = 3, F_READY = 4, F_FORGET = 5 };

static int sock;

static void die(const char *what) {
  fprintf(stderr, "ponton-nflog: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* ---- output: frames gathered in one buffer, written when it fills and after each read ---- */

static unsigned char out[1 << 16];
static size_t out_len;

static void flush_out(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the daemon went away */
    }
    done += (size_t)n;
  }
  out_len = 0;
}

/* Room for a frame of `size` bytes (zeroed), returned for filling. */
static unsigned char *frame(uint16_t type, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (out_len + size > sizeof(out)) flush_out();
  unsigned char *f = out + out_len;
  memset(f, 0, size);
  uint16_t t = htole16(type), s = htole16((uint16_t)size);
  memcpy(f, &t, 2);
  memcpy(f + 2, &s, 2);
  out_len += size;
  return f;
}

static void put16(unsigned char *at, uint16_t v) {
  v = htole16(v);
  memcpy(at, &v, 2);
}

static void put32(unsigned char *at, uint32_t v) {
  v = htole32(v);
  memcpy(at, &v, 4);
}

/* ---- numbered strings: interface names and log prefixes, each sent once ---- */

static struct {
  uint16_t id;
  uint8_t len;
  char text[128];
} strings[STRINGS];
static uint16_t next_id = 1;

static struct {
  uint32_t ifindex;
  uint16_t id;
  time_t at;
} ifcache[IFCACHE];

static uint32_t hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static uint16_t intern(const char *s, size_t n) {
  if (n == 0) return 0;
  if (n > sizeof(strings[0].text)) n = sizeof(strings[0].text);
  if (next_id > STRINGS / 2) {
    memset(strings, 0, sizeof(strings));
    memset(ifcache, 0, sizeof(ifcache));
    next_id = 1;
    frame(F_FORGET, 8);
  }
  for (uint32_t slot = hash(s, n) % STRINGS;; slot = (slot + 1) % STRINGS) {
    if (strings[slot].id == 0) {
      strings[slot].id = next_id++;
      strings[slot].len = (uint8_t)n;
      memcpy(strings[slot].text, s, n);
      unsigned char *f = frame(F_STRING, 8 + n);
      put16(f + 4, strings[slot].id);
      f[6] = (uint8_t)n;
      memcpy(f + 8, s, n);
      return strings[slot].id;
    }
    if (strings[slot].len == n && memcmp(strings[slot].text, s, n) == 0) return strings[slot].id;
  }
}

/* An interface's name id, looked up again at most once a second (indexes can be reused). */
static uint16_t ifname_id(uint32_t index, time_t now) {
  if (!index) return 0;
  unsigned slot = index % IFCACHE;
  if (ifcache[slot].ifindex == index && now - ifcache[slot].at < IFNAME_MAX_AGE_S) return ifcache[slot].id;
  char name[IF_NAMESIZE] = {0};
  uint16_t id = if_indextoname(index, name) ? intern(name, strlen(name)) : 0;
  ifcache[slot].ifindex = index;
  ifcache[slot].id = id;
  ifcache[slot].at = now;
  return id;
}

/* ---- loss: the kernel numbers each group's packets; a gap is packets we never got ---- */

static struct {
  uint16_t group;
  int seen;
  uint32_t next_seq;
  uint32_t lost;
} groups[MAX_GROUPS];
static int ngroups;
static uint32_t overflows;

static void count_seq(uint16_t group, uint32_t seq) {
  for (int i = 0; i < ngroups; i++) {
    if (groups[i].group != group) continue;
    if (groups[i].seen && seq != groups[i].next_seq) groups[i].lost += seq - groups[i].next_seq;
    groups[i].seen = 1;
    groups[i].next_seq = seq + 1;
    return;
  }
}

/* Reports new losses since the last report (one frame per group that lost some). */
static void report_lost(void) {
  static uint32_t reported[MAX_GROUPS], reported_overflows;
  for (int i = 0; i < ngroups; i++) {
    if (groups[i].lost == reported[i] && (i > 0 || overflows == reported_overflows)) continue;
    unsigned char *f = frame(F_LOST, 16);
    f[4] = (uint8_t)groups[i].group;
    put32(f + 8, groups[i].lost - reported[i]);
    put32(f + 12, i == 0 ? overflows - reported_overflows : 0);
    reported[i] = groups[i].lost;
    if (i == 0) reported_overflows = overflows;
  }
}

/* ---- netlink ---- */

/* One NFULNL_MSG_CONFIG request for a group, acknowledged; returns 0 or the kernel's errno. */
static int config(uint16_t group, uint16_t attr, const void *data, uint16_t size) {
  char msg[256] = {0};
  struct nlmsghdr *nh = (struct nlmsghdr *)msg;
  nh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = (uint32_t)time(NULL);
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(nh);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(group);
  size_t len = put_attr(msg, NLMSG_LENGTH(sizeof(*g)), attr, data, size);
  nh->nlmsg_len = (uint32_t)len;
  if (send(sock, msg, len, 0) < 0) die("send");
  char reply[1024];
  for (;;) {
    ssize_t n = recv(sock, reply, sizeof(reply), 0);
    if (n < 0) {
      if (errno == ENOBUFS) continue;
      die("recv ack");
    }
    for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_type == NLMSG_ERROR) return -((struct nlmsgerr *)NLMSG_DATA(r))->error;
    }
  }
}

static uint32_t be32(const struct nlattr *a) {
  uint32_t v;
  memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
  return ntohl(v);
}

static void packet(const struct nlmsghdr *nh, double now, time_t now_s) {
  const struct nfgenmsg *g = (const struct nfgenmsg *)NLMSG_DATA(nh);
  int rest = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
  const struct nlattr *a = (const struct nlattr *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
  const struct nlattr *payload = NULL, *prefix = NULL;
  uint32_t mark = 0, in = 0, out_if = 0;
  double t = now;
  uint16_t group = ntohs(g->res_id);
  while (rest >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rest) {
    switch (a->nla_type & NLA_TYPE_MASK) {
      case NFULA_MARK: mark = be32(a); break;
      case NFULA_IFINDEX_INDEV: in = be32(a); break;
      case NFULA_IFINDEX_OUTDEV: out_if = be32(a); break;
      case NFULA_PAYLOAD: payload = a; break;
      case NFULA_PREFIX: prefix = a; break;
      case NFULA_SEQ: count_seq(group, be32(a)); break;
      case NFULA_TIMESTAMP: {
        struct nfulnl_msg_packet_timestamp ts;
        if (a->nla_len >= NLA_HDRLEN + sizeof(ts)) {
          memcpy(&ts, (const char *)a + NLA_HDRLEN, sizeof(ts));
          t = (double)be64toh(ts.sec) + be64toh(ts.usec) / 1e6;
        }
        break;
      }
    }
    rest -= NLA_ALIGN(a->nla_len);
    a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
  }
  /* Strings first: their frames must reach the daemon before the packet that names them. */
  uint16_t in_id = ifname_id(in, now_s), out_id = ifname_id(out_if, now_s), prefix_id = 0;
  if (prefix) prefix_id = intern((const char *)prefix + NLA_HDRLEN, strnlen((const char *)prefix + NLA_HDRLEN, prefix->nla_len - NLA_HDRLEN));
  size_t bytes = payload ? payload->nla_len - NLA_HDRLEN : 0;
  if (bytes > COPY_RANGE) bytes = COPY_RANGE;
  unsigned char *f = frame(F_PACKET, 32 + bytes);
  f[4] = (uint8_t)group;
  f[5] = (uint8_t)bytes;
  put16(f + 6, in_id);
  put16(f + 8, out_id);
  put16(f + 10, prefix_id);
  put32(f + 12, mark);
  uint64_t tb;
  memcpy(&tb, &t, 8);
  tb = htole64(tb);
  memcpy(f + 16, &tb, 8);
  if (bytes) memcpy(f + 32, (const char *)payload + NLA_HDRLEN, bytes);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc - 1 > MAX_GROUPS) {
    fprintf(stderr, "usage: ponton-nflog GROUP... (at most %d)\n", MAX_GROUPS);
    return 2;
  }
  /* Never outlive the daemon, even after a kill -9. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 0;
  sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) die("socket");
  const char *rcvbuf = getenv("PONTON_NFLOG_RCVBUF");
  int size = rcvbuf && atoi(rcvbuf) > 0 ? atoi(rcvbuf) : 8 << 20;
  if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind");

  for (int i = 1; i < argc; i++) {
    uint16_t group = (uint16_t)atoi(argv[i]);
    groups[ngroups++].group = group;
    struct nfulnl_msg_config_cmd bind_cmd = {.command = NFULNL_CFG_CMD_BIND};
    int err = config(group, NFULA_CFG_CMD, &bind_cmd, sizeof(bind_cmd));
    if (err) {
      errno = err;
      die("bind group (another listener on it?)");
    }
    struct nfulnl_msg_config_mode mode = {.copy_range = htonl(COPY_RANGE), .copy_mode = NFULNL_COPY_PACKET};
    if ((errno = config(group, NFULA_CFG_MODE, &mode, sizeof(mode)))) die("copy mode");
    /* A busy host costs a netlink message and a read per batch, not per connection; a quiet one
       still sees its records within HOLD_CS hundredths of a second. */
    uint32_t batch = htonl(QTHRESH), hold = htonl(HOLD_CS), bufsiz = htonl(NLBUFSIZ);
    config(group, NFULA_CFG_NLBUFSIZ, &bufsiz, sizeof(bufsiz));
    config(group, NFULA_CFG_QTHRESH, &batch, sizeof(batch));
    config(group, NFULA_CFG_TIMEOUT, &hold, sizeof(hold));
    /* Sequence numbers make every loss countable (no conntrack attributes: the rules copy the
       ct mark into the packet mark, and the kernel's whole conntrack dump per packet is not read). */
    uint16_t flags = htons(NFULNL_CFG_F_SEQ);
    if ((errno = config(group, NFULA_CFG_FLAGS, &flags, sizeof(flags)))) die("sequence numbers");
  }
  fprintf(stderr, "ponton-nflog: listening\n");
  frame(F_READY, 8);
  flush_out();

  static char buf[RECV_BUF];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        overflows++;
        report_lost();
        continue;
      }
      die("recv");
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t = (double)now.tv_sec + now.tv_nsec / 1e9;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) packet(nh, t, now.tv_sec);
    }
    report_lost();
    flush_out();
  }
}
