// The migration classes live at the top of the repository (migrations/); this file is the
// only place that reaches them, so the runner and the DataSource agree on one list.
export { MIGRATIONS } from '../../../migrations';
