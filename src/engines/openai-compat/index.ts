/** The OpenAI-compatible remote engine (vLLM, SGLang, llama-server, another Ghostline). */
export { createOpenAICompatEngine, type OpenAICompatOptions } from "./openai-compat-engine.js";
export { CircuitBreaker } from "./circuit-breaker.js";
export { sseData } from "./sse-lines.js";
