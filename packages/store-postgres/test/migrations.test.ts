import { afterEach, describe, expect, it } from "vitest";
import { createPostgresEventStore, latestSchemaVersion, type PostgresEventStore } from "../src/index.js";
import { dropSchema, postgresTestUrl, randomTestSchema, withAdminClient } from "../src/testing/index.js";
import { skipReason } from "./store-fixture.js";

const suite = skipReason === undefined ? describe : describe.skip;

describe("store options", () => {
  it.each(['bad"name', "Upper", "1starts_with_digit", "has-dash", "x".repeat(49), ""])(
    "rejects the schema name %j",
    async (schema) => {
      await expect(createPostgresEventStore({ connectionString: postgresTestUrl, schema })).rejects.toThrow(/schema/);
    },
  );

  it("rejects a pool size of 0", async () => {
    await expect(createPostgresEventStore({ connectionString: postgresTestUrl, poolSize: 0 })).rejects.toThrow(
      /poolSize/,
    );
  });
});

suite(`schema migrations${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`, () => {
  const schemas: string[] = [];
  const stores: PostgresEventStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(schemas.splice(0).map((s) => dropSchema(s)));
  });

  it("four instances opening one new schema at once apply each migration exactly once", async () => {
    const schema = randomTestSchema();
    schemas.push(schema);
    const opened = await Promise.all(
      Array.from({ length: 4 }, () =>
        createPostgresEventStore({ connectionString: postgresTestUrl, schema, poolSize: 2 }),
      ),
    );
    for (const result of opened) stores.push(result._unsafeUnwrap());
    const versions = await withAdminClient(
      async (client) =>
        (await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`))
          .rows,
    );
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: latestSchemaVersion }, (_, i) => i + 1));
  });

  it("refuses a schema migrated by a newer build", async () => {
    const schema = randomTestSchema();
    schemas.push(schema);
    const first = (
      await createPostgresEventStore({ connectionString: postgresTestUrl, schema, poolSize: 1 })
    )._unsafeUnwrap();
    await first.close();
    await withAdminClient((client) =>
      client.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from the future')`, [
        latestSchemaVersion + 1,
      ]),
    );
    const reopened = await createPostgresEventStore({ connectionString: postgresTestUrl, schema, poolSize: 1 });
    expect(reopened._unsafeUnwrapErr()).toMatchObject({
      type: "StoreUnavailable",
      message: expect.stringContaining("this build knows up to") as unknown,
    });
  });
});
