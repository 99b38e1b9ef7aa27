// Bundles page.mjs with JsSIP into build/page.js, the one script page.html
// loads (npm jssip ships CommonJS only). Run by scripts/browser-deps.sh.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

await build({
	entryPoints: [path.join(here, 'page.mjs')],
	outfile: path.join(here, 'build', 'page.js'),
	bundle: true,
	format: 'iife',
	target: 'es2020',
	minify: true,
	logLevel: 'warning',
});
