import type { IngestAlert } from '../app/ingest.js';
import { notifyEvent } from '../app/notify.js';
import type { CommandContext } from './command.js';

/**
 * Alerts through `notify` (Slack) when SLACK_WEBHOOK_URL is set; otherwise nothing is sent.
 * `repeatAfterMs`: the same (repository, event, code) is not sent again within that time (`serve
 * --ingest-every` retries a failing ledger every few minutes; one alert an hour says it still fails).
 */
export function ingestAlertOf(
  ctx: CommandContext,
  options: { readonly repeatAfterMs?: number; readonly now?: () => number } = {},
): ((alert: IngestAlert) => Promise<void>) | undefined {
  const webhookUrl = ctx.env.SLACK_WEBHOOK_URL;
  if (webhookUrl === undefined || webhookUrl === '') return undefined;
  const sent = new Map<string, number>();
  const now = options.now ?? Date.now;
  return async (alert) => {
    if (options.repeatAfterMs !== undefined) {
      const key = `${alert.repository}\u0000${alert.event}\u0000${alert.code}`;
      const last = sent.get(key);
      if (last !== undefined && now() - last < options.repeatAfterMs) return;
      sent.set(key, now());
    }
    await notifyEvent({
      // one event for every failing ingest: the writers' ledger-history-rewritten text tells them
      // to flush a queued entry, which means nothing here; the code in the reason says what
      // happened. An accepted rewrite is not a failure: it has its own event and text.
      event: alert.event === 'ledger-rewrite-accepted' ? 'ledger-rewrite-accepted' : 'ingest-failed',
      subject: {
        tag: alert.repository,
        repository: alert.repository,
        failure_reason: `${alert.code}: ${alert.message}`.slice(0, 1000),
      },
      webhookUrl,
      logger: ctx.logger,
    });
  };
}
