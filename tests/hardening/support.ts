/**
 * Shared pieces of the hardening probes: the facts the real kernel and glibc printed for the
 * probe programs in tests/fixtures/kernel_facts/ (made by its run.sh).
 */

const factsDir = new URL("../fixtures/kernel_facts/", import.meta.url);

/** The lines a probe program printed on the real system. */
export function facts(probe: string): string[] {
  return Deno.readTextFileSync(new URL(`${probe}.out`, factsDir)).trimEnd().split("\n");
}

/** The one line of a probe's output that starts with `prefix`. */
export function fact(probe: string, prefix: string): string {
  const line = facts(probe).find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`No line "${prefix}…" in ${probe}.out`);
  return line;
}
