// Runs every fast path of the memory once on x86_64 addresses, so that V8 compiles each (for
// memory_inlining_test.ts).
import { Process } from "../../src/kernel/process.ts";

const proc = new Process({ layout: "x86_64" });
const memory = proc.memory;
const at = proc.sys.mmap(0, 4096, 3, 0x22);
for (let i = 0; i < 2; i++) {
  memory.write16(at, 1);
  memory.write32(at + 4, 2);
  memory.write64(at + 8, 3);
  memory.read16(at);
  memory.read32(at + 4);
  memory.read64(at + 8);
}
