/**
 * /proc/self/maps and /proc/PID/maps as a program opens and reads them: a file whose text the
 * kernel makes at each read from the process as it is then (Linux's seq_file, `seq_read_iter`,
 * over task_mmu's `m_start`, `m_next` and `show_map`), its lines the kernel model's
 * (`mapsRecords`, `src/kernel/maps.ts`: one formatter for the trace, the views and this).
 *
 * - A read first hands over what the last one left in the file's buffer (the rest of a line a
 *   short read split); only when that is all taken does it make records: the next area's line,
 *   then more lines while it holds fewer bytes than asked and the next line fits the buffer (a
 *   page: 4095 bytes of text at most; a single line longer than that doubles it). It returns
 *   what was asked or all it made, whichever is less, and keeps the rest. A read of 1 byte
 *   makes a whole line; a read of 65536 returns whole lines up to 4095 bytes. A line once made
 *   is delivered as it was, even if its area is gone by the next read.
 * - Records are made by address: each area's line, then the gate area's (`[vsyscall]` on
 *   x86_64). The next read goes on from the end of the last area shown (Linux 6.17+ keeps it,
 *   `priv->last_pos`): an area mapped after that address between two reads is shown, one
 *   before it is not, and one unmapped before it was shown is not. After the gate area, only
 *   end of file.
 * - lseek(2): SEEK_SET and SEEK_CUR remake the text from the start up to the offset
 *   (`traverse`), the line the offset falls in kept from there; an offset past the end reads
 *   end of file; a negative one and SEEK_END are EINVAL. A read at offset 0 starts over.
 * - open(2): reading only — writing, or O_TRUNC, is EACCES (the file is 0444 and the process
 *   not root), O_CREAT|O_EXCL EEXIST, a trailing slash ENOTDIR. unlink(2) is EPERM. stat(2):
 *   a regular file of mode 0444, size 0, st_blksize 1024 (so stdio's buffer for it is a malloc
 *   of 1024 bytes, in the heap the program prints) and no blocks.
 * - Paths: `/proc/self/maps`, `/proc/thread-self/maps` and `/proc/PID/maps` with the process's
 *   pid. Any other path under /proc (another process's, `/proc/self/status`, `/proc/self/mem`,
 *   `/proc/self/smaps`, …) is refused by name (`Unmodelled`), not answered ENOENT.
 *
 * Checked against real runs on Linux 6.18 as uid 1000, x86_64 glibc 2.31–2.44:
 * tests/fixtures/c/proc_maps/ (make_proc_maps.sh).
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";
import type { MapsRecord } from "../kernel/maps.ts";
import type { FileFacts, GeneratedFile, ProcFileSystem, Unmodelled } from "./file_facts.ts";
import { textBytes } from "./stdio.ts";

const { EACCES, EEXIST, EINVAL, ENOTDIR, EPERM } = Errno;

/** The seq_file's first buffer (a page); the text it holds is one byte less. */
const SEQ_BUFFER = 4096;
/** open(2)'s flags that matter here. */
const ACCESS_MODE = 3, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000;
const SEEK_SET = 0, SEEK_CUR = 1;
/** The file's mode bits (`S_IRUGO`). */
const MAPS_PERMISSIONS = 0o444;

/** What the maps file reads of the process. */
export interface MapsSource {
  /** The process id (`/proc/PID/maps`). */
  readonly pid: number;
  /** The records of its maps now. */
  mapsRecords(): MapsRecord[];
}

/**
 * Where the iterator is (task_mmu's `*ppos`): an address (0 at the start; after a record, the
 * end of the area it showed), "gate" (the gate area is next) or "end".
 */
type Position = number | "gate" | "end";

/** One open file description of a maps file: its seq_file. */
class MapsFile implements GeneratedFile {
  readonly #source: MapsSource;
  /** `m->buf` from `m->from`: made, not yet read. */
  #pending = "";
  /** `m->size`. */
  #size = SEQ_BUFFER;
  /** `m->index`, the iterator's position. */
  #index: Position = 0;
  /** `priv->last_pos`: the position before the last record was found. */
  #lastPos = 0;
  /** `m->read_pos`. */
  #readPos = 0;

  constructor(source: MapsSource) {
    this.#source = source;
  }

  get facts(): FileFacts {
    return mapsFacts();
  }

  /** The record at or after address `at` (`proc_get_vma`), the position moved past it. */
  #recordFrom(at: number): string | undefined {
    const records = this.#source.mapsRecords();
    this.#lastPos = at;
    const area = records.find((r) => r.end !== undefined && r.end > at);
    if (area !== undefined) {
      this.#index = area.end!;
      return area.line;
    }
    this.#index = "gate";
    return records.find((r) => r.end === undefined)?.line;
  }

  /** `m_start`: back to where the last record shown ended, then the record there. */
  #start(): string | undefined {
    if (this.#index === "end") return undefined;
    if (this.#index === "gate") {
      return this.#source.mapsRecords().find((r) => r.end === undefined)?.line;
    }
    if (this.#index > 0) this.#index = this.#lastPos;
    return this.#recordFrom(this.#index);
  }

  /** `m_next`: the record after the one shown. */
  #next(): string | undefined {
    if (this.#index === "gate") {
      this.#index = "end";
      return undefined;
    }
    return this.#index === "end" ? undefined : this.#recordFrom(this.#index);
  }

  /** The first record, the buffer grown until it holds it (`seq_read_iter`, `traverse`). */
  #first(): string | undefined {
    const record = this.#start();
    while (record !== undefined && record.length >= this.#size) this.#size *= 2;
    return record;
  }

  /** `traverse`: the text made again from the start, up to `offset`; what follows it pending. */
  #traverse(offset: number): void {
    this.#index = 0;
    this.#pending = "";
    if (offset === 0) return;
    let at = 0;
    for (let record = this.#first(); record !== undefined;) {
      const after = this.#next();
      if (at + record.length > offset) {
        this.#pending = record.slice(offset - at);
        return;
      }
      at += record.length;
      if (at === offset) return;
      record = after === undefined ? undefined : this.#fitted(after);
    }
  }

  /** A record the buffer must hold alone (after `next`): the buffer grown for it. */
  #fitted(record: string): string {
    while (record.length >= this.#size) this.#size *= 2;
    return record;
  }

  read(at: number, count: number, store: (bytes: Uint8Array, done: number) => number): number {
    if (at === 0) {
      this.#index = 0;
      this.#pending = "";
    }
    if (at !== this.#readPos) {
      this.#traverse(at);
      this.#readPos = at;
    }
    // copy_to_iter: what fits in the count left
    const give = (text: string, done: number) =>
      store(textBytes(text.slice(0, count - done)), done);
    let copied = 0;
    // something left in the buffer: copy it out first
    if (this.#pending !== "") {
      const n = give(this.#pending, 0);
      this.#pending = this.#pending.slice(n);
      copied = n;
      if (this.#pending !== "") return this.#done(copied);
    }
    const first = this.#first();
    if (first === undefined) return this.#done(copied);
    // one record made; more while fewer bytes than asked are made and the next one fits
    let made = first;
    for (;;) {
      const record = this.#next();
      if (record === undefined || made.length >= count - copied) break;
      if (made.length + record.length >= this.#size) break; // overflow: found again next time
      made += record;
    }
    const n = give(made, copied);
    this.#pending = made.slice(n);
    return this.#done(copied + n);
  }

  /** A read's result: the count, or -EFAULT when nothing could be stored but text is pending. */
  #done(copied: number): number {
    if (copied === 0) return this.#pending !== "" ? -Errno.EFAULT : 0;
    this.#readPos += copied;
    return copied;
  }

  seek(at: number, offset: number, whence: number): number {
    if (whence !== SEEK_SET && whence !== SEEK_CUR) return -EINVAL;
    const to = whence === SEEK_CUR ? at + offset : offset;
    if (to < 0) return -EINVAL;
    if (to !== this.#readPos) {
      this.#traverse(to);
      this.#readPos = to;
    }
    return to;
  }
}

/** What stat(2) reports of a maps file. */
function mapsFacts(): FileFacts {
  return {
    serial: 0,
    permissions: MAPS_PERMISSIONS,
    links: 1,
    size: 0,
    sparse: false,
    procfs: true,
  };
}

/** The /proc file system of one process: its maps file, and refusals for the rest. */
export class ProcFiles implements ProcFileSystem {
  readonly #source: MapsSource;

  /** The /proc of the process `source`. */
  constructor(source: MapsSource) {
    this.#source = source;
  }

  /** Whether `name` is the process's maps file. */
  #isMaps(name: string): boolean {
    const m = /^\/proc\/([^/]+)\/maps$/.exec(name);
    return m !== null &&
      (m[1] === "self" || m[1] === "thread-self" || m[1] === String(this.#source.pid));
  }

  /** The refusal for a path under /proc other than the maps file. */
  #unmodelled(name: string): Unmodelled {
    return {
      unmodelled: `${name} (not modelled: of /proc, heaplab has /proc/self/maps and ` +
        `/proc/${this.#source.pid}/maps only)`,
    };
  }

  open(name: string, flags: number, trailingSlash: boolean): GeneratedFile | number | Unmodelled {
    if (!this.#isMaps(name)) return this.#unmodelled(name);
    if (trailingSlash) return -ENOTDIR;
    if ((flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
    if ((flags & ACCESS_MODE) !== 0 || (flags & O_TRUNC)) return -EACCES;
    return new MapsFile(this.#source);
  }

  status(name: string, trailingSlash: boolean): FileFacts | number | Unmodelled {
    if (!this.#isMaps(name)) return this.#unmodelled(name);
    return trailingSlash ? -ENOTDIR : mapsFacts();
  }

  unlink(name: string): number | Unmodelled {
    return this.#isMaps(name) ? -EPERM : this.#unmodelled(name);
  }
}
