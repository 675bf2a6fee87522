// Times real glibc on a heap trace's malloc/free/calloc/realloc/memalign lines, parsed up front,
// so that only the allocator calls are timed (wall and CPU time). Prints ns per operation. The
// physical-limit anchor for heaplab's replay throughput (tools/bench.ts); from
// ../shared/perf/native_replay.c, plus memalign lines and clearing the old slot of a moving
// realloc, without which a trace that reuses that slot for a memalign frees a dangling pointer.
//
// By default every other line (thread, join, brk, maps, ...) is skipped: a threads trace runs on
// one thread, in the main arena — what `deno task bench` compares with. With --threads, `thread`
// and `join` lines are honoured as the oracle's driver honours them: each trace thread is a real
// pthread, created at its first `thread` line, and runs its stretches of operations while the
// main thread waits on a semaphore; `join` ends it (tcache_thread_shutdown) and joins it.
//
//   gcc -O2 -pthread -o native_replay bench/native_replay.c && ./native_replay [--threads] TRACE
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
enum { M, F, C, R, A, T, J };
typedef struct { int op, id, old; unsigned long a, b; } Op;
static Op *ops;
static void **slot;
// A trace thread (--threads): its pthread, and the stretch of operations it runs next.
typedef struct { pthread_t th; sem_t go, done; size_t from, to; int alive, exit; } Thread;
static Thread threads[4096];

static void run(size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
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
}

static void *worker(void *arg) {
  Thread *t = arg;
  for (;;) {
    sem_wait(&t->go);
    if (t->exit) break;
    run(t->from, t->to);
    sem_post(&t->done);
  }
  return 0;
}

// The operations from `i` on, with their threads: a stretch on the current thread, then a
// thread switch or join.
static void run_threads(size_t n) {
  int cur = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && ops[j].op != T && ops[j].op != J) j++;
    if (j > i && cur == 0) run(i, j);
    else if (j > i) {
      Thread *t = &threads[cur];
      t->from = i, t->to = j;
      sem_post(&t->go);
      sem_wait(&t->done);
    }
    if (j == n) break;
    Op *o = &ops[j];
    if (o->op == T) {
      cur = o->id;
      Thread *t = &threads[cur];
      if (cur != 0 && !t->alive) {
        sem_init(&t->go, 0, 0);
        sem_init(&t->done, 0, 0);
        t->exit = 0, t->alive = 1;
        if (pthread_create(&t->th, 0, worker, t) != 0) exit(2);
      }
    } else if (o->id > 0 && threads[o->id].alive) {
      Thread *t = &threads[o->id];
      t->exit = 1;
      sem_post(&t->go);
      pthread_join(t->th, 0);
      t->alive = 0, cur = 0;
    }
    i = j + 1;
  }
}

int main(int argc, char **argv) {
  int with_threads = argc == 3 && strcmp(argv[1], "--threads") == 0;
  if (argc != 2 + with_threads) {
    fprintf(stderr, "usage: %s [--threads] TRACE\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[argc - 1], "r");
  if (!f) return 2;
  size_t cap = 1 << 20, n = 0;
  ops = malloc(cap * sizeof *ops);
  char line[256], w[32];
  while (fgets(line, sizeof line, f)) {
    Op o = {0};
    if (sscanf(line, "malloc %d %lu", &o.id, &o.a) == 2) o.op = M;
    else if (sscanf(line, "free %d", &o.id) == 1) o.op = F;
    else if (sscanf(line, "calloc %d %lu %lu", &o.id, &o.a, &o.b) == 3) o.op = C;
    else if (sscanf(line, "realloc %d %31s %lu", &o.id, w, &o.a) == 3) { o.op = R; o.old = w[0] == '-' ? -1 : atoi(w); }
    else if (sscanf(line, "memalign %d %lu %lu", &o.id, &o.a, &o.b) == 3) o.op = A;
    else if (with_threads && sscanf(line, "thread %d", &o.id) == 1) o.op = T;
    else if (with_threads && sscanf(line, "join %d", &o.id) == 1) o.op = J;
    else continue;
    if (o.id < 0 || o.id >= 65536 || o.old >= 65536 || ((o.op == T || o.op == J) && o.id >= 4096)) return 2;
    if (n == cap) ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[n++] = o;
  }
  fclose(f);
  slot = calloc(65536, sizeof *slot);
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (with_threads) run_threads(n);
  else run(0, n);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
  double cpu = (c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec);
  printf("%zu ops, %.1f ns/op, %.2f Mops/s, %.1f ns/op CPU\n", n, ns / n, n / ns * 1e3, cpu / n);
  return 0;
}
