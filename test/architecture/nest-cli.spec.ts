import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './source-files';

interface Project {
  type: 'application' | 'library';
  root: string;
  sourceRoot: string;
  entryFile: string;
}
interface NestCli {
  monorepo: boolean;
  root: string;
  compilerOptions: { builder: string; tsConfigPath: string; plugins: Array<{ name: string; options: { dtoFileNameSuffix: string[] } }> };
  projects: Record<string, Project>;
}

const cli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as NestCli;
const folders = (parent: string) =>
  readdirSync(join(ROOT, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
const projectsOf = (type: Project['type']) =>
  Object.entries(cli.projects)
    .filter(([, project]) => project.type === type)
    .map(([name]) => name)
    .sort();

/** nest-cli.json describes the monorepo as it is: a project per app and per lib, each where its folder is. */
describe('nest-cli.json', () => {
  it('is a monorepo built by tsc from tsconfig.build.json, the api its default project', () => {
    expect(cli.monorepo).toBe(true);
    expect(cli.root).toBe(cli.projects.api.root);
    expect(cli.compilerOptions).toMatchObject({ builder: 'tsc', tsConfigPath: 'tsconfig.build.json' });
  });

  it('has an application for each app with a Node entry point (the console is built by Vite) and a library for each lib', () => {
    const apps = folders('apps').filter((name) => existsSync(join(ROOT, 'apps', name, 'src', 'main.ts')));
    expect(apps).toContain('api');
    expect(apps).toContain('worker');
    expect(apps).not.toContain('console');
    expect(projectsOf('application')).toEqual(apps);
    expect(projectsOf('library')).toEqual(folders('libs'));
  });

  it("names each project's folders and entry file as they are", () => {
    const wrong = Object.entries(cli.projects)
      .filter(([name, project]) => {
        const root = `${project.type === 'application' ? 'apps' : 'libs'}/${name}`;
        const entry = join(ROOT, project.sourceRoot, `${project.entryFile}.ts`);
        return project.root !== root || project.sourceRoot !== `${root}/src` || !existsSync(entry);
      })
      .map(([name]) => name);
    expect(wrong).toEqual([]);
  });

  it('hands the Swagger plugin DTO files that exist', () => {
    const plugin = cli.compilerOptions.plugins.find((entry) => entry.name === '@nestjs/swagger');
    const files = plugin?.options.dtoFileNameSuffix ?? [];
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => !file.endsWith('.dto.ts') || !existsSync(join(ROOT, file)))).toEqual([]);
  });
});
