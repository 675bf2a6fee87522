/**
 * The C program's standard streams, as glibc's stdio runs them: stdout fully buffered when it
 * is not a terminal (a pipe or a file, as when real runs are captured) and line buffered on a
 * terminal, its buffer a real allocation at the first output (the allocator's
 * `printf()`, glibc `_IO_file_doallocate`) unless `setbuf`/`setvbuf` chose otherwise; stderr
 * unbuffered; stdin read from the text the caller feeds. What reached file descriptors 1 and 2
 * is kept as text. Buffered stdout is written at `exit` and lost at an abort or a crash, as in a
 * real process. (printf's format language: `printf_format.ts`.)
 *
 * @module
 */

import {
  type FileState,
  IOFBF,
  IOLBF,
  IONBF,
  IS_FILEBUF,
  LINKED,
  MAGIC,
  NO_READS,
  UNBUFFERED,
} from "./file_layout.ts";

export type { FileState };

/** A one-char-per-byte (latin1) string as bytes: the inverse of {@link byteText}. */
export function textBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Bytes as a one-char-per-byte string, in slices: `String.fromCharCode(...bytes)` overflows the
 * call stack near 100,000 arguments (a long literal, a large fwrite).
 */
export function byteText(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...Array.prototype.slice.call(bytes, i, i + 8192) as number[]);
  }
  return s;
}

export { IOFBF, IOLBF, IONBF };

/** A writing FILE's fields, read from where they live at their first use after `refresh` is set. */
class KeptFields {
  readonly #fields: FileState;
  refresh: ((f: FileState) => void) | undefined;

  /** A FILE's fields at the start: its flags besides the magic number, LINKED and IS_FILEBUF. */
  constructor(flags: number) {
    this.#fields = {
      flags: (MAGIC | IS_FILEBUF | LINKED | flags) >>> 0,
      readBase: 0,
      readPtr: 0,
      readEnd: 0,
      writeBase: 0,
      writePtr: 0,
      writeEnd: 0,
      bufBase: 0,
      bufEnd: 0,
      mode: 0,
    };
  }

  get fields(): FileState {
    const refresh = this.refresh;
    if (refresh !== undefined) {
      this.refresh = undefined;
      refresh(this.#fields);
    }
    return this.#fields;
  }
}

/** Where stdout goes: a terminal, a pipe or a file. */
export type StdoutKind = "tty" | "pipe" | "file";

/** stdout, stderr and stdin of one program. */
export class Streams {
  /** Bytes written to fd 1, as latin1 text. */
  stdoutBytes = "";
  /** Bytes written to fd 2. */
  stderrBytes = "";
  readonly #stdout = new KeptFields(NO_READS);
  readonly #stderr = new KeptFields(NO_READS | UNBUFFERED);
  /** Input was closed (no more will come): reads return EOF. */
  eof = false;
  readonly kind: StdoutKind;
  /** stdin's bytes sent and not yet read, as one-char-per-byte text. */
  #input = "";
  /** The size of each send not yet read whole; the first is what is left of the current one. */
  #sends: number[] = [];

  constructor(kind: StdoutKind) {
    this.kind = kind;
  }

  /**
   * stdout's FILE (`output_file.ts` runs it), as its fields in libc's memory hold it: read at
   * the first use in a stdio call (`std_files.ts` asks with {@link refreshStdout}), written
   * back after it.
   */
  get stdout(): FileState {
    return this.#stdout.fields;
  }

  /** stderr's FILE, as {@link stdout}'s. */
  get stderr(): FileState {
    return this.#stderr.fields;
  }

  /** Has `read` fill stdout's fields in before their next use. */
  refreshStdout(read: (f: FileState) => void): void {
    this.#stdout.refresh = read;
  }

  /** Has `read` fill stderr's fields in before their next use. */
  refreshStderr(read: (f: FileState) => void): void {
    this.#stderr.refresh = read;
  }

  /** How many bytes were sent to stdin and not yet read. */
  get pendingInput(): number {
    return this.#input.length;
  }

  /** Sends bytes to stdin: one write by what feeds the program (a line typed, a script's send). */
  send(text: string): void {
    if (text.length === 0) return;
    this.#input += text;
    this.#sends.push(text.length);
  }

  /**
   * How many bytes one read(2) of stdin may take now (0: none yet, or none will come). From a
   * pipe, the rest of the current send: each send arrives once the program waits for input, so
   * a read never joins two. From a terminal (stdout kind "tty"), a line, whole, whatever the
   * sends were; an unfinished line only when no more input will come (`final`).
   */
  readable(final: boolean): number {
    if (this.#input.length === 0) return 0;
    if (this.kind !== "tty") return this.#sends[0];
    const lineEnd = this.#input.indexOf("\n");
    return lineEnd >= 0 ? lineEnd + 1 : final ? this.#input.length : 0;
  }

  /** The next `n` bytes of stdin, left where they are. */
  peekInput(n: number): string {
    return this.#input.slice(0, n);
  }

  /** Takes the next `n` bytes of stdin (at most what was sent). */
  takeInput(n: number): string {
    const taken = this.#input.slice(0, n);
    this.#input = this.#input.slice(taken.length);
    for (let left = taken.length; left > 0;) {
      const part = Math.min(left, this.#sends[0]);
      left -= part;
      if ((this.#sends[0] -= part) === 0) this.#sends.shift();
    }
    return taken;
  }
}
