import { approveRun, createControlPlaneClient, getRun, listPendingApprovals } from '@control-plane/client';

/**
 * Where an operator console starts: what waits for my decision in my projects, the plan each run
 * would carry out with its hash, and an approval with a reason that names the hash I was shown
 * (so I never approve a plan that changed behind my back).
 *
 *   CONTROL_PLANE_URL=http://localhost:3000 CONTROL_PLANE_CREDENTIAL=<API key or SSO token> npm run example:console
 *   CONTROL_PLANE_URL=… CONTROL_PLANE_CREDENTIAL=… npm run example:console -- approve <execution_id> "<reason>"
 */
export async function runConsole(input: {
  baseUrl: string;
  credential: string;
  args: readonly string[];
  print: (line: string) => void;
}): Promise<number> {
  const client = createControlPlaneClient({ baseUrl: input.baseUrl, credential: input.credential });
  const [command, executionId, reason] = input.args;

  if (command === 'approve') {
    if (!executionId || !reason) {
      input.print('usage: approve <execution_id> "<reason>"');
      return 2;
    }
    // The plan as it stands now is the one shown, and the one approved.
    const shown = await getRun(client, { params: { path: { execution_id: executionId } } });
    if (!shown.data) {
      input.print(`cannot read ${executionId}: ${shown.error?.error.code ?? shown.response.status}`);
      return 1;
    }
    input.print(describe(shown.data));
    const voted = await approveRun(client, {
      params: { path: { execution_id: executionId } },
      body: { plan_hash: shown.data.plan_hash, reason },
    });
    if (!voted.data) {
      // plan_changed: look again; self_approval_forbidden: someone else must decide; and so on.
      input.print(`not approved: ${voted.error?.error.code ?? voted.response.status}: ${voted.error?.error.message ?? ''}`);
      return 1;
    }
    input.print(`approved: the run is ${voted.data.status}, approval ${voted.data.approval?.status ?? 'none'}`);
    return 0;
  }

  const pending = await listPendingApprovals(client, { params: { query: { limit: 20 } } });
  if (!pending.data) {
    input.print(`cannot list pending approvals: ${pending.error?.error.code ?? pending.response.status}`);
    return 1;
  }
  if (pending.data.runs.length === 0) input.print('nothing waits for a decision');
  for (const run of pending.data.runs) input.print(describe(run));
  return 0;
}

function describe(run: {
  execution_id: string;
  project_id: string;
  action: string;
  targets: string[];
  params: Record<string, unknown>;
  plan_hash: string;
  requested_by: string;
  approval: { approvals_needed: number } | null;
}): string {
  return [
    `${run.execution_id}  ${run.project_id}  ${run.action} on ${run.targets.join(', ') || '(no target)'}`,
    `  params     ${JSON.stringify(run.params)}`,
    `  plan_hash  ${run.plan_hash}`,
    `  requested by ${run.requested_by}; ${run.approval ? `${run.approval.approvals_needed} more approval(s) needed` : 'no approval'}`,
  ].join('\n');
}

if (require.main === module) {
  const baseUrl = process.env.CONTROL_PLANE_URL ?? 'http://localhost:3000';
  const credential = process.env.CONTROL_PLANE_CREDENTIAL;
  if (!credential) {
    process.stderr.write('set CONTROL_PLANE_CREDENTIAL to an API key or an SSO access token\n');
    process.exit(2);
  }
  runConsole({ baseUrl, credential, args: process.argv.slice(2), print: (line) => process.stdout.write(`${line}\n`) }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
