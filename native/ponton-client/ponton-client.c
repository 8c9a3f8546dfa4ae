// ponton-client: the `ponton` command without a Node start. It sends the command line to pontond
// (POST /v1/cli on the API socket), which runs the same CLI code in-process, and writes back what
// that wrote to stdout and stderr, in order, with its exit code. Anything pontond will not run
// (files, stdin, a tty, streaming, programs run on this side: src/cli/fast-path.ts) and any daemon it
// cannot reach make it exec the Node CLI (dist/src/cli/main.js beside this binary) instead, so
// every message and exit code stays the Node CLI's own. Once the request is sent it never falls
// back: the command may have run.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/ponton/ponton.sock"

struct buf { char *p; size_t n, cap; };

static void put(struct buf *b, const char *s, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 256;
    b->p = realloc(b->p, b->cap);
    if (!b->p) { perror("ponton"); exit(1); }
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}
static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

// Runs the Node CLI with the same arguments (the slow path, always correct).
static void node_cli(char **argv) {
  char exe[PATH_MAX], script[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) { perror("ponton: /proc/self/exe"); exit(1); }
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  *slash = 0;
  snprintf(script, sizeof script, "%s/../dist/src/cli/main.js", exe);
  int argc = 0;
  while (argv[argc]) argc++;
  char **args = calloc(argc + 2, sizeof *args);
  args[0] = "node";
  args[1] = script;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args);
  fprintf(stderr, "ponton: cannot run node for %s: %s\n", script, strerror(errno));
  exit(127);
}

// A JSON string; false for bytes the fast path leaves to Node (non-ASCII: Node decodes argv itself).
static int json_string(struct buf *b, const char *s) {
  puts_(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c >= 0x80) return 0;
    if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; put(b, esc, 2); }
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); put(b, esc, 6); }
    else put(b, (const char *)&c, 1);
  }
  puts_(b, "\"");
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

// After the request went out: what the Node CLI says when pontond closes mid-answer (client.ts).
static int closed_mid_answer(const char *socket_path) {
  fprintf(stderr, "Error: DAEMON_UNAVAILABLE: pontond at %s closed the connection before answering (ECONNRESET); the change may or may not have been applied (check with ponton ls/inspect)\n", socket_path);
  fprintf(stderr, "Hint: see the daemon's log; start it again with 'pontond' (or 'ponton daemon')\n");
  return 6;
}

int main(int argc, char **argv) {
  // The socket as the Node CLI picks it: leading --socket flags, else $PONTON_SOCKET, else the default.
  const char *socket_path = NULL;
  int i = 1;
  while (i < argc && (strcmp(argv[i], "--socket") == 0 || strncmp(argv[i], "--socket=", 9) == 0)) {
    if (argv[i][8] == '=') { socket_path = argv[i] + 9; i++; }
    else { if (i + 1 >= argc) node_cli(argv); socket_path = argv[i + 1]; i += 2; }
  }
  if (!socket_path) socket_path = getenv("PONTON_SOCKET");
  if (!socket_path) socket_path = DEFAULT_SOCKET;
  // Verbs that always run here (pontond refuses them too; this saves the round trip).
  static const char *local[] = {"daemon", "exec", "logs", "observe", "up", "down", NULL};
  if (i < argc)
    for (const char **l = local; *l; l++)
      if (strcmp(argv[i], *l) == 0) node_cli(argv);

  struct buf body = {0};
  puts_(&body, "{\"socket\":");
  if (!json_string(&body, socket_path)) node_cli(argv);
  puts_(&body, ",\"argv\":[");
  for (int a = 1; a < argc; a++) {
    if (a > 1) puts_(&body, ",");
    if (!json_string(&body, argv[a])) node_cli(argv);
  }
  puts_(&body, "]}");

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof addr.sun_path) node_cli(argv);
  strcpy(addr.sun_path, socket_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) node_cli(argv); // its message, its exit code

  struct buf req = {0};
  char head[256];
  snprintf(head, sizeof head, "POST /v1/cli HTTP/1.1\r\nHost: ponton\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", body.n);
  puts_(&req, head);
  put(&req, body.p, body.n);
  if (write_all(fd, req.p, req.n) < 0) node_cli(argv); // nothing reached pontond whole

  struct buf res = {0};
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0) { if (errno == EINTR) continue; return closed_mid_answer(socket_path); }
    if (r == 0) break;
    put(&res, chunk, (size_t)r);
  }
  put(&res, "", 1);
  res.n--;
  char *end = strstr(res.p, "\r\n\r\n");
  if (!end || res.n < 12) return closed_mid_answer(socket_path);
  int status = atoi(res.p + 9);
  // 4xx: refused before anything ran (422 CLI_IN_CLIENT, 404 from a pontond without this route):
  // the Node CLI runs it. 5xx: it may have run, so it is not run again.
  if (status >= 400 && status < 500) node_cli(argv);
  if (status != 200) return closed_mid_answer(socket_path);
  long exit_code = -1, length = -1;
  for (char *line = strstr(res.p, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
    if (strncasecmp(line, "x-ponton-exit:", 14) == 0) exit_code = strtol(line + 14, NULL, 10);
    if (strncasecmp(line, "content-length:", 15) == 0) length = strtol(line + 15, NULL, 10);
  }
  const char *p = end + 4;
  size_t left = res.n - (size_t)(p - res.p);
  if (exit_code < 0 || length < 0 || (size_t)length != left) return closed_mid_answer(socket_path);
  while (left >= 5) {
    int out = p[0] == 2 ? 2 : 1;
    uint32_t n = ((uint32_t)(unsigned char)p[1] << 24) | ((uint32_t)(unsigned char)p[2] << 16) | ((uint32_t)(unsigned char)p[3] << 8) | (unsigned char)p[4];
    if (n > left - 5) return closed_mid_answer(socket_path);
    if (write_all(out, p + 5, n) < 0) return 1;
    p += 5 + n;
    left -= 5 + n;
  }
  return (int)exit_code;
}
