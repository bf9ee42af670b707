/** PLACEHOLDER (owner: clients helper) — replaced by the Monaco playground served at `/`. */
import type { FastifyInstance } from "fastify";
/** Registers the playground page and its static assets. */
export async function registerPlaygroundRoutes(_app: FastifyInstance, _deps: unknown): Promise<void> {}
