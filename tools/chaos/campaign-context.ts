import { Pool } from 'pg';
import { ApiCaller } from './api-caller';
import { ChaosConfig } from './chaos-config';
import { ChaosStack } from './chaos-stack';
import { HttpRecorder } from './http-recorder';
import { LoadKeys } from './load-generator';
import { OutageClock } from './outage-clock';

/** What every phase of the campaign works with. */
export interface CampaignContext {
  readonly config: ChaosConfig;
  readonly stack: ChaosStack;
  /** The campaign's own connections, for the checks; it survives the PostgreSQL restart. */
  readonly pool: Pool;
  readonly recorder: HttpRecorder;
  readonly outage: OutageClock;
  readonly keys: LoadKeys;
  /** Requests of the recovery probes, recorded as such. */
  readonly probeApi: ApiCaller;
}

/** The project of the recovery probes, apart from the load's. */
export const PROBE_PROJECT = 'chaos-probe';
