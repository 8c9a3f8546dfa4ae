// rusage-exec CMD ARGS…: runs CMD once (stdout/stderr to /dev/null) and prints
// "WALL_US USER_US SYS_US EXIT" — wall from fork to reap, CPU of the child and its descendants
// from wait4's rusage. Compiled by bench/cli/run.ts; a fork+wait here costs no more than ~0.1 ms.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(struct timeval t) { return (long long)t.tv_sec * 1000000 + t.tv_usec; }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: rusage-exec CMD [ARGS]\n"); return 2; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 1; }
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0); dup2(null, 1); dup2(null, 2);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 1; }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long wall = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
  printf("%lld %lld %lld %d\n", wall, us(ru.ru_utime), us(ru.ru_stime), WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}
