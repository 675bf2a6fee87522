/**
 * fork(2), wait(2), waitpid(2) and getppid(2) for C programs, as glibc 2.31–2.44 make them on
 * x86_64 and i386 (fork is `clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)`, wait and
 * waitpid are `wait4`: tests/fixtures/c/fork/strace.txt).
 *
 * **The child is a re-run.** The interpreter's statements are JavaScript generators, which
 * cannot be copied, so a child is the same program run again from the start with the same
 * options and the input its parent had been given (`rewind.ts`: a run is a function of them),
 * up to the same fork call — the Nth of the run —, where its fork returns 0. Its memory is then
 * the parent's at the fork, byte for byte, and its FILE buffers hold what the parent's held:
 * what stdout had buffered is written by both (tests/c/fork_test.ts compares the two processes'
 * memory). What the re-run did before the fork is not done twice: its stdout and stderr up to
 * there are dropped, and at the fork it takes its parent's files and descriptors
 * (`OpenFiles.adoptFork`: the same files, one offset per open file description, as a real
 * child shares them) in place of its own. It takes its own pid ({@link ForkHost.becomeChild}).
 *
 * **Order.** Real parent and child run at once; heaplab runs one at a time, in one order: the
 * parent runs on after fork, and a child runs, to its end, when its parent waits for it (wait:
 * the oldest child not yet reaped; one that has ended first), or once its parent has ended
 * (an orphan). A program whose parent waits before it writes again, or one of whose processes
 * writes nothing, has one output whatever the schedule: only such programs are the fixtures.
 *
 * pids: the child's is the parent's next id (`Process.childPid`: pid + 1 for a first child, as
 * real runs on a quiet machine give). getppid in a child is its parent's pid; in the first
 * process (whose parent is the shell outside heaplab) it is refused.
 *
 * Not modelled, refused by name: vfork (the child borrows the parent's memory until it execs
 * or exits), fork inside a thread or while another thread runs, fork in a child (a re-run of a
 * re-run), fork with a SIGCHLD handler (heaplab delivers no SIGCHLD), a child's read of standard
 * input (`descriptors.ts`), WNOHANG while a child has not been reaped (its answer is a race),
 * waitpid's other options and process groups, pipe, kill.
 *
 * @module
 */

import { Errno } from "../kernel/errors.ts";

/** waitpid's options. */
const WNOHANG = 1;
/** SIGCHLD's number. */
const SIGCHLD = 17;

/** What a child's run came to, as its parent's wait reports it. */
export interface ChildEnd {
  /** `exited`, `aborted`, `crashed`, `hijacked` (or `paused`, `error`: refused at wait). */
  readonly state: string;
  /** As a shell shows it: exit(n) → n, a signal → 128 + its number. */
  readonly exitStatus?: number;
  /** The error a run in `error` ended with. */
  readonly error?: Error;
}

/** A child one fork made, as its parent knows it. */
export interface ForkedChild {
  /** Its pid. */
  readonly pid: number;
  /** Which fork call of the parent's run made it (1: the first). */
  readonly forkNumber: number;
  /** The parent's position at the fork (where the re-run goes first: `rewind.ts`). */
  readonly position: number;
  /** What wait(2) stores for it once it has run; undefined before. */
  waitStatus?: number;
  /** A wait has returned it (it is gone). */
  reaped: boolean;
}

/** The role a re-run is made for: to become a child at its parent's Nth fork. */
export interface ChildRole {
  /** The fork call that returns 0 in the re-run. */
  readonly forkNumber: number;
  /** The child's pid. */
  readonly pid: number;
  /** Its parent's pid. */
  readonly ppid: number;
}

/** The forks of one run: the children it made, and, in a child, its parent. */
export class ProcessFamily {
  /** fork calls so far. */
  forks = 0;
  /** The children made so far, in fork order. */
  readonly children: ForkedChild[] = [];
  /** A re-run still to become a child, and at which fork. */
  role: ChildRole | undefined;
  /** The parent's pid, once this run is a child. */
  ppid: number | undefined;

  /** A family; `role`: the run is a re-run to become a child. */
  constructor(role?: ChildRole) {
    this.role = role;
  }
}

/** What the fork family of calls work with. */
export interface ForkHost {
  readonly family: ProcessFamily;
  /** Why this thread may not fork now (a thread, another thread running), or undefined. */
  threadRefusal(): string | undefined;
  /** Whether a SIGCHLD handler is set (heaplab delivers none). */
  catchesChildSignal(signal: number): boolean;
  /** The pid of the next child (`Process.childPid`). */
  childPid(): number;
  /** This process's pid. */
  pid(): number;
  /** The program's position now (`rewind.ts`). */
  position(): number;
  /** This re-run becomes the child its role names (pid, files, its output from here). */
  becomeChild(role: ChildRole): void;
  /** Runs the child to its end: the end, with its output added to this process's. */
  runChild(child: ForkedChild): ChildEnd;
  /** Writes the int wait stores; false when the address is not writable. */
  storeStatus(address: number, status: number): boolean;
  /** Throws `CUnsupportedError` for what is not modelled. */
  refuse(what: string): never;
}

/**
 * fork(): the child's pid in the parent; 0 in the child — a re-run at its role's fork call.
 * The child does not run now (see the module's notes on order).
 */
export function fork(h: ForkHost): number {
  const family = h.family;
  const thread = h.threadRefusal();
  if (thread !== undefined) h.refuse(`fork ${thread}`);
  if (family.ppid !== undefined) h.refuse("fork in a fork's child (a child of a child)");
  if (h.catchesChildSignal(SIGCHLD)) h.refuse("fork with a SIGCHLD handler (none is delivered)");
  family.forks++;
  const role = family.role;
  if (role !== undefined && role.forkNumber === family.forks) {
    family.role = undefined;
    family.ppid = role.ppid;
    family.children.length = 0; // (the parent's, made before: not this process's)
    h.becomeChild(role);
    return 0;
  }
  const child: ForkedChild = {
    pid: h.childPid(),
    forkNumber: family.forks,
    position: h.position(),
    reaped: false,
  };
  family.children.push(child);
  return child.pid;
}

/**
 * The status wait(2) stores for a child that ended so: `(n & 0xff) << 8` for an exit with n,
 * the signal's number for a death by signal (no core dump: a core needs RLIMIT_CORE, which a
 * shell sets to 0 by default). Undefined for an end no real process has (an error of heaplab's,
 * input awaited, a jump to code heaplab does not run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitStatusOf } from "./fork.ts";
 * assert.equal(waitStatusOf({ state: "exited", exitStatus: 3 }), 0x300);
 * assert.equal(waitStatusOf({ state: "aborted", exitStatus: 134 }), 6);
 * assert.equal(waitStatusOf({ state: "paused" }), undefined);
 * ```
 */
export function waitStatusOf(end: ChildEnd): number | undefined {
  const status = end.exitStatus;
  if (status === undefined) return undefined;
  if (end.state === "exited") return (status & 0xff) << 8;
  if (end.state === "aborted" || end.state === "crashed" || end.state === "hijacked") {
    return status > 128 ? status - 128 : undefined;
  }
  return undefined;
}

/** Runs `child` (when it has not run) and returns its wait status, refusing an end not real. */
function ended(h: ForkHost, child: ForkedChild): number {
  if (child.waitStatus !== undefined) return child.waitStatus;
  const end = h.runChild(child);
  const status = waitStatusOf(end);
  if (status === undefined) {
    const how = end.error ? `ended in an error: ${end.error.message}` : `ended ${end.state}`;
    h.refuse(`a wait for child ${child.pid}, which ${how}`);
  }
  return child.waitStatus = status;
}

/**
 * waitpid(pid, status, options) (wait is waitpid(-1, status, 0)): the pid of the child reaped,
 * or -errno — ECHILD when no child of those `pid` names is left. pid -1 or 0 (heaplab's
 * processes are one process group) takes any child: one that has ended, the oldest first, or
 * else the oldest, which runs now to its end.
 */
export function waitpid(h: ForkHost, pid: number, status: number, options: number): number {
  if (options & ~WNOHANG) h.refuse(`waitpid with options 0x${options.toString(16)}`);
  if (pid < -1) h.refuse("waitpid for a process group");
  const family = h.family;
  const eligible = family.children.filter((c) => !c.reaped && (pid <= 0 || c.pid === pid));
  if (eligible.length === 0) return -Errno.ECHILD;
  if (options & WNOHANG) h.refuse("waitpid with WNOHANG while a child runs (its answer is a race)");
  const child = eligible.find((c) => c.waitStatus !== undefined) ?? eligible[0];
  const waitStatus = ended(h, child);
  if (status !== 0 && !h.storeStatus(status, waitStatus)) {
    h.refuse("wait with a status pointer to memory it cannot write");
  }
  child.reaped = true;
  return child.pid;
}

/** getppid(): the parent's pid, in a fork's child; refused in the first process. */
export function getppid(h: ForkHost): number {
  const ppid = h.family.ppid;
  if (ppid === undefined) h.refuse("getppid in the first process (its parent is outside heaplab)");
  return ppid;
}
