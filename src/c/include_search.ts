/**
 * Where an `#include` finds its header, as gcc searches (its manual, "Search Path"): a quoted
 * name (`#include "common.h"`) first in the directory of the file that includes it, then among
 * the system headers; a bracketed name (`#include <stdio.h>`) only among the system headers (gcc
 * would look in `-I` directories first; heaplab has none). The system headers are the ones whose
 * declarations heaplab builds in ({@link KNOWN_HEADERS}, `headers.ts`); the program's own headers
 * are the `headers` a run is given, by path relative to the program's directory — where gcc ran.
 *
 * Why a `headers` option and not the `files` a run can open: gcc reads headers when it compiles,
 * and the compiled program never sees them — a challenge's server has its `flag.txt`, not its
 * `common.h`. Giving headers apart keeps a run's filesystem what the running program would find,
 * and a header's text is source (a string), where a file may be any bytes.
 *
 * A name found nowhere: gcc stops (`fatal error: x.h: No such file or directory`), and so does
 * heaplab for a quoted name and for a bracketed name given only among the program's own headers
 * ({@link CMissingHeaderError}). A bracketed name heaplab does not model may still be installed
 * where gcc runs (`<seccomp.h>`, `<linux/…>`), which heaplab cannot see: it is accepted with a
 * warning that says so, and its functions fail by name when called.
 *
 * @module
 */

import { CSyntaxError } from "./errors.ts";

/** Headers whose declarations the interpreter provides. */
export const KNOWN_HEADERS: ReadonlySet<string> = new Set([
  "stdio.h",
  "stdlib.h",
  "string.h",
  "strings.h",
  "stdint.h",
  "inttypes.h",
  "stddef.h",
  "stdbool.h",
  "stdarg.h",
  "assert.h",
  "malloc.h",
  "alloca.h",
  "setjmp.h",
  "unistd.h",
  "pthread.h",
  "sys/mman.h",
  "sys/types.h",
  "sys/syscall.h",
  "sys/random.h",
  "sys/resource.h",
  "sys/wait.h",
  "sys/stat.h",
  "limits.h",
  "errno.h",
  "signal.h",
  "fcntl.h",
  "ctype.h",
  "time.h",
  "dlfcn.h",
  "stdalign.h",
  "stdnoreturn.h",
]);

/** gcc's limit on nested `#include`s (`-fmax-include-depth`, default 200). */
export const MAX_INCLUDE_DEPTH = 200;

/**
 * gcc's fatal error for a header it finds nowhere, with gcc's words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CMissingHeaderError } from "./include_search.ts";
 * const e = new CMissingHeaderError("common.h", "prog.c", 1, 10);
 * assert.equal(e.message, "prog.c:1:10: fatal error: common.h: No such file or directory");
 * ```
 */
export class CMissingHeaderError extends CSyntaxError {
  /** The header's name as the `#include` wrote it. */
  readonly header: string;

  /** `header`, included at file:line:column. */
  constructor(header: string, file: string, line: number, column: number) {
    super(`fatal error: ${header}: No such file or directory`, file, line, column, header);
    this.name = "CMissingHeaderError";
    this.header = header;
    this.message = `${file}:${line}:${column}: ${this.what}`;
  }
}

/** What an `#include` found. */
export type IncludeFound =
  /** One of the program's headers: its path as gcc prints it, its identity, its text. */
  | { readonly k: "own"; readonly path: string; readonly key: string; readonly text: string }
  /** A system header heaplab builds in: nothing to read. */
  | { readonly k: "system" }
  /** A bracketed name heaplab does not model (accepted, with a warning). */
  | { readonly k: "unmodelled" }
  /** Nowhere: gcc's fatal error. */
  | { readonly k: "missing" };

/** `path` with `.` and `dir/..` steps removed (a leading `..` stays). */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out.at(-1) !== "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/** The directory part of `path`, with its slash ("" for a bare name). */
function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash + 1);
}

/**
 * The program's headers by their normalized path (relative to the program's directory).
 */
export function headerTable(headers: Readonly<Record<string, string>> = {}): Map<string, string> {
  return new Map(Object.entries(headers).map(([path, text]) => [normalizePath(path), text]));
}

/**
 * Where `#include "name"` or `#include <name>` (`quoted`) in `from` finds its header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findInclude, headerTable } from "./include_search.ts";
 * const own = headerTable({ "inc/a.h": "#include \"b.h\"", "inc/b.h": "int b;" });
 * assert.equal(findInclude("b.h", true, "inc/a.h", own).k, "own");
 * assert.equal(findInclude("b.h", true, "prog.c", own).k, "missing");
 * assert.equal(findInclude("stdio.h", true, "prog.c", own).k, "system");
 * ```
 */
export function findInclude(
  name: string,
  quoted: boolean,
  from: string,
  own: ReadonlyMap<string, string>,
): IncludeFound {
  if (quoted && !name.startsWith("/")) {
    const path = directoryOf(from) + name, key = normalizePath(path);
    const text = own.get(key);
    if (text !== undefined) return { k: "own", path, key, text };
  }
  if (KNOWN_HEADERS.has(name)) return { k: "system" };
  if (quoted || own.has(normalizePath(name))) return { k: "missing" };
  return { k: "unmodelled" };
}
