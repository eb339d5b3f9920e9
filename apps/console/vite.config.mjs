// The operator console: Preact pages bundled by Vite into dist/console (served by the API at /console/).
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default {
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { '@control-plane/client': here('../../clients/typescript/src/browser.ts') } },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    // Every script is a file of its own: the content security policy allows no inline script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
};
