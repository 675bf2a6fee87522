/**
 * How ptmalloc2 stops a process: `malloc_printerr` (an integrity check failed: glibc prints the
 * message and calls abort(), SIGABRT) and a failed `assert`. Both end the simulated operation
 * with a {@link HeapAbort} that keeps glibc's exact words; a failed `assert` is the subclass
 * {@link HeapAssertionFailure}, whose words can name the program. A corrupted list that would
 * make real glibc loop forever ends in a {@link HeapLoopError} after a bounded number of steps.
 *
 * Invariant: nothing inside the allocator throws a plain JavaScript error for a state a C
 * program can reach; every such state ends in one of these typed errors or in the memory
 * layer's SegmentationFault.
 *
 * @module
 */

import { assertionMessage, type FailedAssertion } from "./assertions.ts";

/**
 * glibc aborted the process: an integrity check of malloc failed (`malloc_printerr`) or one of
 * its assertions. The simulation stays as it was at the abort, for inspection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeapAbort } from "./errors.ts";
 * const e = new HeapAbort("free(): double free detected in tcache 2", "free", 0x5555555592a0);
 * assert.equal(e.message, "free(): double free detected in tcache 2");
 * assert.equal(e.signal, "SIGABRT");
 * ```
 */
export class HeapAbort extends Error {
  /** The signal the process dies of. */
  readonly signal = "SIGABRT";
  /** The message glibc prints, exactly (without the trailing newline). */
  readonly glibcMessage: string;
  /** The public operation that aborted (`malloc`, `free`, `realloc`, …). */
  readonly operation: string;
  /** The chunk or pointer the check was looking at (0 when none). */
  readonly address: number;

  /** glibc's words, the public operation, the chunk or pointer concerned. */
  constructor(glibcMessage: string, operation: string, address: number) {
    super(glibcMessage);
    this.name = "HeapAbort";
    this.glibcMessage = glibcMessage;
    this.operation = operation;
    this.address = address;
  }
}

/**
 * glibc aborted because one of malloc's `assert`s failed. The words are the version's
 * (`AssertStyle`); up to 2.35 they start with the program's name, argv[0] after its last
 * '/': `glibcMessage` names the program the allocator knows (its process's program path), and
 * {@link HeapAssertionFailure.messageFor} gives the message of a process started with another
 * argv[0].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MALLOC_ASSERTIONS } from "./assertions.ts";
 * import { HeapAssertionFailure } from "./errors.ts";
 * const e = new HeapAssertionFailure(
 *   { ...MALLOC_ASSERTIONS.binmapBit, assertion: "binmapBit", style: "classic", line: 4017 },
 *   { programName: "/tmp/demo", operation: "malloc", address: 0 },
 * );
 * const words = "malloc.c:4017: _int_malloc: Assertion `bit != 0' failed.";
 * assert.equal(e.glibcMessage, `demo: ${words}`);
 * assert.equal(e.messageFor("./prog"), `prog: ${words}`);
 * ```
 */
export class HeapAssertionFailure extends HeapAbort {
  /** Which assertion failed, where it sits, and the version's words and line for it. */
  readonly failed: FailedAssertion;

  /** The failed assertion; the argv[0] of the process, the public operation, the chunk. */
  constructor(
    failed: FailedAssertion,
    where: { programName: string; operation: string; address: number },
  ) {
    super(assertionMessage(failed, where.programName), where.operation, where.address);
    this.name = "HeapAssertionFailure";
    this.failed = failed;
  }

  /** The message glibc prints in a process whose argv[0] is `programName`. */
  messageFor(programName: string): string {
    return assertionMessage(this.failed, programName);
  }
}

/**
 * A list walk went on for longer than any list the heap can hold: the list is corrupted into a
 * cycle, and real glibc would spin forever (or until the walk reads unmapped memory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeapLoopError } from "./errors.ts";
 * const e = new HeapLoopError("fastbin 0x20", "malloc_consolidate", 0x4052a0, 1 << 22);
 * assert.ok(e.message.startsWith("Endless loop"));
 * ```
 */
export class HeapLoopError extends Error {
  /** What was walked, e.g. `fastbin 0x20`, `unsorted bin`, `tcache 0x30`. */
  readonly list: string;
  /** The glibc routine that walked it. */
  readonly routine: string;
  /** The entry the walk was at when it gave up. */
  readonly address: number;
  /** Steps taken. */
  readonly steps: number;
  /** Real glibc would not return: it hangs. */
  readonly signal = "HANG";

  /** The list, the glibc routine walking it, where it gave up, after how many steps. */
  constructor(list: string, routine: string, address: number, steps: number) {
    super(
      `Endless loop: ${routine} walked ${list} for ${steps} steps (a corrupted list; ` +
        `real glibc would hang) at 0x${address.toString(16)}`,
    );
    this.name = "HeapLoopError";
    this.list = list;
    this.routine = routine;
    this.address = address;
    this.steps = steps;
  }
}

/** Steps after which a list walk that glibc does not bound is declared endless. */
export const LOOP_LIMIT = 1 << 22;
