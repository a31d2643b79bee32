import { afterEach, describe, expect, it, vi } from "vitest";
import { propertyRuns, propertyTimeoutDefaultMs, propertyTimeoutMs } from "../src/testing/index.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("property runs and their time limits", () => {
  it("are each property's defaults unless FC_NUM_RUNS is set", () => {
    vi.stubEnv("FC_NUM_RUNS", "");
    expect(propertyRuns(100)).toBe(100);
    expect(propertyTimeoutMs(100)).toBe(propertyTimeoutDefaultMs);
  });

  it("FC_NUM_RUNS sets the runs of every property, and scales each time limit by as much", () => {
    vi.stubEnv("FC_NUM_RUNS", "10000");
    expect(propertyRuns(100)).toBe(10_000);
    expect(propertyRuns(3_000)).toBe(10_000);
    expect(propertyTimeoutMs(100)).toBe(100 * propertyTimeoutDefaultMs);
    expect(propertyTimeoutMs(5_000, 30_000)).toBe(60_000);
  });

  it("fewer runs than the default keep the default's time limit", () => {
    vi.stubEnv("FC_NUM_RUNS", "10");
    expect(propertyRuns(100)).toBe(10);
    expect(propertyTimeoutMs(100)).toBe(propertyTimeoutDefaultMs);
  });

  it.each(["ten", "0", "-5", "1.5"])("refuses FC_NUM_RUNS=%s", (raw) => {
    vi.stubEnv("FC_NUM_RUNS", raw);
    expect(() => propertyRuns(100)).toThrow(`FC_NUM_RUNS must be a whole number >= 1, got "${raw}"`);
  });
});
