// The limits every parse of outside input is held to (docs/limits.md). One table, so the docs, the
// readers and the tests name the same numbers. A limit is checked before or while parsing: bytes
// before the text is decoded, depth, string lengths, array lengths and keys per object while the
// scanner walks the text, so no input costs more than its limit in time or memory.

/** What a JSON document may hold. */
export interface JsonLimits {
  /** bytes of the whole document (checked before decoding) */
  readonly maxBytes: number;
  /** nesting of arrays and objects (the top-level value is depth 1) */
  readonly maxDepth: number;
  /** UTF-16 code units of one string, keys included, after unescaping */
  readonly maxStringLength: number;
  /** elements of one array */
  readonly maxArrayLength: number;
  /** members of one object */
  readonly maxObjectKeys: number;
  /**
   * Also refuse keys that differ only in case (`subject` beside `Subject`): Go's encoding/json
   * (slsa-verifier, in-toto-golang, sigstore-go) matches struct fields case-insensitively, so two
   * verifiers would read different values from one signed document.
   */
  readonly caseInsensitiveKeys: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The named profiles. Day files hold at most `entriesPerDayFile` entries; a 10,000-entry day file
 * is ~3.6 MiB, so the byte limit leaves room for ~80,000 plain entries while refusing the
 * "540 MB of whitespace" file before it is decoded.
 */
export const limits = {
  /** a ledger day file (`manifest.json`), from a work tree or a git blob */
  dayFile: {
    maxBytes: 32 * MiB,
    maxDepth: 8,
    maxStringLength: 8 * KiB,
    maxArrayLength: 50_000,
    maxObjectKeys: 64,
    caseInsensitiveKeys: false,
  },
  /** one entry given to `record --entry` (file or stdin) */
  entry: {
    maxBytes: 1 * MiB,
    maxDepth: 8,
    maxStringLength: 8 * KiB,
    maxArrayLength: 10_000,
    maxObjectKeys: 64,
    caseInsensitiveKeys: false,
  },
  /** the local queue file and the queue branch's files */
  queueFile: {
    maxBytes: 32 * MiB,
    maxDepth: 10,
    maxStringLength: 8 * KiB,
    maxArrayLength: 50_000,
    maxObjectKeys: 64,
    caseInsensitiveKeys: false,
  },
  /**
   * signed documents: Sigstore bundles, DSSE envelopes, in-toto statements (decoded payloads),
   * VSAs, signed ledger transitions. Case-variant keys are refused (Go's matching, above).
   */
  signed: {
    maxBytes: 32 * MiB,
    maxDepth: 64,
    maxStringLength: 32 * MiB,
    maxArrayLength: 100_000,
    maxObjectKeys: 1_000,
    caseInsensitiveKeys: true,
  },
  /**
   * one line of a signed ledger log (`transitions.jsonl`, `vsa.jsonl` beside a day file): a Sigstore
   * bundle whose DSSE payload holds one entry state. 2 MiB covers a 1 MiB entry in base64 plus a
   * certificate and transparency-log proof; case-variant keys refused as in every signed document.
   */
  transitionLine: {
    maxBytes: 2 * MiB,
    maxDepth: 32,
    maxStringLength: 2 * MiB,
    maxArrayLength: 10_000,
    maxObjectKeys: 100,
    caseInsensitiveKeys: true,
  },
  /** a Sigstore `trusted_root.json` */
  trustedRoot: {
    maxBytes: 4 * MiB,
    maxDepth: 16,
    maxStringLength: 1 * MiB,
    maxArrayLength: 1_000,
    maxObjectKeys: 100,
    caseInsensitiveKeys: true,
  },
  /** a JSON answer of an HTTP API (GitHub, Slack, Supabase) */
  apiResponse: {
    maxBytes: 32 * MiB,
    maxDepth: 64,
    maxStringLength: 32 * MiB,
    maxArrayLength: 100_000,
    maxObjectKeys: 10_000,
    caseInsensitiveKeys: false,
  },
  /** small JSON files of the tool's own (lock owner, witness, state) */
  state: {
    maxBytes: 1 * MiB,
    maxDepth: 16,
    maxStringLength: 64 * KiB,
    maxArrayLength: 10_000,
    maxObjectKeys: 1_000,
    caseInsensitiveKeys: false,
  },
} as const satisfies Record<string, JsonLimits>;

export type JsonLimitsName = keyof typeof limits;

/** Limits that are not about JSON. */
export const otherLimits = {
  /** a YAML file: `.slsa-ledger.yml`, a workflow file */
  yamlBytes: 1 * MiB,
  /** YAML alias expansions (the `yaml` library's maxAliasCount) */
  yamlAliases: 100,
  /** YAML nesting depth (an upper bound from the lexer, checked before the composer, which recurses) */
  yamlDepth: 64,
  /** scalars and keys `audit-workflows` reads from one workflow, aliases expanded */
  workflowTextNodes: 200_000,
  /**
   * bytes of day files one read of the ledger holds at once: a commit's day files (`check`,
   * `ingest`, `validate --repo`, a writer's full read), one step of `check`'s history. Each file is
   * within `dayFile.maxBytes`, but a pusher can name one 32 MiB blob under hundreds of day paths
   * for the price of one (a 400 KB push made `check` die at 12 GB). Past the total, the largest
   * files are not read (`admitWithinBudget`); the five-year bench ledger is ~27 MiB.
   */
  ledgerReadBytes: 256 * MiB,
  /** bytes of one signed ledger log (`transitions.jsonl`, `vsa.jsonl`); 10,000 keyless-signed entries with a verdict each are ~150 MiB */
  ledgerLogBytes: 256 * MiB,
  /**
   * bytes of signed logs (and day files) `check`'s trust audit and `ingest` hold at once: they read
   * the days at a commit in groups of at most this much, in path order (one day is a group whatever
   * its size: each of its logs is within `ledgerLogBytes`), so every log of a ledger of any size is
   * read and verified while memory holds one group.
   */
  ledgerLogsReadBytes: 1024 * MiB,
  /**
   * bytes of log blobs read again under another log path in one read of a commit (the smallest
   * first): a pusher can name one 256 MiB blob as the log of every day for the price of one, and
   * each copy would be read and verified again; past this, a repeat is listed, not read, and is a
   * `CHECK_SIGNATURE_INVALID` finding. A ledger's own logs are never byte-identical (every line is
   * signed for its day file), so only coincidences such as empty logs use it.
   */
  ledgerLogsRepeatBytes: 256 * MiB,
  /** lines of one signed ledger log */
  ledgerLogLines: 200_000,
  /**
   * a log segment's size at which writers start the next segment (docs/trust.md "Storage layout"):
   * a writer reads and rewrites at most this much of a day's log, however many changes the day holds
   */
  ledgerLogSegmentBytes: 256 * KiB,
  /** the highest segment number of a day's log (`transitions.<n>.jsonl`); a name above it is no segment */
  ledgerLogSegments: 4096,
  /**
   * bytes of the attestations API's answers for one digest together (`verify --repo/--owner`): the
   * pages and the downloaded bundles (after snappy). Each is within its own limit, but up to 1,000
   * attestations of 32 MiB each were held at once; GitHub's own are ~10 KiB each.
   */
  attestationsBytes: 256 * MiB,
  /** how far ahead of the clock an entry's timestamp may be (clock skew allowance), in seconds */
  futureSkewS: 300,
} as const;
