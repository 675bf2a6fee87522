/**
 * The C program's standard streams, as glibc's stdio runs them: stdout fully buffered when it
 * is not a terminal (a pipe or a file, as when real runs are captured) and line buffered on a
 * terminal, its buffer a real allocation at the first output (the allocator's
 * `printf()`, glibc `_IO_file_doallocate`) unless `setbuf`/`setvbuf` chose otherwise; stderr
 * unbuffered; stdin read from the text the caller feeds. What reached file descriptors 1 and 2
 * is kept as bytes (`written_bytes.ts`). Buffered stdout is written at `exit` and lost at an abort or a crash, as in a
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

import { WrittenBytes } from "./written_bytes.ts";

export { byteText, textBytes } from "./byte_text.ts";
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
  /** Bytes written to fd 1. */
  readonly stdoutBytes: WrittenBytes = new WrittenBytes();
  /** Bytes written to fd 2. */
  readonly stderrBytes: WrittenBytes = new WrittenBytes();
  readonly #stdout = new KeptFields(NO_READS);
  readonly #stderr = new KeptFields(NO_READS | UNBUFFERED);
  /** Input was closed (no more will come): reads return EOF. */
  eof = false;
  /**
   * Standard input is shared with another process (a fork's child reads the parent's:
   * `fork.ts`): a read that would take bytes from it, or wait for them, is refused, since which
   * of the two reads first is a race.
   */
  inputShared = false;
  readonly kind: StdoutKind;
  /** stdin's bytes sent and not yet read, as one-char-per-byte text. */
  #input = "";
  /**
   * The size of each send not yet read whole, from index `#firstSend` on; the first is what
   * is left of the current one. (A queue with a moving head: a script's thousands of lines are as
   * many sends, and `shift` copies the rest of the array each time.)
   */
  #sends: number[] = [];
  #firstSend = 0;

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
    if (this.kind !== "tty") return this.#sends[this.#firstSend];
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
    const sends = this.#sends;
    for (let left = taken.length; left > 0;) {
      const part = Math.min(left, sends[this.#firstSend]);
      left -= part;
      if ((sends[this.#firstSend] -= part) === 0) this.#firstSend++;
    }
    if (this.#firstSend === sends.length) {
      sends.length = 0;
      this.#firstSend = 0;
    } else if (this.#firstSend >= 1024 && this.#firstSend * 2 >= sends.length) {
      sends.splice(0, this.#firstSend);
      this.#firstSend = 0;
    }
    return taken;
  }
}
