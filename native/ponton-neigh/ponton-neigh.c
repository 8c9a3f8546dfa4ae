/*
 * ponton-neigh: the neighbour lines of pontond's `ip -batch` in its own (host) namespace, without
 * iproute2's link dump. `ip neigh replace|del` first dumps every link of the namespace (ll_init_map),
 * and for each veth whose peer lives in another namespace the kernel walks every namespace id the
 * host holds (peernet2id): O(links × namespaces) per call, one call per workload made — at 4,300
 * routed workloads a third of the machine's CPU. Here the interface is found by name alone
 * (if_nametoindex: one ioctl) and each line is one RTM_NEWNEIGH/RTM_DELNEIGH.
 *
 * Lines on stdin (the syntax pontond writes, a subset of ip's):
 *   neigh replace ADDR lladdr MAC dev IF nud permanent
 *   neigh replace proxy ADDR dev IF
 *   neigh del ADDR dev IF
 * As `ip -batch`: stops at the first failure with "RTNETLINK answers: …" and "Command failed -:LINE"
 * on stderr, exit 1; a line outside that syntax is exit 2 (pontond's mistake, never the kernel's).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../netlink-attr.h"

#define MAX_WORDS 12

struct neigh_line {
  int del, proxy;
  int family;
  unsigned char addr[16];
  int addr_len;
  unsigned char mac[6];
  int has_mac;
  const char *dev;
};

static int split(char *line, char **words) {
  int n = 0;
  for (char *w = strtok(line, " \t\n"); w && n < MAX_WORDS; w = strtok(NULL, " \t\n")) words[n++] = w;
  return n;
}

static int parse_addr(const char *text, struct neigh_line *l) {
  if (inet_pton(AF_INET, text, l->addr) == 1) {
    l->family = AF_INET;
    l->addr_len = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, l->addr) == 1) {
    l->family = AF_INET6;
    l->addr_len = 16;
    return 0;
  }
  return -1;
}

/* 0, or -1 when the line is not of the accepted syntax. */
static int parse(char **w, int n, struct neigh_line *l) {
  memset(l, 0, sizeof(*l));
  if (n < 5 || strcmp(w[0], "neigh") != 0) return -1;
  int i = 2;
  if (strcmp(w[1], "del") == 0) l->del = 1;
  else if (strcmp(w[1], "replace") != 0) return -1;
  if (!l->del && strcmp(w[i], "proxy") == 0) {
    l->proxy = 1;
    i++;
  }
  if (i >= n || parse_addr(w[i++], l) < 0) return -1;
  for (; i + 1 < n; i += 2) {
    if (strcmp(w[i], "lladdr") == 0) {
      unsigned int m[6];
      if (sscanf(w[i + 1], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return -1;
      for (int k = 0; k < 6; k++) l->mac[k] = (unsigned char)m[k];
      l->has_mac = 1;
    } else if (strcmp(w[i], "dev") == 0) l->dev = w[i + 1];
    else if (strcmp(w[i], "nud") == 0) {
      if (strcmp(w[i + 1], "permanent") != 0) return -1;
    } else return -1;
  }
  if (i != n || !l->dev || (l->proxy && l->has_mac) || (!l->del && !l->proxy && !l->has_mac)) return -1;
  return 0;
}

/* 0 or a negative errno (the kernel's answer, or the interface missing). */
static int apply(int fd, const struct neigh_line *l, unsigned seq) {
  char msg[256];
  memset(msg, 0, sizeof(msg));
  unsigned ifindex = if_nametoindex(l->dev);
  if (ifindex == 0) return -ENODEV;
  struct nlmsghdr *h = (struct nlmsghdr *)msg;
  h->nlmsg_type = l->del ? RTM_DELNEIGH : RTM_NEWNEIGH;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (l->del ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
  h->nlmsg_seq = seq;
  struct ndmsg *nd = (struct ndmsg *)NLMSG_DATA(h);
  nd->ndm_family = (unsigned char)l->family;
  nd->ndm_ifindex = (int)ifindex;
  nd->ndm_state = NUD_PERMANENT;
  if (l->proxy) nd->ndm_flags = NTF_PROXY;
  size_t len = NLMSG_LENGTH(sizeof(*nd));
  len = put_attr(msg, len, NDA_DST, l->addr, (uint16_t)l->addr_len);
  if (l->has_mac) len = put_attr(msg, len, NDA_LLADDR, l->mac, 6);
  h->nlmsg_len = (unsigned)len;
  if (send(fd, msg, len, 0) < 0) return -errno;
  char answer[1024];
  for (;;) {
    ssize_t got = recv(fd, answer, sizeof(answer), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *a = (struct nlmsghdr *)answer; NLMSG_OK(a, (unsigned)got); a = NLMSG_NEXT(a, got)) {
      if (a->nlmsg_seq != seq || a->nlmsg_type != NLMSG_ERROR) continue;
      return ((struct nlmsgerr *)NLMSG_DATA(a))->error;
    }
  }
}

int main(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    perror("ponton-neigh: netlink socket");
    return 1;
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
    perror("ponton-neigh: bind");
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  unsigned number = 0;
  while (getline(&line, &cap, stdin) >= 0) {
    number++;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", line);
    copy[strcspn(copy, "\n")] = 0;
    char *w[MAX_WORDS];
    int n = split(line, w);
    if (n == 0) continue;
    struct neigh_line l;
    if (parse(w, n, &l) < 0) {
      fprintf(stderr, "ponton-neigh: unsupported line %u: %s\n", number, copy);
      return 2;
    }
    int err = apply(fd, &l, number);
    if (err == -ENODEV && if_nametoindex(l.dev) == 0) {
      fprintf(stderr, "Cannot find device \"%s\"\nCommand failed -:%u\n", l.dev, number);
      return 1;
    }
    if (err < 0) {
      fprintf(stderr, "RTNETLINK answers: %s\nCommand failed -:%u\n", strerror(-err), number);
      return 1;
    }
  }
  free(line);
  return 0;
}
