/** The environment variable that sets every property's number of runs; `npm run test:deep` sets it to 10000. */
export const propertyRunsVariable = "FC_NUM_RUNS";

/**
 * A property's time limit at its default runs, far above what they take: a core property's 100 runs took 0.5 to 4 s
 * on this 2-core machine, and up to 20 s with lint, typecheck and other jobs beside them (load average 40 to 60).
 */
export const propertyTimeoutDefaultMs = 120_000;

/** The runs a property makes: its default, so a full `npm test` holds on a busy machine, or FC_NUM_RUNS when set. */
export const propertyRuns = (defaultRuns: number): number => {
  const raw = process.env[propertyRunsVariable];
  if (raw === undefined || raw === "") return defaultRuns;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`${propertyRunsVariable} must be a whole number >= 1, got "${raw}"`);
  return runs;
};

/** A property's time limit: `timeoutMs` at its default runs, scaled up with the runs FC_NUM_RUNS asks for. */
export const propertyTimeoutMs = (defaultRuns: number, timeoutMs: number = propertyTimeoutDefaultMs): number =>
  Math.ceil(timeoutMs * Math.max(1, propertyRuns(defaultRuns) / defaultRuns));
