/**
 * The stack's alignment after a hijacked return. The x86_64 ABI promises a stack aligned to 16
 * bytes at every call; a function entered through an overwritten return address (a "ret2win")
 * starts with it 8 bytes off, and so do the calls it makes, until another hijacked return puts
 * it back (`Frame.misaligned`, kept by the scheduler). Some glibc builds then fault inside libc:
 * the compiler stored to the stack with an aligned SSE instruction (movaps), a general
 * protection fault that the kernel delivers as SIGSEGV with no address. Which calls fault in
 * which build is the profile's `misalignedStackFaults`, seen on real 2.31, 2.36, 2.41, 2.43 and
 * 2.44 (tests/fixtures/c/misaligned_stack/). i386 programs keep no such promise here.
 *
 * @module
 */

import { SegmentationFault } from "../kernel/errors.ts";
import type { GlibcProfile, MisalignedStackCall } from "../malloc/profile.ts";

/** A libc call faulted on an aligned SSE store to a stack 8 bytes off its alignment. */
export class MisalignedStackFault extends SegmentationFault {
  /** The libc function the program called. */
  readonly function: string;

  /** A fault in `fn` (the function the program called). */
  constructor(fn: string) {
    super(0, "write", "SI_KERNEL", "0x0");
    this.name = "MisalignedStackFault";
    this.function = fn;
    this.message = `Segmentation fault: general protection fault in ${fn}(): an aligned SSE ` +
      `store (movaps) to a stack 8 bytes off its 16-byte alignment (the caller was entered ` +
      `through an overwritten return address)`;
  }
}

/**
 * Throws {@link MisalignedStackFault} when `fn`, a call of kind `kind`, is made on a misaligned
 * stack and the glibc build faults there.
 */
export function checkStackAlignment(
  profile: Pick<GlibcProfile, "misalignedStackFaults">,
  misaligned: boolean | undefined,
  kind: MisalignedStackCall,
  fn: string,
): void {
  if (misaligned && profile.misalignedStackFaults.includes(kind)) {
    throw new MisalignedStackFault(fn);
  }
}
