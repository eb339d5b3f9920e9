import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpGatewayProgram, mintKey, postJson, recordingServerProgram } from '@tools/harness';
import { LatencyRecorder } from './latency-recorder';

export interface McpScenarioResult {
  readonly calls: number;
  /** The agent calling the example upstream straight (no gateway): the floor. */
  readonly directMs: Record<50 | 99, number>;
  /** The same call through the gateway at level 0: a run made, claimed, carried out and read back. */
  readonly allowedMs: Record<50 | 99, number>;
  /** A call that needs approval: until the agent holds its pending answer. */
  readonly pendingMs: Record<50 | 99, number>;
  /** Approval's answer to the agent reading the tool's result (get_approval_status waiting). */
  readonly approvalToResultMs: Record<50 | 99, number>;
}

interface Input {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly calls: number;
  readonly progress: (message: string) => void;
}

/**
 * The MCP gateway's cost, one call at a time (the latency an agent sees, not a throughput): an
 * agent (the MCP SDK's client) on a gateway over stdio, in front of the example recording
 * server, against the bench's API; the shipped policy's mcp.recorder.echo (level 0) and
 * mcp.recorder.record (level 1).
 */
export async function runMcpScenario(input: Input): Promise<McpScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mcp-'));
  const project = `bench-mcp-${Date.now()}`;
  const clients: Client[] = [];
  try {
    const agent = await postJson({
      baseUrl: input.baseUrl,
      path: '/api/v1/api-keys',
      key: input.adminKey,
      body: { name: 'bench-agent', kind: 'agent', roles: ['requester'], project_ids: [project] },
      expectStatus: 201,
    });
    const worker = await mintKey({
      baseUrl: input.baseUrl,
      adminKey: input.adminKey,
      name: 'bench-gateway',
      roles: ['worker'],
      projectIds: [project],
    });
    const approver = await mintKey({
      baseUrl: input.baseUrl,
      adminKey: input.adminKey,
      name: 'bench-approver',
      roles: ['approver'],
      projectIds: [project],
    });
    const upstream = recordingServerProgram();
    const configFile = join(dir, 'gateway.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        project,
        upstreams: [{ name: 'recorder', command: upstream.command, args: upstream.args, env: { RECORD_FILE: join(dir, 'records.jsonl') } }],
        tools: [
          { tool: 'recorder__echo', action: 'mcp.recorder.echo' },
          { tool: 'recorder__record', action: 'mcp.recorder.record' },
        ],
      }),
    );
    const connect = async (command: string, args: readonly string[], env: Record<string, string>) => {
      const client = new Client({ name: 'bench-agent', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({ command, args: [...args], env: { ...getDefaultEnvironment(), ...env }, stderr: 'ignore' }),
      );
      clients.push(client);
      return client;
    };
    const direct = await connect(upstream.command, upstream.args, { RECORD_FILE: join(dir, 'direct.jsonl') });
    const gateway = mcpGatewayProgram(configFile);
    const governed = await connect(gateway.command, gateway.args, {
      CONTROL_PLANE_URL: input.baseUrl,
      CONTROL_PLANE_CREDENTIAL: agent.key as string,
      MCP_GATEWAY_WORKER_CREDENTIAL: worker.key,
    });
    const timed = async (recorder: LatencyRecorder, work: () => Promise<CallToolResult>): Promise<CallToolResult> => {
      const started = performance.now();
      const answer = await work();
      recorder.record(performance.now() - started);
      return answer;
    };
    const call = (client: Client, name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
    // Warm both paths (connections, JIT) before measuring.
    for (let index = 0; index < 10; index++) {
      await call(direct, 'echo', { text: `warm ${index}` });
      await call(governed, 'recorder__echo', { text: `warm ${index}` });
    }
    const directMs = new LatencyRecorder();
    const allowedMs = new LatencyRecorder();
    const pendingMs = new LatencyRecorder();
    const approvalToResultMs = new LatencyRecorder();
    input.progress(`mcp: ${input.calls} calls straight to the upstream, then through the gateway`);
    for (let index = 0; index < input.calls; index++) {
      await timed(directMs, () => call(direct, 'echo', { text: `direct ${index}` }));
      const answer = await timed(allowedMs, () => call(governed, 'recorder__echo', { text: `governed ${index}` }));
      if (answer.isError) throw new Error(`an allowed call failed: ${JSON.stringify(answer.content)}`);
    }
    const gatedCalls = Math.max(5, Math.floor(input.calls / 4));
    input.progress(`mcp: ${gatedCalls} gated calls, each approved`);
    for (let index = 0; index < gatedCalls; index++) {
      const pending = await timed(pendingMs, () => call(governed, 'recorder__record', { note: `gated ${index}` }));
      const runId = (pending.structuredContent as { run_id?: string } | undefined)?.run_id;
      if (!runId) throw new Error(`a gated call answered no run: ${JSON.stringify(pending.content)}`);
      const waiting = call(governed, 'get_approval_status', { run_id: runId, wait_seconds: 30 });
      // Give the status call time to start its long-poll, as an agent would have.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const run = (await (
        await fetch(`${input.baseUrl}/api/v1/execution/run/${runId}`, { headers: { authorization: `Bearer ${approver.key}` } })
      ).json()) as {
        plan_hash: string;
      };
      await postJson({
        baseUrl: input.baseUrl,
        path: `/approvals/${runId}/approve`,
        key: approver.key,
        body: { plan_hash: run.plan_hash, reason: 'bench' },
        expectStatus: 200,
      });
      const approvedAt = performance.now();
      const done = await waiting;
      approvalToResultMs.record(performance.now() - approvedAt);
      if (done.isError || !JSON.stringify(done.content).includes(`recorded: gated ${index}`))
        throw new Error(`a gated call did not run: ${JSON.stringify(done.content)}`);
    }
    return {
      calls: input.calls,
      directMs: directMs.percentiles([50, 99] as const),
      allowedMs: allowedMs.percentiles([50, 99] as const),
      pendingMs: pendingMs.percentiles([50, 99] as const),
      approvalToResultMs: approvalToResultMs.percentiles([50, 99] as const),
    };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
