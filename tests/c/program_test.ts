// Programs: control flow, structs, unions, function pointers, printf formats, pauses, threads,
// how a run ends, errors.
import assert from "node:assert/strict";
import {
  COutputLimitError,
  CProgram,
  CStepLimitError,
  CSyntaxError,
  CUnsupportedError,
  HeapAbort,
  Process,
  runC,
  SegmentationFault,
} from "../../mod.ts";

const main = (body: string, pre = "") =>
  `#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <assert.h>\n${pre}\nint main(void) {\n${body}\n}\n`;

Deno.test("control flow: loops, switch with fallthrough, break, continue, goto, recursion", () => {
  const r = runC(main(
    `int s = 0;
  for (int i = 0; i < 10; i++) { if (i == 3) continue; if (i == 8) break; s += i; }
  int j = 0; while (j < 5) j++;
  do { j += 10; } while (j < 30);
  switch (j) { case 35: s += 1000; case 36: s += 100; break; default: s = -1; }
  if (s > 0) goto done;
  s = 0;
done:
  printf("%d %d %d\\n", s, j, fact(10));
  return 0;`,
    "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }",
  ));
  assert.equal(r.stdout, "1125 35 3628800\n");
});

Deno.test("structs, unions, arrays of structs, designated initializers, function pointers", () => {
  const r = runC(main(
    `struct chunk c = { .prev_size = 0, .size = 0x21 };
  struct chunk arr[2] = { {1, 2, 0, 0}, {3, 4, 0, 0} };
  union u x; x.l = 0x4142434445464748; 
  struct chunk *p = &arr[1];
  int (*op)(int, int) = add;
  printf("%zu %zu %zu %c %lu\\n", c.size, p->size, sizeof(struct chunk), x.c[0], arr[0].prev_size);
  printf("%d %d\\n", op(2, 3), apply(add, 4, 5));
  return 0;`,
    `struct chunk { size_t prev_size; size_t size; struct chunk *fd; struct chunk *bk; };
union u { long l; char c[8]; };
int add(int a, int b) { return a + b; }
int apply(int (*f)(int, int), int a, int b) { return f(a, b); }`,
  ));
  assert.equal(r.stdout, "33 4 32 H 1\n5 9\n");
});

Deno.test("printf formats as glibc does", () => {
  const r = runC(main(
    `printf("[%p] [%p] [%5d] [%-5d] [%05d] [%x] [%#x] [%lu] [%s] [%.3s] [%c] [%%] [%zu] [%lld]\\n",
    (void *)0x5555555592a0, NULL, 42, 42, 42, 255, 255, 18446744073709551615UL, "heap", "abcdef", 'A', sizeof(long), -5LL);
  printf("[%s] [%8.3f] [%e] [%g] [%+d] [%hhd] [%#lx]\\n", (char *)NULL, 3.14159, 1234.5, 0.0001, 7, 300, 0UL);
  return 0;`,
  ));
  assert.equal(
    r.stdout,
    "[0x5555555592a0] [(nil)] [   42] [42   ] [00042] [ff] [0xff] [18446744073709551615] [heap] [abc] [A] [%] [8] [-5]\n" +
      "[(null)] [   3.142] [1.234500e+03] [0.0001] [+7] [44] [0]\n",
  );
});

Deno.test("globals are in the binary's .data/.bss, literals in its read-only data, locals on the stack", () => {
  const r = runC(main(
    `int local = 1;
  printf("%p %p %p\\n", (void *)&global, (void *)"lit", (void *)&local);
  return 0;`,
    "long global = 5;",
  ));
  const [g, lit, local] = r.stdout.trim().split(" ").map((x) => parseInt(x, 16));
  assert.ok(g >= 0x555555558000 && g < 0x555555559000, r.stdout);
  assert.ok(lit >= 0x555555556000 && lit < 0x555555557000, r.stdout);
  assert.ok(local >= 0x7ffffffde000 && local < 0x7ffffffff000, r.stdout);
  const w = new CProgram(main(`*(char *)"lit" = 'x'; return 0;`)).run();
  assert.equal(w.state, "crashed");
  assert.equal(w.exitStatus, 139);
  assert.ok(w.fault instanceof SegmentationFault);
});

Deno.test("stdout is fully buffered into a pipe: its buffer is malloc'ed at the first printf and lost at an abort", () => {
  const r = runC(main(`printf("lost\\n"); void *p = malloc(24); free(p); free(p); return 0;`));
  assert.equal(r.state, "aborted");
  assert.equal(r.exitStatus, 134);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "free(): double free detected in tcache 2\n");
  assert.ok(r.abort instanceof HeapAbort);
  assert.equal(r.records[0].operation, "printf"); // stdio's buffer
  assert.equal(r.records.at(-1)!.operation, "free");
  const unbuffered = runC(main(`setbuf(stdout, NULL); printf("kept\\n"); abort();`));
  assert.equal(unbuffered.stdout, "kept\n");
  assert.equal(unbuffered.records.length, 0);
});

Deno.test("a failed assert prints glibc's message and aborts", () => {
  const r = runC(main(`int *p = 0;\n  assert(p != NULL);\n  return 0;`), {
    file: "demo.c",
    programName: "./demo",
  });
  assert.equal(r.state, "aborted");
  assert.equal(r.exitStatus, 134);
  assert.equal(r.stderr, "demo: demo.c:8: main: Assertion `p != NULL' failed.\n");
});

Deno.test("exit(n) flushes stdout and ends with status n", () => {
  const r = runC(main(`printf("bye"); exit(3);`));
  assert.equal(r.state, "exited");
  assert.equal(r.exitStatus, 3);
  assert.equal(r.stdout, "bye");
});

Deno.test("a NULL dereference is SIGSEGV; the process stays inspectable", () => {
  const prog = new CProgram(main(`int *p = NULL;\n  char *q = malloc(8);\n  *p = 1;\n  return 0;`));
  const r = prog.run();
  assert.equal(r.state, "crashed");
  assert.equal(r.exitStatus, 139);
  assert.equal(r.line, 9);
  assert.equal(r.fault?.address, 0);
  assert.deepEqual(r.backtrace, ["#0 main () at prog.c:9"]);
  assert.ok(prog.process.maps().includes("[heap]"));
  const locals = prog.locals();
  assert.deepEqual(locals.map((l) => [l.name, l.type, l.value]), [["p", "int *", "(nil)"], [
    "q",
    "char *",
    locals[1].value,
  ]]);
  assert.match(locals[1].value, /^0x5555555/);
  assert.equal(prog.run().state, "crashed"); // a finished program stays finished
});

Deno.test("a read of empty stdin pauses; feed() and run() continue; step() runs one line", () => {
  const prog = new CProgram(
    main(
      `int c = getchar();\n  printf("got %c\\n", c);\n  c = getchar();\n  c = getchar();\n  return c;`,
    ),
  );
  const first = prog.run();
  assert.equal(first.state, "paused");
  assert.equal(first.line, 7);
  prog.feed("x"); // typed, Enter not pressed: a terminal delivers no line yet
  assert.equal(prog.run().line, 7);
  prog.feed("\n");
  const second = prog.run();
  assert.equal(second.state, "paused");
  assert.equal(second.line, 10); // the second getchar took the newline
  assert.equal(second.newStdout, "got x\n");
  prog.feed("A\n");
  const end = prog.run();
  assert.equal(end.state, "exited");
  assert.equal(end.exitStatus, 65);
  const stepping = new CProgram(main(`int a = 1;\n  a++;\n  a++;\n  return a;`));
  assert.equal(stepping.step().line, 7);
  assert.equal(stepping.step().line, 8);
  assert.equal(stepping.step().line, 9);
  assert.equal(stepping.locals()[0].value, "2");
  assert.equal(stepping.step().line, 10);
  assert.equal(stepping.step().exitStatus, 3);
});

Deno.test("threads: a new thread runs until it ends; join collects its result", () => {
  const r = runC(
    `#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
void *worker(void *arg) {
  long n = (long)arg;
  void *p = malloc(1000);
  printf("worker %ld\\n", n);
  free(p);
  return (void *)(n * 2);
}
int main(void) {
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, worker, (void *)21);
  printf("main\\n");
  pthread_join(t, &res);
  printf("%ld\\n", (long)res);
  return 0;
}`,
    { stdout: "tty" },
  );
  assert.equal(r.stdout, "worker 21\nmain\n42\n");
  const arenas = r.records.filter((rec) => rec.operation === "malloc" && rec.tid !== 31940);
  assert.equal(arenas.length, 1);
});

Deno.test("a syntax error names file:line:column and the offending token", () => {
  assert.throws(() => new CProgram("int main(void) {\n  int x = 1\n  return x;\n}\n"), (e) => {
    assert.ok(e instanceof CSyntaxError);
    assert.equal(e.line, 3);
    assert.equal(e.column, 3);
    assert.equal(e.token, "return");
    assert.equal(e.message, "prog.c:3:3: expected ';', ',' or '=' before 'return'");
    return true;
  });
});

Deno.test("an unsupported function is an error naming it and its line", () => {
  const r = runC(main(`printf("a");\n  pipe(0);\n  return 0;`));
  assert.equal(r.state, "error");
  assert.ok(r.error instanceof CUnsupportedError);
  assert.equal(r.error.message, "prog.c:8: unsupported: function 'pipe'");
});

Deno.test("an endless loop stops at the step limit", () => {
  const r = runC(main(`for (;;) {}`), { maxSteps: 1000 });
  assert.equal(r.state, "error");
  assert.ok(r.error instanceof CStepLimitError);
});

Deno.test("i386 programs run with ILP32 sizes in a 32-bit process", () => {
  const r = runC(main(`void *p = malloc(10);\n  printf("%zu %p\\n", sizeof(p), p);\n  return 0;`), {
    arch: "i386",
  });
  assert.equal(r.stdout, "4 0x5655a1a0\n");
  const proc = new Process({ layout: "i386" });
  const again = runC(main(`return sizeof(long);`), { process: proc });
  assert.equal(again.exitStatus, 4);
});

Deno.test("glibc 2.23 wraps malloc_printerr's message and its abort() flushes stdout", () => {
  const r = runC(
    main(`printf("x\\n");\n  void *a = malloc(24);\n  free(a);\n  free(a);\n  return 0;`),
    {
      glibc: "2.23",
    },
  );
  assert.equal(r.state, "aborted");
  assert.equal(r.stdout, "x\n");
  // glibc 2.23 maps stdout's buffer (libio's ALLOC_BUF): the heap starts with `a`.
  assert.equal(
    r.stderr,
    "*** Error in `./prog': double free or corruption (fasttop): 0x0000555555559010 ***\n",
  );
});

Deno.test("stdin's buffer is malloc'ed at its first read, unless setbuf(stdin, NULL)", () => {
  const prog = new CProgram(main(`printf("a\\n");\n  getchar();\n  return 0;`));
  const r = prog.run();
  assert.deepEqual(r.records.map((x) => [x.operation, x.args]), [["printf", []], ["malloc", [
    1024,
  ]]]);
  const none = new CProgram(
    main(`setbuf(stdin, NULL);\n  printf("a\\n");\n  getchar();\n  return 0;`),
  );
  assert.deepEqual(none.run().records.map((x) => x.operation), ["printf"]);
});

Deno.test("locals get gcc -O0's stack slots: scalars whose address is never taken first, parameters lowest", () => {
  // Offsets from the frame pointer printed by Debian's gcc 12 -O0 for the same function.
  const r = runC(`#include <stdio.h>
void f(int x, long y, char *z) {
  int a = 1;
  { long inner = 5; printf("%ld ", (long)((char *)&inner - (char *)__builtin_frame_address(0))); }
  char big[40];
  char *fp = __builtin_frame_address(0);
  printf("%ld %ld %ld %ld %ld\\n", (long)((char *)&a - fp), (long)(big - fp), (long)((char *)&x - fp),
    (long)((char *)&y - fp), (long)((char *)&z - fp));
}
int main(void) { f(1, 2, 0); return 0; }
`);
  assert.equal(r.stdout, "-72 -12 -64 -84 -96 -104\n");
});

Deno.test("an undeclared name is a syntax error naming it", () => {
  assert.throws(() => new CProgram("int main(void) {\n  return nope;\n}\n"), (e) => {
    assert.ok(e instanceof CSyntaxError);
    assert.equal(e.message, "prog.c:2:10: 'nope' undeclared");
    return true;
  });
});

Deno.test("a thread's locals live on its own stack mapping; its return value is what join gets", () => {
  const prog = new CProgram(
    `#include <stdio.h>
#include <pthread.h>
void *worker(void *arg) {
  int local = 5;
  printf("%p\\n", (void *)&local);
  return (void *)7;
}
int main(void) {
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, &res);
  printf("%ld\\n", (long)res);
  return 0;
}`,
    { stdout: "pipe" },
  );
  const r = prog.run();
  assert.equal(r.state, "exited");
  const [addr, res] = r.stdout.trim().split("\n");
  assert.equal(res, "7");
  const stack = prog.process.threads[1].stack!;
  const a = parseInt(addr, 16);
  assert.ok(a > stack.base + stack.guard && a < stack.base + stack.size, addr);
});

Deno.test("pthread_exit is refused by name: glibc's unwinding loads libgcc_s.so.1, which mallocs in the thread's arena", () => {
  const r = runC(
    `#include <pthread.h>
void *worker(void *arg) { pthread_exit((void *)7); return 0; }
int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  return 0;
}`,
    { stdout: "pipe" },
  );
  assert.equal(r.error?.name, "CUnsupportedError");
  assert.match(r.error!.message, /pthread_exit.*libgcc_s\.so\.1/);
});

Deno.test("variadic functions: va_start, va_arg, vprintf", () => {
  const r = runC(`#include <stdio.h>
#include <stdarg.h>
void info(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("[info] ");
  vprintf(fmt, ap);
  va_end(ap);
}
long sum(int n, ...) {
  va_list ap;
  long s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++) s += va_arg(ap, long);
  va_end(ap);
  return s;
}
int main(void) {
  info("%s=%d %p\\n", "x", 42, (void *)0x10);
  printf("%ld\\n", sum(3, 1L, 2L, 39L));
  return 0;
}
`);
  assert.equal(r.stdout, "[info] x=42 0x10\n42\n");
});

Deno.test("mallinfo2() and mallinfo() return glibc's counters as structs", () => {
  const r = runC(`#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
int main(void) {
  void *p = malloc(100);
  struct mallinfo2 mi = mallinfo2();
  struct mallinfo m1 = mallinfo();
  printf("%zu %zu %d %zu\\n", mi.arena, mi.uordblks, m1.uordblks, sizeof m1);
  free(p);
  return 0;
}`);
  assert.equal(r.stdout, "135168 768 768 40\n"); // the tcache's 0x290 and the 0x70 chunk in use
});

Deno.test("a failing system call sets errno; perror and strerror print glibc's words", () => {
  const r = runC(`#include <stdio.h>
#include <sys/mman.h>
#include <errno.h>
#include <string.h>
int main(void) {
  void *p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    printf("%d %s\\n", errno, strerror(errno));
  }
  return 0;
}`);
  assert.equal(r.stdout, "22 Invalid argument\n");
  assert.equal(r.stderr, "mmap: Invalid argument\n");
});

Deno.test("library functions and stdio's FILEs are at their real offsets in the libc build", () => {
  const prog = new CProgram(
    main(`printf("%p %p\\n", (void *)system, (void *)stdout);\n  return 0;`),
  );
  const r = prog.run();
  const libc = prog.allocator.libc;
  const hex = (x: number) => "0x" + x.toString(16);
  assert.equal(
    r.stdout,
    `${hex(libc.symbol("system")!)} ${hex(libc.symbol("_IO_2_1_stdout_")!)}\n`,
  );
});

Deno.test("an incomplete struct in a member or a constant sizeof is a CSyntaxError, not a raw Error", () => {
  for (
    const source of [
      "struct S { struct S s; };\nint main(void) { return 0; }\n",
      "struct Z;\nint main(void) { static char b[sizeof(struct Z)]; return 0; }\n",
    ]
  ) {
    assert.throws(() => new CProgram(source), (e) => {
      assert.ok(e instanceof CSyntaxError);
      assert.match(e.message, /incomplete type 'struct [SZ]'/);
      return true;
    });
  }
});

Deno.test("a long string literal and a large write reach their typed outcome, not a call-stack RangeError", () => {
  assert.throws(
    () => new CProgram(`int main(void) { char *p = "${"a".repeat(300000)}"; return p[0]; }\n`),
    (e) => e instanceof CUnsupportedError,
  );
  const r = runC(
    "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n" +
      "int main(void) { char *p = malloc(300000); memset(p, 'x', 300000);\n" +
      "  write(1, p, 300000); return 0; }\n",
  );
  assert.equal(r.stdout.length, 300000);
});

Deno.test("a program printing for ever ends at the output limit with a typed error naming its line", () => {
  const r = runC(
    `#include <unistd.h>
static char block[1 << 20];
int main(void) {
  for (;;)
    write(1, block, sizeof block);
}`,
    { stdout: "file" },
  );
  assert.equal(r.state, "error");
  assert.ok(r.error instanceof COutputLimitError, r.error?.message);
  assert.equal(r.error.stream, "stdout");
  assert.equal(r.error.line, 5);
  assert.equal(r.stdout.length, r.error.limit);
});
