/*
 * ponton-nflog: reads NFLOG groups of the current network namespace over raw nfnetlink and
 * prints one JSON line per logged packet on stdout, for pontond's flow collector.
 *
 * Why a helper and not a Node addon: the only work is a blocking netlink read loop; a separate
 * process keeps the daemon's event loop free, cannot crash it, needs no libnetfilter_log, and is
 * built with the same `cc` line as ponton-cni. Decoding the packet headers is left to the daemon
 * (pure TypeScript, unit-tested): this program only moves bytes.
 *
 * Usage: ponton-nflog GROUP... (e.g. 2 3)
 * Line:  {"g":2,"t":1700000000.123456,"m":123,"cm":456,"in":"br-x","out":"br-x","p":"pol-in-drop ","x":"4500…"}
 *        "cm" (ct mark) needs the conntrack glue (NFULNL_CFG_F_CONNTRACK); absent when unavailable.
 *        {"lost":N} when the kernel dropped N-ish messages because we were too slow (ENOBUFS).
 * Exits when the daemon goes away (parent-death signal, or stdout closed) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
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
#define RECV_BUF (1 << 16)

static int sock;

static void die(const char *what) {
  fprintf(stderr, "ponton-nflog: %s: %s\n", what, strerror(errno));
  exit(1);
}

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

static void print_hex(const unsigned char *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    putchar(digits[p[i] >> 4]);
    putchar(digits[p[i] & 15]);
  }
}

/* Interface name as a JSON string (names are [A-Za-z0-9._-@]: nothing to escape but be safe). */
static void print_ifname(const char *key, uint32_t index) {
  char name[IF_NAMESIZE] = {0};
  if (!index || !if_indextoname(index, name)) return;
  printf(",\"%s\":\"", key);
  for (char *c = name; *c; c++) putchar(*c == '"' || *c == '\\' ? '_' : *c);
  putchar('"');
}

static uint32_t be32(const struct nlattr *a) {
  uint32_t v;
  memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
  return ntohl(v);
}

/* The ct mark inside NFULA_CT (nested CTA_* attributes), or -1. */
static int64_t ct_mark(const struct nlattr *ct) {
  int rest = ct->nla_len - NLA_HDRLEN;
  const struct nlattr *a = (const struct nlattr *)((const char *)ct + NLA_HDRLEN);
  while (rest >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rest) {
    if ((a->nla_type & NLA_TYPE_MASK) == CTA_MARK && a->nla_len >= NLA_HDRLEN + 4) return be32(a);
    rest -= NLA_ALIGN(a->nla_len);
    a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
  }
  return -1;
}

static void packet(const struct nlmsghdr *nh) {
  const struct nfgenmsg *g = (const struct nfgenmsg *)NLMSG_DATA(nh);
  int rest = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
  const struct nlattr *a = (const struct nlattr *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
  const struct nlattr *payload = NULL, *prefix = NULL, *ct = NULL;
  uint32_t mark = 0, in = 0, out = 0;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  double t = (double)now.tv_sec + now.tv_nsec / 1e9;
  while (rest >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rest) {
    switch (a->nla_type & NLA_TYPE_MASK) {
      case NFULA_MARK: mark = be32(a); break;
      case NFULA_IFINDEX_INDEV: in = be32(a); break;
      case NFULA_IFINDEX_OUTDEV: out = be32(a); break;
      case NFULA_PAYLOAD: payload = a; break;
      case NFULA_PREFIX: prefix = a; break;
      case NFULA_CT: ct = a; break;
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
  printf("{\"g\":%u,\"f\":%u,\"t\":%.6f,\"m\":%u", ntohs(g->res_id), g->nfgen_family, t, mark);
  if (ct) {
    int64_t cm = ct_mark(ct);
    if (cm >= 0) printf(",\"cm\":%lld", (long long)cm);
  }
  print_ifname("in", in);
  print_ifname("out", out);
  if (prefix) {
    fputs(",\"p\":\"", stdout);
    for (const char *c = (const char *)prefix + NLA_HDRLEN; c < (const char *)prefix + prefix->nla_len && *c; c++) {
      putchar(*c >= 32 && *c < 127 && *c != '"' && *c != '\\' ? *c : '_');
    }
    putchar('"');
  }
  if (payload) {
    fputs(",\"x\":\"", stdout);
    print_hex((const unsigned char *)payload + NLA_HDRLEN, payload->nla_len - NLA_HDRLEN);
    putchar('"');
  }
  fputs("}\n", stdout);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ponton-nflog GROUP...\n");
    return 2;
  }
  /* Never outlive the daemon, even after a kill -9. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 0;
  sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) die("socket");
  int size = 8 << 20;
  if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind");

  int with_ct = 1;
  for (int i = 1; i < argc; i++) {
    uint16_t group = (uint16_t)atoi(argv[i]);
    struct nfulnl_msg_config_cmd bind_cmd = {.command = NFULNL_CFG_CMD_BIND};
    int err = config(group, NFULA_CFG_CMD, &bind_cmd, sizeof(bind_cmd));
    if (err) {
      errno = err;
      die("bind group (another listener on it?)");
    }
    struct nfulnl_msg_config_mode mode = {.copy_range = htonl(COPY_RANGE), .copy_mode = NFULNL_COPY_PACKET};
    if ((errno = config(group, NFULA_CFG_MODE, &mode, sizeof(mode)))) die("copy mode");
    /* Batch up to 64 packets per netlink message but never hold one longer than 50 ms: a busy
       host costs a syscall per batch, not per connection, and records stay near real time. */
    uint32_t batch = htonl(64), hold = htonl(5);
    config(group, NFULA_CFG_QTHRESH, &batch, sizeof(batch));
    config(group, NFULA_CFG_TIMEOUT, &hold, sizeof(hold));
    uint16_t flags = htons(NFULNL_CFG_F_CONNTRACK);
    if (with_ct && config(group, NFULA_CFG_FLAGS, &flags, sizeof(flags))) with_ct = 0;
  }
  fprintf(stderr, "ponton-nflog: listening (conntrack marks %s)\n", with_ct ? "on" : "unavailable");
  printf("{\"ready\":true,\"ct\":%s}\n", with_ct ? "true" : "false");
  fflush(stdout);

  static char buf[RECV_BUF];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        printf("{\"lost\":1}\n");
        continue;
      }
      die("recv");
    }
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) packet(nh);
    }
    if (fflush(stdout) == EOF) return 0;
  }
}
