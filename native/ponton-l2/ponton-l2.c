/*
 * ponton-l2: answers ARP (IPv4) and NDP neighbour solicitations (IPv6) for LoadBalancer addresses,
 * on the named interfaces only, and sends a gratuitous ARP / unsolicited neighbour advertisement
 * when it takes an address (so neighbours that cached another MAC move to this host at once).
 *
 * Why a responder of our own rather than proxy-neigh entries: the kernel answers a proxy ARP entry
 * only when forwarding is on and the route to the address leaves by another interface (never the
 * case for an address of the segment's own subnet), and proxy NDP needs the global proxy_ndp and
 * forwarding sysctls; a local route would answer on every interface. Two packet sockets per
 * interface (ARP; ICMPv6 neighbour solicitations through a classic BPF filter) touch nothing else.
 *
 * Protocol, one line each (pontond writes stdin, reads stdout):
 *   stdin:  if NAME ADDR...   an interface and the addresses it answers for (any number of lines)
 *           commit            the lines since the last commit become the whole set
 *   stdout: ready             listening (nothing answered yet)
 *           missing NAME      an interface of the set does not exist or has no MAC: skipped
 *           announce NAME ADDR  a gratuitous ARP / unsolicited NA sent for an address newly taken
 *           ok N              commit number N applied
 * Exits when stdin closes (pontond went away: parent-death signal too) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_IFS 64
#define MAX_ADDRS 1024

struct addr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char a[16];
};

struct iface {
  char name[IF_NAMESIZE];
  int index;
  unsigned char mac[6];
  int arp_fd, nd_fd;
  int n;
  struct addr addrs[MAX_ADDRS];
};

static struct iface ifs[MAX_IFS], next_ifs[MAX_IFS];
static int nifs, next_nifs;

static int same_addr(const struct addr *x, const struct addr *y) {
  return x->family == y->family && memcmp(x->a, y->a, x->family == AF_INET ? 4 : 16) == 0;
}

static int holds(const struct iface *f, const struct addr *x) {
  for (int i = 0; i < f->n; i++)
    if (same_addr(&f->addrs[i], x)) return 1;
  return 0;
}

static uint16_t csum_add(uint32_t sum, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* ARP reply (op 2) or, with gratuitous, a broadcast request for our own address (sip = tip). */
static void send_arp(const struct iface *f, const unsigned char *ip, const unsigned char *to_mac, const unsigned char *to_ip, int gratuitous) {
  unsigned char pkt[42];
  static const unsigned char bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  memcpy(pkt, gratuitous ? bcast : to_mac, 6);
  memcpy(pkt + 6, f->mac, 6);
  pkt[12] = 0x08, pkt[13] = 0x06;
  unsigned char *a = pkt + 14;
  a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = gratuitous ? 1 : 2;
  memcpy(a + 8, f->mac, 6);
  memcpy(a + 14, ip, 4);
  if (gratuitous) memset(a + 18, 0, 6), memcpy(a + 24, ip, 4);
  else memcpy(a + 18, to_mac, 6), memcpy(a + 24, to_ip, 4);
  if (send(f->arp_fd, pkt, sizeof pkt, 0) < 0) fprintf(stderr, "ponton-l2: send ARP on %s: %s\n", f->name, strerror(errno));
}

/* Neighbour advertisement for `target`: solicited to (to_mac, to_ip), or unsolicited to all nodes. */
static void send_na(const struct iface *f, const unsigned char *target, const unsigned char *to_mac, const unsigned char *to_ip) {
  unsigned char pkt[14 + 40 + 32];
  static const unsigned char all_nodes[16] = {0xff, 0x02, [15] = 1};
  const unsigned char all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  const int solicited = to_ip != NULL;
  memset(pkt, 0, sizeof pkt);
  memcpy(pkt, solicited ? to_mac : all_nodes_mac, 6);
  memcpy(pkt + 6, f->mac, 6);
  pkt[12] = 0x86, pkt[13] = 0xdd;
  unsigned char *ip6 = pkt + 14, *icmp = pkt + 54;
  ip6[0] = 0x60;
  ip6[5] = 32; /* payload length */
  ip6[6] = 58; /* ICMPv6 */
  ip6[7] = 255;
  memcpy(ip6 + 8, target, 16);
  memcpy(ip6 + 24, solicited ? to_ip : all_nodes, 16);
  icmp[0] = 136;
  icmp[4] = solicited ? 0x60 : 0x20; /* S+O, or O */
  memcpy(icmp + 8, target, 16);
  icmp[24] = 2, icmp[25] = 1; /* target link-layer address option */
  memcpy(icmp + 26, f->mac, 6);
  unsigned char pseudo[40] = {0};
  memcpy(pseudo, ip6 + 8, 32);
  pseudo[35] = 32, pseudo[39] = 58;
  uint16_t sum = ~csum_add(csum_add(0, pseudo, 40), icmp, 32);
  icmp[2] = (unsigned char)(sum >> 8), icmp[3] = (unsigned char)sum;
  if (send(f->nd_fd, pkt, sizeof pkt, 0) < 0) fprintf(stderr, "ponton-l2: send NA on %s: %s\n", f->name, strerror(errno));
}

static void announce(const struct iface *f, const struct addr *x) {
  char text[INET6_ADDRSTRLEN];
  if (x->family == AF_INET) send_arp(f, x->a, NULL, NULL, 1);
  else send_na(f, x->a, NULL, NULL);
  printf("announce %s %s\n", f->name, inet_ntop(x->family, x->a, text, sizeof text));
}

/* A frame that came in (not a copy of one this host sent), or -1. */
static ssize_t recv_in(int fd, unsigned char *buf, size_t size) {
  struct sockaddr_ll from;
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&from, &len);
  return n >= 0 && from.sll_pkttype == PACKET_OUTGOING ? -1 : n;
}

static void on_arp(const struct iface *f) {
  unsigned char buf[128];
  ssize_t n = recv_in(f->arp_fd, buf, sizeof buf);
  if (n < 42) return;
  const unsigned char *a = buf + 14;
  if (a[6] != 0 || a[7] != 1 || a[4] != 6 || a[5] != 4) return; /* a request, Ethernet/IPv4 */
  struct addr tip = {AF_INET, {0}};
  memcpy(tip.a, a + 24, 4);
  if (memcmp(a + 14, a + 24, 4) == 0 || !holds(f, &tip)) return; /* another host's gratuitous ARP */
  send_arp(f, tip.a, a + 8, a + 14, 0);
}

static void on_ns(const struct iface *f) {
  unsigned char buf[256];
  ssize_t n = recv_in(f->nd_fd, buf, sizeof buf);
  if (n < 14 + 40 + 24) return;
  const unsigned char *ip6 = buf + 14, *icmp = buf + 54;
  if (ip6[6] != 58 || icmp[0] != 135 || ip6[7] != 255) return;
  struct addr target = {AF_INET6, {0}};
  memcpy(target.a, icmp + 8, 16);
  if (!holds(f, &target)) return;
  static const unsigned char unspecified[16] = {0};
  if (memcmp(ip6 + 8, unspecified, 16) == 0) send_na(f, target.a, NULL, NULL); /* DAD probe: to all nodes */
  else send_na(f, target.a, buf + 6, ip6 + 8);
}

static int open_packet(int index, int proto) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(proto));
  if (fd < 0) return -1;
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = index};
  if (proto == ETH_P_IPV6) {
    /* Only ICMPv6 (no extension header) neighbour solicitations reach us. */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),      BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) return close(fd), -1;
  }
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return close(fd), -1;
  return fd;
}

/* The set read since the last commit replaces the live one: sockets reopened, new pairs announced. */
static void commit(unsigned long gen) {
  for (int i = 0; i < next_nifs; i++) {
    struct iface *f = &next_ifs[i];
    struct ifreq req = {0};
    int ok = 0;
    f->arp_fd = f->nd_fd = -1;
    f->index = (int)if_nametoindex(f->name);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memcpy(req.ifr_name, f->name, IF_NAMESIZE);
    if (f->index > 0 && s >= 0 && ioctl(s, SIOCGIFHWADDR, &req) == 0 && req.ifr_hwaddr.sa_family == 1 /* ARPHRD_ETHER */) {
      memcpy(f->mac, req.ifr_hwaddr.sa_data, 6);
      f->arp_fd = open_packet(f->index, ETH_P_ARP);
      f->nd_fd = open_packet(f->index, ETH_P_IPV6);
      ok = f->arp_fd >= 0 && f->nd_fd >= 0;
      /* Solicitations go to each address's solicited-node group: a NIC filters that MAC unless joined. */
      for (int k = 0; ok && k < f->n; k++) {
        if (f->addrs[k].family != AF_INET6) continue;
        struct packet_mreq mr = {.mr_ifindex = f->index, .mr_type = PACKET_MR_MULTICAST, .mr_alen = 6};
        const unsigned char group[6] = {0x33, 0x33, 0xff, f->addrs[k].a[13], f->addrs[k].a[14], f->addrs[k].a[15]};
        memcpy(mr.mr_address, group, 6);
        if (setsockopt(f->nd_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) fprintf(stderr, "ponton-l2: join the solicited-node group on %s: %s\n", f->name, strerror(errno));
      }
    }
    if (s >= 0) close(s);
    if (!ok) {
      if (f->arp_fd >= 0) close(f->arp_fd);
      if (f->nd_fd >= 0) close(f->nd_fd);
      f->arp_fd = f->nd_fd = -1;
      printf("missing %s\n", f->name);
    }
  }
  for (int i = 0; i < nifs; i++) close(ifs[i].arp_fd), close(ifs[i].nd_fd);
  struct iface *old = malloc(sizeof ifs);
  int nold = nifs;
  if (!old) abort();
  memcpy(old, ifs, sizeof ifs);
  nifs = 0;
  for (int i = 0; i < next_nifs; i++)
    if (next_ifs[i].arp_fd >= 0) ifs[nifs++] = next_ifs[i];
  next_nifs = 0;
  for (int i = 0; i < nifs; i++) {
    const struct iface *prev = NULL;
    for (int j = 0; j < nold; j++)
      if (old[j].index == ifs[i].index && memcmp(old[j].mac, ifs[i].mac, 6) == 0) prev = &old[j];
    for (int k = 0; k < ifs[i].n; k++)
      if (!prev || !holds(prev, &ifs[i].addrs[k])) announce(&ifs[i], &ifs[i].addrs[k]);
  }
  free(old);
  printf("ok %lu\n", gen);
  fflush(stdout);
}

static void parse_line(char *line) {
  char *save = NULL, *word = strtok_r(line, " \t\n", &save);
  if (!word || strcmp(word, "if") != 0) return;
  char *name = strtok_r(NULL, " \t\n", &save);
  if (!name || next_nifs == MAX_IFS || strlen(name) >= IF_NAMESIZE) return;
  struct iface *f = &next_ifs[next_nifs++];
  memset(f, 0, sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  while ((word = strtok_r(NULL, " \t\n", &save)) && f->n < MAX_ADDRS) {
    struct addr *x = &f->addrs[f->n];
    if (inet_pton(AF_INET, word, x->a) == 1) x->family = AF_INET, f->n++;
    else if (inet_pton(AF_INET6, word, x->a) == 1) x->family = AF_INET6, f->n++;
    else fprintf(stderr, "ponton-l2: not an address: %s\n", word);
  }
}

int main(void) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  printf("ready\n");
  fflush(stdout);
  char in[65536];
  size_t have = 0;
  unsigned long gen = 0;
  for (;;) {
    struct pollfd p[1 + 2 * MAX_IFS];
    p[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    for (int i = 0; i < nifs; i++) {
      p[1 + 2 * i] = (struct pollfd){.fd = ifs[i].arp_fd, .events = POLLIN};
      p[2 + 2 * i] = (struct pollfd){.fd = ifs[i].nd_fd, .events = POLLIN};
    }
    if (poll(p, 1 + 2 * (nfds_t)nifs, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = 0; i < nifs; i++) {
      if (p[1 + 2 * i].revents & POLLIN) on_arp(&ifs[i]);
      if (p[2 + 2 * i].revents & POLLIN) on_ns(&ifs[i]);
    }
    if (p[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, in + have, sizeof in - 1 - have);
      if (n <= 0) return 0; /* pontond went away */
      have += (size_t)n;
      char *nl;
      while ((nl = memchr(in, '\n', have))) {
        *nl = 0;
        if (strcmp(in, "commit") == 0) commit(++gen);
        else parse_line(in);
        size_t used = (size_t)(nl + 1 - in);
        memmove(in, nl + 1, have - used);
        have -= used;
      }
      if (have == sizeof in - 1) have = 0; /* a line longer than the buffer: dropped */
    }
  }
}
