import type pg from "pg";
import { appendChannel } from "./store-options.js";

export type Migration = { readonly version: number; readonly name: string; readonly sql: (schema: string) => string };

/**
 * Append-only: a released migration is never edited; a schema change is a new version.
 *
 * `append_events` is the whole append, run as one autocommit statement (one round trip). Events
 * come as parallel arrays; data and metadata as JSON text (json, not jsonb: kept byte for byte,
 * and a "\u0000" in a string is accepted):
 *  1. lock the stream's row (FOR UPDATE), so appends to one stream are serialized and the
 *     checks below read the committed state;
 *  2. look the event ids up: any hit is returned for the caller to classify (retry or conflict), nothing written;
 *  3. check the expected revision (p_expected: NULL any, -1 no_stream, n the last revision);
 *  4. move the stream's revision; (stream, revision) is also UNIQUE on events;
 *  5. LAST, take the row lock on global_head and add the batch size: that lock is held until
 *     commit, so positions are handed out in commit order (see README, "Global order");
 *  6. insert the events and NOTIFY (delivered at commit).
 *
 * `append_batch` is several appends in one transaction (group commit, see append-batcher.ts): steps
 * 1-4 for each append in turn (streams in sorted order, so batches never deadlock on each other),
 * then one step 5 for all accepted events, then step 6. Its caller guarantees that no event id
 * occurs twice in a batch and that every append has events.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "events, streams, global head, append_events and append_batch",
    // eslint-disable-next-line max-lines-per-function -- SQL migration text: one released, never-edited schema version
    sql: (schema) => {
      const s = `"${schema}"`;
      return `
        CREATE TABLE ${s}.events (
          position    bigint      PRIMARY KEY CHECK (position > 0),
          stream      text        NOT NULL,
          revision    bigint      NOT NULL CHECK (revision >= 0),
          id          text        NOT NULL UNIQUE,
          type        text        NOT NULL,
          data        json        NOT NULL,
          metadata    json        NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (stream, revision)
        );

        CREATE TABLE ${s}.streams (
          stream   text   PRIMARY KEY,
          revision bigint NOT NULL CHECK (revision >= 0)
        );

        CREATE TABLE ${s}.global_head (
          singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          position  bigint  NOT NULL CHECK (position >= 0)
        );
        INSERT INTO ${s}.global_head (singleton, position) VALUES (true, 0);

        CREATE FUNCTION ${s}.append_events(
          p_stream text,
          p_expected bigint,
          p_ids text[],
          p_types text[],
          p_data json[],
          p_metadata json[],
          OUT outcome text,
          OUT actual_revision bigint,
          OUT next_revision bigint,
          OUT last_position bigint,
          OUT existing json
        ) LANGUAGE plpgsql AS $fn$
        DECLARE
          v_count bigint := coalesce(cardinality(p_ids), 0);
          v_base bigint;
        BEGIN
          SELECT st.revision INTO actual_revision FROM ${s}.streams st WHERE st.stream = p_stream FOR UPDATE;

          SELECT json_agg(json_build_object('id', e.id, 'stream', e.stream, 'revision', e.revision::text, 'position', e.position::text))
            INTO existing
            FROM ${s}.events e
           WHERE e.id = ANY (p_ids);
          IF existing IS NOT NULL THEN
            outcome := 'existing';
            RETURN;
          END IF;

          IF (p_expected = -1 AND actual_revision IS NOT NULL)
             OR (p_expected >= 0 AND actual_revision IS DISTINCT FROM p_expected) THEN
            outcome := 'conflict';
            RETURN;
          END IF;

          v_base := coalesce(actual_revision, -1);
          next_revision := v_base + v_count;
          IF v_count = 0 THEN
            SELECT h.position INTO last_position FROM ${s}.global_head h;
            outcome := 'appended';
            RETURN;
          END IF;

          IF actual_revision IS NULL THEN
            INSERT INTO ${s}.streams (stream, revision) VALUES (p_stream, next_revision);
          ELSE
            UPDATE ${s}.streams SET revision = next_revision WHERE stream = p_stream;
          END IF;

          UPDATE ${s}.global_head SET position = position + v_count RETURNING position INTO last_position;

          INSERT INTO ${s}.events (position, stream, revision, id, type, data, metadata)
          SELECT last_position - v_count + x.n, p_stream, v_base + x.n, x.id, x.type, x.data, x.metadata
            FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS x(id, type, data, metadata, n);

          PERFORM pg_notify('${appendChannel(schema)}', last_position::text);
          outcome := 'appended';
        END;
        $fn$;

        CREATE FUNCTION ${s}.append_batch(
          p_streams text[],
          p_expected bigint[],
          p_counts integer[],
          p_append_index integer[],
          p_ids text[],
          p_types text[],
          p_data json[],
          p_metadata json[]
        ) RETURNS TABLE (outcome text, actual_revision bigint, next_revision bigint, last_position bigint, existing json)
        LANGUAGE plpgsql AS $fn$
        DECLARE
          v_appends integer := coalesce(cardinality(p_streams), 0);
          v_outcomes text[] := '{}';
          v_actuals bigint[] := '{}';
          v_bases bigint[] := '{}';
          v_hits json[] := '{}';
          v_offset integer := 0;
          v_total bigint := 0;
          v_before bigint;
          v_through bigint := 0;
          v_revision bigint;
          v_found json;
          i integer;
        BEGIN
          FOR i IN 1 .. v_appends LOOP
            v_revision := NULL;
            SELECT st.revision INTO v_revision FROM ${s}.streams st WHERE st.stream = p_streams[i] FOR UPDATE;
            SELECT json_agg(json_build_object('id', e.id, 'stream', e.stream, 'revision', e.revision::text, 'position', e.position::text))
              INTO v_found
              FROM ${s}.events e
             WHERE e.id = ANY (p_ids[v_offset + 1 : v_offset + p_counts[i]]);
            v_actuals[i] := v_revision;
            v_hits[i] := v_found;
            v_bases[i] := coalesce(v_revision, -1);
            IF v_found IS NOT NULL THEN
              v_outcomes[i] := 'existing';
            ELSIF (p_expected[i] = -1 AND v_revision IS NOT NULL)
                  OR (p_expected[i] >= 0 AND v_revision IS DISTINCT FROM p_expected[i]) THEN
              v_outcomes[i] := 'conflict';
            ELSE
              v_outcomes[i] := 'appended';
              IF v_revision IS NULL THEN
                INSERT INTO ${s}.streams (stream, revision) VALUES (p_streams[i], p_counts[i] - 1);
              ELSE
                UPDATE ${s}.streams SET revision = v_revision + p_counts[i] WHERE stream = p_streams[i];
              END IF;
              v_total := v_total + p_counts[i];
            END IF;
            v_offset := v_offset + p_counts[i];
          END LOOP;

          IF v_total > 0 THEN
            UPDATE ${s}.global_head SET position = position + v_total RETURNING position - v_total INTO v_before;
            INSERT INTO ${s}.events (position, stream, revision, id, type, data, metadata)
            SELECT v_before + row_number() OVER (ORDER BY x.n),
                   p_streams[x.a],
                   v_bases[x.a] + row_number() OVER (PARTITION BY x.a ORDER BY x.n),
                   x.id, x.type, x.data, x.metadata
              FROM unnest(p_append_index, p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS x(a, id, type, data, metadata, n)
             WHERE v_outcomes[x.a] = 'appended';
            PERFORM pg_notify('${appendChannel(schema)}', (v_before + v_total)::text);
          END IF;

          FOR i IN 1 .. v_appends LOOP
            outcome := v_outcomes[i];
            actual_revision := v_actuals[i];
            existing := v_hits[i];
            next_revision := NULL;
            last_position := NULL;
            IF outcome = 'appended' THEN
              v_through := v_through + p_counts[i];
              next_revision := v_bases[i] + p_counts[i];
              last_position := v_before + v_through;
            END IF;
            RETURN NEXT;
          END LOOP;
        END;
        $fn$;
      `;
    },
  },
];

export const latestSchemaVersion = migrations.reduce((latest, m) => Math.max(latest, m.version), 0);

/** Both numbers of the advisory lock that serializes migrations of one schema across processes. */
const migrationLockSql = "SELECT pg_advisory_xact_lock(hashtext('starledger.migrations'), hashtext($1))";

export type MigrationOutcome =
  | { readonly kind: "migrated"; readonly applied: readonly number[] }
  | { readonly kind: "tooNew"; readonly current: number };

/**
 * Brings the schema to the latest version in one transaction under an advisory lock, so two
 * instances opening the same new schema apply each migration once. Throws on a database error.
 */
export const migrate = async (client: pg.ClientBase, schema: string): Promise<MigrationOutcome> => {
  const s = `"${schema}"`;
  await client.query("BEGIN");
  try {
    await client.query(migrationLockSql, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const current = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${s}.schema_migrations`,
    );
    const currentVersion = current.rows[0]?.version ?? 0;
    if (currentVersion > latestSchemaVersion) {
      await client.query("ROLLBACK");
      return { kind: "tooNew", current: currentVersion };
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= currentVersion) continue;
      await client.query(migration.sql(schema));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
    return { kind: "migrated", applied };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
};
