import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The production sources under a folder (and, when asked, its tests), with their text, paths relative to the repository. */
export function sourceFiles(folder: string, options: { withTests?: boolean } = {}): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && (options.withTests || !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name))) {
        files.push({ path: relative(ROOT, full), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(join(ROOT, folder));
  return files;
}

/** libs/<name>/... -> name; apps/<name>/... -> app:<name>. */
export function ownerOf(path: string): string {
  const [kind, name] = path.split('/');
  return kind === 'libs' ? name : `app:${name}`;
}
