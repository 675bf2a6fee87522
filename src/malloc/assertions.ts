/**
 * The `assert`s of glibc's malloc.c and arena.c that heaplab models: where each sits (file and
 * function) and the expression it checks, as glibc's `assert` macro stringifies it — the source
 * text before macro expansion, its line breaks and runs of blanks made single spaces. Which words
 * a failed one prints is the version's {@link AssertStyle}; its line number is the version's
 * (profile `assertLines`); {@link HeapAssertionFailure} puts them together.
 *
 * Invariant: each expression is the text of the newest release heaplab models; a release whose
 * text differs lists it in its profile (`assertExpressions`). The module imports nothing: the
 * profile and the errors read its types.
 *
 * @module
 */

/**
 * The words glibc prints when one of malloc's assertions fails: its own `__malloc_assert` in
 * the words of `assert` (up to 2.35), then through `__libc_message` (2.36), then libc's internal
 * `__libc_assert_fail`, which every `assert` inside libc goes to (2.37+).
 */
export type AssertStyle =
  /** `PROG: FILE:LINE: FUNCTION: Assertion `EXPR' failed.` (up to 2.35). */
  | "classic"
  /** `Fatal glibc error: malloc assertion failure in FUNCTION: EXPR` (2.36). */
  | "malloc-fatal"
  /** `Fatal glibc error: FILE:LINE (FUNCTION): assertion failed: EXPR` (2.37+). */
  | "libc-assert";

/** The assertions heaplab models, named after the condition they check. */
export type MallocAssertion =
  /** sysmalloc: the old top chunk is the initial one, or is in use below it and ends on a page. */
  | "sysmallocOldTop"
  /** sysmalloc: the old top chunk is too small for the request (why sysmalloc was called). */
  | "sysmallocOldSize"
  /** _int_malloc's binmap search: a marked bin lies at or above the current one. */
  | "binmapBit"
  /** _int_malloc's binmap search: the chunk taken from a larger bin is big enough. */
  | "binmapSize"
  /** heap_trim: the previous heap of a thread arena ends with sysmalloc's fencepost. */
  | "heapTrimFencepost"
  /** get_free_list: an arena taken from the free list has no thread attached (2.25+). */
  | "freeListAttached";

/** Where an assertion sits in glibc's sources and what it checks. */
export interface AssertionSite {
  /** The source file, as glibc's `__FILE__` names it: `malloc.c`, or `arena.c` (included). */
  readonly file: "malloc.c" | "arena.c";
  /** The function (`__func__`). */
  readonly routine: string;
  /** The asserted expression, as `#expr` gives it. */
  readonly expression: string;
}

/**
 * Each modelled assertion's file, function and expression.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MALLOC_ASSERTIONS } from "./assertions.ts";
 * assert.equal(MALLOC_ASSERTIONS.freeListAttached.file, "arena.c");
 * assert.equal(MALLOC_ASSERTIONS.binmapBit.expression, "bit != 0");
 * ```
 */
export const MALLOC_ASSERTIONS: Readonly<Record<MallocAssertion, AssertionSite>> = {
  sysmallocOldTop: {
    file: "malloc.c",
    routine: "sysmalloc",
    expression: "(old_top == initial_top (av) && old_size == 0) || " +
      "((unsigned long) (old_size) >= MINSIZE && prev_inuse (old_top) && " +
      "((unsigned long) old_end & (pagesize - 1)) == 0)",
  },
  sysmallocOldSize: {
    file: "malloc.c",
    routine: "sysmalloc",
    expression: "(unsigned long) (old_size) < (unsigned long) (nb + MINSIZE)",
  },
  binmapBit: { file: "malloc.c", routine: "_int_malloc", expression: "bit != 0" },
  binmapSize: {
    file: "malloc.c",
    routine: "_int_malloc",
    expression: "(unsigned long) (size) >= (unsigned long) (nb)",
  },
  heapTrimFencepost: {
    file: "arena.c",
    routine: "heap_trim",
    expression: "chunksize_nomask (p) == (0 | PREV_INUSE)",
  },
  freeListAttached: {
    file: "arena.c",
    routine: "get_free_list",
    expression: "result->attached_threads == 0",
  },
};

/** What a failed assertion's message is made of. */
export interface FailedAssertion extends AssertionSite {
  /** Which assertion. */
  readonly assertion: MallocAssertion;
  /** The version's words for it. */
  readonly style: AssertStyle;
  /** The line in `file`, in the version's sources. */
  readonly line: number;
}

/**
 * The message glibc writes to stderr (without the newline) when an assertion fails, in a
 * process whose argv[0] is `programName`. Only the classic words name the program: glibc's
 * `__progname`, argv[0] after its last '/', and no prefix at all when that is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertionMessage, MALLOC_ASSERTIONS } from "./assertions.ts";
 * const site = { ...MALLOC_ASSERTIONS.freeListAttached, assertion: "freeListAttached" } as const;
 * assert.equal(
 *   assertionMessage({ ...site, style: "classic", line: 770 }, "./prog"),
 *   "prog: arena.c:770: get_free_list: Assertion `result->attached_threads == 0' failed.",
 * );
 * assert.equal(
 *   assertionMessage({ ...site, style: "malloc-fatal", line: 821 }, "./prog"),
 *   "Fatal glibc error: malloc assertion failure in get_free_list: result->attached_threads == 0",
 * );
 * assert.equal(
 *   assertionMessage({ ...site, style: "libc-assert", line: 715 }, "./prog"),
 *   "Fatal glibc error: arena.c:715 (get_free_list): assertion failed: " +
 *     "result->attached_threads == 0",
 * );
 * ```
 */
export function assertionMessage(failed: FailedAssertion, programName: string): string {
  const { file, line, routine, expression } = failed;
  switch (failed.style) {
    case "classic": {
      const progname = programName.slice(programName.lastIndexOf("/") + 1);
      const prefix = progname ? `${progname}: ` : "";
      return `${prefix}${file}:${line}: ${routine}: Assertion \`${expression}' failed.`;
    }
    case "malloc-fatal":
      return `Fatal glibc error: malloc assertion failure in ${routine}: ${expression}`;
    case "libc-assert":
      return `Fatal glibc error: ${file}:${line} (${routine}): assertion failed: ${expression}`;
  }
}
