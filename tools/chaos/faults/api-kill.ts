import { CampaignContext } from '../campaign-context';
import { progress } from '../progress';

export interface ApiKillResult {
  /** From the kill to /health/ready answering 200 again. */
  readonly api_restart_seconds: number;
}

/** kill -9 of the API under load, then the same API started again on its port. */
export async function killApi(context: CampaignContext): Promise<ApiKillResult> {
  progress('fault: kill -9 the API');
  const killedAt = Date.now();
  await context.stack.api.kill9();
  await context.stack.api.start();
  const seconds = (Date.now() - killedAt) / 1000;
  progress(`  the API answers ready again after ${seconds.toFixed(1)} s`);
  return { api_restart_seconds: seconds };
}
