/**
 * What a long run must not grow: JetStream consumers per stream (from the server's monitoring endpoint), and each
 * process's resident memory and open files (from /proc, so Linux only). The soak benchmark samples these every
 * minute and compares the first minute after warm-up with the last.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessGauge {
  pid: number;
  name: string;
  rssMb: number;
  openFiles: number;
}

export interface ResourceSample {
  /** consumers per stream, and their sum */
  consumers: Record<string, number>;
  consumerTotal: number;
  /** distinct subjects per stream: the server indexes each in memory (AM_EVT's follow the orders it still holds) */
  subjects: Record<string, number>;
  processes: ProcessGauge[];
}

interface Jsz {
  account_details?: { stream_detail?: { name: string; state: { consumer_count?: number; num_subjects?: number } }[] }[];
}

/** Consumers and distinct subjects on every stream of the server whose monitoring endpoint is `monitorUrl` (http://host:8222). */
export async function streamCounts(monitorUrl: string): Promise<{ consumers: Record<string, number>; subjects: Record<string, number> }> {
  const res = await fetch(`${monitorUrl}/jsz?streams=true`);
  if (!res.ok) throw new Error(`${monitorUrl}/jsz answered ${res.status}`);
  const consumers: Record<string, number> = {};
  const subjects: Record<string, number> = {};
  for (const a of ((await res.json()) as Jsz).account_details ?? []) {
    for (const s of a.stream_detail ?? []) {
      consumers[s.name] = s.state.consumer_count ?? 0;
      subjects[s.name] = s.state.num_subjects ?? 0;
    }
  }
  return { consumers, subjects };
}

function statOf(pid: number): { name: string; ppid: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), ppid: Number(rest[1]) };
}

/** Resident memory and open files of one process; undefined once it is gone. */
export function processGauge(pid: number): ProcessGauge | undefined {
  try {
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
    return { pid, name: statOf(pid).name, rssMb: Math.round(rssKb / 1024), openFiles: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** The process and its direct children (the node and its nats-server and QuestDB). */
export function processTree(pid: number): ProcessGauge[] {
  const out = [processGauge(pid)];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statOf(Number(entry)).ppid === pid) out.push(processGauge(Number(entry)));
    } catch {
      // a process that ended while we looked
    }
  }
  return out.filter((g): g is ProcessGauge => g !== undefined && !g.name.startsWith("bash") && !g.name.startsWith("esbuild"));
}

export async function sampleResources(monitorUrl: string, pid: number): Promise<ResourceSample> {
  const { consumers, subjects } = await streamCounts(monitorUrl);
  return { consumers, consumerTotal: Object.values(consumers).reduce((a, b) => a + b, 0), subjects, processes: processTree(pid) };
}

/** Growth from `first` to `last` as a fraction (0.1 = 10 %); from nothing to something counts as its size. */
export function growth(first: number, last: number): number {
  if (first <= 0) return Math.max(last, 0);
  return (last - first) / first;
}

/**
 * Several samples as one: each process's memory and open files, and the consumers, averaged by name over the
 * samples (a garbage-collected server's resident memory swings by a third between collections; a mean of a few
 * minutes follows its level, not where one minute's sample fell). Subjects and consumers per stream are the last
 * sample's.
 */
export function meanSample(samples: readonly ResourceSample[]): ResourceSample {
  if (samples.length === 0) throw new Error("meanSample: no samples");
  const last = samples[samples.length - 1]!;
  const mean = (of: (s: ResourceSample) => number | undefined): number => {
    const seen = samples.map(of).filter((v): v is number => v !== undefined);
    return seen.length ? Math.round((10 * seen.reduce((a, b) => a + b, 0)) / seen.length) / 10 : 0;
  };
  return {
    ...last,
    consumerTotal: mean((s) => s.consumerTotal),
    processes: last.processes.map((p) => ({
      ...p,
      rssMb: mean((s) => s.processes.find((q) => q.name === p.name)?.rssMb),
      openFiles: mean((s) => s.processes.find((q) => q.name === p.name)?.openFiles),
    })),
  };
}

/** The largest growth between two samples: consumers in all, and each process's memory and open files by name. */
export function resourceGrowth(
  first: ResourceSample,
  last: ResourceSample,
): { consumerGrowth: number; rssGrowth: number; fdGrowth: number } {
  let rssGrowth = 0;
  let fdGrowth = 0;
  for (const p of last.processes) {
    const before = first.processes.find((q) => q.name === p.name);
    if (!before) continue;
    rssGrowth = Math.max(rssGrowth, growth(before.rssMb, p.rssMb));
    fdGrowth = Math.max(fdGrowth, growth(before.openFiles, p.openFiles));
  }
  return { consumerGrowth: growth(first.consumerTotal, last.consumerTotal), rssGrowth, fdGrowth };
}
