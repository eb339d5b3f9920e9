import { resolve } from 'node:path';
import { register } from 'tsconfig-paths';
import { compilerOptions } from '../../tsconfig.json';

/** Jest's global setup and teardown run outside its module mapper: resolve the @lib/* aliases for them. */
register({ baseUrl: resolve(__dirname, '..', '..'), paths: compilerOptions.paths });
