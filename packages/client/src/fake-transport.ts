import type { ClientMessage, ServerMessage } from "@ghostline/protocol";
import type { Transport, TransportFactory, TransportHandlers } from "./transport.js";

/** One fake connection: records what the client sent, lets the test push server messages. */
export class FakeSocket implements Transport {
  readonly sent: ClientMessage[] = [];
  open = false;
  closed = false;
  constructor(readonly handlers: TransportHandlers) {}
  send(data: string): void {
    if (!this.open || this.closed) throw new Error("send on a transport that is not open");
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(): void {
    this.drop(1000, "client closing");
  }
  /** Server side: accept the connection. */
  accept(): void {
    this.open = true;
    this.handlers.onOpen();
  }
  /** Server side: push a message. */
  push(message: ServerMessage): void {
    this.handlers.onMessage(JSON.stringify(message));
  }
  /** Server side: drop the connection. */
  drop(code = 1006, reason = "dropped"): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.handlers.onClose(code, reason);
  }
  /** Sent messages of one type. */
  ofType<T extends ClientMessage["type"]>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}

/**
 * A fake transport factory for model-free tests: every (re)connect creates a FakeSocket, kept in
 * `sockets` (latest last). Nothing is accepted until the test calls `accept()`.
 */
export class FakeTransport {
  readonly sockets: FakeSocket[] = [];
  readonly factory: TransportFactory = (handlers) => {
    const socket = new FakeSocket(handlers);
    this.sockets.push(socket);
    return socket;
  };
  /** The most recent socket. */
  get last(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error("no socket created yet");
    return s;
  }
}
