/**
 * Time travel for C programs by re-execution (`src/c/rewind.ts`): a program re-run to a
 * position of its past is in the state the original was in there — every page's bytes,
 * /proc/PID/maps, the allocator's chunks and bins, stdout and stderr, the line, the call stack
 * and the locals — and a copy fed other input goes its own way while the original stays.
 */

import assert from "node:assert/strict";
import { CProgram, type CRunOptions } from "../../src/c/program.ts";
import { RewindError } from "../../src/c/rewind.ts";
import { Process } from "../../src/kernel/process.ts";
import { ArgumentRangeError } from "../../src/kernel/errors.ts";

const PAGE = 4096;

/** Everything a program's state is made of that a user can see, to compare two programs. */
function stateOf(prog: CProgram) {
  const mem = prog.process.memory;
  const pages: [number, string][] = [];
  const page = new Uint8Array(PAGE);
  for (const area of prog.process.space.areas()) {
    for (let at = area.start; at < area.end; at += PAGE) {
      if (!mem.hasBytes(at)) continue;
      mem.readInto(at, page);
      if (page.some((b) => b !== 0)) pages.push([at, page.join(",")]);
    }
  }
  const allocator = prog.allocator;
  return {
    position: prog.position,
    done: prog.done,
    line: prog.currentLine(),
    backtrace: prog.backtrace(),
    locals: prog.locals(),
    stdout: prog.stdout,
    stderr: prog.stderr,
    maps: prog.process.maps(),
    pages,
    arenas: allocator.arenas(),
    chunks: allocator.arenas().map((a) => allocator.chunks(a.address)),
    bins: allocator.arenas().map((a) => allocator.bins(a.address)),
    tcache: prog.process.threads.filter((t) => t.state === "running").map((t) =>
      allocator.tcache(t)
    ),
    stdoutFile: prog.fileInfo("stdout"),
    threads: prog.process.threads.map((t) => [t.tid, t.state, t.sp]),
  };
}

/** Steps `prog` to its end, feeding `inputs` one per pause; the state at every position. */
function stepThrough(prog: CProgram, inputs: string[]): Map<number, ReturnType<typeof stateOf>> {
  const states = new Map([[prog.position, stateOf(prog)]]);
  const left = [...inputs];
  for (let n = 0; n < 1000 && !prog.done; n++) {
    const before = prog.position;
    const r = prog.step();
    if (prog.position === before && r.state === "paused") {
      const input = left.shift();
      if (input === undefined) prog.closeInput();
      else prog.feed(input);
      continue;
    }
    states.set(prog.position, stateOf(prog));
  }
  assert.ok(prog.done, "the program ran to its end");
  return states;
}

const MENU = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

int main(void) {
  char *notes[4] = {0};
  char line[64];
  unsigned char salt[8];
  getrandom(salt, sizeof salt, 0);
  fprintf(stderr, "time %ld salt %02x\\n", (long)time(NULL), salt[0]);
  FILE *f = fopen("motd.txt", "r");
  fgets(line, sizeof line, f);
  printf("motd: %s", line);
  for (int i = 0; i < 3; i++) {
    printf("> ");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) break;
    notes[i] = malloc(strlen(line) + 0x10);
    strcpy(notes[i], line);
    if (line[0] == 'f') free(notes[0]);
  }
  fgets(line, sizeof line, f);
  printf("%s", line);
  fclose(f);
  return 0;
}
`;
const OPTIONS: CRunOptions = {
  glibc: "2.36",
  files: { "motd.txt": "hello\nbye\n" },
};

Deno.test("a re-run to every position a stepped program stopped at is in the state it had there", () => {
  const prog = new CProgram(MENU, OPTIONS);
  const states = stepThrough(prog, ["first\n", "free\n", "third\n"]);
  assert.match(prog.stdout, /motd: hello\n> > > bye\n$/);
  assert.equal(prog.stderr.startsWith("time 0 salt"), true);
  for (const [position, state] of states) {
    assert.deepEqual(stateOf(prog.at(position)), state, `position ${position}`);
  }
});

Deno.test("a copy is in the program's state now, input given there included", () => {
  const prog = new CProgram(MENU, OPTIONS);
  const r = prog.run();
  assert.equal(r.state, "paused");
  prog.feed("one\n");
  const copy = prog.copy();
  assert.deepEqual(stateOf(copy), stateOf(prog));
  assert.deepEqual(copy.inputs, prog.inputs);
  assert.deepEqual(copy.run().stdout, prog.run().stdout);
  assert.deepEqual(stateOf(copy), stateOf(prog));
});

Deno.test("a program run to its pauses reaches the positions a stepped one reaches", () => {
  const stepped = new CProgram(MENU, OPTIONS);
  const states = stepThrough(stepped, ["a\n", "b\n", "c\n"]);
  const ran = new CProgram(MENU, OPTIONS);
  for (const input of ["a\n", "b\n", "c\n"]) {
    ran.run();
    assert.deepEqual(stateOf(ran), states.get(ran.position));
    ran.feed(input);
  }
  ran.run();
  assert.equal(ran.position, stepped.position);
  assert.deepEqual(stateOf(ran), stateOf(stepped));
  // (and a run from a pause with no input given stays at the pause's position)
  const paused = new CProgram(MENU, OPTIONS);
  paused.run();
  const at = paused.position;
  paused.run();
  paused.step();
  assert.equal(paused.position, at);
});

Deno.test("a re-run from the input pause fed another payload diverges; the original is unchanged", () => {
  const prog = new CProgram(MENU, OPTIONS);
  prog.run();
  prog.feed("aaaa\n");
  prog.run();
  const pause = prog.position;
  prog.feed("free\n");
  prog.run();
  const before = stateOf(prog);
  const other = prog.at(pause);
  assert.equal(other.run().state, "paused"); // waiting, as the original was
  other.feed("x".repeat(40) + "\n");
  other.run();
  const mine = prog.allocator.chunks().map((c) => c.size);
  const theirs = other.allocator.chunks().map((c) => c.size);
  assert.notDeepEqual(theirs, mine);
  assert.ok(other.allocator.chunks().some((c) => c.size === 0x50));
  assert.deepEqual(stateOf(prog), before);
  assert.deepEqual(other.inputs.map((e) => e.input), ["aaaa\n", "x".repeat(40) + "\n"]);
});

const THREADS = `#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

void *worker(void *arg) {
  char *p = malloc(0x30);
  int c = getchar();
  p[0] = (char)c;
  printf("worker got %c\\n", c);
  free(p);
  return (void *)(long)c;
}

int main(void) {
  pthread_t t;
  void *res;
  char *m = malloc(0x40);
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, &res);
  free(m);
  printf("main %ld\\n", (long)res);
  return 0;
}
`;

Deno.test("a re-run of a program with threads is in the state it had at every position", () => {
  const prog = new CProgram(THREADS, { glibc: "2.31" });
  const states = stepThrough(prog, ["z\n"]);
  assert.equal(prog.stdout, "worker got z\nmain 122\n");
  for (const [position, state] of states) {
    assert.deepEqual(stateOf(prog.at(position)), state, `position ${position}`);
  }
});

const FREES = `#include <stdlib.h>
int main(void) {
  char *a = malloc(24);
  char *b = malloc(24);
  free(a);
  free(b);
  return 0;
}
`;

Deno.test("back(n) goes n stops of step() back, and seek to the last time a line came", () => {
  const prog = new CProgram(FREES);
  prog.runTo("return");
  const before = prog.back(2);
  assert.equal(before.currentLine(), 5);
  assert.equal(before.allocator.tcache().bins.length, 0);
  assert.equal(prog.back().currentLine(), 6);
  const free = prog.seek("free(b)");
  assert.equal(free.currentLine(), 6);
  assert.equal(free.allocator.tcache().bins[0].chunks.length, 1);
  assert.equal(prog.seek(3).position, 1);
  const step = prog.seek((p) => p.allocator.lastRecord?.operation === "malloc");
  assert.equal(step.currentLine(), 5);
  assert.equal(prog.currentLine(), 7); // the original has not moved
});

Deno.test("a position not reached, or a program in a process of its own, cannot be re-run", () => {
  const prog = new CProgram(FREES);
  prog.step();
  for (const bad of [-1, 2, 0.5, NaN]) {
    assert.throws(
      () => prog.at(bad),
      (e) => e instanceof ArgumentRangeError && /0 to 1/.test(e.message),
    );
  }
  assert.throws(() => prog.back(2), ArgumentRangeError);
  assert.throws(() => prog.seek("free(b)"), ArgumentRangeError);
  assert.throws(() => prog.seek("no such text"), /no line holds it/);
  const own = new CProgram(FREES, { process: new Process() });
  assert.throws(() => own.copy(), RewindError);
});

Deno.test("a re-run that cannot follow its original (changed from JavaScript) says so", () => {
  const source = `#include <stdio.h>
int n = 1;
int main(void) {
  printf("%p\\n", (void *)&n);
  for (int i = 0; i < n; i++) puts("x");
  return 0;
}
`;
  const prog = new CProgram(source);
  prog.runTo(5);
  prog.process.memory.write32(parseInt(prog.stdout, 16), 3);
  prog.run();
  assert.equal(prog.stdout.match(/^x$/gm)?.length, 3);
  assert.throws(
    () => prog.copy(),
    (e) => e instanceof RewindError && /stopped at position/.test(e.message),
  );
});

Deno.test("the states compared are the program's own: positions differ from one another", () => {
  const prog = new CProgram(FREES);
  const states = stepThrough(prog, []);
  const list = [...states.values()];
  assert.ok(list.length >= 6);
  for (let i = 1; i < list.length; i++) assert.notDeepEqual(list[i], list[i - 1]);
  // the pages written: the program's data, libc's FILEs, the stack; then the heap
  assert.ok(list[0].pages.length >= 4);
  assert.ok(list.at(-1)!.pages.length > list[0].pages.length);
});

const VARIADIC = `#include <stdio.h>
#include <stdarg.h>
int sum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  int s = 0;
  for (int i = 0; i < n; i++) s += va_arg(ap, int);
  va_end(ap);
  return s;
}
int main(void) {
  int a = sum(2, 1, 2);
  int b = sum(3, 1, 2, 3);
  printf("%d %d\\n", a, b);
  return 0;
}
`;

Deno.test("a va_list's value is the program's own: a re-run after other programs writes the same", () => {
  const prog = new CProgram(VARIADIC);
  const states = stepThrough(prog, []);
  new CProgram(VARIADIC).run(); // another program's va_start calls in between
  for (const [position, state] of states) {
    assert.deepEqual(stateOf(prog.at(position)), state, `position ${position}`);
  }
});

Deno.test("back(n) and seek find the stops step() made, however far back, across inputs", () => {
  const source = `#include <stdio.h>
int main(void) {
  long sum = 0;
  for (int i = 0; i < 3000; i++)
    sum += i;
  int c = getchar();
  for (int i = 0; i < 3000; i++)
    sum += c;
  printf("%ld\\n", sum);
  return 0;
}
`;
  const prog = new CProgram(source);
  const stops: number[] = [];
  while (!prog.done) {
    const before = prog.position;
    prog.step();
    if (prog.position === before) prog.feed("A\n");
    else if (!prog.done) stops.push(prog.position);
  }
  assert.equal(prog.stdout, `${(2999 * 3000) / 2 + 65 * 3000}\n`);
  for (const n of [1, 2, 7, 2000, 6001, stops.length]) {
    assert.equal(prog.back(n).position, stops[stops.length - n], `back(${n})`);
  }
  assert.throws(() => prog.back(stops.length + 1), /at most the \d+ stops behind/);
  assert.equal(prog.seek("long sum").position, stops[0]);
  const pause = prog.seek((p) => p.currentLine() === 6);
  assert.equal(pause.run().state, "paused"); // the pause itself: no input there yet
  pause.feed("B\n");
  assert.equal(pause.run().stdout, `${(2999 * 3000) / 2 + 66 * 3000}\n`);
});

Deno.test("a program that aborted is re-run to its end, and to the line before it", () => {
  const source = `#include <stdlib.h>
int main(void) {
  char *a = malloc(24);
  free(a);
  free(a);
  return 0;
}
`;
  const prog = new CProgram(source, { glibc: "2.31" });
  const r = prog.run();
  assert.equal(r.state, "aborted");
  const copy = prog.copy();
  assert.equal(copy.done, true);
  assert.deepEqual(stateOf(copy), stateOf(prog));
  assert.match(copy.stderr, /double free detected in tcache 2/);
  const before = prog.back();
  assert.equal(before.currentLine(), 5);
  assert.equal(before.run().state, "aborted");
});
