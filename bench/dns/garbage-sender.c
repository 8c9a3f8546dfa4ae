// Sends malformed DNS datagrams at a steady rate to 127.0.0.1:PORT until SIGTERM, in batches of
// one sendmmsg per 10 ms tick so the sender itself costs next to nothing on the shared core: a
// third each of (1) a 12-byte header claiming 65,535 records in every section, (2) a query header
// with one question whose name is cut short, (3) random bytes (12-511) with QR clear.
// Prints "sent N in S s" on SIGTERM. Built by bench/dns/garbage.ts with cc.
// Usage: garbage-sender PORT PPS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1024
static volatile sig_atomic_t stop;
static void onTerm(int sig) { (void)sig; stop = 1; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int port = atoi(argv[1]);
  double pps = atof(argv[2]);
  signal(SIGTERM, onTerm);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  static uint8_t bufs[BATCH][512];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  const uint8_t bomb[12] = {0, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t cut[15] = {0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61, 0x61};
  uint64_t rng = 88172645463325252ull, sent = 0;
  double start = now();
  while (!stop) {
    uint64_t owed = (uint64_t)((now() - start) * pps) - sent;
    while (owed > 0 && !stop) {
      int n = owed > BATCH ? BATCH : (int)owed;
      for (int i = 0; i < n; i++) {
        uint64_t k = sent + i;
        size_t len;
        if (k % 3 == 0) {
          memcpy(bufs[i], bomb, len = sizeof bomb);
        } else if (k % 3 == 1) {
          memcpy(bufs[i], cut, len = sizeof cut);
        } else {
          len = 12 + k % 500;
          for (size_t b = 0; b < len; b++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            bufs[i][b] = (uint8_t)rng;
          }
          bufs[i][2] &= 0x7f;
        }
        iov[i] = (struct iovec){bufs[i], len};
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr = (struct msghdr){.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov[i], .msg_iovlen = 1};
      }
      int r = sendmmsg(fd, msgs, n, 0);
      if (r <= 0) break;
      sent += r;
      owed -= r;
    }
    usleep(10000);
  }
  printf("sent %llu in %.1f s\n", (unsigned long long)sent, now() - start);
  return 0;
}
