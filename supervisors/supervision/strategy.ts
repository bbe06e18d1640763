/** How a supervisor answers a child's failure: which of its children go down and come back with it. */
export const RestartStrategy = {
  /** restart only the failed child */
  OneForOne: "one_for_one",
  /** stop all children, restart them all */
  OneForAll: "one_for_all",
  /** stop the children started after the failed one, restart it and them */
  RestForOne: "rest_for_one",
  /** one_for_one over children made at run time from one template, one per id (OTP's simple_one_for_one) */
  Dynamic: "dynamic",
} as const;
export type RestartStrategy = (typeof RestartStrategy)[keyof typeof RestartStrategy];

/** The children a failure of `failed` takes down under `strategy`, in start order. Stopped children stay stopped. */
export function affectedBy<R extends { status: string }>(strategy: RestartStrategy, children: readonly R[], failed: R): R[] {
  const live = (r: R) => r === failed || r.status !== "stopped";
  if (strategy === RestartStrategy.OneForAll) return children.filter(live);
  if (strategy === RestartStrategy.RestForOne) return children.slice(children.indexOf(failed)).filter(live);
  return [failed];
}
