// Times real glibc on a heap trace's malloc/free/calloc/realloc/memalign lines, parsed up front,
// so that only the allocator calls are timed (wall and CPU time). Every other line (thread, join, brk, maps, ...) is
// skipped: a threads trace runs on one thread. Prints ns per operation. The physical-limit anchor
// for heaplab's replay throughput (tools/bench.ts); from ../shared/perf/native_replay.c, plus
// memalign lines and clearing the old slot of a moving realloc, without which a trace that
// reuses that slot for a memalign frees a dangling pointer.
//
//   gcc -O2 -o native_replay bench/native_replay.c && ./native_replay TRACE
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
enum { M, F, C, R, A };
typedef struct { int op, id, old; unsigned long a, b; } Op;
int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s TRACE\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) return 2;
  size_t cap = 1 << 20, n = 0;
  Op *ops = malloc(cap * sizeof *ops);
  char line[256], w[32];
  while (fgets(line, sizeof line, f)) {
    Op o = {0};
    if (sscanf(line, "malloc %d %lu", &o.id, &o.a) == 2) o.op = M;
    else if (sscanf(line, "free %d", &o.id) == 1) o.op = F;
    else if (sscanf(line, "calloc %d %lu %lu", &o.id, &o.a, &o.b) == 3) o.op = C;
    else if (sscanf(line, "realloc %d %31s %lu", &o.id, w, &o.a) == 3) { o.op = R; o.old = w[0] == '-' ? -1 : atoi(w); }
    else if (sscanf(line, "memalign %d %lu %lu", &o.id, &o.a, &o.b) == 3) o.op = A;
    else continue;
    if (o.id < 0 || o.id >= 65536 || o.old >= 65536) return 2;
    if (n == cap) ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[n++] = o;
  }
  fclose(f);
  void **slot = calloc(65536, sizeof *slot);
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (size_t i = 0; i < n; i++) {
    Op *o = &ops[i];
    switch (o->op) {
      case M: slot[o->id] = malloc(o->a); break;
      case F: free(slot[o->id]); slot[o->id] = 0; break;
      case C: slot[o->id] = calloc(o->a, o->b); break;
      case R: {
        void *p = realloc(o->old < 0 ? 0 : slot[o->old], o->a);
        if (o->old >= 0 && o->old != o->id && (p || o->a == 0)) slot[o->old] = 0;
        slot[o->id] = p;
        break;
      }
      case A: slot[o->id] = memalign(o->a, o->b); break;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
  double cpu = (c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec);
  printf("%zu ops, %.1f ns/op, %.2f Mops/s, %.1f ns/op CPU\n", n, ns / n, n / ns * 1e3, cpu / n);
  return 0;
}
