import type { ChildHandle } from "./child.ts";
import type { Scheduler } from "./scheduler.ts";

/** Resolves true when the child had to be killed. A stop() that rejects is taken as a refusal: the child is killed. */
export function stopWithin(handle: ChildHandle, shutdownMs: number | "infinity", scheduler: Scheduler): Promise<boolean> {
  if (shutdownMs === 0) {
    handle.kill();
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (killed: boolean) => {
      if (done) return;
      done = true;
      cancel();
      if (killed) handle.kill();
      resolve(killed);
    };
    const cancel = shutdownMs === "infinity" ? () => {} : scheduler.setTimer(shutdownMs, () => finish(true));
    handle.stop("shutdown").then(
      () => finish(false),
      () => finish(true),
    );
  });
}
