/*
 * ponton-watch: tells pontond, as it happens, about changes to what it owns in the kernel, so that
 * damage is repaired without polling anything.
 *
 * Three event sources, all of the current network namespace, read in one poll() loop:
 *   - nf_tables (NFNLGRP_NFTABLES): the kernel announces every committed transaction, object by
 *     object, then NFT_MSG_NEWGEN with the new generation and the PID of the committing process.
 *     Objects of other tables are skipped here; a transaction that touched our table is printed
 *     once, at its NEWGEN, with that PID: pontond tells its own commits (its nft processes, its
 *     ponton-nftbatch) from anybody else's by it.
 *   - rtnetlink (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR): links and addresses
 *     whose name starts with one of the given prefixes; (RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE)
 *     deleted main-table routes through such a link, and deleted unreachable routes (routed networks).
 *   - inotify on /run/netns: a named namespace with the given prefix removed (`ip netns del`).
 *   - rtnetlink inside workload namespaces: pontond writes `watch NAME` / `unwatch NAME` on stdin
 *     (NAME under /run/netns). ONE socket serves them all, in our own namespace, with
 *     NETLINK_LISTEN_ALL_NSID: the kernel hands it the link and address events of every namespace
 *     that has an id (nsid) here, the nsid in a control message. At `watch NAME` the namespace's nsid
 *     is read (RTM_GETNSID by a descriptor of /run/netns/NAME), assigned first if it has none
 *     (RTM_NEWNSID), and the descriptor closed again: nothing here holds a namespace alive, and the
 *     descriptors stay the same few however many namespaces are watched (a socket per namespace
 *     cost one descriptor each, and every notification of the machine walked all of them). Events
 *     of an nsid not watched (other namespaces) are skipped. The mapping goes when the name leaves
 *     /run/netns or the kernel frees the nsid (RTM_DELNSID: the namespace died, its id may be given
 *     to another); a name made again under /run/netns while watched is looked up again (a new
 *     namespace, a new nsid) and its events may have been missed meanwhile (`lost in NAME`).
 * Usage: ponton-watch FAMILY TABLE NETNS_PREFIX IFPREFIX...   (e.g. inet ponton ponton- pbr- pv- ponton0)
 * Lines (stdout):
 *   ready
 *   nft GEN PID                 a transaction that touched FAMILY TABLE, committed by PID
 *   link new|del NAME MASTER UP  MASTER: ifindex of the master or 0; UP: 1 or 0
 *   addr new|del NAME ADDR/LEN
 *   route del NAME|- DST/LEN    NAME: the route's device, "-" for an unreachable route
 *   netns del NAME
 *   inlink NAME new|del IFNAME UP       inside watched namespace NAME (lo skipped)
 *   inaddr NAME new|del ADDR/LEN        inside watched namespace NAME
 *   lost in NAME                        events of that namespace dropped or missed
 *   lost nft|route              the kernel dropped events (ENOBUFS): the consumer must look for itself
 * Exits when pontond goes away (parent-death signal, stdin or stdout closed) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../netlink-attr.h"

#define RECV_BUF (1 << 16)
#define NETNS_DIR "/run/netns"

static const char *family_name, *table_name, *netns_prefix;
static char **if_prefixes;
static int n_if_prefixes;
static int family;
/* Whether the transaction being announced touched our table (reset at each NEWGEN). */
static int touched;

static void die(const char *what) {
  fprintf(stderr, "ponton-watch: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int open_netlink(int proto, const unsigned *groups, int n) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
  if (s < 0) die("socket");
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind");
  for (int i = 0; i < n; i++) {
    if (setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0) die("join group");
  }
  /* A whole-table replace announces every object: room for a large one before ENOBUFS. */
  int size = 32 << 20;
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return s;
}

/* The first attribute of type `type` in a message body after `hdr` bytes of fixed header. */
static const struct nlattr *attr(const struct nlmsghdr *nh, size_t hdr, uint16_t type) {
  int rest = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(hdr);
  const struct nlattr *a = (const struct nlattr *)((const char *)NLMSG_DATA(nh) + NLMSG_ALIGN(hdr));
  while (rest >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rest) {
    if ((a->nla_type & NLA_TYPE_MASK) == type) return a;
    rest -= NLA_ALIGN(a->nla_len);
    a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
  }
  return NULL;
}

static const char *attr_str(const struct nlattr *a) {
  return a && a->nla_len > NLA_HDRLEN ? (const char *)a + NLA_HDRLEN : NULL;
}

static uint32_t attr_u32(const struct nlattr *a) {
  uint32_t v = 0;
  if (a && a->nla_len >= NLA_HDRLEN + 4) memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
  return v;
}

/* Which attribute names the table in each kind of nf_tables message (they all come first, as 1). */
static uint16_t table_attr(int msg) {
  switch (msg) {
    case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: return NFTA_TABLE_NAME;
    case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: return NFTA_CHAIN_TABLE;
    case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: return NFTA_RULE_TABLE;
    case NFT_MSG_NEWSET: case NFT_MSG_DELSET: return NFTA_SET_TABLE;
    case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM: return NFTA_SET_ELEM_LIST_TABLE;
    case NFT_MSG_NEWOBJ: case NFT_MSG_DELOBJ: return NFTA_OBJ_TABLE;
    case NFT_MSG_NEWFLOWTABLE: case NFT_MSG_DELFLOWTABLE: return NFTA_FLOWTABLE_TABLE;
    default: return 0;
  }
}

static void nft_message(const struct nlmsghdr *nh) {
  if ((nh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return;
  int msg = nh->nlmsg_type & 0xff;
  const struct nfgenmsg *g = (const struct nfgenmsg *)NLMSG_DATA(nh);
  if (msg == NFT_MSG_NEWGEN) {
    if (touched) printf("nft %u %u\n", ntohl(attr_u32(attr(nh, sizeof(*g), NFTA_GEN_ID))), ntohl(attr_u32(attr(nh, sizeof(*g), NFTA_GEN_PROC_PID))));
    touched = 0;
    return;
  }
  uint16_t t = table_attr(msg);
  if (!t || g->nfgen_family != family) return;
  const char *name = attr_str(attr(nh, sizeof(*g), t));
  if (name && strcmp(name, table_name) == 0) touched = 1;
}

static int ours(const char *ifname) {
  for (int i = 0; i < n_if_prefixes; i++) {
    if (strncmp(ifname, if_prefixes[i], strlen(if_prefixes[i])) == 0) return 1;
  }
  return 0;
}

static void link_message(const struct nlmsghdr *nh) {
  const struct ifinfomsg *ifi = (const struct ifinfomsg *)NLMSG_DATA(nh);
  const char *name = attr_str(attr(nh, sizeof(*ifi), IFLA_IFNAME));
  if (!name || !ours(name)) return;
  uint32_t master = attr_u32(attr(nh, sizeof(*ifi), IFLA_MASTER));
  printf("link %s %s %u %d\n", nh->nlmsg_type == RTM_DELLINK ? "del" : "new", name, master, (ifi->ifi_flags & IFF_UP) ? 1 : 0);
}

static void addr_message(const struct nlmsghdr *nh) {
  const struct ifaddrmsg *ifa = (const struct ifaddrmsg *)NLMSG_DATA(nh);
  const struct nlattr *label = attr(nh, sizeof(*ifa), IFA_LABEL);
  char name[IF_NAMESIZE] = {0};
  /* IPv6 addresses carry no label: the index names the link (gone already when it was deleted). */
  if (label) snprintf(name, sizeof(name), "%s", attr_str(label));
  else if (!if_indextoname(ifa->ifa_index, name)) return;
  if (!ours(name)) return;
  const struct nlattr *a = attr(nh, sizeof(*ifa), IFA_LOCAL);
  if (!a) a = attr(nh, sizeof(*ifa), IFA_ADDRESS);
  if (!a) return;
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(ifa->ifa_family, (const char *)a + NLA_HDRLEN, text, sizeof(text))) return;
  printf("addr %s %s %s/%u\n", nh->nlmsg_type == RTM_DELADDR ? "del" : "new", name, text, ifa->ifa_prefixlen);
}

/* The watched namespace whose events are being read. */
static const char *in_ns;

/* Reads everything queued on a socket of our own namespace; a loss (ENOBUFS) is reported as a line and reading goes on. */
static void drain(int sock, const char *what, void (*handle)(const struct nlmsghdr *)) {
  static char buf[RECV_BUF];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      if (errno == ENOBUFS) {
        /* Whatever transaction was half read is unknown now: the consumer looks for itself. */
        touched = 0;
        printf("lost %s\n", what);
        continue;
      }
      die("recv");
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) handle(h);
  }
}

/* A deleted route: only its removal is damage (a route of ours being made is no news). */
static void rt_message(const struct nlmsghdr *nh) {
  const struct rtmsg *rtm = (const struct rtmsg *)NLMSG_DATA(nh);
  if (nh->nlmsg_type != RTM_DELROUTE || rtm->rtm_table != RT_TABLE_MAIN) return;
  const struct nlattr *dst = attr(nh, sizeof(*rtm), RTA_DST);
  if (!dst) return;
  char name[IF_NAMESIZE] = "-";
  if (rtm->rtm_type != RTN_UNREACHABLE) {
    uint32_t oif = attr_u32(attr(nh, sizeof(*rtm), RTA_OIF));
    /* A route that went with its link: the link's own event says so. */
    if (!oif || !if_indextoname(oif, name) || !ours(name)) return;
  }
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(rtm->rtm_family, (const char *)dst + NLA_HDRLEN, text, sizeof(text))) return;
  printf("route del %s %s/%u\n", name, text, rtm->rtm_dst_len);
}

static void route_message(const struct nlmsghdr *nh) {
  if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK) link_message(nh);
  else if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR) addr_message(nh);
  else if (nh->nlmsg_type == RTM_DELROUTE) rt_message(nh);
}

/* Inside a workload's namespace every interface but lo is of interest; addresses are named by value
 * (an index means nothing outside that namespace). */
static void ns_message(const struct nlmsghdr *nh) {
  const char *op = (nh->nlmsg_type == RTM_DELLINK || nh->nlmsg_type == RTM_DELADDR) ? "del" : "new";
  if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK) {
    const struct ifinfomsg *ifi = (const struct ifinfomsg *)NLMSG_DATA(nh);
    const char *name = attr_str(attr(nh, sizeof(*ifi), IFLA_IFNAME));
    if (!name || strcmp(name, "lo") == 0) return;
    printf("inlink %s %s %s %d\n", in_ns, op, name, (ifi->ifi_flags & IFF_UP) ? 1 : 0);
  } else if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR) {
    const struct ifaddrmsg *ifa = (const struct ifaddrmsg *)NLMSG_DATA(nh);
    const struct nlattr *a = attr(nh, sizeof(*ifa), IFA_LOCAL);
    if (!a) a = attr(nh, sizeof(*ifa), IFA_ADDRESS);
    char text[INET6_ADDRSTRLEN];
    if (!a || !inet_ntop(ifa->ifa_family, (const char *)a + NLA_HDRLEN, text, sizeof(text))) return;
    if (strcmp(text, "127.0.0.1") == 0 || strcmp(text, "::1") == 0) return;
    printf("inaddr %s %s %s/%u\n", in_ns, op, text, ifa->ifa_prefixlen);
  }
}


/*
 * Watched workload namespaces: a slot per name (chained in a hash table by name), and a table from
 * nsid to slot (nsids are small: the kernel gives the lowest free one). nsid -1: not known now (the
 * name is gone from /run/netns, is not a namespace yet, or its id was freed).
 */
struct ns_watch {
  char name[NAME_MAX + 1];
  int used;
  int nsid;
  int next;  /* next slot in the same hash chain, -1: none */
  int tries; /* lookups left after the name appeared again (the bind mount follows the file) */
};
static struct ns_watch *watches;
static int n_watches, *buckets, n_buckets, *by_nsid, n_by_nsid;
/* Slots whose name appeared again and is not yet a namespace we could look up. */
static int *pending, n_pending;
static int ctl; /* rtnetlink requests (nsid lookups), our own namespace */
#define RETRY_MS 20
#define RETRIES 250

static unsigned name_hash(const char *s) {
  unsigned h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

static int find_watch(const char *name) {
  if (!n_buckets) return -1;
  for (int i = buckets[name_hash(name) & (n_buckets - 1)]; i >= 0; i = watches[i].next) {
    if (strcmp(watches[i].name, name) == 0) return i;
  }
  return -1;
}

static void *grow(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q) die("realloc");
  return q;
}

/* A slot for a new name, the table grown (and rehashed) when full. */
static int new_watch(const char *name) {
  int slot = 0;
  while (slot < n_watches && watches[slot].used) slot++;
  if (slot == n_watches) {
    int more = n_watches * 2 + 16;
    watches = grow(watches, (size_t)more * sizeof(*watches));
    for (int i = n_watches; i < more; i++) watches[i].used = 0;
    n_watches = more;
    n_buckets = 1;
    while (n_buckets < more) n_buckets *= 2;
    buckets = grow(buckets, (size_t)n_buckets * sizeof(*buckets));
    for (int i = 0; i < n_buckets; i++) buckets[i] = -1;
    for (int i = 0; i < slot; i++) {
      int *b = &buckets[name_hash(watches[i].name) & (n_buckets - 1)];
      watches[i].next = *b;
      *b = i;
    }
  }
  struct ns_watch *w = &watches[slot];
  snprintf(w->name, sizeof(w->name), "%s", name);
  w->used = 1;
  w->nsid = -1;
  w->tries = 0;
  int *b = &buckets[name_hash(name) & (n_buckets - 1)];
  w->next = *b;
  *b = slot;
  return slot;
}

static int watch_of_nsid(int nsid) {
  return nsid >= 0 && nsid < n_by_nsid ? by_nsid[nsid] : -1;
}

static void forget_nsid(int slot) {
  int id = watches[slot].nsid;
  if (id >= 0 && id < n_by_nsid && by_nsid[id] == slot) by_nsid[id] = -1;
  watches[slot].nsid = -1;
}

static void set_nsid(int slot, int id) {
  forget_nsid(slot);
  /* A stale owner of the id (its namespace died unseen): the id is this name's now. */
  if (watch_of_nsid(id) >= 0) watches[by_nsid[id]].nsid = -1;
  if (id >= n_by_nsid) {
    int more = id * 2 + 64;
    by_nsid = grow(by_nsid, (size_t)more * sizeof(*by_nsid));
    for (int i = n_by_nsid; i < more; i++) by_nsid[i] = -1;
    n_by_nsid = more;
  }
  by_nsid[id] = slot;
  watches[slot].nsid = id;
}

static void drop_watch(int slot) {
  forget_nsid(slot);
  int *p = &buckets[name_hash(watches[slot].name) & (n_buckets - 1)];
  while (*p != slot) p = &watches[*p].next;
  *p = watches[slot].next;
  watches[slot].used = 0;
  watches[slot].tries = 0; /* a pending entry of a dropped slot is skipped */
}

/*
 * One request on `ctl` (RTM_GETNSID or RTM_NEWNSID about the namespace behind `fd`); returns the
 * nsid of the answer, -1 for "none assigned", -2 on an error (errno set) or an ack.
 */
static int nsid_request(uint16_t type, int fd, int32_t want) {
  char msg[64] = {0};
  struct nlmsghdr *nh = (struct nlmsghdr *)msg;
  nh->nlmsg_type = type;
  nh->nlmsg_flags = NLM_F_REQUEST | (type == RTM_NEWNSID ? NLM_F_ACK : 0);
  static uint32_t seq;
  nh->nlmsg_seq = ++seq;
  ((struct rtgenmsg *)NLMSG_DATA(nh))->rtgen_family = AF_UNSPEC;
  size_t len = NLMSG_LENGTH(sizeof(struct rtgenmsg));
  uint32_t u = (uint32_t)fd;
  len = put_attr(msg, len, NETNSA_FD, &u, sizeof(u));
  if (type == RTM_NEWNSID) len = put_attr(msg, len, NETNSA_NSID, &want, sizeof(want));
  nh->nlmsg_len = (uint32_t)len;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(ctl, msg, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) return -2;
  static char buf[RECV_BUF];
  for (;;) {
    ssize_t n = recv(ctl, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -2;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue; /* an answer to an earlier request given up on */
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        errno = -err;
        return -2;
      }
      if (h->nlmsg_type == RTM_NEWNSID) {
        const struct nlattr *a = attr(h, sizeof(struct rtgenmsg), NETNSA_NSID);
        return a ? (int32_t)attr_u32(a) : -2;
      }
    }
  }
}

/* The nsid of /run/netns/NAME here, assigned if it has none; -1 when it is not (yet) a namespace. */
static int lookup_nsid(const char *name) {
  char path[sizeof(NETNS_DIR) + NAME_MAX + 2];
  snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int id = nsid_request(RTM_GETNSID, fd, 0);
  if (id == NETNSA_NSID_NOT_ASSIGNED) {
    /* -1: the kernel picks the id. EEXIST: someone assigned one meanwhile; either way, read it back. */
    if (nsid_request(RTM_NEWNSID, fd, -1) == -2 && errno != 0 && errno != EEXIST) id = -2;
    else id = nsid_request(RTM_GETNSID, fd, 0);
  }
  int err = errno;
  close(fd);
  errno = err;
  return id >= 0 ? id : -1;
}

static void appeared(const char *name);

static void watch(const char *name) {
  if (strlen(name) > NAME_MAX || strchr(name, '/') || !*name) return;
  int slot = find_watch(name);
  if (slot < 0) slot = new_watch(name);
  int id = lookup_nsid(name);
  if (id >= 0) set_nsid(slot, id);
  else appeared(name); /* not a namespace yet: looked up again for a while */
}

/* A watched name (re)appeared under /run/netns: a new namespace, looked up once its bind mount is there. */
static void appeared(const char *name) {
  int slot = find_watch(name);
  if (slot < 0) return;
  forget_nsid(slot);
  if (!watches[slot].tries) {
    pending = grow(pending, (size_t)(n_pending + 1) * sizeof(*pending));
    pending[n_pending++] = slot;
  }
  watches[slot].tries = RETRIES;
}

/* Looks up the pending names again; those found were unwatched since they appeared: `lost in NAME`. */
static void retry_pending(void) {
  int kept = 0;
  for (int i = 0; i < n_pending; i++) {
    struct ns_watch *w = &watches[pending[i]];
    if (!w->used || !w->tries) continue;
    int id = lookup_nsid(w->name);
    if (id >= 0) {
      set_nsid(pending[i], id);
      w->tries = 0;
      printf("lost in %s\n", w->name);
    } else if (--w->tries) pending[kept++] = pending[i];
    else fprintf(stderr, "ponton-watch: cannot watch %s/%s: %s\n", NETNS_DIR, w->name, strerror(errno));
  }
  n_pending = kept;
}

/* Events of other namespaces, by nsid: those of watched names printed, RTM_DELNSID unmaps an id. */
static void drain_inside(int sock) {
  static char buf[RECV_BUF];
  char control[CMSG_SPACE(sizeof(int))];
  for (;;) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
    ssize_t n = recvmsg(sock, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      if (errno == ENOBUFS) {
        for (int i = 0; i < n_watches; i++) {
          if (watches[i].used && watches[i].nsid >= 0) printf("lost in %s\n", watches[i].name);
        }
        continue;
      }
      die("recvmsg");
    }
    int nsid = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (nsid < 0) {
        /* Our own namespace (its links and addresses are the other socket's): only freed ids matter. */
        if (h->nlmsg_type == RTM_DELNSID) {
          int slot = watch_of_nsid((int32_t)attr_u32(attr(h, sizeof(struct rtgenmsg), NETNSA_NSID)));
          if (slot >= 0) forget_nsid(slot);
        }
        continue;
      }
      int slot = watch_of_nsid(nsid);
      if (slot < 0) continue;
      in_ns = watches[slot].name;
      ns_message(h);
    }
  }
}

/* `watch NAME` / `unwatch NAME` lines from pontond; end of input: pontond is gone. */
static void commands(void) {
  static char line[4096];
  static size_t have;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, line + have, sizeof(line) - 1 - have);
    if (n == 0) exit(0);
    if (n < 0) return;
    have += (size_t)n;
    char *start = line, *nl;
    while ((nl = memchr(start, '\n', have - (size_t)(start - line)))) {
      *nl = 0;
      if (strncmp(start, "watch ", 6) == 0) watch(start + 6);
      else if (strncmp(start, "unwatch ", 8) == 0) {
        int slot = find_watch(start + 8);
        if (slot >= 0) drop_watch(slot);
      }
      start = nl + 1;
    }
    have -= (size_t)(start - line);
    memmove(line, start, have);
    if (have == sizeof(line) - 1) have = 0; /* a line this long is not ours */
  }
}

static void netns_events(int fd) {
  static char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      if (e->len && (e->mask & IN_DELETE)) {
        /* Until the name is back it stands for no namespace (and the old one's id may go to another). */
        int slot = find_watch(e->name);
        if (slot >= 0) forget_nsid(slot);
        if (strncmp(e->name, netns_prefix, strlen(netns_prefix)) == 0) printf("netns del %s\n", e->name);
      }
      if (e->len && (e->mask & IN_CREATE)) appeared(e->name);
      p += sizeof(*e) + e->len;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: ponton-watch FAMILY TABLE NETNS_PREFIX IFPREFIX...\n");
    return 2;
  }
  family_name = argv[1];
  table_name = argv[2];
  netns_prefix = argv[3];
  if_prefixes = argv + 4;
  n_if_prefixes = argc - 4;
  family = strcmp(family_name, "inet") == 0 ? NFPROTO_INET : strcmp(family_name, "ip") == 0 ? NFPROTO_IPV4 : strcmp(family_name, "ip6") == 0 ? NFPROTO_IPV6 : -1;
  if (family < 0) {
    fprintf(stderr, "ponton-watch: unknown family %s\n", family_name);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 0;
  signal(SIGPIPE, SIG_DFL);

  const unsigned nft_groups[] = {NFNLGRP_NFTABLES};
  const unsigned route_groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
  /* Links, addresses and freed nsids; the route groups stay off: every namespace's routes would come. */
  const unsigned inside_groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_NSID};
  int nft = open_netlink(NETLINK_NETFILTER, nft_groups, 1);
  int route = open_netlink(NETLINK_ROUTE, route_groups, 5);
  int inside = open_netlink(NETLINK_ROUTE, inside_groups, 4);
  int on = 1;
  if (setsockopt(inside, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, sizeof(on)) < 0) die("NETLINK_LISTEN_ALL_NSID");
  ctl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (ctl < 0) die("socket");
  struct timeval answer_within = {.tv_sec = 5};
  setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &answer_within, sizeof(answer_within));
  int notify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (notify < 0) die("inotify_init1");
  mkdir(NETNS_DIR, 0755); /* `ip netns add` makes it on first use; watch it from the start */
  if (inotify_add_watch(notify, NETNS_DIR, IN_DELETE | IN_CREATE) < 0) die("inotify_add_watch " NETNS_DIR);
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  const int fixed[] = {nft, route, notify, STDIN_FILENO, inside};
  for (int i = 0; i < (int)(sizeof(fixed) / sizeof(fixed[0])); i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fixed[i], &ev) < 0) die("epoll_ctl");
  }

  printf("ready\n");
  fflush(stdout);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epfd, events, 64, n_pending ? RETRY_MS : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      uint64_t k = events[i].data.u64;
      if (k == 0) drain(nft, "nft", nft_message);
      else if (k == 1) drain(route, "route", route_message);
      else if (k == 2) netns_events(notify);
      else if (k == 3) commands();
      else drain_inside(inside);
    }
    if (n_pending) retry_pending();
    /* One write per wake-up; a closed stdout (pontond gone) ends us through SIGPIPE. */
    if (fflush(stdout) != 0) return 0;
  }
}
