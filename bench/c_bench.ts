/**
 * `deno bench -A bench/c_bench.ts`: the C interpreter's speed — a C loop of 1M `malloc`/`free`
 * pairs against replaying the equivalent 2M-line trace (`malloc 1 16` / `free 1`), both on
 * glibc 2.36 x86_64. C statements per second = 3M statements (the loop test, the malloc line
 * and the free line per iteration) over the C run's time. Group `c-io`: what CTF programs do
 * all day — a menu loop reading stdin and printing (`C_BENCH_MENU_ROUNDS`, 10k rounds) and an
 * output-heavy loop (`C_BENCH_OUTPUT_LINES`, 200k lines), on glibc 2.31 with stdout a pipe.
 *
 * @module
 */

import { runC } from "../src/c/mod.ts";
import { replayTrace } from "../src/trace/replay.ts";
import { defaultAllocatorFactory } from "../src/trace/allocator_factory.ts";

const PAIRS = Number(Deno.env.get("C_BENCH_PAIRS") ?? 1_000_000);

const C_LOOP = `#include <stdlib.h>
int main(void) {
  for (int i = 0; i < ${PAIRS}; i++) {
    void *p = malloc(16);
    free(p);
  }
  return 0;
}
`;

const TRACE = "malloc 1 16\nfree 1\n".repeat(PAIRS);

Deno.bench({
  name: `C loop of ${PAIRS / 1e6}M malloc/free pairs (interpreter)`,
  group: "c-vs-replay",
  baseline: true,
  n: 1,
  warmup: 0,
  fn() {
    const r = runC(C_LOOP, { maxSteps: 10 * PAIRS, explain: false });
    if (r.state !== "exited") throw new Error(`C run ended ${r.state}: ${r.error?.message}`);
  },
});

Deno.bench({
  name: `replay of the equivalent ${(2 * PAIRS) / 1e6}M-line trace`,
  group: "c-vs-replay",
  n: 1,
  warmup: 0,
  fn() {
    const result = replayTrace(TRACE, { allocator: defaultAllocatorFactory });
    if (result.status !== 0) throw new Error(`replay stopped: ${result.error?.message}`);
  },
});

const MENU_ROUNDS = Number(Deno.env.get("C_BENCH_MENU_ROUNDS") ?? 10_000);

/**
 * A CTF-style menu loop, as the survey's challenges (010, 066) run one: stdout and stdin
 * unbuffered, a menu of `puts` lines, `scanf` of a choice and an index, `malloc`, `read` into
 * the chunk, `free`, and `printf` of what it holds; it ends at end of input.
 */
const MENU_LOOP = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
char *notes[16];
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  setvbuf(stdin, NULL, _IONBF, 0);
  for (;;) {
    int choice, index;
    puts("1. add");
    puts("2. show");
    puts("3. delete");
    printf("> ");
    if (scanf("%d", &choice) != 1) return 0;
    printf("index: ");
    if (scanf("%d%*c", &index) != 1 || index < 0 || index >= 16) return 0;
    if (choice == 1) {
      notes[index] = malloc(32);
      printf("content: ");
      read(0, notes[index], 31);
    } else if (choice == 2) {
      printf("note %d: %s\\n", index, notes[index]);
    } else {
      free(notes[index]);
      notes[index] = NULL;
    }
  }
}
`;

/** The menu loop's input: add, show, delete a note per round, each line one send. */
const MENU_INPUT = Array.from(
  { length: MENU_ROUNDS },
  (_, i) => [`1\n`, `${i % 16}\n`, `AAAA${i}\n`, `2\n`, `${i % 16}\n`, `3\n`, `${i % 16}\n`],
).flat();

Deno.bench({
  name: `CTF menu loop, ${MENU_ROUNDS / 1000}k rounds of add/show/delete (interpreter)`,
  group: "c-io",
  n: 1,
  warmup: 0,
  fn() {
    const r = runC(MENU_LOOP, {
      glibc: "2.31",
      stdin: MENU_INPUT,
      stdout: "pipe",
      pauseOnInput: false,
      maxSteps: 100 * MENU_ROUNDS,
      explain: false,
    });
    if (r.state !== "exited") throw new Error(`C run ended ${r.state}: ${r.error?.message}`);
  },
});

const OUTPUT_LINES = Number(Deno.env.get("C_BENCH_OUTPUT_LINES") ?? 200_000);

/** An output-heavy loop: a `puts` and a `printf` per line, stdout a pipe (fully buffered). */
const OUTPUT_LOOP = `#include <stdio.h>
int main(void) {
  for (int i = 0; i < ${OUTPUT_LINES}; i++) {
    puts("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    printf("%d: %s %x\\n", i, "chunk", i * 16);
  }
  return 0;
}
`;

Deno.bench({
  name: `output loop, ${OUTPUT_LINES / 1000}k puts and printf lines (interpreter)`,
  group: "c-io",
  n: 1,
  warmup: 0,
  fn() {
    const r = runC(OUTPUT_LOOP, {
      glibc: "2.31",
      stdout: "pipe",
      maxSteps: 10 * OUTPUT_LINES,
      explain: false,
    });
    if (r.state !== "exited") throw new Error(`C run ended ${r.state}: ${r.error?.message}`);
  },
});
