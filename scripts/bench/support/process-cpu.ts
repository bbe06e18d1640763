import { readFileSync } from "node:fs";

/** Linux reports process times in clock ticks of 1/100 s. */
const CLK_TCK = 100;
/** user+system CPU of a process (all its threads) in ms, from /proc/<pid>/stat */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}
