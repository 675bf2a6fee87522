#!/usr/bin/env python3
"""Where a V8 CPU profile (deno run --cpu-prof) spends its time, by heaplab layer.

    python3 bench/profile_summary.py PROFILE.cpuprofile [--functions N]

Prints the share of samples per layer (memory access, chunk fields, allocator logic, explain
records, parsing, session, formatting, runtime, garbage collection, ...) by self time, then the N
functions with the most self time. Layers are told apart by the source file of each sample's
function, so the figures stay comparable across runs on a loaded machine: they are ratios.
"""
import collections
import json
import sys


def layer(frame):
    url = frame["url"]
    name = frame["functionName"]
    base = url.split("/")[-1]
    if name == "(garbage collector)":
        return "garbage collection"
    if name in ("(idle)", "(program)", "(root)"):
        return "idle, program"
    if base == "memory.ts":
        return "memory access (kernel/memory.ts)"
    if base in ("chunk.ts", "word.ts"):
        return "chunk fields, word arithmetic"
    if base == "explain.ts":
        return "explain records"
    if "/src/malloc/" in url:
        return "allocator logic (src/malloc)"
    if "/src/kernel/" in url:
        return "kernel: threads, mappings (src/kernel)"
    if base in ("parse.ts", "fast_lane.ts"):
        return "parsing, fast lane (trace/parse.ts, fast_lane.ts)"
    if base in ("oracle_format.ts", "replay.ts", "output_buffer.ts"):
        return "formatting, output bytes"
    if base in ("session.ts", "heap_discovery.ts"):
        return "replay session: slots, places, events"
    if "/bench/" in url or "/tools/" in url:
        return "harness (bench, tools)"
    return "runtime: text encoding, files, module loading"


def main(argv):
    path = argv[1]
    top = int(argv[argv.index("--functions") + 1]) if "--functions" in argv else 15
    profile = json.load(open(path))
    nodes = {n["id"]: n for n in profile["nodes"]}
    samples = collections.Counter(profile["samples"])
    total = sum(samples.values())
    layers = collections.Counter()
    functions = collections.Counter()
    for node_id, count in samples.items():
        frame = nodes[node_id]["callFrame"]
        layers[layer(frame)] += count
        where = f'{frame["url"].split("/")[-1]}:{frame["lineNumber"] + 1}'
        functions[f'{frame["functionName"] or "(anonymous)"} {where}'] += count
    print(f"{total} samples")
    for name, count in layers.most_common():
        print(f"{100 * count / total:5.1f}%  {name}")
    print()
    for name, count in functions.most_common(top):
        print(f"{100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    main(sys.argv)
