// Bundles the browser pages (GraphiQL, the legacy listen page) from npm packages into dist/web: no CDN at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'web');

async function main(): Promise<void> {
  const pages = [
    { name: 'graphiql', entry: 'web/graphiql/main.tsx', bundle: 'graphiql.js' },
    { name: 'listen', entry: 'web/listen/listen.ts', bundle: 'listen.js' },
  ];
  for (const page of pages) {
    const dir = path.join(out, page.name);
    mkdirSync(dir, { recursive: true });
    await build({
      entryPoints: [path.join(root, page.entry)],
      outfile: path.join(dir, page.bundle),
      bundle: true,
      minify: true,
      sourcemap: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    });
    copyFileSync(path.join(root, 'web', page.name, 'index.html'), path.join(dir, 'index.html'));
  }
  console.log(`built ${pages.map((p) => p.name).join(', ')} into ${path.relative(root, out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
