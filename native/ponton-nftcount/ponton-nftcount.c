/*
 * ponton-nftcount: prints the number of rules in one nftables chain, for pontond's drift check.
 *
 * Why not `nft list chain`: nft fills its cache with every set of the table, elements included,
 * before printing one chain (~160 ms with 1,000 policies' interval maps, seconds with thousands of
 * services), and the check runs every few seconds. A filtered NFT_MSG_GETRULE dump asks the kernel
 * for that chain's rules only: cost in the chain's size, not the table's.
 *
 * Usage: ponton-nftcount FAMILY TABLE CHAIN   (FAMILY: inet, ip, ip6)
 * Prints the count (0 when the chain or the table does not exist); exit 1 on a netlink error.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../netlink-attr.h"

static void die(const char *what, int err) {
  fprintf(stderr, "ponton-nftcount: %s: %s\n", what, strerror(err));
  exit(1);
}

static uint8_t family_of(const char *name) {
  if (strcmp(name, "inet") == 0) return NFPROTO_INET;
  if (strcmp(name, "ip") == 0) return NFPROTO_IPV4;
  if (strcmp(name, "ip6") == 0) return NFPROTO_IPV6;
  fprintf(stderr, "ponton-nftcount: unknown family %s\n", name);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 4 || strlen(argv[2]) >= NFT_TABLE_MAXNAMELEN || strlen(argv[3]) >= NFT_CHAIN_MAXNAMELEN) {
    fprintf(stderr, "usage: ponton-nftcount FAMILY TABLE CHAIN\n");
    return 2;
  }
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) die("socket", errno);

  char msg[512] = {0};
  struct nlmsghdr *nh = (struct nlmsghdr *)msg;
  nh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nh->nlmsg_seq = 1;
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(nh);
  g->nfgen_family = family_of(argv[1]);
  g->version = NFNETLINK_V0;
  size_t len = NLMSG_LENGTH(sizeof(*g));
  len = put_attr(msg, len, NFTA_RULE_TABLE, argv[2], (uint16_t)(strlen(argv[2]) + 1));
  len = put_attr(msg, len, NFTA_RULE_CHAIN, argv[3], (uint16_t)(strlen(argv[3]) + 1));
  nh->nlmsg_len = (uint32_t)len;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(sock, msg, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) die("send", errno);

  static char buf[1 << 16];
  long rules = 0;
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv", errno);
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        printf("%ld\n", rules);
        return 0;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
        /* No such table or chain: nothing of ours is there. */
        if (err == ENOENT) {
          printf("0\n");
          return 0;
        }
        die("dump", err);
      }
      if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWRULE) rules++;
    }
  }
}
