/**
 * Run by heap_budget_test.ts with a small V8 heap (`--max-old-space-size`): records a replay too
 * long for that heap and prints what came of it as JSON.
 */

import { recordReplay } from "../../src/history/replay_record.ts";

const lines = Number(Deno.args[0]);
let text = "";
for (let i = 0; i < lines / 2; i++) {
  text += `malloc ${i % 500} ${16 + (i % 29) * 8}\nfree ${i % 500}\n`;
}
// The output is counted, not kept: the heap is the history's.
let outputLines = 0;
const writeBytes = (chunk: Uint8Array) => {
  for (const byte of chunk) if (byte === 10) outputLines++;
};
const { result, history } = recordReplay(text, { writeBytes });
const last = history.at(-1);
history.goto(Math.floor(history.length / 2));
history.goto(history.length - 1);
console.log(JSON.stringify({
  status: result.status,
  outputLines,
  steps: history.length,
  lastLabel: last.label,
  full: history.full,
}));
