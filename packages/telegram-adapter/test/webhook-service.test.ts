import { allEvents } from "@starledger/core/testing";
import { describe, expect, it } from "vitest";
import { webhookErrorBody, webhookErrorStatus } from "../src/index.js";
import { fixture } from "./support/fixtures.js";
import { setup } from "./support/webhook-service-setup.js";

describe("everything else", () => {
  it("acknowledges an update it does not handle and writes nothing", async () => {
    const { deliver, store } = setup();
    expect((await deliver(fixture("text_message")))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await allEvents(store)).toHaveLength(0);
  });

  it("answers 400 to a body that is not an update", async () => {
    const { deliver } = setup();
    const error = (await deliver({ hello: "world" }))._unsafeUnwrapErr();
    expect(error.type).toBe("InvalidUpdate");
    expect(webhookErrorStatus(error)).toBe(400);
    expect(webhookErrorBody(error).error).toBe("InvalidUpdate");
  });

  it("answers 401 to a wrong or missing secret token when one is configured, before reading the body", async () => {
    const { deliver, store } = setup({ settings: { webhookSecret: "s3cret_Token-1" } });
    for (const token of ["wrong", undefined, "s3cret_Token-", "s3cret_Token-12"]) {
      const error = (await deliver(fixture("text_message"), token))._unsafeUnwrapErr();
      expect(error.type).toBe("BadSecret");
      expect(webhookErrorStatus(error)).toBe(401);
    }
    expect((await deliver({ not: "an update" }, "wrong"))._unsafeUnwrapErr().type).toBe("BadSecret");
    expect((await deliver(fixture("text_message"), "s3cret_Token-1"))._unsafeUnwrap()).toEqual({ kind: "ack" });
    expect(await allEvents(store)).toHaveLength(0);
  });

  it("accepts requests without a secret token when none is configured (the MOCK runbook flow)", async () => {
    const { deliver } = setup();
    expect((await deliver(fixture("text_message"), undefined))._unsafeUnwrap()).toEqual({ kind: "ack" });
  });
});
