/**
 * The placeholder server that holds the port while the model loads: `GET /health` (and
 * `/v1/health`) answers 503 `{"status":"loading model"}` — what llama.vim / llama.vscode poll —
 * and every other route a typed `model_loading` error, so clients see "not yet" instead of
 * "connection refused". `ghostline serve` closes it and starts the real app on the same port.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { GhostlineError } from "../core/errors.js";

/** Starts the placeholder on host:port (port 0 = any); resolves to the server and its port. */
export async function startLoadingServer(host: string, port: number): Promise<{ server: FastifyInstance; port: number }> {
  const server = Fastify({ logger: false });
  server.get("/health", async (_req, reply) => reply.code(503).send({ status: "loading model" }));
  server.get("/v1/health", async (_req, reply) => reply.code(503).send({ status: "loading model" }));
  server.setNotFoundHandler(async (_req, reply) => {
    const e = new GhostlineError("model_loading");
    return reply.code(e.status).header("retry-after", "2").send(e.toJSON());
  });
  await server.listen({ host, port });
  const addr = server.server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : port };
}
