/** Latency samples in milliseconds, summarized; every figure of the bench comes through here. */
export interface Summary {
  count: number;
  median: number;
  p99: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { count: sorted.length, median: pick(0.5), p99: pick(0.99) };
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs each contender in turn, one call at a time, `rounds` times after `warmup` rounds, and
 * returns every call's latency by name. Interleaving gives each the same share of whatever else
 * the machine is doing, so the ratios hold even when absolute times drift.
 */
export async function interleaved<K extends string>(
  contenders: Record<K, () => Promise<unknown>>,
  { warmup, rounds }: { warmup: number; rounds: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      await contenders[name]();
      if (round >= warmup) samples[name].push(msSince(start));
    }
  }
  return samples;
}

/**
 * Microseconds per call of a fast, I/O-free function: batches of `batch` calls, each batch
 * timed as a whole, contenders interleaved batch by batch; the median batch is reported.
 */
export async function microsecondsPerCall<K extends string>(
  contenders: Record<K, () => Promise<unknown>>,
  { batches, batch }: { batches: number; batch: number },
): Promise<Record<K, number>> {
  const run = Object.fromEntries(
    Object.entries<() => Promise<unknown>>(contenders).map(([name, once]) => [
      name,
      async () => {
        for (let i = 0; i < batch; i++) await once();
      },
    ]),
  ) as Record<K, () => Promise<unknown>>;
  const samples = await interleaved(run, { warmup: Math.max(2, Math.ceil(batches / 5)), rounds: batches });
  return Object.fromEntries(Object.entries<number[]>(samples).map(([name, times]) => [name, (summarize(times).median * 1000) / batch])) as Record<K, number>;
}
