import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  cancelRun,
  createControlPlaneClient,
  createRun,
  getRunReview,
  mintApiKey,
  replaceRunPlan,
  revokeApiKey,
  type ControlPlaneClient,
} from '@control-plane/client';
import { ApiProcess, WorkerProcess } from '@tools/harness';
import { SignInIssuer } from './sign-in-issuer';

/**
 * The operator console in a real browser: Debian's Chromium (headless), driven by
 * playwright-core, against the compiled API and a worker in processes of their own (as the
 * README starts them), and an OpenID provider this test serves for single sign-on.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AUDIENCE = 'control-plane-console-test';
const CLIENT_ID = 'control-plane-console';
/** A secret the worker resolves for the restart handler: never shown by the console. */
const RESTART_TOKEN = 'restart-token-7f3a9c1e5b';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Set to a folder to keep the README's screenshots (npm run screenshots). */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS_DIR;

type Key = { id: string; key: string };

// The browser's globals, as the functions this file runs inside the page (page.evaluate) use
// them: declared for this module only, so the rest of the suite keeps Node's types.
interface PageElement {
  matches(selector: string): boolean;
  readonly textContent: string | null;
}
declare const document: {
  readonly activeElement: PageElement | null;
  readonly cookie: string;
  addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
};
declare const window: object;
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: object;

describe('operator console in a browser', () => {
  let issuer: SignInIssuer;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let browser: Browser;
  let admin: ControlPlaneClient;
  const project = `console-browser-${Date.now().toString(36)}`;
  const elsewhere = `console-browser-other-${Date.now().toString(36)}`;
  let requester: Key;
  let approver: Key;
  let outsider: Key;
  /** Every URL the browser asked for, and every CSP violation a page reported. */
  const requested: string[] = [];
  const violations: string[] = [];
  const contexts: BrowserContext[] = [];
  let mintedInPage = '';

  beforeAll(async () => {
    issuer = await SignInIssuer.start({ audience: AUDIENCE, clientId: CLIENT_ID });
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) throw new Error('DATABASE_URL is set by the global setup');
    api = await ApiProcess.start({
      databaseUrl,
      env: {
        WORKER_IN_PROCESS: 'false',
        LOG_LEVEL: 'info',
        OIDC_ISSUER: issuer.url,
        OIDC_AUDIENCE: AUDIENCE,
        CONSOLE_OIDC_CLIENT_ID: CLIENT_ID,
      },
    });
    worker = new WorkerProcess({
      databaseUrl,
      id: 'console-browser-worker',
      projects: 'console-browser-%',
      output: 'keep',
      env: { SECRET_RESTART_TOKEN: RESTART_TOKEN },
    });
    await worker.ready();
    admin = createControlPlaneClient({ baseUrl: api.baseUrl, credential: api.adminKey, retries: 0 });
    const mint = async (name: string, roles: string[], projects: string[]): Promise<Key> => {
      const { data } = await mintApiKey(admin, {
        body: { name, roles: roles as never, project_ids: projects, ...(roles.includes('approver') ? { service_approver: true } : {}) },
      });
      if (!data) throw new Error(`minting ${name} failed`);
      return { id: data.principal_id, key: data.key };
    };
    requester = await mint('Riley Requester', ['requester', 'approver'], [project]);
    approver = await mint('Avery Approver', ['approver'], [project]);
    outsider = await mint('Olu Outsider', ['approver', 'requester'], [elsewhere]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await worker?.stop();
    await api?.stop();
    await issuer?.close();
  });

  const client = (key: string) => createControlPlaneClient({ baseUrl: api.baseUrl, credential: key, retries: 0 });

  const requestRun = async (targets: string[], params: Record<string, unknown> = {}, key = requester.key, p = project) => {
    const { data, response } = await createRun(client(key), { body: { project_id: p, action: 'service.restart', targets, params } });
    if (!data) throw new Error(`create failed: ${response.status}`);
    return data;
  };

  const openPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    // Reported by the page itself: anything the content security policy blocked.
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const list = ((window as unknown as { __csp?: string[] }).__csp ??= []);
        list.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('close', () => undefined);
    return page;
  };

  const collectViolations = async (page: Page) => {
    violations.push(...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])));
  };

  /** axe-core's check of the page as it is: the serious and critical violations, by rule. */
  const accessibilityProblems = async (page: Page): Promise<string[]> => {
    await page.evaluate(AXE);
    const result = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run: (context: unknown) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> };
        }
      ).axe;
      return (await axe.run(document)).violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        count: violation.nodes.length,
      }));
    });
    return result
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((v) => `${v.id} (${v.count})`);
  };

  /** Presses Tab until the focused element matches, as a keyboard user would; fails after 80 presses. */
  const tabTo = async (page: Page, selector: string) => {
    for (let presses = 0; presses < 80; presses++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  };

  const signInWithKey = async (page: Page, key: string) => {
    await page.goto(`${api.baseUrl}/console/`);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Waiting for your decision' }).waitFor();
  };

  it('is served at /console/ with a content security policy that allows no inline script, and no inline script', async () => {
    const response = await fetch(`${api.baseUrl}/console/`);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain(`connect-src 'self' ${issuer.url}`);
    const html = await response.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js"><\/script>/);
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const settings = await (await fetch(`${api.baseUrl}/console/config.json`)).json();
    expect(settings).toEqual({ oidc: { issuer: issuer.url, client_id: CLIENT_ID, audience: AUDIENCE } });
    expect((await fetch(`${api.baseUrl}/console/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/console/nothing.js`)).status).toBe(404);
    const bare = await fetch(`${api.baseUrl}/console`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location'), bare.headers.get('content-security-policy')]).toEqual([302, '/console/', policy]);
  });

  it('with a key, by keyboard only: the inbox, the run page, approve with a reason, and SUCCEEDED without reloading', async () => {
    const run = await requestRun(['web-kbd-1', 'web-kbd-2'], { mode: 'rolling', token: { $secret: 'RESTART_TOKEN' } });
    const page = await openPage();
    await page.goto(`${api.baseUrl}/console/`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await tabTo(page, '#api-key');
    await page.keyboard.type(approver.key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Waiting for your decision' }).waitFor();
    const row = page.locator(`tr[data-run="${run.execution_id}"]`);
    await row.waitFor();
    expect(await row.innerText()).toMatch(
      /service\.restart[\s\S]*web-kbd-1, web-kbd-2[\s\S]*Riley Requester[\s\S]*1[\s\S]*0 of 1[\s\S]*(\d+ d|\d+ h)/,
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'console-inbox.png') });
    }
    const marker = await page.evaluate(() => ((window as unknown as { __same: number }).__same = Math.random()));
    await tabTo(page, `a[href="#/runs/${run.execution_id}"]`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /service\.restart/ }).waitFor();
    expect(await page.getByTestId('plan-hash').innerText()).toBe(run.plan_hash);
    expect(await page.getByTestId('requester').innerText()).toContain('Riley Requester');
    expect(await page.locator('table.params').innerText()).toContain('secret reference RESTART_TOKEN');
    expect(await accessibilityProblems(page)).toEqual([]);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'console-run.png'), fullPage: true });
    await tabTo(page, '#reason');
    await page.keyboard.type('checked the rollout window');
    await tabTo(page, 'button[type="submit"]');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Approve');
    await page.keyboard.press('Enter');
    await page.getByTestId('run-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    // The same document all along: the page followed the run's trail, it was never reloaded.
    expect(await page.evaluate(() => (window as unknown as { __same: number }).__same)).toBe(marker);
    expect(await page.locator('ul.votes').innerText()).toMatch(/approve by Avery Approver[\s\S]*checked the rollout window/);
    expect(await page.locator('table.trail').innerText()).toContain('step.finished');
    expect(await page.content()).not.toContain(RESTART_TOKEN);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await collectViolations(page);
  });

  it('with single sign-on (authorization code + PKCE): the code leaves the address bar, the token stays in session storage', async () => {
    const run = await requestRun(['web-sso-1']);
    const page = await openPage();
    await page.goto(`${api.baseUrl}/console/#/runs/${run.execution_id}`);
    await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
    // Back from the provider, on the page it left from.
    await page.getByRole('heading', { name: /service\.restart/ }).waitFor();
    expect(issuer.refusals).toEqual([]);
    expect(issuer.issued).toHaveLength(1);
    expect(issuer.refusals).toEqual([]);
    expect(page.url()).toBe(`${api.baseUrl}/console/#/runs/${run.execution_id}`);
    expect(await page.getByTestId('who').innerText()).toContain('Olivia Approver (person)');
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem('control-plane.session'),
      local: Object.keys(localStorage),
      cookies: document.cookie,
    }));
    expect(JSON.parse(storage.session ?? '{}')).toMatchObject({ kind: 'oidc', credential: issuer.issued[0] });
    expect(storage.local).toEqual([]);
    expect(storage.cookies).toBe('');
    await page.locator('#reason').fill('sso approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('run-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('ul.votes').innerText()).toContain('Olivia Approver (person)');
    // A person who has signed in is among those others may see as deciders of the next run.
    const next = await requestRun(['web-sso-2']);
    const review = await getRunReview(client(approver.key), { params: { path: { execution_id: next.execution_id } } });
    expect(review.data?.deciders).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Olivia Approver', kind: 'person' })]));
    await cancelRun(client(requester.key), { params: { path: { execution_id: next.execution_id } }, body: { reason: 'test over' } });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('control-plane.session'))).toBeNull();
    await collectViolations(page);
  });

  it('an access token that runs out while the page is open ends the session then, saying so', async () => {
    issuer.tokenLifetimeSeconds = 8;
    try {
      const page = await openPage();
      await page.goto(`${api.baseUrl}/console/`);
      await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
      await page.getByRole('heading', { name: 'Waiting for your decision' }).waitFor();
      // Five seconds before its exp the page ends the session by itself, without a request failing first.
      await page.getByText('Your session has expired. Sign in again.').waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Sign in with single sign-on' }).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('control-plane.session'))).toBeNull();
      await collectViolations(page);
    } finally {
      issuer.tokenLifetimeSeconds = 300;
    }
  });

  it('a plan changed while the page is open: the approve is refused, the page shows the difference and asks again', async () => {
    const run = await requestRun(['web-plan-1', 'web-plan-2'], { mode: 'rolling' });
    const page = await openPage();
    await signInWithKey(page, approver.key);
    await page.goto(`${api.baseUrl}/console/#/runs/${run.execution_id}`);
    await page.getByRole('heading', { name: /service\.restart/ }).waitFor();
    // Meanwhile the requester changes the plan.
    const changed = await replaceRunPlan(client(requester.key), {
      params: { path: { execution_id: run.execution_id } },
      body: { params: { mode: 'all-at-once' }, targets: ['web-plan-1'] },
    });
    expect(changed.data?.plan_hash).not.toBe(run.plan_hash);
    // The page follows the run: it says at once that the plan is no longer the one it showed.
    await page.getByTestId('plan-moved').waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    const notice = page.getByTestId('changed-since');
    await notice.waitFor();
    const diff = await notice.getByTestId('diff').innerText();
    expect(diff).toMatch(/params\.mode\s+"rolling"\s+"all-at-once"/);
    expect(diff).toMatch(/targets\s+\["web-plan-1","web-plan-2"\]\s+\["web-plan-1"\]/);
    expect(await page.getByTestId('plan-hash').innerText()).toBe(changed.data?.plan_hash);
    expect(await page.getByTestId('run-status').innerText()).toContain('BLOCKED');
    // Asked again, on the plan now shown: this time it counts.
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('run-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 30_000 });
    await collectViolations(page);
  });

  it("the requester's own run offers no approve button, saying why; another project's run is not found", async () => {
    const own = await requestRun(['web-own-1']);
    const away = await requestRun(['web-away-1'], {}, outsider.key, elsewhere);
    const page = await openPage();
    await signInWithKey(page, requester.key);
    // Its own run is not in its inbox, although it holds the approver role.
    expect(await page.locator(`tr[data-run="${own.execution_id}"]`).count()).toBe(0);
    await page.goto(`${api.baseUrl}/console/#/runs/${own.execution_id}`);
    await page.getByTestId('decision-bar').waitFor();
    expect(await page.getByTestId('decision-bar').innerText()).toContain('the requester of a run may not decide its approval');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.getByLabel('Reason for cancelling').fill('not needed after all');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByTestId('run-status').filter({ hasText: 'CANCELLED' }).waitFor({ timeout: 30_000 });
    await page.goto(`${api.baseUrl}/console/#/runs/${away.execution_id}`);
    await page.getByRole('heading', { name: 'Run not found' }).waitFor();
    await cancelRun(client(outsider.key), { params: { path: { execution_id: away.execution_id } }, body: { reason: 'test over' } });
    await collectViolations(page);
  });

  it('finding runs, operating (admin) and an ended session, all without a serious accessibility violation', async () => {
    const page = await openPage();
    await signInWithKey(page, api.adminKey);
    await page.getByRole('link', { name: 'Find runs' }).click();
    await page.getByLabel('Project').fill(project);
    await page.getByLabel('Status').selectOption('SUCCEEDED');
    await page.getByRole('button', { name: 'Search' }).click();
    const found = page.getByRole('table', { name: 'Runs found' });
    await found.waitFor();
    // The runs approved above ended SUCCEEDED; the requester's cancelled one is not listed.
    expect((await found.innerText()).match(/SUCCEEDED/g)?.length).toBeGreaterThanOrEqual(1);
    expect(await found.innerText()).not.toContain('CANCELLED');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('link', { name: 'Operate' }).click();
    await page.getByRole('heading', { name: 'Execution modes' }).waitFor();
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    // An admin mints a key on the page: shown once, then listed by name only.
    await page.getByLabel('Name', { exact: true }).fill('Minted In Console');
    await page.getByLabel('Roles (comma-separated)').fill('approver');
    await page.getByLabel('Projects (comma-separated)').fill(project);
    await page.getByRole('button', { name: 'Mint key' }).click();
    mintedInPage = await page.locator('code.key').innerText();
    expect(mintedInPage).toMatch(/^cpk_/);
    await page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: 'Minted In Console', exact: true }).waitFor();
    expect(await page.getByRole('table', { name: 'API keys' }).innerText()).not.toContain(mintedInPage);
    await collectViolations(page);

    // The API away for a moment at a reload: the session is kept and the page offers to try again.
    await page.route('**/api/v1/principals/me', (route) => route.abort());
    await page.reload();
    await page.getByRole('heading', { name: 'The control plane cannot be reached' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('control-plane.session'))).not.toBeNull();
    await page.unroute('**/api/v1/principals/me');
    await page.getByRole('button', { name: 'Try again' }).click();
    // Back on the page it was on.
    await page.getByRole('heading', { name: 'Operate', exact: true }).waitFor();

    // A key revoked while its page is open: the next request ends the session, and the page says so.
    const revocable = await mintApiKey(admin, {
      body: { name: 'Short Lived', roles: ['approver'], project_ids: [project], service_approver: true },
    });
    const second = await openPage();
    await signInWithKey(second, revocable.data!.key);
    await revokeApiKey(admin, { params: { path: { id: revocable.data!.id } }, body: { reason: 'test' } });
    await second.getByRole('button', { name: 'Refresh' }).click();
    await second.getByText(/Your session has ended/).waitFor();
    await second.getByLabel('API key', { exact: true }).waitFor();
    expect(await second.evaluate(() => sessionStorage.getItem('control-plane.session'))).toBeNull();
    await collectViolations(second);
  });

  it('no credential ever went into a URL or a log line, and no page met a CSP violation', () => {
    const credentials = [requester.key, approver.key, api.adminKey, mintedInPage, ...issuer.issued, RESTART_TOKEN];
    expect(mintedInPage).not.toBe('');
    expect(requested.length).toBeGreaterThan(20);
    for (const credential of credentials) {
      expect(requested.filter((url) => url.includes(credential))).toEqual([]);
      expect(api.logged()).not.toContain(credential);
      expect(worker.logged()).not.toContain(credential);
    }
    expect(violations).toEqual([]);
  });
});
