/**
 * Writes into read-only pages as a loader makes them before it protects them: the program's
 * .rodata and its file's read-only pages (written with the program's constants when heaplab lays
 * the program out), and ld.so's RELRO data (its copy of the pointer guard, written before
 * `_dl_protect_relro` makes the page read-only). The pages are writable for the write only; a
 * write of the program's own afterwards faults as on the real pages.
 *
 * @module
 */

import type { AddressSpace } from "../kernel/address_space.ts";
import { ACCESS_READ, ACCESS_WRITE } from "../kernel/memory.ts";

/**
 * Runs `write` with the read-only pages holding [start, end) writable, as if they were not (file
 * pages or anonymous ones: the area's anon_vma stays as it was).
 */
export function writingReadOnly(
  space: AddressSpace,
  start: number,
  end: number,
  write: () => void,
): void {
  if (end <= start) return write();
  const mem = space.memory, area = space.areaAt(start)!;
  const anon = area.anon;
  const first = Math.floor(start / 4096) * 4096, last = Math.ceil(end / 4096) * 4096;
  // (a read first: memory makes a page directory at the first access, reading its levels from
  // the areas, so that a level set before then would be lost)
  for (let page = first; page < last; page += 4096) mem.read8(page);
  mem.setAccess(first, last, ACCESS_WRITE);
  try {
    write();
  } finally {
    mem.setAccess(first, last, ACCESS_READ);
    area.anon = anon;
  }
}
