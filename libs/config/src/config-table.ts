import { SECRET_NOTE, VariableNote, variableNotes } from './environment';

/** The configuration table of docs/configuration.md, made from the environment schema. */
export function renderConfigTable(): string {
  const rows: VariableNote[] = [...variableNotes(), SECRET_NOTE];
  return [
    '| Variable | Default | Meaning |',
    '| --- | --- | --- |',
    ...rows.map((note) => `| \`${note.name}\` | ${note.default} | ${note.meaning} |`),
  ].join('\n');
}
