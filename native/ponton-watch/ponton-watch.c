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
 *     (NAME under /run/netns); for each, one socket is opened inside that namespace (setns there and
 *     back: a socket stays in the namespace it was made in) and read like the others. Idle, each
 *     costs a file descriptor and an epoll entry, no CPU. A socket holds its namespace alive, so
 *     it is closed as soon as the name goes from /run/netns (or at `unwatch`).
 *
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
 *   lost in NAME                        events of that namespace dropped
 *   lost nft|route              the kernel dropped events (ENOBUFS): the consumer must look for itself
 * Exits when pontond goes away (parent-death signal, stdin or stdout closed) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The namespace whose socket is being drained (NULL: our own). */
static const char *in_ns;

/* Reads everything queued on a netlink socket; a loss (ENOBUFS) is reported as a line and reading goes on. */
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
        if (in_ns) printf("lost in %s\n", in_ns);
        else printf("lost %s\n", what);
        continue;
      }
      if (in_ns) return; /* a namespace socket never ends the watcher */
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

/* Watched workload namespaces: a slot per name, its socket in the epoll set (data = slot + FIXED). */
#define FIXED 4
struct ns_watch {
  char name[NAME_MAX + 1];
  int sock; /* -1: free slot */
};
static struct ns_watch *watches;
static size_t n_watches;
static int epfd, self_ns;

static struct ns_watch *find_watch(const char *name) {
  for (size_t i = 0; i < n_watches; i++) {
    if (watches[i].sock >= 0 && strcmp(watches[i].name, name) == 0) return &watches[i];
  }
  return NULL;
}

static void unwatch(struct ns_watch *w) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, w->sock, NULL);
  close(w->sock);
  w->sock = -1;
}

/* A socket made inside /run/netns/NAME, then back to our own namespace. */
static void watch(const char *name) {
  if (find_watch(name) || strlen(name) > NAME_MAX || strchr(name, '/')) return;
  char path[sizeof(NETNS_DIR) + NAME_MAX + 2];
  snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, name);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    fprintf(stderr, "ponton-watch: cannot watch %s: %s\n", path, strerror(errno));
    return;
  }
  int sock = -1;
  if (setns(nsfd, CLONE_NEWNET) == 0) {
    sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = (1u << (RTNLGRP_LINK - 1)) | (1u << (RTNLGRP_IPV4_IFADDR - 1)) | (1u << (RTNLGRP_IPV6_IFADDR - 1))};
    if (sock >= 0 && bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
      close(sock);
      sock = -1;
    }
    if (setns(self_ns, CLONE_NEWNET) < 0) die("setns back");
  }
  close(nsfd);
  if (sock < 0) {
    fprintf(stderr, "ponton-watch: cannot watch %s: %s\n", path, strerror(errno));
    return;
  }
  size_t slot = 0;
  while (slot < n_watches && watches[slot].sock >= 0) slot++;
  if (slot == n_watches) {
    struct ns_watch *grown = realloc(watches, (n_watches * 2 + 16) * sizeof(*watches));
    if (!grown) die("realloc");
    watches = grown;
    for (size_t i = n_watches; i < n_watches * 2 + 16; i++) watches[i].sock = -1;
    n_watches = n_watches * 2 + 16;
  }
  snprintf(watches[slot].name, sizeof(watches[slot].name), "%s", name);
  watches[slot].sock = sock;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = slot + FIXED};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, sock, &ev) < 0) die("epoll_ctl");
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
        struct ns_watch *w = find_watch(start + 8);
        if (w) unwatch(w);
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
        /* Our socket must not keep a deleted namespace (and the links in it) alive. */
        struct ns_watch *w = find_watch(e->name);
        if (w) unwatch(w);
        if (strncmp(e->name, netns_prefix, strlen(netns_prefix)) == 0) printf("netns del %s\n", e->name);
      }
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

  /* One descriptor per watched namespace: as many as the hard limit allows. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self_ns < 0) die("open /proc/self/ns/net");
  const unsigned nft_groups[] = {NFNLGRP_NFTABLES};
  const unsigned route_groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
  int nft = open_netlink(NETLINK_NETFILTER, nft_groups, 1);
  int route = open_netlink(NETLINK_ROUTE, route_groups, 5);
  int notify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (notify < 0) die("inotify_init1");
  mkdir(NETNS_DIR, 0755); /* `ip netns add` makes it on first use; watch it from the start */
  if (inotify_add_watch(notify, NETNS_DIR, IN_DELETE) < 0) die("inotify_add_watch " NETNS_DIR);
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  const int fixed[FIXED] = {nft, route, notify, STDIN_FILENO};
  for (int i = 0; i < FIXED; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fixed[i], &ev) < 0) die("epoll_ctl");
  }

  printf("ready\n");
  fflush(stdout);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epfd, events, 64, -1);
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
      else if (k - FIXED < n_watches && watches[k - FIXED].sock >= 0) {
        in_ns = watches[k - FIXED].name;
        drain(watches[k - FIXED].sock, "in", ns_message);
        in_ns = NULL;
      }
    }
    /* One write per wake-up; a closed stdout (pontond gone) ends us through SIGPIPE. */
    if (fflush(stdout) != 0) return 0;
  }
}
