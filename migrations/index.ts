import { Phase1Schema1795329400000 } from './1795329400000-phase1-schema';
import { Governance1795336000000 } from './1795336000000-governance';
import { Execution1795340000000 } from './1795340000000-execution';

/** Every migration, oldest first. A landed migration is never edited: add a new one. */
export const MIGRATIONS = [Phase1Schema1795329400000, Governance1795336000000, Execution1795340000000];
