// Expressions as GitHub evaluates them, with @actions/expressions (the language service's own
// evaluator): contexts are plain JSON here, converted to its data model; the status functions
// (success, failure, always, cancelled) are the runner's and are given per job or step.
// https://docs.github.com/actions/reference/workflows-and-actions/expressions
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
  type TemplateToken,
} from './workflow-parser.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Contexts = Readonly<Record<string, Json>>;

/** What the status functions see: the job's (or step's) view of what failed so far. */
export interface StatusView {
  /** a dependency (for a job) or an earlier step (for a step) failed */
  readonly failed: boolean;
  readonly cancelled: boolean;
}

const contextNames = [
  'github',
  'env',
  'vars',
  'secrets',
  'inputs',
  'needs',
  'steps',
  'job',
  'runner',
  'strategy',
  'matrix',
  'jobs',
];

function toData(value: Json): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

function fromData(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer)) as Json;
}

function statusFunctions(status: StatusView): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    fn('success', () => !status.failed && !status.cancelled),
    fn('failure', () => status.failed),
    fn('always', () => true),
    fn('cancelled', () => status.cancelled),
    [
      'hashfiles',
      {
        name: 'hashFiles',
        minArgs: 1,
        maxArgs: 255,
        call: () => {
          throw new Error('hashFiles() has no stand-in in the rehearsal');
        },
      },
    ],
  ]);
}

const noStatus: StatusView = { failed: false, cancelled: false };

/** Evaluates one expression (without `${{ }}`). */
export function evaluate(expression: string, contexts: Contexts, status: StatusView = noStatus): Json {
  const lexed = new Lexer(expression).lex();
  const functions = statusFunctions(status);
  const parser = new Parser(
    lexed.tokens,
    contextNames,
    [...functions.values()].map(({ name, minArgs, maxArgs }) => ({ name, minArgs, maxArgs })),
  );
  const dict = new data.Dictionary(
    ...Object.entries(contexts).map(([key, value]) => ({ key, value: toData(value) })),
  );
  const result = new Evaluator(parser.parse(), dict, functions).evaluate();
  return fromData(result);
}

/** GitHub's truthiness: false, 0, -0, '', null and NaN are false. */
export function truthy(value: Json): boolean {
  if (value === null || value === false || value === '') return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return true;
}

/** A value as text, as GitHub writes it into a string (objects as JSON). */
export function asText(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(value, null, 2);
}

/** Evaluates a template token (literal, expression, mapping, sequence) to JSON. */
export function evaluateToken(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status?: StatusView,
): Json {
  if (token === undefined) return null;
  if (isBasicExpression(token)) return evaluate(token.expression, contexts, status);
  if (isString(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isMapping(token)) {
    const out: Record<string, Json> = {};
    for (const pair of token)
      out[asText(evaluateToken(pair.key, contexts, status))] = evaluateToken(pair.value, contexts, status);
    return out;
  }
  if (isSequence(token)) return [...token].map((t) => evaluateToken(t, contexts, status));
  return null;
}

/** A mapping token evaluated to text values (env:, with:, outputs:). */
export function evaluateStringMap(
  token: TemplateToken | undefined,
  contexts: Contexts,
): Record<string, string> {
  const value = evaluateToken(token, contexts);
  const out: Record<string, string> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = asText(v);
  }
  return out;
}

/** An `if:` condition: GitHub wraps a condition without a status function in `success() && (…)`. */
export function evaluateCondition(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status: StatusView,
): boolean {
  if (token === undefined) return !status.failed && !status.cancelled;
  let expression = isBasicExpression(token) ? token.expression : isString(token) ? token.value : 'success()';
  // a condition written as `${{ … }}` (on one line or folded over several) is the expression inside
  const wrapped = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(expression);
  if (wrapped !== null) expression = wrapped[1]!;
  if (!/\b(success|failure|always|cancelled)\(\)/.test(expression))
    expression = `success() && (${expression})`;
  return truthy(evaluate(expression, contexts, status));
}
