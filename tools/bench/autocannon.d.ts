// autocannon ships no types. This declares only the part of its API the bench uses.
declare module 'autocannon' {
  namespace autocannon {
    interface RequestSpec {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Called before each send; the returned request is the one sent. */
      setupRequest?: (request: RequestSpec, context: Record<string, unknown>) => RequestSpec;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before a request counts as timed out. */
      timeout?: number;
      headers?: Record<string, string>;
      requests?: RequestSpec[];
      /** A false answer counts the response in `mismatches`. */
      verifyBody?: (body: string) => boolean;
      /** A run before the measured one, with its own (discarded) statistics. */
      warmup?: { connections?: number; duration?: number };
    }

    /** hdr-histogram-percentiles-obj summary. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p97_5: number;
      p99: number;
    }

    interface Result {
      requests: Histogram;
      latency: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      statusCodeStats: Record<string, { count: number }>;
    }

    /** responseTime is in milliseconds, with sub-millisecond precision. */
    type ResponseListener = (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void;

    interface Instance extends PromiseLike<Result> {
      on(event: 'response', listener: ResponseListener): Instance;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
