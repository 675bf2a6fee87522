/**
 * Support for the tests that compare C programs run by heaplab's interpreter with fixtures of
 * real runs (tests/fixtures/c/): reading the fixtures, and the text comparisons they need.
 */

/** A fixture file's text (a path under tests/fixtures/c/). */
export function fixture(path: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/c/${path}`, import.meta.url));
}

/** A fixture kept only when not empty (a real run's `.err`): its text, or "" when absent. */
export function fixtureOrEmpty(path: string): string {
  try {
    return fixture(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/** The last line of a "\n"-terminated text ("" for none). */
export function lastLine(text: string): string {
  return text.replace(/\n$/, "").split("\n").at(-1) ?? "";
}

/** Output with every hexadecimal number replaced by `0x…`: addresses differ between the real
 * process (whose program the loader mapped) and the simulated one; everything else must not. */
export function maskAddresses(text: string): string {
  return text.replace(/0x[0-9a-f]+/g, "0x…");
}
