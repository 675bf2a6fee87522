// Times real glibc on a heap trace's malloc/free/calloc/realloc/memalign lines, parsed up front,
// so that only the allocator calls are timed (wall and CPU time). Prints ns per operation. The
// physical-limit anchor for heaplab's replay throughput (tools/bench.ts); from
// ../shared/perf/native_replay.c, plus memalign lines and clearing the old slot of a moving
// realloc, without which a trace that reuses that slot for a memalign frees a dangling pointer.
//
// How a trace's `thread` and `join` lines are run:
// - by default they are skipped, with every other line (brk, maps, ...): a threads trace runs on
//   one thread, in the main arena;
// - --threads honours them as the oracle's driver does: each trace thread is a real pthread,
//   created at its first `thread` line, that runs its stretches of operations while the main
//   thread waits on a semaphore; `join` ends it (tcache_thread_shutdown) and joins it. Every
//   switch is a hand-off between kernel threads (two futex calls and a context switch);
// - --tls-switch (x86_64) does glibc's side of the same work without the hand-offs: each trace
//   thread is still a real pthread, created at its first `thread` line and parked, but its
//   stretches run on the main thread with the thread pointer (the FS base, ARCH_SET_FS) set to
//   that thread's, so that malloc finds that thread's tcache and arena in its thread-local
//   storage, as on the thread itself. `join` wakes the thread to end as above.
// --print writes every operation's result after the timing, a line each: the pointer and its
// chunk's size word as the call left it (0 0 for a free or NULL), so that the modes can be
// checked against each other under `setarch -R`, and against the oracle's recorded output
// (tests/tools/native_replay_test.ts). The trace is read without stdio, so the heap starts empty
// as in the oracle's driver and in heaplab's replay (stdio's FILE would be left in tcache).
//
//   gcc -O2 -pthread -o native_replay bench/native_replay.c
//   ./native_replay [--threads | --tls-switch] [--print] TRACE
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <asm/prctl.h>
#endif
enum { M, F, C, R, A, T, J };
typedef struct { int op, id, old; unsigned long a, b; } Op;
static Op *ops;
static void **slot;
static void **result;          // --print: what each operation returned
static unsigned long *size_word; // --print: the size word of its chunk then (0 for none)
// A trace thread: its pthread, and the stretch of operations it runs next (--threads).
typedef struct { pthread_t th; sem_t go, done; size_t from, to; int alive, exit; } Thread;
static Thread threads[4096];
static int tls_switch;
static void *main_tp; // the main thread's thread pointer (--tls-switch)

// The size word in front of the chunk malloc returned `p` from (outside the object, as far as
// the compiler knows: hence a function of its own).
__attribute__((noinline)) static unsigned long chunk_size_word(void *p) {
  unsigned long word;
  memcpy(&word, (char *)p - sizeof word, sizeof word);
  return word;
}

// The trace's next line (its newline replaced by a NUL), from a static buffer refilled with
// read(2); NULL at the end. A line longer than the buffer is cut.
static char *next_line(int fd) {
  static char buf[1 << 16];
  static size_t start, end;
  for (;;) {
    char *nl = memchr(buf + start, '\n', end - start);
    if (nl || (end == sizeof buf - 1 && start == 0)) {
      char *line = buf + start;
      if (!nl) nl = buf + end - 1;
      *nl = 0;
      start = (size_t)(nl - buf) + 1;
      return line;
    }
    memmove(buf, buf + start, end - start);
    end -= start, start = 0;
    ssize_t r = read(fd, buf + end, sizeof buf - 1 - end);
    if (r <= 0) {
      if (end == start) return 0;
      buf[end] = 0; // the last line, with no newline
      start = end;
      return buf;
    }
    end += (size_t)r;
  }
}

// Zeroed memory of its own, outside every arena.
static void *pages(size_t bytes) {
  void *p = mmap(0, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) exit(2);
  return p;
}

// The operations `from` to `to`; `record`: keep each one's result for --print. Inlined into
// two copies, so that the timed one is the plain loop.
static inline __attribute__((always_inline)) void run_ops(size_t from, size_t to, int record) {
  for (size_t i = from; i < to; i++) {
    Op *o = &ops[i];
    void *p = 0;
    switch (o->op) {
      case M: p = slot[o->id] = malloc(o->a); break;
      case F: free(slot[o->id]); slot[o->id] = 0; break;
      case C: p = slot[o->id] = calloc(o->a, o->b); break;
      case R: {
        p = realloc(o->old < 0 ? 0 : slot[o->old], o->a);
        if (o->old >= 0 && o->old != o->id && (p || o->a == 0)) slot[o->old] = 0;
        slot[o->id] = p;
        break;
      }
      case A: p = slot[o->id] = memalign(o->a, o->b); break;
    }
    if (record) result[i] = p, size_word[i] = p ? chunk_size_word(p) : 0;
  }
}

static void run(size_t from, size_t to) {
  if (result) run_ops(from, to, 1);
  else run_ops(from, to, 0);
}

// The thread pointer of the running code: glibc's thread-local variables (malloc's tcache and
// arena among them) are found from it. Nothing but the allocator calls runs between two sets.
static void set_thread_pointer(void *tp) {
#if defined(__x86_64__)
  if (syscall(SYS_arch_prctl, ARCH_SET_FS, tp) != 0) exit(3);
#else
  (void)tp;
  exit(3);
#endif
}

static void *worker(void *arg) {
  Thread *t = arg;
  if (tls_switch) sem_post(&t->done); // parked before the main thread takes its TLS
  for (;;) {
    sem_wait(&t->go);
    if (t->exit) break;
    run(t->from, t->to);
    sem_post(&t->done);
  }
  return 0;
}

// The thread pointer now set (--tls-switch): main_tp or a trace thread's.
static void *tp_now;

static void use_thread_pointer(void *tp) {
  if (tp != tp_now) set_thread_pointer(tp_now = tp);
}

// The operations from `i` on, with their threads: a stretch on the current thread, then a
// thread switch or join. Threads are created and joined from the main thread's own TLS.
static void run_threads(size_t n) {
  int cur = 0;
  tp_now = main_tp;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && ops[j].op != T && ops[j].op != J) j++;
    if (j > i && (cur == 0 || tls_switch)) run(i, j);
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
        if (tls_switch) use_thread_pointer(main_tp);
        sem_init(&t->go, 0, 0);
        sem_init(&t->done, 0, 0);
        t->exit = 0, t->alive = 1;
        if (pthread_create(&t->th, 0, worker, t) != 0) exit(2);
        if (tls_switch) sem_wait(&t->done);
      }
      // On x86_64 a pthread_t is its thread's control block, where its thread pointer points.
      if (tls_switch) use_thread_pointer(cur == 0 ? main_tp : (void *)t->th);
    } else if (o->id > 0 && threads[o->id].alive) {
      Thread *t = &threads[o->id];
      if (tls_switch) use_thread_pointer(main_tp);
      t->exit = 1;
      sem_post(&t->go);
      pthread_join(t->th, 0);
      t->alive = 0, cur = 0;
    }
    i = j + 1;
  }
  if (tls_switch) use_thread_pointer(main_tp);
}

int main(int argc, char **argv) {
  int with_threads = 0, print = 0, a = 1;
  for (; a < argc - 1; a++) {
    if (strcmp(argv[a], "--threads") == 0) with_threads = 1;
    else if (strcmp(argv[a], "--tls-switch") == 0) with_threads = tls_switch = 1;
    else if (strcmp(argv[a], "--print") == 0) print = 1;
    else break;
  }
  if (a != argc - 1) {
    fprintf(stderr, "usage: %s [--threads | --tls-switch] [--print] TRACE\n", argv[0]);
    return 2;
  }
#if !defined(__x86_64__)
  if (tls_switch) {
    fprintf(stderr, "%s: --tls-switch is for x86_64\n", argv[0]);
    return 2;
  }
#endif
  // The trace is read with read(2) into a static buffer, not stdio (whose FILE and buffer would
  // be the heap's first chunks): the heap starts as the oracle's driver leaves it, so that
  // --print's places can be compared with the oracle's output.
  int fd = open(argv[argc - 1], O_RDONLY);
  if (fd < 0) return 2;
  size_t cap = 1 << 20, n = 0;
  ops = malloc(cap * sizeof *ops);
  char *line, w[32];
  while ((line = next_line(fd))) {
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
  close(fd);
  // Mapped, never malloc'd: below mmap's threshold (a short trace) they would be heap chunks.
  slot = pages(65536 * sizeof *slot);
  if (print) result = pages(n * sizeof *result), size_word = pages(n * sizeof *size_word);
  main_tp = (void *)pthread_self();
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
  for (size_t i = 0; print && i < n; i++) {
    if (ops[i].op != T && ops[i].op != J) printf("%#lx %#lx\n", (unsigned long)result[i], size_word[i]);
  }
  return 0;
}
