#!/usr/bin/env python3
"""Writes a heap trace of the oracle generator's shape (gen.py, a copy of the real-glibc oracle's
generator) scaled to a given number of operation lines, for replay-speed figures:

    python3 scale_trace.py --shape small|mixed|threads --ops 1000000 --seed 1 -o OUT
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402


class ScaledTrace(gen.Trace):
    """gen.Trace with O(1) picks and a cap on live slots (the format allows ids below 65536)."""

    CAP = 16384

    def __init__(self, *args):
        super().__init__(*args)
        self._ids = []
        self._pos = {}

    def _take(self, sid, size):
        if sid not in self._pos:
            self._pos[sid] = len(self._ids)
            self._ids.append(sid)
        super()._take(sid, size)

    def _drop(self, sid):
        i = self._pos.pop(sid)
        last = self._ids.pop()
        if last != sid:
            self._ids[i] = last
            self._pos[last] = i
        super()._drop(sid)

    def pick_live(self, own_only=False):
        if not self._ids:
            return None
        if own_only:
            for _ in range(8):
                sid = self._ids[self.rng.below(len(self._ids))]
                if self.live[sid][1] == self.cur:
                    return sid
        return self._ids[self.rng.below(len(self._ids))]

    def new_id(self):
        while len(self.live) >= self.CAP:
            self.free(self.pick_live())
        if self.next_id >= 65536:
            i = self.rng.below(len(self.free_ids))
            self.free_ids[i], self.free_ids[-1] = self.free_ids[-1], self.free_ids[i]
            return self.free_ids.pop()
        return super().new_id()

    def spawn(self):
        # Thread ids below 4096: reuse the lowest joined one.
        tid = 1
        while tid in self.running:
            tid += 1
        self.switch(tid)
        return tid


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", required=True, choices=("small", "mixed", "threads"))
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    rng = gen.Rng("scaled-%s-%d" % (a.shape, a.seed))
    t = ScaledTrace(a.shape, a.seed, rng)
    {"small": gen.gen_small, "mixed": gen.gen_mixed, "threads": gen.gen_threads}[a.shape](
        t, rng, a.ops)
    with open(a.output, "w") as f:
        f.write("\n".join(t.lines) + "\n")


if __name__ == "__main__":
    main()
