/**
 * C programs inside the simulated process: {@link CProgram} (pause by pause) and
 * {@link runC} (to the end). See `program.ts` for how a run ends and `scheduler.ts` for the
 * thread schedule.
 *
 * @module
 */

export {
  type CLocal,
  CProgram,
  type CRunOptions,
  type CRunResult,
  type CRunState,
  type ExplainRecord,
  runC,
} from "./program.ts";
export { CRuntimeError, CStepLimitError, CSyntaxError, CUnsupportedError } from "./errors.ts";
export { type StdoutKind as CStdoutKind } from "./stdio.ts";
