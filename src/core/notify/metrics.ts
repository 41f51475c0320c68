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
  const byNotification = new Map<string, NotificationAttempt[]>();
  for (const r of records) {
    const key = `${r.notification_id}\u0000${r.channel}`;
    const list = byNotification.get(key) ?? [];
    list.push(r);
    byNotification.set(key, list);
  }
  let delivered = 0;
  const delivery: number[] = [];
  for (const list of byNotification.values()) {
    const ok = list.find((r) => r.outcome === 'delivered');
    if (ok !== undefined) {
      delivered++;
      delivery.push(ok.elapsed_ms);
    }
  }
  const latencies = records.map((r) => r.latency_ms);
  const notifications = byNotification.size;
  return {
    notifications,
    delivered,
    attempts: records.length,
    notification_success_ratio: notifications === 0 ? null : delivered / notifications,
    attempt_latency_ms_p50: percentile(latencies, 50),
    attempt_latency_ms_p95: percentile(latencies, 95),
    delivery_ms_p50: percentile(delivery, 50),
    delivery_ms_p95: percentile(delivery, 95),
  };
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
