/** Showing plans, times and people the way a person reads them. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A secret is shown as its reference, never resolved: `{"$secret": "NAME"}`. */
export function secretName(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const name = (value as Record<string, unknown>).$secret;
  return keys.length === 1 && typeof name === 'string' ? name : null;
}

/** A key as a path segment no other key can be mistaken for: `.name`, or `["a.b"]` when it is not a plain name. */
function segment(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * One line per leaf of a plan's params: its path (`params.a.b`, `params["a.b"]`, `params.list[0]`:
 * two different plans never give the same lines) and its value as JSON (secrets as references).
 */
export function flatten(value: unknown, path = 'params'): Array<{ path: string; text: string; secret: boolean }> {
  const secret = secretName(value);
  if (secret !== null) return [{ path, text: `secret reference ${secret}`, secret: true }];
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((item, index) => [`[${index}]`, item] as const)
      : Object.entries(value).map(([key, item]) => [segment(key), item] as const);
    if (entries.length === 0) return [{ path, text: Array.isArray(value) ? '[]' : '{}', secret: false }];
    return entries.flatMap(([step, item]) => flatten(item, `${path}${step}`));
  }
  return [{ path, text: JSON.stringify(value), secret: false }];
}

export interface DiffLine {
  readonly path: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** What changed between two plans: each param path added, removed or changed, and the targets (as a JSON list). */
export function diffPlans(
  before: { params: unknown; targets: readonly string[] },
  after: { params: unknown; targets: readonly string[] },
): DiffLine[] {
  const lines: DiffLine[] = [];
  const old = new Map(flatten(before.params ?? {}).map((line) => [line.path, line.text]));
  const now = new Map(flatten(after.params ?? {}).map((line) => [line.path, line.text]));
  for (const path of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(path) ?? null;
    const b = now.get(path) ?? null;
    if (a !== b) lines.push({ path, before: a, after: b });
  }
  const oldTargets = JSON.stringify(before.targets);
  const newTargets = JSON.stringify(after.targets);
  if (oldTargets !== newTargets) lines.push({ path: 'targets', before: oldTargets, after: newTargets });
  return lines;
}

/** "3 h 12 min", "45 s", or "expired" for a deadline. */
export function timeLeft(until: string | null | undefined, now = Date.now()): string {
  if (!until) return '—';
  const ms = Date.parse(until) - now;
  if (!Number.isFinite(ms)) return '—';
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export interface Card {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly acts_for: string | null;
  readonly disabled: boolean;
}

/** A principal by name, with its kind, and the person an agent acts for when known. */
export function nameOf(id: string | null | undefined, cards: readonly Card[]): string {
  if (!id) return '—';
  if (id === 'system') return 'the system';
  const card = cards.find((candidate) => candidate.id === id);
  if (!card) return id;
  const behind = card.acts_for ? cards.find((candidate) => candidate.id === card.acts_for) : undefined;
  const base = `${card.name} (${card.kind}${card.disabled ? ', disabled' : ''})`;
  return behind ? `${base} for ${behind.name}` : base;
}

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'REJECTED', 'EXPIRED', 'RECORDED'];
