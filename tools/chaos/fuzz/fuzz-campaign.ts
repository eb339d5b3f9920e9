import { HttpRecorder, preview } from '../http-recorder';
import { progress } from '../progress';
import { FuzzFixtures } from './fuzz-fixtures';
import { HostileRequest, hostileRequests } from './hostile-requests';
import { BodySchema, Operation } from './openapi-operations';
import { RawAnswer, sendRaw } from './raw-http';

export interface FuzzSample {
  readonly method: string;
  readonly path: string;
  readonly label: string;
  readonly headers: string;
  readonly body: string;
  readonly status: number | null;
  readonly response: string;
  readonly request_id?: string;
  readonly why?: string;
}

export interface FuzzResult {
  readonly fuzz_operations: number;
  readonly fuzz_requests: number;
  /** Any 5xx the fuzzer got (it runs after the outage, so a 503 counts too). */
  readonly fuzz_5xx: number;
  /** A request with no valid key that was answered 2xx. */
  readonly fuzz_auth_bypass: number;
  /** A 4xx/5xx whose body is not the one error body {"error":{"code","message"},"request_id"}. */
  readonly fuzz_bad_error_body: number;
  /** No answer within the timeout, or the connection dropped. */
  readonly fuzz_no_answer: number;
  readonly fuzz_by_status: Record<string, number>;
  readonly fuzz_5xx_samples: FuzzSample[];
  /** One sample per kind of error body that is not the documented one. */
  readonly fuzz_bad_error_body_samples: FuzzSample[];
  /** Auth bypasses and requests without an answer. */
  readonly fuzz_other_samples: FuzzSample[];
  /** Requests not sent because the time ran out. */
  readonly fuzz_skipped: number;
}

const SAMPLES = 8;
const TIMEOUT_MS = 10_000;
const CONCURRENCY = 4;

/**
 * For every operation of openapi.json, a bounded number of hostile requests (seeded, so a run
 * repeats), sent concurrently and judged: no 5xx, no 2xx without a key, the one error body.
 */
export async function runFuzz(input: {
  baseUrl: string;
  operations: readonly Operation[];
  schemas: Readonly<Record<string, BodySchema>>;
  fixtures: FuzzFixtures;
  perOperation: number;
  seed: number;
  deadline: number;
  recorder: HttpRecorder;
}): Promise<FuzzResult> {
  const perOperation = input.operations.map((operation, index) =>
    hostileRequests({ operation, schemas: input.schemas, fixtures: input.fixtures, seed: input.seed + index, count: input.perOperation }),
  );
  // Round-robin over the operations: when time runs out, every operation has had its share.
  const requests = Array.from({ length: input.perOperation }, (_, round) => perOperation.map((batch) => batch[round])).flat();
  progress(`fuzz: ${requests.length} hostile requests over ${input.operations.length} operations (seed ${input.seed})`);
  const tally = new FuzzTally(input.fixtures);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < requests.length && Date.now() < input.deadline; index = next++) {
      const request = requests[index];
      const sentAt = Date.now();
      const answer = await sendRaw({ baseUrl: input.baseUrl, ...request, timeoutMs: TIMEOUT_MS });
      input.recorder.record({
        source: 'fuzz',
        method: request.method,
        route: request.route,
        path: request.path,
        status: answer.status,
        sentAt,
        answeredAt: Date.now(),
        errorCode: errorCodeOf(answer.body),
        requestId: answer.requestId,
        request: `${request.label} | ${tally.describeBody(request)}`,
        response: preview(answer.body),
        transportError: answer.error,
      });
      tally.add(request, answer);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => lane()));
  return tally.result({ operations: input.operations.length, skipped: Math.max(0, requests.length - Math.min(next, requests.length)) });
}

class FuzzTally {
  private sent = 0;
  private fiveXx = 0;
  private bypass = 0;
  private badBody = 0;
  private noAnswer = 0;
  private readonly byStatus: Record<string, number> = {};
  private readonly samples5xx: FuzzSample[] = [];
  private readonly badBodySamples: FuzzSample[] = [];
  private readonly otherSamples: FuzzSample[] = [];
  /** Kinds already sampled, so the few samples kept show different faults rather than one many times. */
  private readonly sampled = new Set<string>();

  constructor(private readonly fixtures: FuzzFixtures) {}

  add(request: HostileRequest, answer: RawAnswer): void {
    this.sent++;
    const key = answer.status === null ? 'no_answer' : String(answer.status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    const isPublic = request.route.startsWith('/health/');
    const kind = `${request.route} ${answer.status} ${codeOf(answer.body) ?? ''}`;
    if (answer.status === null) {
      this.noAnswer++;
      this.keep(this.otherSamples, { kind: `no answer ${request.route}`, request, answer, why: `no answer: ${answer.error ?? ''}` });
    } else if (answer.status >= 500) {
      this.fiveXx++;
      this.keep(this.samples5xx, { kind, request, answer });
    } else if (answer.status < 300 && request.unauthenticated && !isPublic) {
      this.bypass++;
      this.keep(this.otherSamples, { kind, request, answer, why: 'answered 2xx without a valid key' });
    }
    if (answer.status !== null && answer.status >= 400 && !isPublic && !isErrorBody(answer.body)) {
      this.badBody++;
      // By status and code alone: the same framework error on every route is one finding.
      this.keep(this.badBodySamples, {
        kind: `body ${answer.status} ${codeOf(answer.body) ?? ''}`,
        request,
        answer,
        why: 'not the one error body',
      });
    }
  }

  result(input: { operations: number; skipped: number }): FuzzResult {
    return {
      fuzz_operations: input.operations,
      fuzz_requests: this.sent,
      fuzz_5xx: this.fiveXx,
      fuzz_auth_bypass: this.bypass,
      fuzz_bad_error_body: this.badBody,
      fuzz_no_answer: this.noAnswer,
      fuzz_by_status: this.byStatus,
      fuzz_5xx_samples: this.samples5xx,
      fuzz_bad_error_body_samples: this.badBodySamples,
      fuzz_other_samples: this.otherSamples,
      fuzz_skipped: input.skipped,
    };
  }

  /** The body as sent, shortened; the keys are named by role, not printed. */
  describeBody(request: HostileRequest): string {
    return request.body ? preview(request.body.toString('utf8'), 200) : '';
  }

  private keep(samples: FuzzSample[], input: { kind: string; request: HostileRequest; answer: RawAnswer; why?: string }): void {
    const { request, answer, why } = input;
    if (samples.length >= SAMPLES || this.sampled.has(input.kind)) return;
    this.sampled.add(input.kind);
    samples.push({
      method: request.method,
      path: preview(request.path, 200),
      label: request.label,
      headers: request.headers.map(([name, value]) => `${name}: ${this.redact(value)}`).join(' | '),
      body: this.describeBody(request),
      status: answer.status,
      response: preview(answer.body),
      ...(answer.requestId ? { request_id: answer.requestId } : {}),
      ...(why ? { why } : {}),
    });
  }

  private redact(value: string): string {
    const names: [string, string][] = [
      [this.fixtures.keys.admin, '<fuzz admin key>'],
      [this.fixtures.keys.requester, '<fuzz requester key>'],
      [this.fixtures.keys.approver, '<fuzz approver key>'],
      [this.fixtures.foreignKey, '<load requester key>'],
    ];
    const named = names.reduce((text, [key, name]) => text.split(key).join(name), value);
    return preview(named, 120);
  }
}

function isErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; request_id?: unknown };
    return typeof body.error?.code === 'string' && typeof body.error.message === 'string' && typeof body.request_id === 'string';
  } catch {
    return false;
  }
}

function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The error code of the documented body, or the `code` of any other JSON body (Fastify's own, e.g. FST_ERR_BAD_URL). */
function codeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return errorCodeOf(text) ?? (typeof code === 'string' ? code : undefined);
  } catch {
    return undefined;
  }
}
