import { Phase1Schema1795329400000 } from './1795329400000-phase1-schema';

/** Every migration, oldest first. A landed migration is never edited: add a new one. */
export const MIGRATIONS = [Phase1Schema1795329400000];
