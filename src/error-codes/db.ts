import type { Category } from './category.js';

// Database codes (DESIGN.md §5). Owned by the database work.
export const dbCodes = {
  DB_UNAVAILABLE: 'unavailable',
  DB_MIGRATION_FAILED: 'unavailable',
  DB_INGEST_FAILED: 'unavailable',
  DB_QUERY_FAILED: 'unavailable',
  DB_PERMISSION_DENIED: 'usage',
  SUPABASE_UNAVAILABLE: 'unavailable',
  SUPABASE_REJECTED: 'invalid-input',
} as const satisfies Record<string, Category>;
