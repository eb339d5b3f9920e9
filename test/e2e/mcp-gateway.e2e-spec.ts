import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { loadConfig } from '@lib/config';
import { McpGatewayHttpProcess, mcpGatewayProgram, recordingServerProgram } from '@tools/harness';
import { checkedFetch, uniqueProject, useTestApi } from '../support/api-client';
import { expireLaneNow } from '../support/db';
import { waitForRun } from '../support/run-events';

type Key = { id: string; key: string };
type Answer = CallToolResult & { structuredContent?: Record<string, unknown> };

/**
 * An AI agent's tool calls through the governing MCP gateway, all real processes: the agent is
 * the MCP SDK's client, the gateway a child process it starts (stdio) or one listening on HTTP,
 * the upstream the example recording server the gateway starts (every call that reaches it is a
 * line in a file), against an API of this spec's own (a 3 s lease) on the suite's database.
 */
describe('MCP gateway: an agent’s tool calls go through the gate', () => {
  const { api, pool } = useTestApi();
  let app: NestFastifyApplication;
  let baseUrl: string;
  let approver: Key;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-gateway-'));
  const clients: Client[] = [];
  const httpGateways: McpGatewayHttpProcess[] = [];

  beforeAll(async () => {
    app = await createApiApp({
      logger: false,
      config: loadConfig({ ...process.env, WORKER_LEASE_MS: '3000', WORKER_BACKOFF_BASE_MS: '50', SECRET_MCP_PIN: 'hunter2-supersecret' }),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    approver = await api.mintKey({ roles: ['approver'] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await Promise.all(httpGateways.map((gateway) => gateway.stop()));
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A project with its agent (kind agent, requester), its worker key, a record file and a gateway config. */
  const setUp = async (prefix: string, extra: Record<string, unknown> = {}) => {
    const project = uniqueProject(prefix);
    const agent = await mintAgent(project);
    const worker = await api.mintKey({ roles: ['worker'], projectIds: [project] });
    const recordFile = join(dir, `${project}.jsonl`);
    writeFileSync(recordFile, '');
    const configFile = join(dir, `${project}.json`);
    const upstream = recordingServerProgram();
    writeFileSync(
      configFile,
      JSON.stringify({
        project,
        upstreams: [{ name: 'recorder', command: upstream.command, args: upstream.args, env: { RECORD_FILE: recordFile } }],
        tools: [
          { tool: 'recorder__echo', action: 'fixture.mcp.echo' },
          { tool: 'recorder__big', action: 'fixture.mcp.echo' },
          { tool: 'recorder__record', when: { note: 'tmp-*' }, action: 'fixture.mcp.record_tmp' },
          { tool: 'recorder__record', action: 'fixture.mcp.record' },
          { tool: 'recorder__delete_everything', deny: 'deleting everything is not allowed' },
        ],
        permission_prompt: { action: 'fixture.mcp.tool_use', wait_seconds: 2 },
        console_url: 'http://127.0.0.1:3000/console/runs/{run_id}',
        call_wait_seconds: 15,
        ...extra,
      }),
    );
    const records = () =>
      readFileSync(recordFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { tool: string; arguments: Record<string, unknown>; pid: number });
    return { project, agent, worker, recordFile, configFile, records };
  };
  type Setup = Awaited<ReturnType<typeof setUp>>;

  const mintAgent = async (project: string): Promise<Key> => {
    const response = await checkedFetch(`${baseUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `agent-${randomUUID().slice(0, 6)}`, kind: 'agent', roles: ['requester'], project_ids: [project] }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Key;
  };

  /** The agent's MCP client, on a gateway process it starts over stdio (as an MCP client does). */
  const connect = async (setup: Setup, options: { worker?: boolean; key?: string } = {}) => {
    const program = mcpGatewayProgram(setup.configFile);
    const transport = new StdioClientTransport({
      command: program.command,
      args: [...program.args],
      env: {
        ...getDefaultEnvironment(),
        CONTROL_PLANE_URL: baseUrl,
        CONTROL_PLANE_CREDENTIAL: options.key ?? setup.agent.key,
        ...(options.worker === false ? {} : { MCP_GATEWAY_WORKER_CREDENTIAL: setup.worker.key }),
      },
      stderr: 'pipe',
    });
    const logged: string[] = [];
    transport.stderr?.on('data', (chunk: Buffer) => logged.push(chunk.toString('utf8')));
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport, logged };
  };

  const call = async (client: Client, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<Answer> =>
    (await client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) })) as Answer;
  const statusOf = (client: Client, runId: string, waitSeconds = 0) =>
    call(client, 'get_approval_status', { run_id: runId, wait_seconds: waitSeconds });
  const textOf = (answer: Answer) => (answer.content[0] as { text: string }).text;
  const runRow = async (id: string) => (await pool.query(`SELECT * FROM execution_runs WHERE id = $1`, [id])).rows[0];
  const runsOf = async (project: string) =>
    (await pool.query(`SELECT count(*)::int AS n FROM execution_runs WHERE project_id = $1`, [project])).rows[0].n as number;
  const approve = async (id: string) =>
    expect((await api.decide(approver.key, id, 'approve', { reason: 'the agent may' })).status).toBe(200);
  /** Until the upstream wrote its first record (a call in flight). */
  const untilUpstreamReached = async (setup: Setup) => {
    for (const started = Date.now(); setup.records().length === 0;) {
      if (Date.now() - started > 20_000) throw new Error('the upstream was never reached');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const until = <T>(id: string, probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000) =>
    waitForRun({ runId: id, probe, what, timeoutMs });

  describe('with one gateway (stdio) that also carries out approved calls', () => {
    let setup: Setup;
    let agent: Awaited<ReturnType<typeof connect>>;

    beforeAll(async () => {
      setup = await setUp('mcp');
      agent = await connect(setup);
    });

    it('lists the upstream tools the rules may allow (never a denied one), with the status and prompt tools', async () => {
      const { tools } = await agent.client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(
        ['approval_prompt', 'get_approval_status', 'recorder__big', 'recorder__echo', 'recorder__record'].sort(),
      );
      expect(tools.find((tool) => tool.name === 'recorder__record')?.description).toMatch(
        /Governed by the control plane as fixture\.mcp\.record/,
      );
    });

    it('an allowed tool runs at once, as a run of the agent; a denied one never reaches the upstream', async () => {
      const echoed = await call(agent.client, 'recorder__echo', { text: 'hello' });
      expect(echoed.isError).toBeFalsy();
      expect(textOf(echoed)).toBe('hello');
      const runId = echoed._meta?.['control-plane/run_id'] as string;
      const run = await runRow(runId);
      const me = (await api.get(setup.agent.key, '/api/v1/principals/me')).body;
      expect([run.status, run.action, run.requested_by, run.params]).toEqual([
        'SUCCEEDED',
        'fixture.mcp.echo',
        me.id,
        { tool: 'echo', arguments: { text: 'hello' } },
      ]);
      expect(me.kind).toBe('agent');
      // A configured secret in a tool's result is masked, in a process that has not resolved it yet.
      const leaky = await call(agent.client, 'recorder__echo', { text: 'the pin is hunter2-supersecret' });
      expect(textOf(leaky)).toBe('the pin is [secret]');
      // A result larger than the control plane keeps is cut, with a marker, and still reaches the agent.
      const big = await call(agent.client, 'recorder__big', { bytes: 50_000 });
      expect([big.isError, textOf(big).length < 9_000, /\[cut: the tool's result was \d+ bytes/.test(textOf(big))]).toEqual([
        false,
        true,
        true,
      ]);

      const before = await runsOf(setup.project);
      const deniedAnswer = await call(agent.client, 'recorder__delete_everything', {});
      expect(deniedAnswer.isError).toBe(true);
      expect(deniedAnswer.structuredContent).toMatchObject({ status: 'denied', message: 'deleting everything is not allowed' });
      expect(await runsOf(setup.project)).toBe(before);
      expect(setup.records().filter((record) => record.tool === 'delete_everything')).toEqual([]);
    });

    it('a gated call: pending at once → approved by another principal → the tool ran exactly once with the approved arguments; a retry runs nothing', async () => {
      const pending = await call(agent.client, 'recorder__record', { note: 'ship it' });
      expect(pending.isError).toBe(false);
      expect(pending.structuredContent).toMatchObject({
        status: 'pending_approval',
        approvals_received: 0,
        approvals_required: 1,
        action: 'fixture.mcp.record',
      });
      const runId = pending.structuredContent?.run_id as string;
      expect(pending.structuredContent?.console_url).toBe(`http://127.0.0.1:3000/console/runs/${runId}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(setup.records()).toEqual([]);
      expect((await statusOf(agent.client, runId)).structuredContent?.status).toBe('pending_approval');

      await approve(runId);
      const done = await statusOf(agent.client, runId, 20);
      expect(textOf(done)).toBe('recorded: ship it');
      expect(setup.records().map((record) => [record.tool, record.arguments])).toEqual([['record', { note: 'ship it' }]]);
      // The same call again (same arguments, same agent): the same run, its stored result, not another call.
      const again = await call(agent.client, 'recorder__record', { note: 'ship it' });
      expect([textOf(again), again._meta?.['control-plane/run_id']]).toEqual(['recorded: ship it', runId]);
      expect(setup.records()).toHaveLength(1);
      const { rows } = await pool.query(`SELECT actor FROM audit_events WHERE execution_run_id = $1 AND event_type = 'step.finished'`, [
        runId,
      ]);
      expect(rows.map((row) => row.actor)).toEqual([(await api.get(setup.worker.key, '/api/v1/principals/me')).body.id]);
      expect((await api.get(api.adminKey, `/api/v1/audit/verify?execution_id=${runId}`)).body.ok).toBe(true);
    });

    it("an approver's edit of the arguments is a plan change: a new hash, a new quorum the editor is not part of, and the edit is what runs", async () => {
      const pending = await call(agent.client, 'recorder__record', { note: 'draft' });
      const runId = pending.structuredContent?.run_id as string;
      const before = await runRow(runId);
      const editor = await api.mintKey({ roles: ['approver'] });
      const edit = (key: string) =>
        checkedFetch(`${baseUrl}/api/v1/execution/run/${runId}/plan`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ params: { tool: 'record', arguments: { note: 'edited by a person' } }, targets: ['recorder'] }),
        });
      // Not one who may decide it (the bootstrap admin is a service no admin marked an approver): refused.
      const byAdmin = await edit(api.adminKey);
      expect([byAdmin.status, ((await byAdmin.json()) as { error: { code: string } }).error.code]).toEqual([403, 'not_requester']);
      expect((await edit(editor.key)).status).toBe(200);
      const after = await runRow(runId);
      expect(after.plan_hash).not.toBe(before.plan_hash);
      const stale = await api.decide(approver.key, runId, 'approve', { reason: 'old plan', plan_hash: before.plan_hash });
      expect([stale.status, stale.body.error.code]).toEqual([409, 'plan_changed']);
      const own = await api.decide(editor.key, runId, 'approve', { reason: 'my own edit' });
      expect([own.status, own.body.error.details]).toEqual([403, { reason: 'edited_the_plan' }]);
      // The database refuses that vote too, whatever the code does.
      const editorId = (await api.get(editor.key, '/api/v1/principals/me')).body.id as string;
      await expect(
        pool.query(
          `INSERT INTO approval_decisions (approval_id, execution_run_id, principal_id, decision, credential)
           SELECT id, execution_run_id, $2, 'approve', $3 FROM approvals WHERE execution_run_id = $1 AND status = 'pending'`,
          [runId, editorId, `api_key:${editor.id}`],
        ),
      ).rejects.toThrow(/edited_the_plan/);
      expect(
        setup.records().filter((record) => record.arguments.note === 'draft' || record.arguments.note === 'edited by a person'),
      ).toEqual([]);
      await approve(runId);
      expect(textOf(await statusOf(agent.client, runId, 20))).toBe('recorded: edited by a person');
      expect(
        setup
          .records()
          .filter((record) => record.arguments.note !== 'ship it')
          .map((record) => record.arguments),
      ).toEqual([{ note: 'edited by a person' }]);
    });

    it('an argument pattern picks another action type: a note under tmp-* runs without approval', async () => {
      const answer = await call(agent.client, 'recorder__record', { note: 'tmp-scratch' });
      expect(textOf(answer)).toBe('recorded: tmp-scratch');
      expect((await runRow(answer._meta?.['control-plane/run_id'] as string)).action).toBe('fixture.mcp.record_tmp');
    });

    it('rejected and expired reach the agent as such, and the tool never ran', async () => {
      const rejectedRun = (await call(agent.client, 'recorder__record', { note: 'rejected one' })).structuredContent?.run_id as string;
      expect((await api.decide(approver.key, rejectedRun, 'reject', { reason: 'not today' })).status).toBe(200);
      const rejected = await statusOf(agent.client, rejectedRun);
      expect([rejected.isError, rejected.structuredContent?.status, rejected.structuredContent?.reason]).toEqual([
        true,
        'rejected',
        'not today',
      ]);

      const expiredRun = (await call(agent.client, 'recorder__record', { note: 'expired one' })).structuredContent?.run_id as string;
      await expireLaneNow(pool, expiredRun);
      // Met by a decision, the overdue lane expires (the sweeper would too).
      expect((await api.decide(approver.key, expiredRun, 'approve', { reason: 'too late' })).status).toBe(409);
      const expired = await statusOf(agent.client, expiredRun, 5);
      expect([expired.isError, expired.structuredContent?.status]).toEqual([true, 'expired']);
      expect(setup.records().filter((record) => ['rejected one', 'expired one'].includes(record.arguments.note as string))).toEqual([]);
    });

    it('hostile input is refused with a clear answer, and nothing is made or run', async () => {
      const before = await runsOf(setup.project);
      const recorded = setup.records().length;
      let deep: unknown = 'bottom';
      for (let level = 0; level < 40; level++) deep = { deeper: deep };
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['recorder__record', { note: 'nul \u0000 inside' }, 'invalid_arguments'],
        ['recorder__record', { note: 'lone \ud800 surrogate' }, 'invalid_arguments'],
        ['recorder__record', { note: 'deep', extra: deep }, 'invalid_arguments'],
        ['recorder__record', { note: 'x'.repeat(70_000) }, 'arguments_too_large'],
        ['recorder__record', { note: { $secret: 'BOOTSTRAP_ADMIN_KEY' } }, 'secret_reference'],
        ['recorder__nope', {}, 'unknown_tool'],
        ['nobody__record', {}, 'unknown_tool'],
        ['record', {}, 'unknown_tool'],
      ];
      for (const [name, args, code] of cases) {
        const answer = await call(agent.client, name, args);
        expect([name, answer.isError, answer.structuredContent?.status, answer.structuredContent?.code]).toEqual([
          name,
          true,
          'refused',
          code,
        ]);
      }
      const badId = await statusOf(agent.client, 'not-a-run');
      expect(badId.structuredContent?.code).toBe('invalid_run_id');
      const badWait = await call(agent.client, 'get_approval_status', { run_id: randomUUID(), wait_seconds: 9999 });
      expect(badWait.structuredContent?.code).toBe('invalid_wait');
      // Another agent's run is not found, whatever its id.
      const other = await setUp('mcp-other');
      const othersRun = await api.createRun(other.agent.key, {
        project_id: other.project,
        idempotency_key: randomUUID(),
        action: 'fixture.mcp.record',
        targets: ['recorder'],
        params: { tool: 'record', arguments: { note: 'theirs' } },
      });
      expect(othersRun.status).toBe(201);
      const notMine = await statusOf(agent.client, othersRun.body.execution_id as string);
      expect(notMine.structuredContent?.code).toBe('not_found');
      expect(await runsOf(setup.project)).toBe(before);
      expect(setup.records()).toHaveLength(recorded);
      // Nor another agent's run in the same project (which that agent's key may read over the API): not this agent's to follow.
      const neighbour = await connect(setup, { key: (await mintAgent(setup.project)).key, worker: false });
      const mine = await call(agent.client, 'recorder__echo', { text: 'for my eyes' });
      const peek = await statusOf(neighbour.client, mine._meta?.['control-plane/run_id'] as string);
      expect([peek.structuredContent?.code, JSON.stringify(peek)]).toEqual(['not_found', expect.not.stringContaining('for my eyes')]);
    });

    it('a run made around the gateway that names a secret is never handed to a tool, even at level 0', async () => {
      const before = setup.records().length;
      const made = await api.createRun(setup.agent.key, {
        project_id: setup.project,
        idempotency_key: randomUUID(),
        action: 'fixture.mcp.record_tmp',
        targets: ['recorder'],
        params: { tool: 'record', arguments: { note: { $secret: 'MCP_PIN' } } },
      });
      expect(made.status).toBe(201);
      const id = made.body.execution_id as string;
      await until(id, async () => (await runRow(id)).status === 'FAILED', 'the run refused');
      expect((await runRow(id)).last_error).toMatch(/secret_reference/);
      expect(setup.records()).toHaveLength(before);
      expect(readFileSync(setup.recordFile, 'utf8')).not.toContain('hunter2');
    });

    it('only an agent is served: a service key is refused', async () => {
      const service = await api.mintKey({ roles: ['requester'], projectIds: [setup.project] });
      const before = await runsOf(setup.project);
      const wrong = await connect(setup, { key: service.key, worker: false });
      const answer = await call(wrong.client, 'recorder__echo', { text: 'as a service' });
      expect([answer.isError, answer.structuredContent?.status]).toEqual([true, 'denied']);
      expect(answer.structuredContent?.message).toMatch(/serves agents/);
      expect(await runsOf(setup.project)).toBe(before);
    });

    it('the permission prompt asks the approvers; allowed once approved, with the input as approved', async () => {
      const ask = () =>
        call(agent.client, 'approval_prompt', { tool_name: 'Bash', input: { command: 'ls -la' }, tool_use_id: randomUUID() });
      const first = await ask();
      const said = JSON.parse(textOf(first)) as { behavior: string; message: string };
      expect(said.behavior).toBe('deny');
      expect(said.message).toMatch(/^pending_approval: /);
      const runId = first.structuredContent?.run_id as string;
      expect((await runRow(runId)).params).toEqual({ tool: 'Bash', input: { command: 'ls -la' } });
      await approve(runId);
      await until(runId, async () => (await runRow(runId)).status === 'SUCCEEDED', 'the permission recorded');
      expect(JSON.parse(textOf(await ask()))).toEqual({ behavior: 'allow', updatedInput: { command: 'ls -la' } });

      // An approver may edit the input, never turn it into another tool's permission.
      const other = await call(agent.client, 'approval_prompt', { tool_name: 'Bash', input: { command: 'rm -rf /tmp/x' } });
      const otherRun = other.structuredContent?.run_id as string;
      const editor = await api.mintKey({ roles: ['approver'] });
      const edited = await checkedFetch(`${baseUrl}/api/v1/execution/run/${otherRun}/plan`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${editor.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ params: { tool: 'Write', input: { file: '/etc/passwd' } }, targets: ['Write'] }),
      });
      expect(edited.status).toBe(200);
      await approve(otherRun);
      await until(otherRun, async () => (await runRow(otherRun)).status === 'SUCCEEDED', 'the edited permission recorded');
      const mismatch = await call(agent.client, 'approval_prompt', { tool_name: 'Bash', input: { command: 'rm -rf /tmp/x' } });
      expect([JSON.parse(textOf(mismatch)).behavior, mismatch.structuredContent?.status]).toEqual(['deny', 'plan_mismatch']);
      // Nor into a plan with no input at all: nothing was approved for the agent's input.
      const bare = await call(agent.client, 'approval_prompt', { tool_name: 'Bash', input: { command: 'cat /etc/hosts' } });
      const bareRun = bare.structuredContent?.run_id as string;
      const stripped = await checkedFetch(`${baseUrl}/api/v1/execution/run/${bareRun}/plan`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${editor.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ params: { tool: 'Bash' }, targets: ['Bash'] }),
      });
      expect(stripped.status).toBe(200);
      await approve(bareRun);
      await until(bareRun, async () => (await runRow(bareRun)).status === 'SUCCEEDED', 'the stripped permission recorded');
      const noInput = await call(agent.client, 'approval_prompt', { tool_name: 'Bash', input: { command: 'cat /etc/hosts' } });
      expect([JSON.parse(textOf(noInput)).behavior, noInput.structuredContent?.status]).toEqual(['deny', 'plan_mismatch']);
    });

    it('an agent key never reaches the log', () => {
      const log = agent.logged.join('');
      expect(log).toContain('tool call became a run');
      expect(log).not.toContain(setup.agent.key);
      expect(log).not.toContain(setup.worker.key);
    });
  });

  describe('the dedupe window', () => {
    it('a retry just after the window turned still finds the run; two windows later it is a new call', async () => {
      const setup = await setUp('mcp-window', { dedupe_window_seconds: 2 });
      const agent = await connect(setup);
      // The upstream started first (its start is slower than a call), then: call late in a window, retry early in the next one.
      await call(agent.client, 'recorder__echo', { text: 'warm' });
      const intoWindow = Date.now() % 2000;
      await new Promise((resolve) => setTimeout(resolve, (3600 - intoWindow) % 2000));
      const first = await call(agent.client, 'recorder__record', { note: 'once' });
      await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 2000) + 100));
      const retry = await call(agent.client, 'recorder__record', { note: 'once' });
      expect(retry.structuredContent?.run_id).toBe(first.structuredContent?.run_id);
      await new Promise((resolve) => setTimeout(resolve, 4100));
      const later = await call(agent.client, 'recorder__record', { note: 'once' });
      expect(later.structuredContent?.run_id).not.toBe(first.structuredContent?.run_id);
    });
  });

  describe('a gateway killed', () => {
    it('between approval and execution: on restart the tool runs once, and the agent reads its result', async () => {
      const setup = await setUp('mcp-kill');
      const first = await connect(setup);
      const runId = (await call(first.client, 'recorder__record', { note: 'survives' })).structuredContent?.run_id as string;
      process.kill(first.transport.pid as number, 'SIGKILL');
      await approve(runId);
      const second = await connect(setup);
      expect(textOf(await statusOf(second.client, runId, 20))).toBe('recorded: survives');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(setup.records().map((record) => record.arguments.note)).toEqual(['survives']);
    });

    it('during the call of a tool not declared idempotent: it is not called again, and the run says it may have run', async () => {
      const setup = await setUp('mcp-mid');
      const first = await connect(setup);
      const runId = (await call(first.client, 'recorder__record', { note: 'in flight', sleep_ms: 20_000 })).structuredContent
        ?.run_id as string;
      await approve(runId);
      await untilUpstreamReached(setup);
      process.kill(first.transport.pid as number, 'SIGKILL');
      const second = await connect(setup);
      // The lease (3 s) runs out, the run is handed out again, and the new gateway declines to call the tool again.
      await until(runId, async () => (await runRow(runId)).status === 'FAILED', 'the run failed', 40_000);
      const answer = await statusOf(second.client, runId);
      expect([answer.isError, answer.structuredContent?.status]).toEqual([true, 'may_have_run']);
      expect((await runRow(runId)).attempt).toBe(2);
      expect(setup.records()).toHaveLength(1);
    }, 90_000);
  });

  describe('a tool declared idempotent', () => {
    it('killed during its call, it is called again on the next attempt (the operator said that is harmless)', async () => {
      const setup = await setUp('mcp-idem', { tools: [{ tool: 'recorder__record', action: 'fixture.mcp.record', idempotent: true }] });
      const first = await connect(setup);
      const runId = (await call(first.client, 'recorder__record', { note: 'twice is fine', sleep_ms: 6_000 })).structuredContent
        ?.run_id as string;
      await approve(runId);
      await untilUpstreamReached(setup);
      process.kill(first.transport.pid as number, 'SIGKILL');
      const second = await connect(setup);
      // The second attempt sleeps 6 s too: wait for its call to reach the upstream, then for the run to succeed.
      await until(runId, async () => (await runRow(runId)).status === 'SUCCEEDED', 'the run succeeded on its second attempt', 60_000);
      expect((await runRow(runId)).attempt).toBe(2);
      expect(setup.records().map((record) => record.arguments.note)).toEqual(['twice is fine', 'twice is fine']);
      expect(textOf(await statusOf(second.client, runId))).toBe('recorded: twice is fine');
    }, 90_000);
  });

  describe('a run cancelled during the call', () => {
    it('tells the agent it may have run, not that it was cancelled before', async () => {
      const setup = await setUp('mcp-cancel');
      const agent = await connect(setup);
      const runId = (await call(agent.client, 'recorder__record', { note: 'cancel me', sleep_ms: 20_000 })).structuredContent
        ?.run_id as string;
      await approve(runId);
      await untilUpstreamReached(setup);
      const cancelled = await checkedFetch(`${baseUrl}/api/v1/execution/run/${runId}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'changed my mind' }),
      });
      expect([200, 202]).toContain(cancelled.status);
      await until(runId, async () => (await runRow(runId)).status === 'CANCELLED', 'the run cancelled', 30_000);
      const answer = await statusOf(agent.client, runId);
      expect([answer.isError, answer.structuredContent?.status, answer.structuredContent?.ended]).toEqual([
        true,
        'may_have_run',
        'cancelled',
      ]);
      expect(setup.records()).toHaveLength(1);
    });
  });

  describe('over Streamable HTTP', () => {
    it("each agent's bearer credential opens its own session; no credential, a wrong one, or another's session is refused", async () => {
      const setup = await setUp('mcp-http');
      const gateway = new McpGatewayHttpProcess({ configFile: setup.configFile, baseUrl, workerCredential: setup.worker.key });
      httpGateways.push(gateway);
      const url = await gateway.url();
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${setup.agent.key}` } },
      });
      const client = new Client({ name: 'http-agent', version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      expect(textOf(await call(client, 'recorder__echo', { text: 'over http' }))).toBe('over http');
      const pending = await call(client, 'recorder__record', { note: 'http gated' });
      expect(pending.structuredContent?.status).toBe('pending_approval');

      const initialize = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      expect((await fetch(url, { method: 'POST', headers, body: initialize })).status).toBe(401);
      expect(
        (await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer cpk_not-a-key' }, body: initialize })).status,
      ).toBe(401);
      const stranger = await mintAgent(setup.project);
      const hijack = await fetch(url, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${stranger.key}`, 'mcp-session-id': transport.sessionId as string },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(hijack.status).toBe(404);
      expect(
        (await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${stranger.key}` }, body: '{"a":' })).status,
      ).toBe(400);
      const service = await api.mintKey({ roles: ['requester'], projectIds: [setup.project] });
      expect(
        (await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${service.key}` }, body: initialize })).status,
      ).toBe(403);
      // One agent's sessions are capped (its oldest closed for a new one), even when 40 open at once: it cannot take every session.
      const opened = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const session = await fetch(url, {
            method: 'POST',
            headers: { ...headers, authorization: `Bearer ${stranger.key}` },
            body: initialize,
          });
          expect(session.status).toBe(200);
          await session.body?.cancel();
          return session.headers.get('mcp-session-id') as string;
        }),
      );
      const alive = await Promise.all(
        opened.map(async (sessionId) => {
          const reuse = await fetch(url, {
            method: 'POST',
            headers: {
              ...headers,
              authorization: `Bearer ${stranger.key}`,
              'mcp-session-id': sessionId,
              'mcp-protocol-version': '2025-06-18',
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
          });
          await reuse.body?.cancel();
          return reuse.status === 200;
        }),
      );
      expect(alive.filter(Boolean).length).toBeLessThanOrEqual(16);
      expect(alive.filter(Boolean).length).toBeGreaterThan(0);
      expect(textOf(await call(client, 'recorder__echo', { text: 'still here' }))).toBe('still here');
      expect(gateway.logged()).not.toContain(setup.agent.key);
    });
  });
});
