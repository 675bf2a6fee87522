/**
 * C programs inside the simulated process: {@link CProgram} (pause by pause) and
 * {@link runC} (to the end), {@link ProgramTube} (a conversation with one, as an exploit script
 * has with a process) and the words such a script reads from a program's output and packs into
 * its input ({@link u64}, {@link p64}). See `program.ts` for how a run ends and `scheduler.ts`
 * for the thread schedule.
 *
 * May import: `src/kernel/` (the process, its memory and signals) and `src/malloc/` (the C
 * library's allocator the programs call), never `src/trace/` or `src/view/`.
 *
 * @module
 */

export {
  type CChild,
  type CForkOrigin,
  type CLocal,
  CProgram,
  type CRunOptions,
  type CRunResult,
  type CRunState,
  type CRunToResult,
  type ExplainRecord,
  runC,
  type RunTarget,
} from "./program.ts";
export {
  COutputLimitError,
  CRuntimeError,
  CStepLimitError,
  CSyntaxError,
  CUnsupportedError,
} from "./errors.ts";
export { CMissingHeaderError } from "./include_search.ts";
export { type StdoutKind as CStdoutKind } from "./stdio.ts";
export { type FileFieldInfo, type FileInfo } from "./file_layout.ts";
export {
  type GlobalInfo,
  type GlobalSection,
  type GlobalsInfo,
  type ImageLandmark,
  type LandmarkKind,
} from "./globals_info.ts";
export { MisalignedStackFault } from "./misaligned_stack.ts";
export { ProgramTube, ProgramTubeError } from "./tube.ts";
export { type InputEvent, RewindError } from "./rewind.ts";
export { p32, p64, u32, u64 } from "./packing.ts";
