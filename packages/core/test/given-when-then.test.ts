import { err, ok } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { Decider } from "../src/index.js";
import { given } from "../src/testing/index.js";

/** A toy decider: a counter that refuses to go below zero, so each branch of the helper can be driven. */
type Event = { readonly type: "Added"; readonly data: { readonly by: number } };
type Command = { readonly type: "Add"; readonly data: { readonly by: number } };
type Refusal = { readonly type: "BelowZero"; readonly message: string };
const counter: Decider<Command, Event, number, Refusal> = {
  initialState: 0,
  evolve: (total, event) => total + event.data.by,
  decide: (command, total) =>
    total + command.data.by < 0
      ? err({ type: "BelowZero", message: `${total} + ${command.data.by} is below zero` })
      : ok(command.data.by === 0 ? [] : [{ type: "Added", data: { by: command.data.by } }]),
  eventTypes: new Set(["Added"]),
};
const add = (by: number): Command => ({ type: "Add", data: { by } });
const added = (by: number): Event => ({ type: "Added", data: { by } });

describe("given/when/then", () => {
  it("then passes when the decided events are exactly the expected ones", () => {
    given(counter, [])
      .when(add(2))
      .then([added(2)]);
    given(counter, [added(1)])
      .when(add(0))
      .then([]);
  });

  it("decides on the state folded from the history, not on the initial state", () => {
    given(counter, [added(5)])
      .when(add(-3))
      .then([added(-3)]);
    given(counter, []).when(add(-3)).thenFails({ type: "BelowZero" });
  });

  it("then fails when the events differ, or when there are more or fewer of them", () => {
    expect(() => {
      given(counter, [])
        .when(add(2))
        .then([added(3)]);
    }).toThrow();
    expect(() => {
      given(counter, []).when(add(2)).then([]);
    }).toThrow();
    expect(() => {
      given(counter, [])
        .when(add(0))
        .then([added(0)]);
    }).toThrow();
  });

  it("then fails, naming the error, when the decider refused", () => {
    expect(() => {
      given(counter, []).when(add(-1)).then([]);
    }).toThrow(/expected events, got error .*BelowZero/);
  });

  it("thenFails passes on the expected error, matching only the fields given", () => {
    given(counter, [added(1)])
      .when(add(-2))
      .thenFails({ type: "BelowZero" });
    given(counter, [added(1)])
      .when(add(-2))
      .thenFails({ type: "BelowZero", message: "1 + -2 is below zero" });
  });

  it("thenFails fails on another message, and, naming the events, when the decider decided", () => {
    expect(() => {
      given(counter, []).when(add(-2)).thenFails({ type: "BelowZero", message: "other" });
    }).toThrow();
    expect(() => {
      given(counter, []).when(add(2)).thenFails({ type: "BelowZero" });
    }).toThrow(/expected error BelowZero, got events .*"by":2/);
  });

  it("state is the history and the decided events folded together", () => {
    expect(
      given(counter, [added(5)])
        .when(add(2))
        .state(),
    ).toBe(7);
    expect(
      given(counter, [added(5)])
        .when(add(0))
        .state(),
    ).toBe(5);
  });

  it("state fails, naming the error, when the decider refused", () => {
    expect(() => given(counter, []).when(add(-1)).state()).toThrow(/expected events, got error .*BelowZero/);
  });
});
