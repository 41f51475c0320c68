// Parses GitHub workflow YAML into the governance model with 1-based line/column positions, using
// the `yaml` package's document API and a LineCounter. Only the shape the rules need is read.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Pair } from 'yaml';
import type {
  ConcurrencyModel,
  JobModel,
  Located,
  PermissionsModel,
  Position,
  StepModel,
  TextNode,
  UsesRef,
  WorkflowModel,
} from '../core/governance/model.js';
import { parseBoundedYaml } from '../core/input/bounded-yaml.js';
import { otherLimits } from '../core/input/limits.js';
import { SlsaLedgerError } from '../errors.js';

type Path = readonly (string | number)[];

function positionOf(lc: LineCounter, node: unknown): Position {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  const p = lc.linePos(range?.[0] ?? 0);
  return { line: p.line, column: p.col };
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

// YAML anchors and aliases (GitHub Actions accepts them): an alias reads as the node it names.
let currentDoc: Document | undefined;
function deref(node: unknown): unknown {
  if (isAlias(node) && currentDoc !== undefined) return node.resolve(currentDoc);
  return node;
}

function scalarText(node: unknown): string | undefined {
  const n = deref(node);
  return isScalar(n) ? textOf(n.value) : undefined;
}

function pairs(node: unknown): Pair[] {
  const n = deref(node);
  return isMap(n) ? n.items : [];
}

function keyOf(pair: Pair): string {
  return scalarText(pair.key) ?? '';
}

function get(node: unknown, key: string): Pair | undefined {
  return pairs(node).find((p) => keyOf(p) === key);
}

function located(lc: LineCounter, node: unknown): Located<string> | undefined {
  const text = scalarText(node);
  return text === undefined ? undefined : { value: text, pos: positionOf(lc, node) };
}

function stringMap(lc: LineCounter, node: unknown): Record<string, Located<string>> {
  const out: Record<string, Located<string>> = {};
  for (const p of pairs(node)) {
    const v = located(lc, p.value);
    if (v !== undefined) out[keyOf(p)] = v;
  }
  return out;
}

function parsePermissions(lc: LineCounter, pair: Pair | undefined): PermissionsModel | undefined {
  if (pair === undefined) return undefined;
  const pos = positionOf(lc, pair.key);
  // every value is read through its alias (`permissions: *perms`), as GitHub reads it
  const node = deref(pair.value);
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
    return { kind: 'map', pos, scopes: [] };
  }
  if (isMap(node)) {
    return {
      kind: 'map',
      pos,
      scopes: node.items.map((p) => {
        const level = scalarText(p.value);
        return {
          scope: keyOf(p),
          level: level === 'read' || level === 'write' || level === 'none' ? level : undefined,
          pos: positionOf(lc, p.key),
        };
      }),
    };
  }
  const text = scalarText(node) ?? '';
  if (text === 'read-all' || text === 'write-all') return { kind: text, pos };
  return { kind: 'invalid', pos, text };
}

function parseConcurrency(lc: LineCounter, pair: Pair | undefined): ConcurrencyModel | undefined {
  if (pair === undefined) return undefined;
  const pos = positionOf(lc, pair.key);
  const value = deref(pair.value);
  if (isMap(value)) {
    const cancel = deref(get(value, 'cancel-in-progress')?.value);
    const cancelText = isScalar(cancel) ? cancel.value : undefined;
    return {
      pos,
      group: scalarText(get(value, 'group')?.value),
      cancelInProgress:
        typeof cancelText === 'boolean'
          ? cancelText
          : cancelText === undefined
            ? undefined
            : textOf(cancelText),
    };
  }
  // `concurrency: name` is a group with GitHub's default cancel-in-progress: false
  return { pos, group: scalarText(value), cancelInProgress: undefined };
}

function parseUses(lc: LineCounter, text: string, node: unknown): UsesRef | undefined {
  const v = located(lc, node);
  if (v === undefined) return undefined;
  const range = (node as { range?: [number, number, number] }).range;
  // the comment after the value on the same line (`uses: a/b@sha # v1.2.3`)
  const end = range?.[1] ?? 0;
  const lineEnd = text.indexOf('\n', end);
  const rest = text.slice(end, lineEnd === -1 ? undefined : lineEnd);
  const m = /^\s*#\s*(.*?)\s*$/.exec(rest);
  return { ...v, comment: m?.[1] };
}

function parseStep(lc: LineCounter, text: string, node: unknown, index: number): StepModel {
  const run = located(lc, get(node, 'run')?.value);
  return {
    index,
    pos: positionOf(lc, node),
    id: scalarText(get(node, 'id')?.value),
    name: scalarText(get(node, 'name')?.value),
    uses: parseUses(lc, text, get(node, 'uses')?.value),
    run,
    with: stringMap(lc, get(node, 'with')?.value),
    env: stringMap(lc, get(node, 'env')?.value),
  };
}

function parseJob(lc: LineCounter, text: string, pair: Pair): JobModel {
  const node = deref(pair.value);
  const steps = deref(get(node, 'steps')?.value);
  const secrets = get(node, 'secrets');
  return {
    id: keyOf(pair),
    pos: positionOf(lc, pair.key),
    permissions: parsePermissions(lc, get(node, 'permissions')),
    concurrency: parseConcurrency(lc, get(node, 'concurrency')),
    uses: parseUses(lc, text, get(node, 'uses')?.value),
    if: located(lc, get(node, 'if')?.value),
    needs: ((n) =>
      isSeq(n)
        ? n.items.map((i) => scalarText(i) ?? '')
        : scalarText(n) === undefined
          ? []
          : [scalarText(n) ?? ''])(deref(get(node, 'needs')?.value)),
    secrets:
      secrets === undefined
        ? undefined
        : (located(lc, secrets.value) ?? {
            value: pairs(secrets.value)
              .map((p) => keyOf(p))
              .join(','),
            pos: positionOf(lc, secrets.key),
          }),
    env: stringMap(lc, get(node, 'env')?.value),
    steps: isSeq(steps) ? steps.items.map((s, i) => parseStep(lc, text, deref(s), i)) : [],
  };
}

function collectTexts(
  lc: LineCounter,
  node: unknown,
  path: Path,
  out: TextNode[],
  file: string,
  depth = 0,
): void {
  if (depth > otherLimits.yamlDepth) {
    // only aliases nest a read this deep (the text itself is within the depth limit): refused, never
    // cut short, so no text hides below the cut
    throw new SlsaLedgerError(
      'WORKFLOW_INVALID',
      `${file}: nests more than ${otherLimits.yamlDepth} levels deep once its aliases are expanded (docs/limits.md)`,
      { details: { file, limit: 'depth', max: otherLimits.yamlDepth } },
    );
  }
  // aliases are read where they are used (a `run: *script` is a run step's text), so the texts of
  // an alias are read once per use: bounded, as the expansion of an alias bomb is not
  if (out.length > otherLimits.workflowTextNodes) {
    throw new SlsaLedgerError(
      'WORKFLOW_INVALID',
      `${file}: more than ${otherLimits.workflowTextNodes} keys and values once its aliases are expanded (docs/limits.md)`,
      { details: { file, limit: 'nodes', max: otherLimits.workflowTextNodes } },
    );
  }
  node = deref(node);
  if (isMap(node)) {
    for (const p of node.items) {
      const key = keyOf(p);
      if (isScalar(p.key))
        out.push({ path: [...path, key], value: key, pos: positionOf(lc, p.key), isKey: true });
      collectTexts(lc, p.value, [...path, key], out, file, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectTexts(lc, item, [...path, i], out, file, depth + 1));
  } else if (isPair(node)) {
    collectTexts(lc, node.value, path, out, file, depth + 1);
  } else {
    const t = scalarText(node);
    if (t !== undefined) out.push({ path, value: t, pos: positionOf(lc, node), isKey: false });
  }
}

function parseTriggers(lc: LineCounter, pair: Pair | undefined): Located<string>[] {
  if (pair === undefined) return [];
  const node = deref(pair.value);
  if (isScalar(node)) {
    const v = located(lc, node);
    return v === undefined ? [] : [v];
  }
  if (isSeq(node)) return node.items.map((i) => located(lc, i)).filter((v) => v !== undefined);
  return pairs(node).map((p) => ({ value: keyOf(p), pos: positionOf(lc, p.key) }));
}

/**
 * Parses one workflow file. YAML errors and a document that is not a workflow mapping are
 * WORKFLOW_INVALID (exit 3), naming the file and line.
 */
export function parseWorkflowYaml(text: string, file: string): WorkflowModel {
  const lc = new LineCounter();
  const doc = parseBoundedYaml(text, { what: file, invalidCode: 'WORKFLOW_INVALID', lineCounter: lc });
  currentDoc = doc;
  try {
    return buildModel(lc, text, file, doc);
  } finally {
    currentDoc = undefined;
  }
}

function buildModel(lc: LineCounter, text: string, file: string, doc: Document): WorkflowModel {
  const root = doc.contents;
  if (!isMap(root) || get(root, 'jobs') === undefined || !isMap(deref(get(root, 'jobs')?.value))) {
    throw new SlsaLedgerError('WORKFLOW_INVALID', `${file}: not a workflow: expected a mapping with 'jobs'`, {
      details: { file },
    });
  }
  // `on` is a YAML 1.1 boolean in some parsers; the yaml package (1.2 core) keeps it a string key
  const on = get(root, 'on');
  const texts: TextNode[] = [];
  collectTexts(lc, root, [], texts, file);
  return {
    file,
    name: scalarText(get(root, 'name')?.value),
    triggers: parseTriggers(lc, on),
    triggersPos: on === undefined ? { line: 1, column: 1 } : positionOf(lc, on.key),
    permissions: parsePermissions(lc, get(root, 'permissions')),
    concurrency: parseConcurrency(lc, get(root, 'concurrency')),
    jobs: pairs(get(root, 'jobs')?.value).map((p) => parseJob(lc, text, p)),
    texts,
  };
}
