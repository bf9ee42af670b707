import type { FamilySpec } from "./types.js";

/**
 * A model without FIM tokens: the prompt is the (comment-annotated) prefix, continued left to right.
 * The suffix is not shown to the model; postprocess's suffix-overlap filter stops at it.
 */
export const genericFamily: FamilySpec = {
  family: "generic",
  bos: true,
  layout: [
    { kind: "slot", slot: "extra" },
    { kind: "slot", slot: "prefix" },
  ],
  extraMode: "comment",
  stopTokens: [],
  stopStrings: [],
};
