/** One line of `out/provenance/notifications.jsonl`: one delivery attempt. */
export interface NotificationAttempt {
  readonly timestamp: string;
  /** groups the attempts of one notification */
  readonly notification_id: string;
  readonly channel: 'slack' | 'github-issue';
  readonly event: string;
  readonly tag: string;
  readonly run_id: number | null;
  readonly attempt: number;
  readonly outcome: 'delivered' | 'retry' | 'rejected' | 'failed';
  readonly status: number | null;
  readonly reason: string | null;
  /** this attempt's request time */
  readonly latency_ms: number;
  /** since the notification's first attempt started (includes backoff waits) */
  readonly elapsed_ms: number;
}

export interface NotificationMetrics {
  readonly notifications: number;
  readonly delivered: number;
  readonly attempts: number;
  /** delivered notifications over all notifications (null without any) */
  readonly notification_success_ratio: number | null;
  readonly attempt_latency_ms_p50: number | null;
  readonly attempt_latency_ms_p95: number | null;
  /** first attempt to delivery, for delivered notifications */
  readonly delivery_ms_p50: number | null;
  readonly delivery_ms_p95: number | null;
}

/** Nearest-rank percentile of a list (null when empty). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Success ratio and latencies from the attempt log; a notification is one (notification_id, channel). */
export function computeNotificationMetrics(records: readonly NotificationAttempt[]): NotificationMetrics {
  // one pass: per (notification_id, channel), the elapsed time of its first delivered attempt or -1
  const delivery = new Map<string, number>();
  const latencies = new Float64Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    latencies[i] = r.latency_ms;
    const key = r.channel === 'slack' ? `s${r.notification_id}` : `g${r.notification_id}`;
    const seen = delivery.get(key);
    if (r.outcome === 'delivered') {
      if (seen === undefined || seen < 0) delivery.set(key, r.elapsed_ms);
    } else if (seen === undefined) delivery.set(key, -1);
  }
  const delivered: number[] = [];
  for (const elapsed of delivery.values()) if (elapsed >= 0) delivered.push(elapsed);
  const notifications = delivery.size;
  latencies.sort();
  const deliveredSorted = Float64Array.from(delivered).sort();
  return {
    notifications,
    delivered: delivered.length,
    attempts: records.length,
    notification_success_ratio: notifications === 0 ? null : delivered.length / notifications,
    attempt_latency_ms_p50: sortedPercentile(latencies, 50),
    attempt_latency_ms_p95: sortedPercentile(latencies, 95),
    delivery_ms_p50: sortedPercentile(deliveredSorted, 50),
    delivery_ms_p95: sortedPercentile(deliveredSorted, 95),
  };
}

function sortedPercentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? null;
}

/** Parses the JSONL log, skipping lines that are not attempt records (counted in `skipped`). */
export function parseNotificationLog(text: string): { records: NotificationAttempt[]; skipped: number } {
  const records: NotificationAttempt[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as Partial<NotificationAttempt>;
      if (
        typeof v.notification_id === 'string' &&
        (v.channel === 'slack' || v.channel === 'github-issue') &&
        typeof v.latency_ms === 'number' &&
        typeof v.elapsed_ms === 'number' &&
        typeof v.outcome === 'string'
      ) {
        records.push(v as NotificationAttempt);
      } else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}
