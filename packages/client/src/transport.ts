/**
 * Transport: one message-oriented duplex connection (a WebSocket in practice). The connection layer
 * creates a new transport per (re)connect through a TransportFactory, so tests can inject fakes.
 */

/** Callbacks a transport reports to. `onClose` is called exactly once per transport. */
export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: string): void;
  onClose(code: number, reason: string): void;
}

/** One live connection. `send` may only be called after onOpen. */
export interface Transport {
  send(data: string): void;
  close(): void;
}

/** Creates a transport that reports to `handlers`. */
export type TransportFactory = (handlers: TransportHandlers) => Transport;

/** The subset of the WebSocket API (browser or `ws`) the client uses. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Converts an http(s) server base URL (or a ws(s) URL) into the `/v1/stream` WebSocket URL. */
export function streamUrl(serverUrl: string, apiKey?: string): string {
  const url = new URL(serverUrl);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (!url.pathname.endsWith("/v1/stream")) url.pathname = url.pathname.replace(/\/$/, "") + "/v1/stream";
  if (apiKey) url.searchParams.set("api_key", apiKey);
  return url.toString();
}

/** A TransportFactory over a WebSocket implementation. */
export function webSocketTransport(url: string, WebSocketImpl: WebSocketConstructor): TransportFactory {
  return (handlers) => {
    let closed = false;
    const finish = (code: number, reason: string): void => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    const ws = new WebSocketImpl(url);
    ws.onopen = () => handlers.onOpen();
    ws.onmessage = (ev) => {
      const data = ev.data;
      handlers.onMessage(typeof data === "string" ? data : String(data));
    };
    ws.onclose = (ev) => finish(ev.code, ev.reason);
    ws.onerror = () => {
      try {
        ws.close();
      } catch {
        /* already closing */
      }
      finish(1006, "error");
    };
    return {
      send: (data) => ws.send(data),
      close: () => {
        try {
          ws.close(1000, "client closing");
        } catch {
          /* ignore */
        }
        finish(1000, "client closing");
      },
    };
  };
}
