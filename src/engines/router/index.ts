/** Several engine replicas behind one Engine: bounded-load consistent hashing, failover, draining. */
export { createRouterEngine, type RouterEngine, type RouterOptions, type RouterReplica, type ReplicaStatus } from "./router-engine.js";
export { HashRing, hash32 } from "./hash-ring.js";
