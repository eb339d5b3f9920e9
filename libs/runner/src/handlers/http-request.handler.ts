import { Injectable } from '@nestjs/common';
import { ActionType, matchesPattern } from '@lib/policy';
import { ActionHandler, PlannedStep, StepContext, StepOutcome } from '@lib/execution';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const BODY_CAP = 4096;

/**
 * Calls one URL from the action's allowlist (`allowed_urls` in the policy). A 2xx answers OK
 * with the status and the (capped) body, a 4xx FAIL:http_<status>; a 5xx or a network error is
 * thrown, so it is retried. Header values may be secrets ({"$secret": "name"}).
 */
@Injectable()
export class HttpRequestHandler implements ActionHandler {
  readonly code = 'http.request';

  validate(params: Record<string, unknown>, actionType: ActionType): string | null {
    if (typeof params.url !== 'string') return 'params.url must be a string';
    let url: URL;
    try {
      url = new URL(params.url);
    } catch {
      return 'params.url is not a URL';
    }
    if (!actionType.allowedUrls.some((pattern) => matchesPattern(url.toString(), pattern)))
      return "params.url is not in the action's allowed_urls";
    if (params.method !== undefined && !METHODS.includes(params.method as (typeof METHODS)[number]))
      return `params.method must be one of ${METHODS.join(', ')}`;
    if (params.headers !== undefined && (typeof params.headers !== 'object' || params.headers === null || Array.isArray(params.headers)))
      return 'params.headers must be an object';
    return null;
  }

  plan(input: { params: Record<string, unknown> }): PlannedStep[] {
    return [{ name: `http:${String(input.params.method ?? 'GET')}`, input: { ...input.params } }];
  }

  async execute(step: PlannedStep, ctx: StepContext): Promise<StepOutcome> {
    ctx.checkpoint();
    const headers = Object.fromEntries(
      Object.entries((step.input.headers as Record<string, unknown> | undefined) ?? {}).map(([name, value]) => [name, String(value)]),
    );
    const response = await fetch(String(step.input.url), {
      method: String(step.input.method ?? 'GET'),
      headers: { 'content-type': 'application/json', ...headers },
      body: step.input.body === undefined ? undefined : JSON.stringify(step.input.body),
      signal: ctx.signal,
      redirect: 'error',
    });
    const text = (await response.text()).slice(0, BODY_CAP);
    if (response.status >= 500) throw new Error(`http ${response.status}`);
    if (response.status >= 400) return { outcome: `FAIL:http_${response.status}`, result: { status: response.status, body: text } };
    return { outcome: 'OK', result: { status: response.status, body: text } };
  }
}
