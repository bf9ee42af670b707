import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.js";

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures, half-opens with one trial after the cool-down", () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 2, coolDownMs: 100, now: () => t });
    b.onFailure();
    expect(b.state).toBe("closed");
    b.onSuccess();
    b.onFailure();
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    t = 100;
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one trial at a time
    b.onFailure();
    expect(b.state).toBe("open"); // re-opened for another cool-down
    t = 200;
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe("closed");
  });

  it("a neutral end (cancel) frees the half-open trial", () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10, now: () => t });
    b.onFailure();
    t = 10;
    expect(b.tryAcquire()).toBe(true);
    b.onNeutral();
    expect(b.tryAcquire()).toBe(true);
  });

  it("validates options", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow();
  });
});
