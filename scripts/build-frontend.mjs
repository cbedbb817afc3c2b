// Build Baton's browser assets: static/src/{modeller,viewer,map,dmn}.js -> static/dist/ (IIFE + CSS + fonts).
//
// bpmnlint has no esbuild plugin, so its configuration (.bpmnlintrc) is first compiled to a module
// (build/bpmnlint-config.js) that imports every enabled rule; the modeller imports that module.
// Run with `npm run build` (make install does it after `npm ci`).

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const compileConfig = require('bpmnlint/lib/support/compile-config');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'static', 'dist');
const generated = path.join(root, 'build', 'bpmnlint-config.js');

async function compileLintConfig() {
  const config = JSON.parse(await readFile(path.join(root, '.bpmnlintrc'), 'utf8'));
  await mkdir(path.dirname(generated), { recursive: true });
  await writeFile(generated, await compileConfig(config));
}

async function bundle() {
  await rm(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: {
      modeller: path.join(root, 'static', 'src', 'modeller.js'),
      viewer: path.join(root, 'static', 'src', 'viewer.js'),
      heatmap: path.join(root, 'static', 'src', 'heatmap.js'), // process version pages
      map: path.join(root, 'static', 'src', 'map.js'),
      dmn: path.join(root, 'static', 'src', 'dmn.js'), // dmn-js, loaded only by DMN drafts' pages
    },
    outdir,
    bundle: true,
    format: 'iife',
    minify: true,
    sourcemap: true,
    target: ['es2020'],
    alias: { 'baton-bpmnlint-config': generated },
    loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
    assetNames: 'assets/[name]-[hash]',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    metafile: true,
  });
  const outputs = Object.entries(result.metafile.outputs)
    .filter(([name]) => !name.endsWith('.map'))
    .map(([name, info]) => `  ${path.relative(root, name)}  ${(info.bytes / 1024).toFixed(0)} KiB`);
  console.log(`Built the front end into ${path.relative(root, outdir)}/:\n${outputs.join('\n')}`);
}

await compileLintConfig();
await bundle();
