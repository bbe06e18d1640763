export * from "./connection/index.ts";
// the subjects only: the FIX endpoints themselves (and their engine) load from actors/venue/fix/index.ts
export { fixExchangeSubjects } from "./fix/bus.ts";
