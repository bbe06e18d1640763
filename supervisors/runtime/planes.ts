/** The plane of a subject as a host treats it: commands are answered, market data conflates, events are kept. */
export type Plane = "cmd" | "md" | "evt";

export const planeOf = (subject: string): Plane =>
  subject.charCodeAt(3) === 99 /* c */ ? "cmd" : subject.startsWith("am.md.") || subject.startsWith("am.feed.") ? "md" : "evt";

/** The overflow policy of a plane's messages in a bounded mailbox. */
export const overflowOf = (plane: Plane): "reject" | "conflate" | "accept" =>
  plane === "cmd" ? "reject" : plane === "md" ? "conflate" : "accept";
