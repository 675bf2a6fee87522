import assert from "node:assert/strict";
import { CProgram } from "../../src/c/program.ts";
import { exitHandlersTable } from "../../src/view/exit_handlers_table.ts";
import type { GlibcVersion } from "../../src/malloc/profile.ts";

/** A program run up to the line holding `stop`. */
function program(source: string, stop: string, glibc: GlibcVersion = "2.36"): CProgram {
  const prog = new CProgram(`#include <stdio.h>\n#include <stdlib.h>\n${source}`, { glibc });
  assert.equal(prog.runTo(stop).reached, true);
  return prog;
}

const HANDLERS = `static void first(void) {}
static void on(int status, void *arg) {}
int main(void) {
  printf("first %p\\non %p\\n", (void *)first, (void *)on);
  atexit(first);
  on_exit(on, "on's arg");
  return 0;
}`;

Deno.test("the exit handlers view shows initial's one entry at the start: ld.so's _dl_fini, mangled", () => {
  const prog = program("int main(void) { return 0; }", "return 0");
  const t = exitHandlersTable(prog);
  const guard = prog.process.memory.readBig64(
    prog.allocator.libc.threadPointer(prog.process.mainThread) + 0x30,
  );
  assert.equal(
    t.title,
    `__exit_funcs → initial (idx 1); pointer guard 0x${guard.toString(16)} (%fs:0x30)`,
  );
  const ld = prog.process.space.areas().find((v) => v.file?.path.includes("ld-linux"))!;
  assert.deepEqual(t.rows, [{
    entry: "initial.fns[0]",
    flavor: "4 ef_cxa",
    "fn as stored": t.rows[0]["fn as stored"],
    demangled: `0x${(ld.start + 0x46d0).toString(16)}`,
    "points to": "_dl_fini (ld.so)",
    arg: "0",
    dso_handle: "0",
  }]);
  assert.notEqual(t.rows[0]["fn as stored"], t.rows[0].demangled);
});

Deno.test("the exit handlers view lists registrations in exit's order, named as the program printed them", () => {
  const prog = program(HANDLERS, "return 0");
  const t = exitHandlersTable(prog, { names: prog.stdout });
  assert.deepEqual(t.rows.map((r) => [r.entry, r.flavor, r["points to"]]), [
    ["initial.fns[2]", "2 ef_on", "on"],
    ["initial.fns[1]", "4 ef_cxa", "first"],
    ["initial.fns[0]", "4 ef_cxa", "_dl_fini (ld.so)"],
  ]);
  assert.match(String(t.rows[0].arg), /^0x[0-9a-f]+ "on's arg"$/);
  assert.match(String(t.rows[1].dso_handle), /^0x[0-9a-f]+ <__dso_handle>$/);
});

Deno.test("the exit handlers view follows __exit_funcs to a heap list first, and a limit counts the rest", () => {
  const prog = program(
    `static void h(void) {}
int main(void) {
  for (int i = 0; i < 33; i++) atexit(h);
  return 0;
}`,
    "return 0",
  );
  const t = exitHandlersTable(prog, { limit: 3 });
  assert.match(t.title!, /^__exit_funcs → 0x5555555[0-9a-f]+ \(idx 2\) → initial \(idx 32\);/);
  assert.deepEqual(t.rows.map((r) => r.entry), [
    `${t.title!.split(" ")[2]}.fns[1]`,
    `${t.title!.split(" ")[2]}.fns[0]`,
    "initial.fns[31]",
    "… 31 more",
  ]);
});

Deno.test('the exit handlers view shows an overwritten entry as exit will call it: system("/bin/sh")', () => {
  const libc = program("int main(void) { return 0; }", "return 0").allocator.libc;
  const delta = libc.symbol("initial")! - libc.symbol("system")!;
  const prog = program(
    `#include <pthread.h>
#include <stdint.h>
int main(void) {
  uintptr_t *fns0 = (uintptr_t *)((char *)system + ${delta}) + 2;
  uintptr_t guard = *(uintptr_t *)((char *)pthread_self() + 0x30);
  uintptr_t v = (uintptr_t)system ^ guard;
  fns0[1] = (v << 0x11) | (v >> (64 - 0x11));
  fns0[2] = (uintptr_t)"/bin/sh";
  return 0;
}`,
    "return 0",
  );
  const [row] = exitHandlersTable(prog).rows;
  assert.equal(row["points to"], "system");
  assert.match(String(row.arg), /^0x[0-9a-f]+ "\/bin\/sh"$/);
});

Deno.test("the exit handlers view on 2.44 demangles with ld.so's __pointer_chk_guard, not the TCB's 0", () => {
  const t = exitHandlersTable(program("int main(void) { return 0; }", "return 0", "2.44"));
  assert.match(t.title!, /pointer guard 0x[0-9a-f]{9,} \(ld\.so's __pointer_chk_guard\)$/);
  assert.equal(t.rows[0]["points to"], "_dl_fini (ld.so)");
});

Deno.test("the exit handlers view says so where heaplab keeps no exit list (i386)", () => {
  const prog = new CProgram("int main(void) { return 0; }", { arch: "i386" });
  prog.runTo("return 0");
  const t = exitHandlersTable(prog);
  assert.deepEqual(t.rows, []);
  assert.match(t.title!, /^no exit list here/);
  assert.throws(() => exitHandlersTable(prog, { limit: -1 }), RangeError);
});
