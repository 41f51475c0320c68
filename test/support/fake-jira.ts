import { mountFake, type FakeHandler, type FakeRequest, type FakeResponse } from './http-fake.js';

// A fake Jira Cloud REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/):
// `GET /rest/api/3/issue/{key}?fields=status,labels` with Basic auth (email:API token); 200 with
// the fields, 404 for an unknown (or invisible) issue, 401 for bad credentials.

export interface FakeJiraIssue {
  readonly status: string;
  /** new | indeterminate | done */
  readonly category: 'new' | 'indeterminate' | 'done';
  readonly labels: readonly string[];
}

export class FakeJira {
  readonly requests: FakeRequest[] = [];
  constructor(
    readonly email: string,
    readonly apiToken: string,
    readonly issues: Readonly<Record<string, FakeJiraIssue>>,
  ) {}

  async mount(): Promise<string> {
    return (await mountFake(this.handler)).url;
  }

  readonly handler: FakeHandler = (r) => {
    this.requests.push(r);
    return this.answer(r);
  };

  private answer(r: FakeRequest): FakeResponse {
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString('base64')}`;
    if (r.headers.authorization !== expected)
      return { status: 401, body: { errorMessages: ['You are not authenticated.'] } };
    const m = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(r.path);
    if (r.method !== 'GET' || m === null) return { status: 404, body: { errorMessages: ['Not found'] } };
    const fields = (r.query.get('fields') ?? '').split(',').filter(Boolean).sort();
    if (fields.join(',') !== 'labels,status')
      return { status: 400, body: { errorMessages: ['expected fields=status,labels'] } };
    const key = decodeURIComponent(m[1]!);
    const issue = this.issues[key];
    if (issue === undefined) {
      return {
        status: 404,
        body: {
          errorMessages: ['Issue does not exist or you do not have permission to see it.'],
          errors: {},
        },
      };
    }
    return {
      status: 200,
      body: {
        id: '10001',
        key,
        fields: {
          status: { name: issue.status, statusCategory: { key: issue.category, name: issue.category } },
          labels: issue.labels,
        },
      },
    };
  }
}
