/**
 * The gateway's log: one JSON line per entry on stderr (stdout carries the MCP session in stdio
 * mode). Entries name runs, tools and upstreams; never a credential, nor a tool's arguments or
 * result (they may hold what the agent should not leak).
 */
export interface GatewayLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function stderrLog(level: 'info' | 'warn' | 'error' = 'info'): GatewayLog {
  const rank = { info: 0, warn: 1, error: 2 } as const;
  const write = (at: keyof typeof rank, message: string, fields: Record<string, unknown> = {}) => {
    if (rank[at] < rank[level]) return;
    try {
      process.stderr.write(`${JSON.stringify({ level: at, time: new Date().toISOString(), msg: message, ...fields })}\n`);
    } catch {
      // a closed stderr has nowhere to say so
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
