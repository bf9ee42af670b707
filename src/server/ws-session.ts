/** PLACEHOLDER (owner: request-lifecycle helper) — replaced by the WebSocket session handler for /v1/stream. */
export {};
