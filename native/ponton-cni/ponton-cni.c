/*
 * ponton-cni: the CNI plugin binary. A thin relay: it answers VERSION itself and forwards every
 * other command (env vars as headers, stdin as the body, untouched) to pontond over its unix
 * socket, then prints the daemon's answer. A Node process would cost ~80 ms just to start,
 * more than a whole reference-plugin ADD; this costs well under a millisecond.
 *
 * When pontond cannot be reached: ADD/CHECK/GC fail with CNI code 11 (try again later), STATUS
 * with 50 (plugin not available), and DEL succeeds after releasing what it can without the
 * daemon (it deletes the interface in the sandbox, which takes the veth pair with it) and
 * queuing the DEL in <socket dir>/cni-pending/; the next invocation that reaches the daemon
 * replays the queue first, so the address is freed too.
 *
 * All buffers are bounded; input larger than MAX_STDIN is refused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STDIN (1 << 20)
#define MAX_RESP (4 << 20)
#define MAX_HDR 16384
#define DEFAULT_SOCKET "/run/ponton/ponton.sock"
#define IO_TIMEOUT_S 240

#define SUPPORTED_VERSIONS "[\"0.4.0\",\"1.0.0\",\"1.1.0\"]"

/* CNI error object on stdout, exit 1 (the spec's error shape). */
static int fail(int code, const char *msg, const char *detail) {
  printf("{\"cniVersion\":\"1.1.0\",\"code\":%d,\"msg\":\"%s\"", code, msg);
  if (detail) {
    fputs(",\"details\":\"", stdout);
    for (const char *p = detail; *p; p++) {
      unsigned char c = (unsigned char)*p;
      if (c == '"' || c == '\\') printf("\\%c", c);
      else if (c < 0x20) printf("\\u%04x", c);
      else putchar(c);
    }
    putchar('"');
  }
  fputs("}\n", stdout);
  return 1;
}

struct buf { char *p; size_t len, cap; };

static int buf_add(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) return -1;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
  return 0;
}

static int buf_str(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

/* One header line; bytes that HTTP forbids (and '%') are percent-encoded, the daemon decodes. */
static int add_header(struct buf *b, const char *name, const char *value) {
  if (!value) return 0;
  if (buf_str(b, name) || buf_str(b, ": ")) return -1;
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    char enc[4];
    if (*p < 0x20 || *p >= 0x7f || *p == '%') {
      snprintf(enc, sizeof enc, "%%%02X", *p);
      if (buf_add(b, enc, 3)) return -1;
    } else if (buf_add(b, (const char *)p, 1)) return -1;
  }
  return buf_str(b, "\r\n");
}

/* The value of a top-level-looking "key": "string" in the config; only plain strings (no escapes). */
static int json_str(const char *json, const char *key, char *out, size_t outlen) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char *p = strstr(json, pat);
  if (!p) return -1;
  p += strlen(pat);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return -1;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return -1;
  size_t n = 0;
  while (*p && *p != '"' && *p != '\\') {
    if (n + 1 >= outlen) return -1;
    out[n++] = *p++;
  }
  if (*p != '"') return -1;
  out[n] = 0;
  return 0;
}

/* VERSION: the spec wants the input's cniVersion echoed beside the versions we support. */
static int version(const char *in) {
  char v[16];
  int ok = json_str(in, "cniVersion", v, sizeof v) == 0 && v[0];
  for (const char *p = v; ok && *p; p++) ok = (*p >= '0' && *p <= '9') || *p == '.';
  printf("{\"cniVersion\":\"%s\",\"supportedVersions\":" SUPPORTED_VERSIONS "}\n", ok ? v : "1.1.0");
  return 0;
}

static int connect_unix(const char *path) {
  struct sockaddr_un sa;
  if (strlen(path) >= sizeof sa.sun_path) { errno = ENAMETOOLONG; return -1; }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = { IO_TIMEOUT_S, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { int e = errno; close(fd); errno = e; return -1; }
  return fd;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w; n -= (size_t)w;
  }
  return 0;
}

/*
 * One request on a fresh connection (Connection: close, so the body ends at EOF).
 * On success *body points into resp and *exit_code is the daemon's X-Cni-Exit.
 */
static int exchange(const char *sock, const char *cmd, const char *headers, const char *body, size_t body_len,
                    struct buf *resp, const char **out_body, int *exit_code) {
  int fd = connect_unix(sock);
  if (fd < 0) return -1;
  char head[MAX_HDR + 256];
  int n = snprintf(head, sizeof head, "POST /v1/cni/%s HTTP/1.1\r\nHost: ponton\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n", cmd, body_len, headers);
  if (n < 0 || (size_t)n >= sizeof head) { close(fd); errno = E2BIG; return -2; }
  if (write_all(fd, head, (size_t)n) || write_all(fd, body, body_len)) { close(fd); return -2; }
  resp->len = 0;
  for (;;) {
    if (resp->len + 1 >= resp->cap) { close(fd); errno = EFBIG; return -2; }
    ssize_t r = read(fd, resp->p + resp->len, resp->cap - resp->len - 1);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return -2; }
    if (r == 0) break;
    resp->len += (size_t)r;
  }
  close(fd);
  resp->p[resp->len] = 0;
  char *end = strstr(resp->p, "\r\n\r\n");
  if (!end) { errno = EPROTO; return -2; }
  *end = 0;
  *exit_code = 1;
  for (char *line = strstr(resp->p, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "x-cni-exit:", 11) == 0) *exit_code = atoi(line + 13);
  }
  /* Anything but 200 is not a CNI answer (e.g. a pontond without /v1/cni): say so in CNI terms. */
  if (strncmp(resp->p, "HTTP/1.1 200", 12) != 0) { errno = EPROTO; return -3; }
  *out_body = end + 4;
  return 0;
}

/* 64-bit FNV-1a: a stable file name for a (container, ifname) pair in the DEL queue. */
static unsigned long long fnv(const char *a, const char *b) {
  unsigned long long h = 1469598103934665603ULL;
  for (const char *s = a; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  h = (h ^ '/') * 1099511628211ULL;
  for (const char *s = b; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void pending_dir(const char *sock, char *out, size_t outlen) {
  const char *slash = strrchr(sock, '/');
  int dirlen = slash ? (int)(slash - sock) : 1;
  snprintf(out, outlen, "%.*s/cni-pending", dirlen, slash ? sock : ".");
}

/* Daemon down, DEL: remove the sandbox interface (the veth pair goes with it) without the daemon. */
static void delete_sandbox_if(const char *netns, const char *ifname) {
  if (!netns || !*netns || !ifname || !*ifname) return;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 1); dup2(devnull, 2); }
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) _exit(1);
    execlp("ip", "ip", "link", "del", ifname, (char *)NULL);
    _exit(1);
  }
  if (pid > 0) waitpid(pid, NULL, 0);
}

/* Daemon down, DEL: keep the request (headers + config) so the daemon frees the address later. */
static void queue_del(const char *sock, const char *headers, const char *body, size_t body_len) {
  char dir[4200], file[4300], tmp[4400];
  pending_dir(sock, dir, sizeof dir);
  mkdir(dir, 0700);
  snprintf(file, sizeof file, "%s/del-%016llx", dir, fnv(getenv("CNI_CONTAINERID"), getenv("CNI_IFNAME")));
  snprintf(tmp, sizeof tmp, "%s.tmp%d", file, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int bad = write_all(fd, headers, strlen(headers)) || write_all(fd, "\r\n", 2) || write_all(fd, body, body_len);
  close(fd);
  if (bad || rename(tmp, file) < 0) unlink(tmp);
}

/* Daemon reachable again: replay queued DELs (oldest intent first), dropping each one it accepts. */
static void replay_queue(const char *sock, struct buf *resp) {
  char dir[4200];
  pending_dir(sock, dir, sizeof dir);
  DIR *d = opendir(dir);
  if (!d) return;
  static char content[MAX_STDIN + MAX_HDR + 4];
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "del-", 4) != 0 || strchr(e->d_name, '.')) continue;
    char path[4500];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, content, sizeof content - 1);
    close(fd);
    if (n <= 0) { unlink(path); continue; }
    content[n] = 0;
    char *sep = strstr(content, "\r\n\r\n");
    if (!sep) { unlink(path); continue; }
    sep[2] = 0; /* headers keep their final CRLF */
    const char *body; int code;
    /* Any CNI answer settles it (a refused DEL would be refused again); only an unreachable daemon keeps it queued. */
    if (exchange(sock, "del", content, sep + 4, (size_t)(n - (sep + 4 - content)), resp, &body, &code) == 0) unlink(path);
  }
  closedir(d);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* a daemon closing early must give an error, not kill us silently */
  const char *cmd = getenv("CNI_COMMAND");
  if (!cmd || !*cmd) return fail(4, "missing environment variable CNI_COMMAND", NULL);
  const char *path = NULL;
  if (strcmp(cmd, "VERSION") == 0) path = "version";
  else if (strcmp(cmd, "ADD") == 0) path = "add";
  else if (strcmp(cmd, "DEL") == 0) path = "del";
  else if (strcmp(cmd, "CHECK") == 0) path = "check";
  else if (strcmp(cmd, "STATUS") == 0) path = "status";
  else if (strcmp(cmd, "GC") == 0) path = "gc";
  else return fail(4, "unknown CNI_COMMAND", cmd);

  static char in[MAX_STDIN + 1];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(0, in + len, MAX_STDIN + 1 - len);
    if (r < 0) { if (errno == EINTR) continue; return fail(6, "cannot read the network configuration from stdin", strerror(errno)); }
    if (r == 0) break;
    len += (size_t)r;
    if (len > MAX_STDIN) return fail(7, "network configuration too large", "more than 1 MiB on stdin");
  }
  in[len] = 0;
  if (strcmp(path, "version") == 0) return version(in);

  char sock[256];
  const char *env_sock = getenv("PONTON_SOCKET");
  if (json_str(in, "socket", sock, sizeof sock) != 0) snprintf(sock, sizeof sock, "%s", env_sock && *env_sock ? env_sock : DEFAULT_SOCKET);

  static char hbuf[MAX_HDR];
  struct buf h = { hbuf, 0, sizeof hbuf };
  static const char *vars[][2] = {
    { "CNI_COMMAND", "X-Cni-Command" }, { "CNI_CONTAINERID", "X-Cni-Containerid" }, { "CNI_NETNS", "X-Cni-Netns" },
    { "CNI_IFNAME", "X-Cni-Ifname" }, { "CNI_ARGS", "X-Cni-Args" }, { "CNI_PATH", "X-Cni-Path" },
  };
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    if (add_header(&h, vars[i][1], getenv(vars[i][0]))) return fail(4, "environment variables too long", vars[i][0]);
  }

  static char rbuf[MAX_RESP];
  struct buf resp = { rbuf, 0, sizeof rbuf };
  replay_queue(sock, &resp);
  const char *body; int code;
  int rc = exchange(sock, path, hbuf, in, len, &resp, &body, &code);
  if (rc == 0) {
    fputs(body, stdout);
    return code == 0 ? 0 : 1;
  }
  char detail[512];
  snprintf(detail, sizeof detail, "pontond at %s: %s", sock, strerror(errno));
  if (rc == -1 && strcmp(path, "del") == 0) {
    delete_sandbox_if(getenv("CNI_NETNS"), getenv("CNI_IFNAME"));
    queue_del(sock, hbuf, in, len);
    return 0;
  }
  if (rc == -1 && strcmp(path, "status") == 0) return fail(50, "plugin not available: pontond is not running", detail);
  if (rc == -1) return fail(11, "try again later: pontond is not running", detail);
  if (rc == -3) return fail(11, "try again later: pontond does not serve the CNI API (is it up to date?)", resp.p);
  return fail(11, "try again later: no valid answer from pontond", detail);
}
