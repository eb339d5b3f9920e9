import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/**
 * A small upstream MCP server (stdio) with side effects you can see: every call of a tool that
 * does something appends one JSON line to RECORD_FILE before it answers, so a test (or you) can
 * count how often, and with which arguments, a tool really ran. The gateway's walkthrough and
 * its tests stand in front of it.
 *
 *   echo               read-only: answers its text
 *   record             writes {tool, arguments, pid, at} to RECORD_FILE; sleep_ms waits after writing
 *   delete_everything  also recorded, so that a test proves a denied call never reached it
 *   big                answers `bytes` characters (results larger than the control plane keeps)
 */
const recordFile = process.env.RECORD_FILE;

function recordCall(tool: string, args: unknown): number {
  const line = JSON.stringify({ tool, arguments: args, pid: process.pid, at: new Date().toISOString() });
  if (recordFile) appendFileSync(recordFile, `${line}\n`);
  return line.length;
}

const server = new McpServer({ name: 'recorder', version: '0.1.0' });

server.registerTool(
  'echo',
  { description: 'Answers the text it is given (no side effect)', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
  ({ text }) => ({ content: [{ type: 'text', text }] }),
);

server.registerTool(
  'record',
  {
    description: 'Records a note (a side effect: one line in the record file); sleep_ms waits after writing it',
    inputSchema: { note: z.string(), sleep_ms: z.number().int().min(0).max(60_000).optional() },
    annotations: { destructiveHint: false, idempotentHint: false },
  },
  async (args) => {
    recordCall('record', args);
    if (args.sleep_ms) await new Promise((resolve) => setTimeout(resolve, args.sleep_ms));
    return { content: [{ type: 'text', text: `recorded: ${args.note}` }] };
  },
);

server.registerTool(
  'delete_everything',
  {
    description: 'Pretends to delete everything (recorded, so a test can see it was reached)',
    inputSchema: {},
    annotations: { destructiveHint: true },
  },
  () => {
    recordCall('delete_everything', {});
    return { content: [{ type: 'text', text: 'deleted everything' }] };
  },
);

server.registerTool(
  'big',
  {
    description: 'Answers `bytes` characters',
    inputSchema: { bytes: z.number().int().min(0).max(1_000_000) },
    annotations: { readOnlyHint: true },
  },
  ({ bytes }) => ({ content: [{ type: 'text', text: 'x'.repeat(bytes) }] }),
);

// The gateway that started it is gone (its end of stdin closed): so is this server.
process.stdin.once('end', () => process.exit(0));
server.connect(new StdioServerTransport()).catch((error: unknown) => {
  process.stderr.write(`recording server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
