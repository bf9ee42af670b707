/**
 * Node entry point: a GhostlineClient over the `ws` package (Node 20 has no global WebSocket).
 */
import WebSocket from "ws";
import { GhostlineClient, type GhostlineClientOptions } from "./client.js";
import { streamUrl, webSocketTransport, type WebSocketConstructor } from "./transport.js";

export * from "./index.js";

/** Creates (and connects) a client for the Ghostline server at `serverUrl` (http(s) or ws(s)). */
export function createNodeClient(serverUrl: string, options: Omit<GhostlineClientOptions, "transport"> & { apiKey?: string } = {}): GhostlineClient {
  const { apiKey, ...rest } = options;
  const url = streamUrl(serverUrl, apiKey);
  const client = new GhostlineClient({ ...rest, transport: webSocketTransport(url, WebSocket as unknown as WebSocketConstructor) });
  client.connect();
  return client;
}
