import {
  approveRun,
  createControlPlaneClient,
  createRun,
  createWorker,
  followRun,
  getRun,
  isTerminalRunStatus,
  mintApiKey,
  TERMINAL_RUN_STATUSES,
  type ControlPlaneClient,
  type RunEvent,
} from '@control-plane/client';

/**
 * A project of someone else's, as scripts/ci/sdk-package.sh makes it outside the repository: the
 * SDK installed from its packed tarball, this file compiled by a strict compiler (strict,
 * exactOptionalPropertyTypes, noUncheckedIndexedAccess) and run by node against a real API. It
 * makes a run, reads it back, approves it with a second key, carries it out with the SDK's
 * worker, and follows its events until the run ends on its own. Prints one JSON line; exit 1 says why.
 */
const baseUrl = required('API_URL');
const adminKey = required('ADMIN_KEY');

async function main(): Promise<void> {
  const admin = createControlPlaneClient({ baseUrl, credential: adminKey });
  const project = `sdk-package-${Date.now()}`;
  const requester = await keyFor(admin, { name: 'sdk requester', roles: ['requester'], project_ids: [project] });
  const approver = await keyFor(admin, { name: 'sdk approver', roles: ['approver'], project_ids: [project], service_approver: true });
  const workerKey = await keyFor(admin, { name: 'sdk worker', roles: ['worker'], project_ids: [project] });

  const client = createControlPlaneClient({ baseUrl, credential: requester });
  const created = await createRun(client, { body: { project_id: project, action: 'deploy.remote', targets: ['web-1', 'web-2'] } });
  if (created.error) throw new Error(`the run was not created: ${created.error.error.code}`);
  const id = created.data.execution_id;
  // `data` is narrowed by `if (error) throw`: no cast, no `?.`.
  const { data: run, error } = await getRun(client, { params: { path: { execution_id: id } } });
  if (error) throw new Error(`the run was not read back: ${error.error.code}`);
  if (run.status !== 'BLOCKED' || run.idempotency_key !== created.data.idempotency_key) throw new Error(`unexpected run: ${run.status}`);

  const steps: string[] = [];
  const worker = createWorker({
    baseUrl,
    credential: workerKey,
    actions: {
      'deploy.remote': async (step, ctx) => {
        steps.push(`${step.index}:${step.name}`);
        await ctx.progress({ deployed: step.name });
      },
    },
    waitSeconds: 1,
    handleSignals: false,
  });

  // Only a safety net: followRun must end by itself when the run does.
  const safety = AbortSignal.timeout(60_000);
  const seen: RunEvent[] = [];
  const following = (async () => {
    for await (const event of followRun(client, id, { signal: safety })) seen.push(event);
  })();
  const approved = await approveRun(createControlPlaneClient({ baseUrl, credential: approver }), {
    params: { path: { execution_id: id } },
    body: { plan_hash: run.plan_hash, reason: 'the SDK package check' },
  });
  if (approved.error) throw new Error(`the run was not approved: ${approved.error.error.code}`);
  await following;
  await worker.stop();
  if (safety.aborted) throw new Error(`followRun did not end with the run; it saw ${seen.map((event) => event.type).join(', ')}`);

  const ended = await getRun(client, { params: { path: { execution_id: id } } });
  if (ended.error) throw new Error(`the run was not read back: ${ended.error.error.code}`);
  // The stream is read to its end: the status change, then the events of the same transaction (the approval closed as executed).
  const endedAt = seen.findIndex((event) => event.type === 'run.status_changed' && event.event.data['to'] === 'SUCCEEDED');
  const last = seen.at(-1);
  if (!isTerminalRunStatus(ended.data.status) || ended.data.status !== 'SUCCEEDED' || endedAt < 0 || last?.type !== 'approval.executed') {
    throw new Error(`the run ended ${ended.data.status}, the events seen: ${seen.map((event) => event.type).join(', ')}`);
  }
  const answer = { run: id, status: ended.data.status, events: seen.length, steps, terminal: TERMINAL_RUN_STATUSES };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

async function keyFor(admin: ControlPlaneClient, body: Parameters<typeof mintApiKey>[1]['body']): Promise<string> {
  const { data, error } = await mintApiKey(admin, { body });
  if (error) throw new Error(`minting ${body.name} failed: ${error.error.code}`);
  return data.key;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch((failure: unknown) => {
  process.stderr.write(`${failure instanceof Error ? failure.message : String(failure)}\n`);
  process.exit(1);
});
