/**
 * A conversation with a C program, as an exploit script has it with a process (pwntools calls
 * it a tube): wait for output up to a delimiter, send bytes, read a leak. {@link ProgramTube}
 * runs a {@link CProgram} until it has printed what is awaited, pausing wherever the program
 * waits for input; each send is one write to its stdin (see `Streams.send`). The words in what
 * it receives, and in what it sends, are `packing.ts`'s: `u64(tube.recvN(8))`, `p64(address)`.
 *
 * @module
 */

import { ArgumentRangeError } from "../kernel/errors.ts";
import type { CProgram, CRunResult } from "./program.ts";
import { byteText, textBytes } from "./stdio.ts";

/**
 * A tube waited for output the program will not print as things stand: it ended (or failed)
 * first, or it waits for input that nobody has sent.
 */
export class ProgramTubeError extends Error {
  /** Why: the program `ended`, or it is `waiting` for input. */
  readonly reason: "ended" | "waiting";
  /** How the program stopped. */
  readonly result: CRunResult;
  /** What it printed after the last delimiter found, as bytes. */
  readonly received: Uint8Array;

  /** What was awaited (as the message says it), how the program stopped, what came after. */
  constructor(awaited: string, result: CRunResult, received: Uint8Array) {
    const waiting = result.state === "paused";
    const how = waiting
      ? "waits for input"
      : result.state === "exited"
      ? `exited with ${result.exitStatus}`
      : result.state;
    const why = result.error?.message ?? result.abort?.message ?? result.fault?.message;
    super(
      `the program ${how}${why ? ` (${why})` : ""} before printing ${awaited}` +
        ` (received ${JSON.stringify(byteText(received).slice(-80))})`,
    );
    this.name = "ProgramTubeError";
    this.reason = waiting ? "waiting" : "ended";
    this.result = result;
    this.received = received;
  }
}

/**
 * Send and receive through a C program's stdin and stdout. Build the program with
 * `stdout: "pipe"` to talk to it as a script talks to a process (stdio fully buffered, a send's
 * bytes whole to one read), or leave CProgram's terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CProgram, ProgramTube } from "../../mod.ts";
 * const program = new CProgram(
 *   `#include <stdio.h>
 *    int main(void) { int n; printf("n? "); fflush(stdout); scanf("%d", &n); printf("%d\\n", 2 * n); }`,
 *   { stdout: "pipe" },
 * );
 * const tube = new ProgramTube(program);
 * tube.sendLineAfter("n? ", "21");
 * assert.equal(tube.recvLineText(), "42\n");
 * ```
 */
export class ProgramTube {
  /** The program talked to. */
  readonly program: CProgram;
  /** The last result of running the program. */
  result: CRunResult | undefined;
  /** Output received and not yet consumed, one char per byte. */
  #buffer = "";
  /** Input was sent since the program last paused. */
  #sent = true;

  /** A tube to `program`, which has not run yet or paused for input. */
  constructor(program: CProgram) {
    this.program = program;
  }

  /** Runs the program until its output holds `delimiter`; returns the output through it. */
  recvUntil(delimiter: string | Uint8Array): Uint8Array {
    const wanted = typeof delimiter === "string" ? delimiter : byteText(delimiter);
    return this.#receive(JSON.stringify(wanted), () => {
      const at = this.#buffer.indexOf(wanted);
      return at < 0 ? -1 : at + wanted.length;
    });
  }

  /** Runs the program until it has printed `count` more bytes; returns them. */
  recvN(count: number): Uint8Array {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new ArgumentRangeError("count", count, "a byte count (an integer, 0 or more)");
    }
    return this.#receive(`${count} bytes`, () => this.#buffer.length >= count ? count : -1);
  }

  /** Runs the program until `end()` finds the output's end (-1: not yet); takes it. */
  #receive(awaited: string, end: () => number): Uint8Array {
    for (;;) {
      const at = end();
      if (at >= 0) {
        const got = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at);
        return textBytes(got);
      }
      // A paused program waits for input: running it again before a send changes nothing.
      if (this.result !== undefined && (this.result.state !== "paused" || !this.#sent)) {
        throw new ProgramTubeError(awaited, this.result, textBytes(this.#buffer));
      }
      this.#run();
    }
  }

  /** {@link recvUntil} a newline. */
  recvLine(): Uint8Array {
    return this.recvUntil("\n");
  }

  /** {@link recvLine} as text (UTF-8). */
  recvLineText(): string {
    return new TextDecoder().decode(this.recvLine());
  }

  /** Sends bytes (or a string whose characters are bytes) as one write. */
  send(data: string | Uint8Array): void {
    this.program.feed(data);
    this.#sent = true;
  }

  /** Sends the data and a newline, as one write. */
  sendLine(data: string | Uint8Array): void {
    this.send(typeof data === "string" ? data + "\n" : byteText(data) + "\n");
  }

  /** {@link recvUntil} the delimiter, then {@link send}. */
  sendAfter(delimiter: string | Uint8Array, data: string | Uint8Array): Uint8Array {
    const got = this.recvUntil(delimiter);
    this.send(data);
    return got;
  }

  /** {@link recvUntil} the delimiter, then {@link sendLine}. */
  sendLineAfter(delimiter: string | Uint8Array, data: string | Uint8Array): Uint8Array {
    const got = this.recvUntil(delimiter);
    this.sendLine(data);
    return got;
  }

  /** Runs the program on (to its end, or its next pause for input) and returns the result. */
  finish(): CRunResult {
    if (this.result === undefined || this.result.state === "paused") this.#run();
    return this.result!;
  }

  #run(): void {
    this.result = this.program.run();
    this.#buffer += byteText(this.result.newStdoutBytes);
    this.#sent = false;
  }
}
