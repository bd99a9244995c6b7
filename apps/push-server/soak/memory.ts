/** One reading of a server node's memory, taken once a minute. */
export interface MemorySample {
  /** Minutes since the soak started. */
  minute: number;
  node: string;
  /** Which life of the node (0 before its first restart): a restart starts a new segment. */
  life: number;
  rssBytes: number;
  /** V8 heap in use, from the node's own /metrics; undefined when it could not be read. */
  heapUsedBytes: number | undefined;
}

export interface SlopeFit {
  /** Growth per hour, in MiB. */
  mibPerHour: number;
  /** Standard deviation of the samples around the fitted line, in MiB: the noise. */
  noiseMib: number;
  /** Growth over the segment the fit covers, in MiB. */
  growthMib: number;
  samples: number;
}

const MIB = 1024 * 1024;

/** Least-squares line through (minute, bytes); undefined below three points. */
export function fitSlope(points: readonly { minute: number; bytes: number }[]): SlopeFit | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.minute, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.bytes, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.minute - meanX) * (p.bytes - meanY);
    sxx += (p.minute - meanX) ** 2;
  }
  const perMinute = sxx === 0 ? 0 : sxy / sxx;
  const residuals = points.map((p) => p.bytes - (meanY + perMinute * (p.minute - meanX)));
  const noise = Math.sqrt(residuals.reduce((sum, r) => sum + r * r, 0) / Math.max(1, n - 2));
  const span = (points[n - 1]?.minute ?? 0) - (points[0]?.minute ?? 0);
  return { mibPerHour: (perMinute * 60) / MIB, noiseMib: noise / MIB, growthMib: (perMinute * span) / MIB, samples: n };
}

export interface SegmentSlopes {
  node: string;
  life: number;
  heap: SlopeFit | undefined;
  rss: SlopeFit | undefined;
  /**
   * Flat within noise: the heap grew less than three times its own scatter, or less than
   * 2 MiB over the segment (V8 sizes its heap in steps of about that).
   */
  flat: boolean;
}

/**
 * Slopes per node life. The first `warmupMinutes` of each life are left out: a fresh process
 * fills caches, JIT code and connection buffers before it settles.
 */
export function segmentSlopes(samples: readonly MemorySample[], warmupMinutes: number): SegmentSlopes[] {
  const lives = new Map<string, MemorySample[]>();
  for (const sample of samples) {
    const key = `${sample.node}#${sample.life}`;
    const list = lives.get(key) ?? [];
    if (list.length === 0) lives.set(key, list);
    list.push(sample);
  }
  const out: SegmentSlopes[] = [];
  for (const list of lives.values()) {
    const first = list[0] as MemorySample;
    const settled = list.filter((s) => s.minute - first.minute >= warmupMinutes);
    const heap = fitSlope(settled.flatMap((s) => (s.heapUsedBytes === undefined ? [] : [{ minute: s.minute, bytes: s.heapUsedBytes }])));
    const rss = fitSlope(settled.map((s) => ({ minute: s.minute, bytes: s.rssBytes })));
    const flat = heap === undefined || heap.growthMib < Math.max(2, 3 * heap.noiseMib);
    out.push({ node: first.node, life: first.life, heap, rss, flat });
  }
  return out;
}
