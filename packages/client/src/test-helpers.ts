import type { WireUsage } from "@ghostline/protocol";
import { GhostlineClient } from "./client.js";
import { FakeClock } from "./clock.js";
import { FakeTransport } from "./fake-transport.js";
import type { TelemetryLevel } from "./feedback.js";

/** Usage block for fake `done` messages. */
export const FAKE_USAGE: WireUsage = {
  prompt_tokens: 10,
  completion_tokens: 3,
  total_tokens: 13,
  prompt_tokens_reused: 0,
  prompt_tokens_evaluated: 10,
  timings: { queue_ms: 0, prefill_ms: 1, first_token_ms: 2, decode_ms: 3, total_ms: 4 },
};

/** Lets pending promise callbacks run. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A connected client over a fake transport and a fake clock (server hello already received). */
export function connectedClient(telemetry: TelemetryLevel = "code", settings = { debounceMs: 100, shownThresholdMs: 500 }) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const client = new GhostlineClient({ transport: transport.factory, clock, telemetry, backoff: { random: () => 0 } });
  client.connect();
  transport.last.accept();
  transport.last.push({ type: "hello", server: "fake", version: "0", session: "s1", settings: { ...settings, telemetry: "code" } });
  return { clock, transport, client };
}
