import { mountFake, type FakeHandler, type FakeRequest, type FakeResponse } from './http-fake.js';

// A fake Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST of a JSON body with
// a non-empty `text` (blocks optional, checked against Block Kit limits) to the webhook's secret
// path. Answers 200 `ok`, or the scripted failures: 400 invalid_payload, 404 no_service,
// 429 rate limited with Retry-After, 500.

export type SlackAnswer = 'ok' | 'invalid_payload' | 'no_service' | 'rate_limited' | 'server_error';

export class FakeSlack {
  readonly requests: FakeRequest[] = [];
  /** messages accepted (parsed bodies) */
  readonly messages: { text: string; blocks?: unknown[] }[] = [];
  private readonly script: SlackAnswer[];

  constructor(
    readonly secretPath = '/services/T0000FAKE/B0000FAKE/abcdefghijklmnopqrstuvwx',
    script: readonly SlackAnswer[] = [],
    readonly retryAfterSeconds = 1,
  ) {
    this.script = [...script];
  }

  async mount(): Promise<string> {
    const m = await mountFake(this.handler);
    return `${m.url}${this.secretPath}`;
  }

  readonly handler: FakeHandler = (r) => {
    this.requests.push(r);
    return this.answer(r);
  };

  private answer(r: FakeRequest): FakeResponse {
    if (r.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (r.path !== this.secretPath) return { status: 404, body: 'no_service' };
    if (!(r.headers['content-type'] ?? '').startsWith('application/json'))
      return { status: 400, body: 'invalid_payload' };
    let body: { text?: unknown; blocks?: unknown };
    try {
      body = JSON.parse(r.body) as typeof body;
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    if (typeof body.text !== 'string' || body.text.trim() === '' || !blocksValid(body.blocks)) {
      return { status: 400, body: 'invalid_payload' };
    }
    const next = this.script.shift() ?? 'ok';
    switch (next) {
      case 'ok':
        this.messages.push(body as { text: string; blocks?: unknown[] });
        return { status: 200, headers: { 'content-type': 'text/html' }, body: 'ok' };
      case 'invalid_payload':
        return { status: 400, body: 'invalid_payload' };
      case 'no_service':
        return { status: 404, body: 'no_service' };
      case 'rate_limited':
        return {
          status: 429,
          headers: { 'retry-after': String(this.retryAfterSeconds) },
          body: 'rate_limited',
        };
      case 'server_error':
        return { status: 500, body: 'rollup_error' };
    }
  }
}

function blocksValid(blocks: unknown): boolean {
  if (blocks === undefined) return true;
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  return blocks.every(
    (b: {
      type?: unknown;
      text?: { text?: unknown; type?: unknown };
      fields?: unknown;
      elements?: unknown;
    }) => {
      if (b.type === 'header')
        return b.text?.type === 'plain_text' && typeof b.text.text === 'string' && b.text.text.length <= 150;
      if (b.type === 'section') {
        const fields = b.fields as { text?: unknown }[] | undefined;
        if (
          fields !== undefined &&
          (!Array.isArray(fields) ||
            fields.length > 10 ||
            fields.some((f) => typeof f.text !== 'string' || f.text.length > 2000))
        )
          return false;
        return fields !== undefined || (typeof b.text?.text === 'string' && b.text.text.length <= 3000);
      }
      if (b.type === 'context') return Array.isArray(b.elements) && b.elements.length <= 10;
      return false;
    },
  );
}
