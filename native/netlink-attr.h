/* Shared by the raw-netlink helpers (ponton-nflog): request building without libmnl. */
#ifndef PONTON_NETLINK_ATTR_H
#define PONTON_NETLINK_ATTR_H
#include <linux/netlink.h>
#include <stdint.h>
#include <string.h>

/* Appends one netlink attribute to msg (aligned), returns the new length. */
static inline size_t put_attr(char *msg, size_t len, uint16_t type, const void *data, uint16_t size) {
  struct nlattr *a = (struct nlattr *)(msg + NLMSG_ALIGN(len));
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + size;
  memcpy((char *)a + NLA_HDRLEN, data, size);
  return NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
}
#endif
