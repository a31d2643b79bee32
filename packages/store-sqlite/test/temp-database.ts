import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory for one test's database file, removed by cleanup. */
export const tempDatabase = async (): Promise<{ path: string; cleanup: () => Promise<void> }> => {
  const directory = await mkdtemp(join(tmpdir(), "starledger-sqlite-"));
  return {
    path: join(directory, "events.db"),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
};
