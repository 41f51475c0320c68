import type { Category } from './category.js';

// Dashboard and read-only JSON API codes (`serve`). Codes are API: never rename one, only add.
// Over HTTP: the `usage` codes answer 400, DASHBOARD_NOT_FOUND and DASHBOARD_RUN_NOT_FOUND 404,
// DASHBOARD_METHOD_NOT_ALLOWED 405, DASHBOARD_HOST_REFUSED 421, DASHBOARD_CROSS_SITE_REFUSED 403;
// DASHBOARD_REQUEST_MALFORMED (a request node:http could not read) 400, 408 or 431,
// DASHBOARD_BODY_REFUSED 413, DASHBOARD_RATE_LIMITED 429, DASHBOARD_TOO_MANY_CONNECTIONS 503.
export const dashboardCodes = {
  DASHBOARD_PARAM_INVALID: 'usage',
  DASHBOARD_PARAM_UNKNOWN: 'usage',
  DASHBOARD_PATH_INVALID: 'usage',
  DASHBOARD_NOT_FOUND: 'invalid-input',
  DASHBOARD_RUN_NOT_FOUND: 'invalid-input',
  DASHBOARD_METHOD_NOT_ALLOWED: 'usage',
  DASHBOARD_HOST_REFUSED: 'usage',
  DASHBOARD_CROSS_SITE_REFUSED: 'usage',
  DASHBOARD_REQUEST_MALFORMED: 'usage',
  /** a request that announced a body (the API is read-only: none is ever read) */
  DASHBOARD_BODY_REFUSED: 'usage',
  /** a client address past its `--rate-limit` (with `Retry-After`) */
  DASHBOARD_RATE_LIMITED: 'unavailable',
  /** a connection past the server's or the client address's connection cap */
  DASHBOARD_TOO_MANY_CONNECTIONS: 'unavailable',
  DASHBOARD_LISTEN_FAILED: 'unavailable',
  DASHBOARD_ASSETS_MISSING: 'internal',
} as const satisfies Record<string, Category>;
