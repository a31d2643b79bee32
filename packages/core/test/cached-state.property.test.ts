import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemoryEventStore, StarsLedger, type CommandHandlerOptions } from "../src/index.js";
import { CountingEventStore, collect } from "../src/testing/index.js";
import { adminStory, numRuns, story, type Story } from "./ledger-stories.js";
import { ledgerSettings, runOp, type Outcome } from "./ledger-story-runs.js";

/** The most commands in one story; instances are drawn for each. */
const commandsMax = 32;
const noPause = { retryPause: () => Promise.resolve() };

/**
 * The story's commands one after another, each on one of two ledgers over one store (two server instances), as
 * `onSecond` says. What every command answered, and every event recorded, without its random id and clock time.
 */
const playInTurn = async (st: Story, onSecond: readonly boolean[], options: CommandHandlerOptions) => {
  const store = new CountingEventStore(new InMemoryEventStore());
  const ledgers = [new StarsLedger(store, ledgerSettings, options), new StarsLedger(store, ledgerSettings, options)];
  const outcomes: Outcome[] = [];
  for (const [index, op] of st.waves.flat().slice(0, commandsMax).entries()) {
    const ledger = ledgers[onSecond[index] === true ? 1 : 0] ?? ledgers[0];
    if (ledger !== undefined) outcomes.push(await runOp(ledger, st, op));
  }
  const events = (await collect(store.readAll())).map((e) => [
    e.stream,
    e.revision,
    e.position,
    e.type,
    e.data,
    e.metadata.prevHash,
    e.metadata.hash,
  ]);
  return { recorded: { outcomes, events }, catchUps: store.catchUps };
};

const sameWithAndWithoutCache = async (stories: fc.Arbitrary<Story>, runs: number): Promise<number> => {
  let storiesWithCatchUps = 0;
  await fc.assert(
    fc.asyncProperty(
      stories,
      fc.array(fc.boolean(), { minLength: commandsMax, maxLength: commandsMax }),
      async (st, onSecond) => {
        const reference = await playInTurn(st, onSecond, { ...noPause, stateCacheStreamsMax: 0 });
        const cached = await playInTurn(st, onSecond, noPause);
        const tiny = await playInTurn(st, onSecond, { ...noPause, stateCacheStreamsMax: 2 });
        expect(cached.recorded).toEqual(reference.recorded);
        expect(tiny.recorded).toEqual(reference.recorded);
        if (cached.catchUps > 0) storiesWithCatchUps++;
      },
    ),
    { numRuns: runs },
  );
  return storiesWithCatchUps;
};

describe("the cached state decides as a full read would (fast-check, two instances over one store)", () => {
  it("every answer and every recorded event is the same with the cache, with a 2-stream cache, and without one", async () => {
    const catchUps = await sameWithAndWithoutCache(story, numRuns);
    // Most stories have one instance act on a stream the other moved on: its cached state was behind.
    expect(catchUps, `stories in which a cached state caught up, of ${numRuns}`).toBeGreaterThan(numRuns / 4);
  });

  it("the same for admin stories: keys sent again, for the same and for other targets", async () => {
    const runs = Math.ceil(numRuns / 3);
    expect(await sameWithAndWithoutCache(adminStory, runs)).toBeGreaterThan(runs / 4);
  });
});
