/**
 * glibc version profiles: every fact about one glibc release (and one architecture) that changes
 * what ptmalloc2 and the parts of the C library around it (thread stacks, stdio) do. The facts
 * are one table, {@link GLIBC_FACTS}: each is written once, with the release where it begins (or
 * ends) — `safeLinking: since("2.32")`, `fastbins: until("2.42")` — and a profile is that table
 * read at one version, plus the sizes derived from `SIZE_SZ` and `MALLOC_ALIGNMENT`. Every list
 * of versions in heaplab derives from {@link GLIBC_RELEASES}, and no other module compares
 * version strings (a test checks it): adding a version is a line here plus its tests.
 *
 * Invariant: the derived sizes agree with glibc's C definitions (`MINSIZE`, `NFASTBINS`,
 * `sizeof (heap_info)`, `sizeof (struct malloc_state)`, `sizeof (tcache_perthread_struct)`) for
 * the profile's `SIZE_SZ` and `MALLOC_ALIGNMENT`; {@link checkProfile} verifies them.
 *
 * Over 500 lines: the file is the one table of version facts, with the data types it builds and
 * the checks of its derived sizes; keeping every version fact in one file is the point of it.
 *
 * @module
 */

import type { StackGuardStyle } from "../kernel/threads.ts";
import type { AssertStyle, MallocAssertion } from "./assertions.ts";

/**
 * The glibc releases heaplab models, oldest first: where each was checked against real glibc
 * (the oracle's builds), and whether comparisons across versions show it by default (one
 * release per era of the allocator). The single list every other version list derives from.
 */
export const GLIBC_RELEASES: readonly GlibcRelease[] = [
  { version: "2.23", oracle: [], compared: true },
  { version: "2.27", oracle: [], compared: true },
  { version: "2.31", oracle: ["x86_64", "i386"], compared: true },
  { version: "2.35", oracle: [], compared: false },
  { version: "2.36", oracle: ["x86_64", "i386"], compared: true },
  { version: "2.39", oracle: [], compared: false },
  { version: "2.41", oracle: ["x86_64", "i386"], compared: true },
  { version: "2.42", oracle: [], compared: false },
  { version: "2.43", oracle: ["x86_64"], compared: true },
  { version: "2.44", oracle: ["x86_64"], compared: true },
];

/** glibc versions heaplab models (the releases of {@link GLIBC_RELEASES}). */
export type GlibcVersion =
  | "2.23"
  | "2.27"
  | "2.31"
  | "2.35"
  | "2.36"
  | "2.39"
  | "2.41"
  | "2.42"
  | "2.43"
  | "2.44";

/** One release of {@link GLIBC_RELEASES}. */
export interface GlibcRelease {
  /** The version. */
  readonly version: GlibcVersion;
  /** Architectures on which the real-glibc oracle recorded it. */
  readonly oracle: readonly GlibcArch[];
  /** Shown by comparisons across versions unless told otherwise. */
  readonly compared: boolean;
}

/** Every version, oldest first. */
export const GLIBC_VERSIONS: readonly GlibcVersion[] = GLIBC_RELEASES.map((r) => r.version);

/** Architectures. */
export type GlibcArch = "i386" | "x86_64";

/** The versions a comparison across versions shows unless told otherwise. */
export const COMPARED_VERSIONS: readonly GlibcVersion[] = GLIBC_RELEASES
  .filter((r) => r.compared).map((r) => r.version);

/** The builds (version and architecture) whose output the real-glibc oracle recorded. */
export const ORACLE_BUILDS: readonly { readonly glibc: GlibcVersion; readonly arch: GlibcArch }[] =
  GLIBC_RELEASES.flatMap((r) => r.oracle.map((arch) => ({ glibc: r.version, arch })));

/** The versions on which `fact` of the profile holds (on x86_64), oldest first. */
export function versionsWhere(fact: (p: GlibcProfile) => boolean): GlibcVersion[] {
  return GLIBC_VERSIONS.filter((v) => fact(glibcProfile(v, "x86_64")));
}

/**
 * Of `candidates` (glibc version strings, e.g. the real builds some data exists for), the one
 * nearest to `version`, or undefined when there is none. On a tie the older one: 2.42, between the
 * 2.41 and 2.43 builds, still has fastbins and `global_max_fast`, which 2.43's libc lacks.
 */
export function nearestRelease(version: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    const d = Math.abs(minor(c) - minor(version));
    if (best === undefined || d < Math.abs(minor(best) - minor(version))) best = c;
  }
  return best;
}

/** True when `version` names a release heaplab models. */
export function isGlibcVersion(version: string): version is GlibcVersion {
  return (GLIBC_VERSIONS as readonly string[]).includes(version);
}

/** How the tcache marks a chunk it holds (glibc `tcache_entry.key`). */
export type TcacheKeyKind = "none" | "tcache-pointer" | "random";

/** How `_int_memalign` gives back the leading part of an over-sized chunk. */
export type MemalignStyle =
  /** `_int_free` of the leader (it may land in the tcache or a fastbin): glibc up to 2.37. */
  | "free-leader"
  /** `_int_free_merge_chunk` of the leader (straight to the bins), a tcache look-up first. */
  | "merge-leader";

/**
 * A kind of libc call whose code some glibc builds compile with aligned SSE stores to the stack
 * (`GlibcProfile.misalignedStackFaults`): `system`; `unbuffered-stream-printf`, printf to an
 * unbuffered stream (stderr, or stdout after `setbuf(stdout, NULL)`; perror too); `printf-buffer`,
 * printf into a string or a descriptor (sprintf, snprintf, their `v` forms, dprintf);
 * `asprintf`, the message of a failed assert.
 */
export type MisalignedStackCall =
  | "system"
  | "unbuffered-stream-printf"
  | "printf-buffer"
  | "asprintf";

/** One glibc build: a version on an architecture. */
export interface GlibcProfile {
  /** glibc version. */
  readonly version: GlibcVersion;
  /** Architecture. */
  readonly arch: GlibcArch;
  /** glibc `SIZE_SZ`: the size of a word (`INTERNAL_SIZE_T`). */
  readonly sizeSz: 4 | 8;
  /** glibc `MALLOC_ALIGNMENT` (16 on i386 from glibc 2.26; 8 before). */
  readonly mallocAlignment: 8 | 16;
  /** glibc `MINSIZE`: the smallest chunk. */
  readonly minSize: number;
  /** glibc `HEAP_MAX_SIZE`: size and alignment of a thread heap's reservation. */
  readonly heapMaxSize: number;
  /** glibc `HEAP_MIN_SIZE`: the smallest thread heap (32 KiB). */
  readonly heapMinSize: number;
  /** glibc `DEFAULT_MMAP_THRESHOLD_MAX`: the dynamic mmap threshold's ceiling. */
  readonly mmapThresholdMax: number;
  /** Page size. */
  readonly pageSize: number;
  /** glibc `DEFAULT_TOP_PAD` (128 KiB in glibc's malloc-machine.h). */
  readonly defaultTopPad: number;
  /** glibc `DEFAULT_MXFAST` (64 * SIZE_SZ / 4). */
  readonly defaultMxFast: number;
  /** glibc `MAX_FAST_SIZE`: the largest value `mallopt(M_MXFAST)` accepts (80 * SIZE_SZ / 4). */
  readonly maxFastSize: number;
  /** glibc `NFASTBINS`. */
  readonly nFastbins: number;
  /** `set_max_fast` maps every value up to `MALLOC_ALIGN_MASK - SIZE_SZ` to MIN_CHUNK_SIZE/2
   * (2.32+), instead of only 0. */
  readonly maxFastMaskCheck: boolean;
  /** `malloc_state` has the `have_fastchunks` field (2.26+); before, a bit of `flags`. */
  readonly arenaHasFastchunksField: boolean;
  /** heap_info has the `pagesize` field (2.35+). */
  readonly heapInfoHasPagesize: boolean;
  /** Thread heaps are reserved with MAP_NORESERVE (up to 2.40). */
  readonly heapReserveNoReserve: boolean;
  /** The per-thread cache exists (2.26+). */
  readonly tcache: boolean;
  /** Bytes of each tcache count: uint8_t up to 2.29, uint16_t from 2.30. */
  readonly tcacheCountBytes: 1 | 2;
  /** What `tcache_entry.key` holds. */
  readonly tcacheKey: TcacheKeyKind;
  /** The tcache double-free walk counts entries and checks their alignment (2.33+). */
  readonly tcacheWalkChecks: boolean;
  /** fd pointers of tcache and fastbin lists are mangled with `PROTECT_PTR` (2.32+). */
  readonly safeLinking: boolean;
  /** Alignment checks on tcache and fastbin entries ("unaligned … detected", 2.32+). */
  readonly alignmentChecks: boolean;
  /** calloc takes chunks from the tcache (2.41). */
  readonly callocUsesTcache: boolean;
  /**
   * What calloc clears of a chunk from a small tcache bin: the bin's usable size (the request's
   * chunk size less SIZE_SZ, `tidx2usize`; 2.43+, seen in its sources and in a real run where a
   * corruption had grown the chunk's size word) or the chunk's own size less SIZE_SZ (2.41).
   * 2.42 is unverified and taken as 2.41.
   */
  readonly callocClearsBinSize: boolean;
  /** How memalign gives back the leading part. */
  readonly memalignStyle: MemalignStyle;
  /** aligned_alloc fails with EINVAL for an alignment that is not a power of two (2.38+). */
  readonly alignedAllocStrict: boolean;
  /** free() puts small chunks straight into their smallbin instead of the unsorted bin (2.41). */
  readonly freeSmallToSmallbin: boolean;
  /** realloc returns the same chunk when the request fits its usable size closely (2.41). */
  readonly reallocUsableShortcut: boolean;
  /** `_int_realloc` also checks `oldsize == chunksize (oldp)` (2.41). */
  readonly reallocOldSizeCheck: boolean;
  /** `_int_malloc` checks the top chunk's size against system_mem (2.29+). */
  readonly topSizeCheck: boolean;
  /** The unsorted-bin checks of 2.29+ (invalid size, next size, prev_size, list, prev_inuse). */
  readonly unsortedChecks: boolean;
  /** `unlink_chunk` checks `chunksize (p) == prev_size (next_chunk (p))` (2.26+). */
  readonly unlinkSizeCheck: boolean;
  /** malloc_consolidate checks each fastbin chunk's size index (2.27+). */
  readonly consolidateSizeCheck: boolean;
  /**
   * Backward consolidation checks the previous chunk's size against prev_size ("corrupted size
   * vs. prev_size while consolidating" / "in fastbins", 2.29+).
   */
  readonly consolidatePrevSizeCheck: boolean;
  /** munmap_chunk also checks that the user pointer's page offset is a power of two (2.30+). */
  readonly munmapChunkMemCheck: boolean;
  /** mremap_chunk checks the mapping ("mremap_chunk(): invalid pointer", 2.30+). */
  readonly mremapChunkCheck: boolean;
  /** free() leaves errno as it was (2.33+). */
  readonly freePreservesErrno: boolean;
  /** `mallopt(M_MMAP_THRESHOLD)` refuses values above HEAP_MAX_SIZE / 2 (up to 2.34). */
  readonly mmapThresholdMaxCheck: boolean;
  /**
   * Arguments of `sysmalloc_mmap_fallback` when brk fails: the size is aligned up to `align`
   * and raised to at least `min` (2.35 to 2.40 swapped them: 1 MiB alignment, 1 page minimum).
   */
  readonly mmapFallback: { readonly align: number; readonly min: number };
  /** Largest request: `PTRDIFF_MAX` (2.30+) or `-2 * MINSIZE` (REQUEST_OUT_OF_RANGE before). */
  readonly requestLimit: "ptrdiff" | "minus-2-minsize";
  /** Words of a failed assertion: classic (up to 2.35), malloc-fatal (2.36), libc-assert (2.37+). */
  readonly assertStyle: AssertStyle;
  /**
   * The line of each modelled assertion in malloc.c or arena.c, in the release's sources, which
   * the Debian builds of the real-glibc oracle keep. A build that patches malloc.c prints other
   * lines (reports from Ubuntu 16.04 show malloc.c:2394 for sysmallocOldTop, where the 2.23
   * release has 2392). An assertion the release does not have has no line.
   */
  readonly assertLines: Readonly<Partial<Record<MallocAssertion, number>>>;
  /** Assertions whose text differs from the newest sources' (before 2.25, heap_trim's). */
  readonly assertExpressions: Readonly<Partial<Record<MallocAssertion, string>>>;
  /**
   * get_free_list asserts that the arena it takes has no thread attached (2.25+; before, it adds
   * one to the count).
   */
  readonly freeListAssert: boolean;
  /** stdio buffers come from malloc (2.24+) or from mmap (older glibc's ALLOC_BUF). */
  readonly stdioBuffers: "malloc" | "mmap";
  /** glibc `TCACHE_MAX_BINS`: the bins of tcache_perthread_struct (small plus large). */
  readonly tcacheMaxBins: number;
  /** glibc `TCACHE_SMALL_BINS`: one bin per chunk size from MINSIZE (64). */
  readonly tcacheSmallBins: number;
  /** glibc `TCACHE_LARGE_BINS`: power-of-two size classes above the small bins (2.42+: 12). */
  readonly tcacheLargeBins: number;
  /** glibc `TCACHE_FILL_COUNT` (7; 16 from 2.43). */
  readonly tcacheFillCount: number;
  /**
   * glibc `csize2tidx` rounds a chunk size up to a bin (`(x - MINSIZE + MALLOC_ALIGNMENT - 1) /
   * MALLOC_ALIGNMENT`, up to 2.42) instead of down (`(x - MINSIZE) / MALLOC_ALIGNMENT`, 2.43+,
   * seen in its source and real runs; 2.42 unverified): only a size a corruption left unaligned
   * tells them apart.
   */
  readonly tcacheIndexRoundsUp: boolean;
  /**
   * libc's early initialization runs `__ptmalloc_init` (2.43+, seen in its sources and real runs:
   * a free before any malloc meets the real tcache key); before, the first malloc or free runs
   * `ptmalloc_init`.
   */
  readonly mallocInitAtStartup: boolean;
  /**
   * The tcache's per-bin counters hold the free slots left (`num_slots`, counting down, 2.42+)
   * instead of the chunks held (`counts`).
   */
  readonly tcacheCountsDown: boolean;
  /**
   * When the thread's tcache_perthread_struct is malloc'ed: `first-call` at its first malloc
   * or free (MAYBE_INIT_TCACHE, 2.26–2.41), `first-malloc` at its first malloc only (2.42),
   * `lazy` only when a chunk is about to enter it (2.43+: stashing in _int_malloc, or a free).
   */
  readonly tcacheInit: "first-call" | "first-malloc" | "lazy";
  /** 2.43's `tcache_init` pads its request twice (`_int_malloc (av, request2size (bytes))`). */
  readonly tcacheInitPadsTwice: boolean;
  /** `_int_malloc` stashes exact fits from the unsorted bin into the tcache (until 2.43). */
  readonly tcacheStashUnsorted: boolean;
  /**
   * An mmapped chunk ends CHUNK_HDR_SZ before the end of its mapping, as a heap chunk ends
   * where the next header starts (`mmap_set_chunk`, 2.43+); its usable size is then computed
   * like any chunk's, and realloc no longer keeps an mmapped chunk up to a page too big.
   */
  readonly mmapChunkTrailer: boolean;
  /**
   * How `arena_get2` sets the arena limit once `narenas` passes `arena_test`: `per-core` is
   * NARENAS_FROM_NCORES (8 or 2 per core, after `narenas > arena_test`); `cores` (2.44) is the
   * number of cores, at least `arena_test`, once `narenas >= arena_test`.
   */
  readonly arenaLimit: "per-core" | "cores";
  /**
   * Sorting a chunk smaller than every chunk of its large bin checks the bin's nextsize links
   * ("malloc(): largebin double linked list corrupted (nextsize)", 2.42+).
   */
  readonly largebinSmallestCheck: boolean;
  /** free() keeps mmapped chunks out of the large tcache bins (2.42 only; 2.43 does not check). */
  readonly tcacheLargeSkipsMmapped: boolean;
  /** `__malloc_hook` and the other allocation hooks are called (until 2.33; 2.34 removed them). */
  readonly mallocHooks: boolean;
  /** abort() flushes stdio's streams before raising SIGABRT (until 2.26). */
  readonly abortFlushesStdio: boolean;
  /**
   * What dcgettext asks of malloc when libc translates one of its messages (strerror's, perror's,
   * a failed assert's format) in the C locale, where it looks up no catalog: nothing (until
   * 2.25); a free of its copy of the catalogs' directory, which is NULL for libc's absolute one
   * (`free-dirname`, 2.26+); or also a malloc of the catalog's name (`LC_MESSAGES/libc.mo`, 20
   * bytes) and of the locale's (`C`, 2 bytes), freed with it (`work-strings`, 2.41+; on the
   * stack before).
   */
  readonly gettextCalls: "none" | "free-dirname" | "work-strings";
  /** strerror knows EFTYPE (134, "Inappropriate file type or format"; 2.43+). */
  readonly errnoEftype: boolean;
  /**
   * A FILE's end-of-file indicator is sticky: its underflow reads nothing more once it is set
   * (2.28+, C99's rule, glibc bug 1190 in its NEWS; before, each read asked the descriptor
   * again).
   */
  readonly stdioEofSticky: boolean;
  /**
   * getline/getdelim set the stream's error indicator when they fail (NULL arguments, a
   * failed malloc or realloc: 2.37+, glibc bug 29917; seen on real 2.41+).
   */
  readonly getdelimSetsError: boolean;
  /**
   * getline/getdelim NUL-terminate the 120-byte buffer they malloc before reading (2.43+;
   * before, a read that meets end of file at once leaves the new buffer as malloc gave it).
   */
  readonly getdelimTerminatesNewBuffer: boolean;
  /**
   * printf writes into the stream's buffer directly when it has room, flushing it whenever
   * full, and through fwrite's path in 128-byte stages when not (`__printf_buffer_to_file`,
   * 2.37+); before, vfprintf put its text through fwrite's path (`_IO_sputn`), which writes
   * whole blocks past a full buffer. Seen on real 2.31 and 2.36 against 2.41+.
   */
  readonly printfIntoBuffer: boolean;
  /**
   * snprintf's buffer end `s + n` is computed as a pointer (`__printf_buffer`, 2.37+): when it
   * passes the top of the address space it wraps below `s`, and glibc writes the whole text and
   * then its NUL over the last character; before, `_IO_str_init_static_internal` took such an
   * end as the top and wrote the text and its NUL. Seen on real 2.31 and 2.36 against 2.41+
   * (`tests/fixtures/c/size_max/`).
   */
  readonly snprintfEndWraps: boolean;
  /**
   * printf's `%#m` prints errno's name (2.35+); before, the `#` is ignored and it prints the
   * message, as `%m` does (seen on real 2.31 and 2.36).
   */
  readonly printfErrnoName: boolean;
  /**
   * getrandom() calls the vDSO's getrandom where the kernel has one (x86_64, Linux 6.11+), with
   * per-thread state that the first call maps (2.41+); before, it is the system call. Seen on
   * real 2.41+ under strace: two one-page mmaps and a 32-byte getrandom at the first call.
   */
  readonly getrandomVdso: boolean;
  /**
   * pthread_join and pthread_detach read one join state — joinable, detached, exiting, exited —
   * that the kernel sets to exited when the thread is gone (2.43+, BZ #19951): joining or
   * detaching a thread that ended after its descriptor was freed (joined, or detached) returns
   * 0. Before, they read `joinid` and the thread id, which pthread_join sets to -1: ESRCH for a
   * joined thread, EINVAL for a detached one. Seen on real 2.31–2.44
   * (tests/fixtures/c/pthread_detach/).
   */
  readonly threadJoinState: boolean;
  /**
   * On i386, gettimeofday reads the 64-bit clock and copies it into `*tv` (2.32+), faulting on
   * a NULL `tv`; before, it was the vDSO's or the system call's, which skip a NULL `tv` (x86_64's
   * always is). Seen on real i386 2.31 and 2.36+ under qemu-i386; glibc's
   * sysdeps/unix/sysv/linux/x86/gettimeofday.c limits the vDSO to x86_64 from 2.32.
   */
  readonly gettimeofdayCopiesTime64: boolean;
  /**
   * sigemptyset and sigfillset write the whole 128-byte `sigset_t` (up to 2.31); later ones only
   * its first 8 bytes, the kernel's signals. Seen on real 2.31 and 2.36+, x86_64 and i386
   * (tests/fixtures/c/signal_handlers/layouts.c); 2.32–2.35, not run here, are taken as 2.36.
   */
  readonly sigsetClearsWhole: boolean;
  /**
   * A FILE has `_prevchain` (the `_chain` or `_IO_list_all` pointing at it, which
   * `_IO_un_link` uses instead of walking the list; 2.40+). Seen in fopen'ed FILEs on real 2.41+.
   */
  readonly filePrevChain: boolean;
  /** A FILE's `_flags2` is 24 bits, its last byte `_short_backupbuf` (2.41+; seen on real 2.41+). */
  readonly fileFlags2Narrow: boolean;
  /** A FILE has `_total_written`, which `_IO_no_init` zeroes (2.42+; seen on real 2.43+). */
  readonly fileTotalWritten: boolean;
  /** fclose sets `_IO_FLAGS2_NOCLOSE` in the FILE it frees (2.44+; seen on real 2.44, not 2.43). */
  readonly fcloseMarksNoClose: boolean;
  /**
   * fclose of a FILE that read ahead seeks its descriptor back to the offset it reached
   * (`_IO_file_close_maybe_unlink`, the fix of bug 12724; 2.42+, with fflush(NULL)'s sync of
   * readers: in 2.43's source, not 2.41's): on stdin, a pipe, it leaves ESPIPE in errno, as seen
   * on real 2.43 and 2.44, not 2.41.
   */
  readonly fcloseSeeksUnread: boolean;
  /**
   * What scanf's `%Nc` does when the input ends before N bytes: keeps the bytes it read and
   * counts the conversion (`kept`), does so padding a `%mc` buffer with NULs (`padded`: 2.41,
   * whose `%mc` mallocs its whole width), or fails as at the end of the input (`error`: 2.42+,
   * bug 12701's fix). Seen on real 2.31 and 2.36, 2.41, and 2.43 and 2.44 (tests/fixtures/c/scanf/
   * short_chars.in, scanf_malloc/).
   */
  readonly scanfShortChars: "kept" | "padded" | "error";
  /**
   * A FILE's vtable pointer must lie among libc's vtables, or the call through it ends the process
   * ("Fatal error: glibc detected an invalid stdio handle"; 2.24+, seen on real 2.31+).
   */
  readonly vtableValidation: boolean;
  /**
   * exit's `_IO_flush_all` locks each FILE it flushes (`_IO_flockfile`: `*fp->_lock`), as
   * fflush(NULL) always did; before, `_IO_cleanup` flushed with `_IO_flush_all_lockp (0)` (bug
   * 15142, 2.38; seen on real 2.41+, not 2.36: a forged FILE with a NULL `_lock` faults at exit).
   */
  readonly exitFlushLocks: boolean;
  /**
   * Where `PTR_MANGLE` (x86_64) finds the pointer guard: the TCB's `pointer_guard` (`%fs:0x30`,
   * written by ld.so from AT_RANDOM's bytes 8-15), or from 2.44 ld.so's `__pointer_chk_guard`
   * in its RELRO pages — read-only once ld.so is done — with `%fs:0x30` left 0 and AT_RANDOM's
   * 16 bytes overwritten by getrandom once both guards are taken (seen in 2.44's ld.so and on
   * real runs: tests/fixtures/c/exit_handlers/). `pthread_create` copies its caller's TCB
   * pointer guard into the new thread's while it is "tcb"; 2.44 leaves that word as the stack
   * held it (thread_guards.c's real runs).
   */
  readonly pointerGuard: "tcb" | "ld";
  /**
   * `_IO_wfile_overflow` sets a wide put area up when its write base is NULL even if the FILE is
   * `_IO_CURRENTLY_PUTTING` (bug 28828, 2.36; seen on real 2.36+: House of Apple 2 reaches
   * `__doallocate` through such a FILE, where 2.31 writes its narrow bytes).
   */
  readonly wfileOverflowChecksWriteBase: boolean;
  /**
   * `_IO_wfile_overflow` sets the wide get area to the wide buffer after allocating a narrow one,
   * not before (bug 20632, 2.41; seen on real 2.41+: a FILE with no narrow write base gets a wide
   * get area at the wide buffer `_IO_wfile_doallocate` made, where 2.31 and 2.36 leave it NULL).
   */
  readonly wfileOverflowSetsGetAreaLast: boolean;
  /**
   * `_IO_flush_all` also syncs each FILE whose get area holds unread bytes (`_IO_SYNC`, bug
   * 32369, 2.42; in 2.43's source, not 2.41's).
   */
  readonly flushAllSyncsReaders: boolean;
  /**
   * Where asprintf builds a string: in a 100-byte malloc grown by realloc (`heap-100`, until
   * 2.36), or in a 200-byte buffer on the stack, then an exact malloc (`stack-200`, 2.37+). Seen
   * under gdb on real 2.31, 2.36 against 2.41+ (`src/c/asprintf.ts`).
   */
  readonly asprintfStart: "heap-100" | "stack-200";
  /**
   * strerror's text for a number without a message: one static 1024-byte malloc (`static-1024`,
   * until 2.31), or a per-thread string from asprintf, the previous one freed (`thread-asprintf`,
   * 2.32+). Seen under gdb on real 2.31, 2.36, 2.41, 2.43 and 2.44.
   */
  readonly strerrorUnknownBuffer: "static-1024" | "thread-asprintf";
  /**
   * strerror writes an unknown negative number as `-` and `abs(errnum)` widened to an unsigned
   * long (until 2.31), so that -2^31 reads -18446744071562067968 on x86_64; from 2.32 it prints
   * the int as it is (seen on real 2.31 and 2.36+).
   */
  readonly strerrorAbsOverflow: boolean;
  /**
   * The libc calls that fault when made on a stack 8 bytes off the 16-byte alignment the x86_64
   * ABI promises at a call — as from a function entered through an overwritten return address:
   * the build's code stores to the stack with an aligned SSE instruction (movaps), a general
   * protection fault (`src/c/misaligned_stack.ts`). Seen on real 2.31 (none), 2.36, 2.41, 2.43
   * and 2.44; 2.23, 2.27 and 2.35 model none, 2.39 and 2.42 2.41's (unverified).
   */
  readonly misalignedStackFaults: readonly MisalignedStackCall[];
  /**
   * How far below argv main's frame pointer lies in a program glibc's start code called (the
   * frames of `_start`, `__libc_start_main` and, from 2.34, `__libc_start_call_main`), on x86_64:
   * seen on real 2.31 (0xf8), 2.36 and 2.41 (0x118), 2.43 and 2.44 (0x128); 2.23, 2.27, 2.35,
   * 2.39 and 2.42 take their neighbours' (unverified).
   */
  readonly mainFrameBelowArgv: number;
  /**
   * How `__assert_fail` builds its message before printing it: asprintf into a 100-byte malloc
   * grown to 2n + 100 bytes while it is full, then trimmed by realloc or copied into an exact
   * malloc (`asprintf-100`, until 2.36); asprintf into a 200-byte stack buffer, then an exact
   * malloc, or a 312-byte malloc grown by half and trimmed by realloc (`asprintf-200`, 2.37 to
   * 2.42); either string is freed once printed. `direct` (2.43+): `__libc_assert` writes it
   * without malloc.
   */
  readonly assertMessage: "asprintf-100" | "asprintf-200" | "direct";
  /** malloc_printerr wraps its message in "*** Error in `PROG': … ***" (until 2.25). */
  readonly printerrErrorIn: boolean;
  /** The fastbins exist (until 2.42; 2.43 removed them with everything around them). */
  readonly fastbins: boolean;
  /**
   * malloc's own frees (sysmalloc's old top, realloc's old chunk and remainder) go through
   * `_int_free_chunk` (2.42+), never into the tcache and without free's pointer checks.
   */
  readonly internalFreesSkipTcache: boolean;
  /**
   * `tcache_double_free_verify` walks every tcache bin and, finding nothing, clears the key
   * and frees the chunk again (2.42+); before, it walked the chunk's own bin only.
   */
  readonly tcacheVerifyAllBins: boolean;
  /**
   * `tcache_thread_shutdown` gives the chunks straight to their arena with `_int_free_chunk`
   * (2.43+) instead of through `__libc_free`.
   */
  readonly tcacheShutdownToArena: boolean;
  /** How `pthread_create` maps a new thread's stack and its guard page (nptl). */
  readonly stackGuard: StackGuardStyle;
  /** sizeof (tcache_perthread_struct). */
  readonly tcacheStructSize: number;
  /** sizeof (heap_info). */
  readonly heapInfoSize: number;
  /** Layout of `struct malloc_state`. */
  readonly arena: ArenaLayout;
  /** glibc `MIN_LARGE_SIZE`: the first size of the large bins. */
  readonly minLargeSize: number;
  /** Which `largebin_index` macro applies. */
  readonly largebinIndex: "64" | "32" | "32-big";
}

/** Byte offsets of the fields of `struct malloc_state`. */
export interface ArenaLayout {
  /** `mutex` (an int). */
  readonly mutex: number;
  /** `flags` (an int): bit 1 NONCONTIGUOUS_BIT, bit 0 FASTCHUNKS_BIT before 2.26. */
  readonly flags: number;
  /** `have_fastchunks` (an int), or -1 when the version has no such field. */
  readonly haveFastchunks: number;
  /** `fastbinsY[NFASTBINS]`. */
  readonly fastbins: number;
  /** `top`. */
  readonly top: number;
  /** `last_remainder`. */
  readonly lastRemainder: number;
  /** `bins[NBINS * 2 - 2]`. */
  readonly bins: number;
  /** `binmap[BINMAPSIZE]` (unsigned ints). */
  readonly binmap: number;
  /** `next`. */
  readonly next: number;
  /** `next_free`. */
  readonly nextFree: number;
  /** `attached_threads`. */
  readonly attachedThreads: number;
  /** `system_mem`. */
  readonly systemMem: number;
  /** `max_system_mem`. */
  readonly maxSystemMem: number;
  /** sizeof (struct malloc_state). */
  readonly size: number;
}

/** glibc `NBINS`. */
export const NBINS = 128;
/** glibc `NSMALLBINS`. */
export const NSMALLBINS = 64;
/** glibc `BINMAPSIZE`. */
export const BINMAPSIZE = 4;

const KiB = 1024;
const MiB = 1024 * KiB;

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function arenaLayout(sizeSz: number, nFastbins: number, hasFastchunks: boolean): ArenaLayout {
  let off = 8; // mutex, flags
  const haveFastchunks = hasFastchunks ? off : -1;
  if (hasFastchunks) off += 4;
  off = alignUp(off, sizeSz);
  const fastbins = off;
  off += nFastbins * sizeSz;
  const top = off;
  const lastRemainder = off + sizeSz;
  const bins = off + 2 * sizeSz;
  off = bins + (NBINS * 2 - 2) * sizeSz;
  const binmap = off;
  off += BINMAPSIZE * 4;
  off = alignUp(off, sizeSz);
  const next = off;
  return {
    mutex: 0,
    flags: 4,
    haveFastchunks,
    fastbins,
    top,
    lastRemainder,
    bins,
    binmap,
    next,
    nextFree: next + sizeSz,
    attachedThreads: next + 2 * sizeSz,
    systemMem: next + 3 * sizeSz,
    maxSystemMem: next + 4 * sizeSz,
    size: next + 5 * sizeSz,
  };
}

/** The release number of a version string ("2.32" -> 32). */
function minor(version: string): number {
  const m = /^2\.(\d+)$/.exec(version);
  if (!m) throw new RangeError(`Not a glibc 2.x version: ${version}`);
  return Number(m[1]);
}

/** One fact: its value at the oldest release, then each release where it changed. */
export interface Fact<T> {
  /** The value before the first change. */
  readonly initial: T;
  /** Each release (which need not be modelled) where the value changed, oldest first. */
  readonly changes: readonly (readonly [release: string, value: T])[];
}

/** Fields of {@link GlibcProfile} derived from the architecture and other facts. */
export type DerivedField =
  | "version"
  | "arch"
  | "sizeSz"
  | "mallocAlignment"
  | "minSize"
  | "heapMaxSize"
  | "heapMinSize"
  | "mmapThresholdMax"
  | "pageSize"
  | "defaultTopPad"
  | "defaultMxFast"
  | "maxFastSize"
  | "nFastbins"
  | "mmapFallback"
  | "tcacheMaxBins"
  | "tcacheStructSize"
  | "heapInfoSize"
  | "arena"
  | "minLargeSize"
  | "largebinIndex";

/**
 * The type of the fact table: one {@link Fact} for every field of {@link GlibcProfile} that is
 * not derived (so a new profile field must get its row), plus two facts that only feed
 * derived fields.
 */
export type GlibcFacts =
  & { readonly [K in Exclude<keyof GlibcProfile, DerivedField>]: Fact<GlibcProfile[K]> }
  & {
    /** sysmalloc_mmap_fallback's size and alignment arguments swapped (2.35 to 2.38). */
    readonly mmapFallbackSwapped: Fact<boolean>;
    /** MALLOC_ALIGNMENT is 16 on i386 (2.26+). */
    readonly i386Align16: Fact<boolean>;
  };

/** A fact that is `value` from `release` on and `before` until then. */
function since<T = boolean>(
  release: string,
  value: T = true as T,
  before: T = false as T,
): Fact<T> {
  return { initial: before, changes: [[release, value]] };
}

/** A fact that holds up to and including `release` and not after it. */
function until(release: string): Fact<boolean> {
  return { initial: true, changes: [[`2.${minor(release) + 1}`, false]] };
}

/** A fact true from `first` up to and including `last`. */
function between(first: string, last: string): Fact<boolean> {
  return { initial: false, changes: [[first, true], [`2.${minor(last) + 1}`, false]] };
}

/** A fact with several changes. */
function steps<T>(initial: T, ...changes: (readonly [string, T])[]): Fact<T> {
  return { initial, changes };
}

/**
 * One release's assertion lines, in the order of malloc.c and arena.c's functions: sysmalloc's
 * two, _int_malloc's binmap two, heap_trim's fencepost, get_free_list's (none before 2.25).
 */
function assertLines(
  sysmallocOldTop: number,
  sysmallocOldSize: number,
  binmapBit: number,
  binmapSize: number,
  heapTrimFencepost: number,
  freeListAttached?: number,
): Partial<Record<MallocAssertion, number>> {
  const lines = { sysmallocOldTop, sysmallocOldSize, binmapBit, binmapSize, heapTrimFencepost };
  return freeListAttached === undefined ? lines : { ...lines, freeListAttached };
}

/** The same at every release. */
function always<T>(value: T): Fact<T> {
  return { initial: value, changes: [] };
}

/** The value of a fact at a version. */
function valueAt<T>(fact: Fact<T>, version: string): T {
  const v = minor(version);
  let value = fact.initial;
  for (const [release, next] of fact.changes) if (minor(release) <= v) value = next;
  return value;
}

/**
 * Every version fact, written once with the release where it changed (glibc's NEWS and
 * malloc.c history; releases heaplab does not model, like 2.26 or 2.32, are where the change
 * happened). See {@link GlibcProfile} for what each one means.
 */
export const GLIBC_FACTS: GlibcFacts = {
  tcache: since("2.26"),
  tcacheCountBytes: steps<1 | 2>(1, ["2.30", 2]),
  tcacheKey: steps<TcacheKeyKind>("none", ["2.29", "tcache-pointer"], ["2.34", "random"]),
  tcacheWalkChecks: since("2.33"),
  tcacheSmallBins: always(64),
  tcacheLargeBins: since("2.42", 12, 0),
  tcacheFillCount: since("2.43", 16, 7),
  tcacheIndexRoundsUp: until("2.42"),
  mallocInitAtStartup: since("2.43"),
  tcacheCountsDown: since("2.42"),
  tcacheInit: steps<GlibcProfile["tcacheInit"]>(
    "first-call",
    ["2.42", "first-malloc"],
    ["2.43", "lazy"],
  ),
  tcacheInitPadsTwice: between("2.43", "2.43"),
  tcacheStashUnsorted: until("2.43"),
  fastbins: until("2.42"),
  mallocHooks: until("2.33"),
  abortFlushesStdio: until("2.26"),
  errnoEftype: since("2.43"),
  stdioEofSticky: since("2.28"),
  getdelimSetsError: since("2.37"),
  getdelimTerminatesNewBuffer: since("2.43"),
  printfIntoBuffer: since("2.37"),
  snprintfEndWraps: since("2.37"),
  printfErrnoName: since("2.35"),
  getrandomVdso: since("2.41"),
  threadJoinState: since("2.43"),
  gettimeofdayCopiesTime64: since("2.32"),
  sigsetClearsWhole: until("2.31"),
  filePrevChain: since("2.40"),
  fileFlags2Narrow: since("2.41"),
  fileTotalWritten: since("2.42"),
  fcloseMarksNoClose: since("2.44"),
  fcloseSeeksUnread: since("2.42"),
  scanfShortChars: steps<"kept" | "padded" | "error">("kept", ["2.41", "padded"], [
    "2.42",
    "error",
  ]),
  vtableValidation: since("2.24"),
  exitFlushLocks: since("2.38"),
  pointerGuard: since<"tcb" | "ld">("2.44", "ld", "tcb"),
  wfileOverflowChecksWriteBase: since("2.36"),
  wfileOverflowSetsGetAreaLast: since("2.41"),
  flushAllSyncsReaders: since("2.42"),
  asprintfStart: since<"heap-100" | "stack-200">("2.37", "stack-200", "heap-100"),
  strerrorUnknownBuffer: since<"static-1024" | "thread-asprintf">(
    "2.32",
    "thread-asprintf",
    "static-1024",
  ),
  strerrorAbsOverflow: until("2.31"),
  mainFrameBelowArgv: steps(0xf8, ["2.34", 0x118], ["2.43", 0x128]),
  misalignedStackFaults: steps<readonly MisalignedStackCall[]>(
    [],
    ["2.36", ["system", "unbuffered-stream-printf", "asprintf"]],
    ["2.37", ["system", "printf-buffer", "asprintf"]],
  ),
  gettextCalls: steps<GlibcProfile["gettextCalls"]>(
    "none",
    ["2.26", "free-dirname"],
    ["2.41", "work-strings"],
  ),
  assertMessage: steps<GlibcProfile["assertMessage"]>(
    "asprintf-100",
    ["2.37", "asprintf-200"],
    ["2.43", "direct"],
  ),
  printerrErrorIn: until("2.25"),
  tcacheLargeSkipsMmapped: between("2.42", "2.42"),
  largebinSmallestCheck: since("2.42"),
  arenaLimit: since<"per-core" | "cores">("2.44", "cores", "per-core"),
  mmapChunkTrailer: since("2.43"),
  internalFreesSkipTcache: since("2.42"),
  tcacheVerifyAllBins: since("2.42"),
  tcacheShutdownToArena: since("2.43"),
  safeLinking: since("2.32"),
  alignmentChecks: since("2.32"),
  callocUsesTcache: since("2.41"),
  callocClearsBinSize: since("2.43"),
  memalignStyle: since<MemalignStyle>("2.38", "merge-leader", "free-leader"),
  alignedAllocStrict: since("2.38"),
  freeSmallToSmallbin: since("2.41"),
  reallocUsableShortcut: since("2.39"),
  reallocOldSizeCheck: since("2.39"),
  topSizeCheck: since("2.29"),
  unsortedChecks: since("2.29"),
  unlinkSizeCheck: since("2.26"),
  consolidateSizeCheck: since("2.27"),
  consolidatePrevSizeCheck: since("2.29"),
  munmapChunkMemCheck: since("2.30"),
  mremapChunkCheck: since("2.30"),
  freePreservesErrno: since("2.33"),
  mmapThresholdMaxCheck: until("2.34"),
  mmapFallbackSwapped: between("2.35", "2.38"),
  heapInfoHasPagesize: since("2.35"),
  heapReserveNoReserve: until("2.38"),
  maxFastMaskCheck: since("2.32"),
  arenaHasFastchunksField: steps(false, ["2.26", true], ["2.43", false]),
  i386Align16: since("2.26"),
  requestLimit: since<"ptrdiff" | "minus-2-minsize">("2.30", "ptrdiff", "minus-2-minsize"),
  assertStyle: steps<AssertStyle>("classic", ["2.36", "malloc-fatal"], ["2.37", "libc-assert"]),
  // The lines change with every release: one entry per modelled release (no profile is built
  // for the others). Checked against the real builds by tests/malloc/assertions_test.ts.
  assertLines: steps<Readonly<Partial<Record<MallocAssertion, number>>>>(
    assertLines(2392, 2398, 3704, 3723, 698),
    ["2.27", assertLines(2398, 2404, 4004, 4023, 612, 769)],
    ["2.31", assertLines(2379, 2385, 4017, 4036, 613, 770)],
    ["2.35", assertLines(2617, 2623, 4283, 4302, 659, 821)],
    ["2.36", assertLines(2611, 2617, 4279, 4298, 659, 821)],
    ["2.39", assertLines(2599, 2605, 4357, 4376, 553, 715)],
    ["2.41", assertLines(2601, 2607, 4415, 4434, 553, 715)],
    ["2.42", assertLines(2607, 2613, 4478, 4497, 537, 699)],
    ["2.43", assertLines(2371, 2377, 4222, 4241, 543, 705)],
    ["2.44", assertLines(2199, 2205, 3929, 3948, 523, 685)],
  ),
  assertExpressions: steps<Readonly<Partial<Record<MallocAssertion, string>>>>(
    { heapTrimFencepost: "p->size == (0 | PREV_INUSE)" },
    ["2.25", {}],
  ),
  freeListAssert: since("2.25"),
  stdioBuffers: since<"malloc" | "mmap">("2.24", "malloc", "mmap"),
  stackGuard: steps<StackGuardStyle>(
    "rw-then-mprotect",
    ["2.27", "none-then-mprotect"],
    ["2.42", "madvise"],
  ),
} as const;

type Facts = {
  -readonly [K in keyof typeof GLIBC_FACTS]: typeof GLIBC_FACTS[K] extends Fact<infer T> ? T
    : never;
};

function factsAt(version: string): Facts {
  const out: Record<string, unknown> = {};
  for (const [name, fact] of Object.entries(GLIBC_FACTS)) {
    out[name] = valueAt(fact as Fact<unknown>, version);
  }
  return out as Facts;
}

const cache = new Map<string, GlibcProfile>();

/**
 * The profile of a glibc version on an architecture.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { glibcProfile } from "./profile.ts";
 * const p = glibcProfile("2.36", "x86_64");
 * assert.equal(p.tcacheStructSize + 16, 0x290); // the tcache chunk
 * assert.equal(p.heapInfoSize, 0x30); // 0x20 on 2.31
 * assert.equal(glibcProfile("2.31", "x86_64").safeLinking, false);
 * ```
 */
export function glibcProfile(version: string, arch: GlibcArch): GlibcProfile {
  const key = `${version}-${arch}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!isGlibcVersion(version)) {
    throw new RangeError(
      `Unknown glibc version: ${version} (expected one of ${GLIBC_VERSIONS.join(", ")})`,
    );
  }
  const f = factsAt(version);
  const sizeSz = arch === "x86_64" ? 8 : 4;
  const mallocAlignment: 8 | 16 = sizeSz === 8 || f.i386Align16 ? 16 : 8;
  const mask = mallocAlignment - 1;
  const minChunk = 4 * sizeSz;
  const minSize = (minChunk + mask) & ~mask;
  const request2size = (req: number) =>
    req + sizeSz + mask < minSize ? minSize : (req + sizeSz + mask) & ~mask;
  const maxFastSize = (80 * sizeSz) / 4;
  const fastbinShift = sizeSz === 8 ? 4 : 3;
  const nFastbins = f.fastbins ? (request2size(maxFastSize) >> fastbinShift) - 2 + 1 : 0;
  const heapFields = f.heapInfoHasPagesize ? 5 : 4;
  const heapInfoSize = alignUp(heapFields * sizeSz + 2 * sizeSz, mallocAlignment) - 2 * sizeSz;
  const smallbinCorrection = mallocAlignment > 2 * sizeSz ? 1 : 0;
  const mmapThresholdMax = sizeSz === 8 ? 4 * MiB * 8 : 512 * KiB;
  const pageSize = 4096;
  const tcacheMaxBins = f.tcacheSmallBins + f.tcacheLargeBins;
  const swapped = f.mmapFallbackSwapped;
  const { mmapFallbackSwapped: _, i386Align16: _a, ...plain } = f;
  const profile: GlibcProfile = {
    ...plain,
    version,
    arch,
    sizeSz,
    mallocAlignment,
    minSize,
    heapMaxSize: 2 * mmapThresholdMax,
    heapMinSize: 32 * KiB,
    mmapThresholdMax,
    pageSize,
    defaultTopPad: 128 * KiB,
    defaultMxFast: f.fastbins ? (64 * sizeSz) / 4 : 0,
    maxFastSize,
    nFastbins,
    mmapFallback: swapped ? { align: MiB, min: pageSize } : { align: pageSize, min: MiB },
    tcacheMaxBins,
    tcacheStructSize: f.tcache ? tcacheMaxBins * (f.tcacheCountBytes + sizeSz) : 0,
    heapInfoSize,
    arena: arenaLayout(sizeSz, nFastbins, f.arenaHasFastchunksField),
    minLargeSize: (64 - smallbinCorrection) * mallocAlignment,
    largebinIndex: sizeSz === 8 ? "64" : mallocAlignment === 16 ? "32-big" : "32",
  };
  checkProfile(profile);
  cache.set(key, profile);
  return profile;
}

/**
 * Throws when a profile's derived sizes break glibc's own static assertions: heap_info plus a
 * chunk header must be a multiple of MALLOC_ALIGNMENT, MINSIZE a multiple of it, and the
 * fastbin array must cover MAX_FAST_SIZE.
 */
function checkProfile(p: GlibcProfile): void {
  const fail = (what: string) => {
    throw new Error(`Inconsistent glibc profile ${p.version}-${p.arch}: ${what}`);
  };
  if ((p.heapInfoSize + 2 * p.sizeSz) % p.mallocAlignment !== 0) fail("heap_info alignment");
  if (p.minSize % p.mallocAlignment !== 0) fail("MINSIZE alignment");
  if ((p.heapMaxSize & (p.heapMaxSize - 1)) !== 0) fail("HEAP_MAX_SIZE is not a power of two");
  if (p.arena.size % p.sizeSz !== 0) fail("malloc_state size");
}
