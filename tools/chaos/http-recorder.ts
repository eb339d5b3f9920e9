import { OutageClock } from './outage-clock';

/** Who sent a request: the background load, the fuzzer, or the recovery probe. */
export type RequestSource = 'load' | 'fuzz' | 'probe';

/** One request and what came back; `status` null when no HTTP answer came (refused, reset, timed out). */
export interface Exchange {
  readonly source: RequestSource;
  readonly method: string;
  /** The route as openapi.json names it, e.g. /api/v1/execution/run/{execution_id}. */
  readonly route: string;
  readonly path: string;
  readonly status: number | null;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly errorCode?: string;
  readonly retryAfter?: string | null;
  readonly requestId?: string;
  /** What was sent, shortened and escaped: enough to reproduce. */
  readonly request?: string;
  readonly response?: string;
  readonly transportError?: string;
}

export interface ExchangeSample {
  readonly source: RequestSource;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly error_code?: string;
  readonly request_id?: string;
  readonly request?: string;
  readonly response?: string;
  readonly why?: string;
}

const SAMPLES = 10;

/**
 * Every answer the campaign received, counted: by status, 5xx other than the 503s the outage
 * explains, 503s, and answers during the outage that were not the promised 503. Keeps the
 * first few offenders as samples to reproduce.
 */
export class HttpRecorder {
  requests = 0;
  readonly bySource: Record<RequestSource, number> = { load: 0, fuzz: 0, probe: 0 };
  readonly byStatus: Record<string, number> = {};
  transportErrors = 0;
  /** 5xx other than a 503 during the outage. */
  unexpected5xx = 0;
  http503 = 0;
  http503OutsideOutage = 0;
  /** HTTP answers sent and received while the database was down: what the outage check had to judge. */
  outageAnswers = 0;
  /** While the database was down: answers other than 2xx and 503 database_unavailable with Retry-After. */
  outageUnexpected = 0;
  readonly samples5xx: ExchangeSample[] = [];
  readonly outageSamples: ExchangeSample[] = [];

  constructor(private readonly outage: OutageClock) {}

  record(exchange: Exchange): void {
    this.requests++;
    this.bySource[exchange.source]++;
    const key = exchange.status === null ? 'no_answer' : String(exchange.status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (exchange.status === null) {
      this.transportErrors++;
      return;
    }
    const inOutage = this.outage.inOutage(exchange.sentAt, exchange.answeredAt);
    if (exchange.status === 503) {
      this.http503++;
      if (!inOutage) this.http503OutsideOutage++;
    }
    if (exchange.status >= 500 && !(exchange.status === 503 && inOutage)) {
      this.unexpected5xx++;
      keep(this.samples5xx, sampleOf(exchange, exchange.status === 503 ? '503 outside the database outage' : undefined));
    }
    if (this.outage.wasDown(exchange.sentAt, exchange.answeredAt)) {
      this.outageAnswers++;
      const why = outageProblem(exchange);
      if (why) {
        this.outageUnexpected++;
        keep(this.outageSamples, sampleOf(exchange, why));
      }
    }
  }
}

/** What is wrong with an answer given while the database was down, or null when it is what the README promises. */
function outageProblem(exchange: Exchange): string | null {
  const status = exchange.status as number;
  if (status < 300) return null;
  if (status !== 503) return `answered ${status} while the database was down (expected 503 database_unavailable)`;
  if (exchange.errorCode !== 'database_unavailable') return `503 with code ${exchange.errorCode ?? 'none'}`;
  if (!exchange.retryAfter) return '503 without Retry-After';
  return null;
}

function sampleOf(exchange: Exchange, why?: string): ExchangeSample {
  return {
    source: exchange.source,
    method: exchange.method,
    path: exchange.path,
    status: exchange.status,
    ...(exchange.errorCode ? { error_code: exchange.errorCode } : {}),
    ...(exchange.requestId ? { request_id: exchange.requestId } : {}),
    ...(exchange.request ? { request: exchange.request } : {}),
    ...(exchange.response ? { response: exchange.response } : {}),
    ...(why ? { why } : {}),
  };
}

function keep(samples: ExchangeSample[], sample: ExchangeSample): void {
  if (samples.length < SAMPLES) samples.push(sample);
}

/** A string shortened for a report (JSON.stringify then shows control characters and lone surrogates as escapes). */
export function preview(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
