import { EventStoreDBClient } from "@eventstore/db-client";
import { describe, expect, it } from "vitest";
import { createEventStoreDbEventStore, InvalidEventStoreUrlError, normalizeEventStoreUrl } from "../src/index.js";

describe("normalizeEventStoreUrl", () => {
  it.each([
    ["esdb://localhost:2113?tls=false", "esdb://localhost:2113?tls=false"],
    ["esdb+discover://cluster.example:2113", "esdb+discover://cluster.example:2113"],
    ["kurrentdb://admin:changeit@localhost:2113?tls=false", "esdb://admin:changeit@localhost:2113?tls=false"],
    [
      "kurrentdb+discover://node1:2113,node2:2113?nodePreference=leader",
      "esdb+discover://node1:2113,node2:2113?nodePreference=leader",
    ],
    ["  KurrentDB://localhost:2113  ", "esdb://localhost:2113"],
  ])("takes %s as the same server as %s", (url, expected) => {
    expect(normalizeEventStoreUrl(url)).toBe(expected);
  });

  it("gives the client a connection string it parses, for every accepted scheme", async () => {
    for (const url of [
      "esdb://localhost:2113?tls=false",
      "kurrentdb://localhost:2113?tls=false",
      "kurrentdb+discover://localhost:2113",
    ]) {
      const client = EventStoreDBClient.connectionString(normalizeEventStoreUrl(url));
      await client.dispose();
    }
    // The client itself knows only esdb: the rewrite is what makes kurrentdb:// work.
    expect(() => EventStoreDBClient.connectionString("kurrentdb://localhost:2113")).toThrow();
  });

  it.each([
    "postgres://user:secret@db:5432/ledger",
    "sqlite:./data/starledger.db",
    "memory:",
    "localhost:2113",
    "",
    "esdbx://host",
  ])("rejects %j", (url) => {
    expect(() => normalizeEventStoreUrl(url)).toThrow(InvalidEventStoreUrlError);
  });

  it("names the scheme in its message but never the credentials", () => {
    expect(() => normalizeEventStoreUrl("postgres://user:secret@db:5432/ledger")).toThrow(/"postgres:\/\/"/);
    expect(() => normalizeEventStoreUrl("postgres://user:secret@db:5432/ledger")).not.toThrow(/secret/);
  });

  it("is applied by createEventStoreDbEventStore", async () => {
    expect(() => createEventStoreDbEventStore({ url: "mysql://localhost" })).toThrow(InvalidEventStoreUrlError);
    const store = createEventStoreDbEventStore({ url: "kurrentdb://localhost:2113?tls=false" });
    await store.close();
  });
});
