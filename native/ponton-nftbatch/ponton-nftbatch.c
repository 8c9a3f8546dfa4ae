/*
 * ponton-nftbatch: a long-lived writer that sends pontond's nf_tables batches to the kernel.
 *
 * Why not `nft -f` for every change: nft 1.0.6 dumps every chain of the ruleset to build its cache
 * before any `add element` or `add rule`, and there is one chain per service port, so each small
 * change cost ~25 ms at 10,000 services plus a process spawn. pontond encodes the messages itself
 * (src/kernel/nft-netlink) and this helper only carries them: no cache, no parsing, no dump.
 *
 * Protocol, stdin -> stdout, one request at a time:
 *   request:  u32 length (host order), then that many bytes: a whole batch (BATCH_BEGIN ... BATCH_END,
 *             every message with NLM_F_ACK), built by pontond.
 *   reply:    one line, "0" when the kernel committed the batch, or "ERRNO SEQ" for the first
 *             message it refused (the kernel then aborted the whole batch: nothing applied).
 * Exits 0 at end of input, 1 on an I/O error (pontond starts a new one).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Batches larger than this go through `nft -f` (a full reload) instead. */
#define MAX_BATCH (8u << 20)

static int read_full(void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(0, (char *)buf + got, len - got);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)n;
  }
  return 1;
}

/* The kernel handles a batch inside sendmsg: every reply is queued when it returns. */
static void drain(int sock, int *err, uint32_t *seq) {
  static char buf[1 << 16];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN: all read */
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (e != 0 && *err == 0) {
        *err = e;
        *seq = h->nlmsg_seq;
      }
    }
  }
}

int main(void) {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) {
    fprintf(stderr, "ponton-nftbatch: socket: %s\n", strerror(errno));
    return 1;
  }
  int on = 1;
  int size = MAX_BATCH;
  /* Acks carry the header only; a large batch must fit the send buffer in one sendmsg. */
  setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
  if (setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0) setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  char *batch = malloc(MAX_BATCH);
  if (!batch) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    uint32_t len;
    int r = read_full(&len, sizeof(len));
    if (r == 0) return 0;
    if (r < 0 || len > MAX_BATCH || read_full(batch, len) != 1) return 1;
    int err = 0;
    uint32_t seq = 0;
    if (sendto(sock, batch, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) err = errno;
    else drain(sock, &err, &seq);
    if (err) printf("%d %u\n", err, seq);
    else printf("0\n");
  }
}
