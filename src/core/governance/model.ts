// The parsed shape of a GitHub Actions workflow that the governance rules read. The YAML parsing
// (src/io/workflow-yaml.ts) fills it with 1-based line/column positions; the rules stay pure over it.

/** A 1-based position in a workflow file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A scalar value with where it was written. */
export interface Located<T> {
  readonly value: T;
  readonly pos: Position;
}

/** `read`, `write` or `none` for one scope of the GITHUB_TOKEN. */
export type PermissionLevel = 'read' | 'write' | 'none';

export type PermissionsModel =
  | { readonly kind: 'map'; readonly pos: Position; readonly scopes: readonly ScopeGrant[] }
  | { readonly kind: 'read-all' | 'write-all'; readonly pos: Position }
  /** anything else (a number, an unknown keyword): GitHub rejects it; we treat it as unsafe */
  | { readonly kind: 'invalid'; readonly pos: Position; readonly text: string };

export interface ScopeGrant {
  readonly scope: string;
  /** `undefined` when the value is not one of read/write/none */
  readonly level: PermissionLevel | undefined;
  readonly pos: Position;
}

export interface ConcurrencyModel {
  readonly pos: Position;
  /** the group as written (may contain expressions); undefined when absent */
  readonly group: string | undefined;
  /** `true`/`false`, or the expression text; undefined when absent (GitHub's default is false) */
  readonly cancelInProgress: boolean | string | undefined;
}

/** Every scalar of a step, job or workflow, with its path, so rules can search text with positions. */
export interface TextNode {
  /** keys from the document root, e.g. ['jobs', 'release', 'steps', 2, 'env', 'TOKEN'] */
  readonly path: readonly (string | number)[];
  readonly value: string;
  readonly pos: Position;
  /** a mapping key rather than a value */
  readonly isKey: boolean;
}

export interface UsesRef {
  readonly value: string;
  readonly pos: Position;
  /** the comment on the same line, without `#` (e.g. `v4.2.2`), if any */
  readonly comment: string | undefined;
}

/**
 * The action or reusable workflow a `uses:` names, without its `@ref`, in the one form the rules
 * compare. GitHub resolves a repository's OWNER and NAME in any letter case
 * (`Actions/Checkout@v4` runs `actions/checkout`), so those two parts are lower-cased; a path inside
 * the repository (`owner/repo/path/to/action`, `.github/workflows/x.yml`) is a file path and stays
 * as written, as do a local `./…` action and a `docker://` image.
 */
export function usesName(uses: string): string {
  const value = uses.trim();
  const at = value.indexOf('@');
  const name = at === -1 ? value : value.slice(0, at);
  if (name.startsWith('./') || name.startsWith('docker://')) return name;
  const parts = name.split('/');
  return parts.map((p, i) => (i < 2 ? p.toLowerCase() : p)).join('/');
}

export interface StepModel {
  readonly index: number;
  readonly pos: Position;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly uses: UsesRef | undefined;
  readonly run: Located<string> | undefined;
  /** `with:` inputs as text */
  readonly with: Readonly<Record<string, Located<string>>>;
  readonly env: Readonly<Record<string, Located<string>>>;
}

export interface JobModel {
  readonly id: string;
  readonly pos: Position;
  readonly permissions: PermissionsModel | undefined;
  readonly concurrency: ConcurrencyModel | undefined;
  /** a reusable-workflow call (`jobs.<id>.uses`) */
  readonly uses: UsesRef | undefined;
  /** the job's `if:` condition as written */
  readonly if?: Located<string> | undefined;
  /** `secrets:` of a reusable-workflow call: `inherit`, or the names passed */
  readonly secrets?: Located<string> | undefined;
  /** the jobs of `needs:` */
  readonly needs?: readonly string[] | undefined;
  readonly env: Readonly<Record<string, Located<string>>>;
  readonly steps: readonly StepModel[];
}

export interface WorkflowModel {
  /** the path shown in findings (relative to the repository root, forward slashes) */
  readonly file: string;
  readonly name: string | undefined;
  /** event names of `on:` with their positions */
  readonly triggers: readonly Located<string>[];
  /** the position of the `on:` key (or 1:1) */
  readonly triggersPos: Position;
  readonly permissions: PermissionsModel | undefined;
  readonly concurrency: ConcurrencyModel | undefined;
  readonly jobs: readonly JobModel[];
  readonly texts: readonly TextNode[];
}
