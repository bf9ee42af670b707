/** PLACEHOLDER (owner: feedback helper) — replaced by the real /v1/feedback, /dashboard routes. */
import type { FastifyInstance } from "fastify";
/** Registers feedback ingestion, metrics JSON and dashboard routes. */
export async function registerFeedbackRoutes(_app: FastifyInstance, _deps: unknown): Promise<void> {}
