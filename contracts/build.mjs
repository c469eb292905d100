#!/usr/bin/env node
// Compiles every Solidity file under contracts/src with the pinned solc (npm package `solc`,
// offline via its bundled soljson) and writes one artifact per contract to contracts/out/.
//
//   node build.mjs           compile and (re)write contracts/out/*.json
//   node build.mjs --check   compile in memory; exit 1 if contracts/out/ is not up to date
//
// Artifact format (read by alloy's `sol!` macro, which takes `abi` and `bytecode`):
//   { "contractName", "abi", "bytecode": "0x…", "deployedBytecode": "0x…", "sourcePath", "compiler" }

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOLC_VERSION = '0.8.30';
const EVM_VERSION = 'prague';
const OPTIMIZER_RUNS = 200;

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.join(ROOT, 'src');
const OUT_DIR = path.join(ROOT, 'out');

function fail(message) {
  console.error(`build.mjs: error: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { check: false };
  for (const arg of argv) {
    if (arg === '--check') opts.check = true;
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node build.mjs [--check]');
      process.exit(0);
    } else fail(`unknown argument ${JSON.stringify(arg)} (usage: node build.mjs [--check])`);
  }
  return opts;
}

function loadSolc() {
  const require = createRequire(import.meta.url);
  let solc;
  try {
    solc = require('solc');
  } catch (err) {
    fail(`cannot load the npm package "solc" (${err.message}); run "npm ci" in contracts/ or use ./build.sh`);
  }
  const version = solc.version();
  if (!version.startsWith(`${SOLC_VERSION}+`)) {
    fail(`expected solc ${SOLC_VERSION}, found ${version}; run "npm ci" in contracts/`);
  }
  return solc;
}

/** All .sol files under `dir`, as paths relative to contracts/ with forward slashes, sorted. */
function findSources(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.sol')) {
        found.push(path.relative(ROOT, full).split(path.sep).join('/'));
      }
    }
  };
  walk(dir);
  return found.sort();
}

function compile(solc, sourcePaths) {
  const sources = {};
  for (const p of sourcePaths) sources[p] = { content: readFileSync(path.join(ROOT, p), 'utf8') };

  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      evmVersion: EVM_VERSION,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };

  // Imports are resolved relative to contracts/ (sources are keyed as "src/…"); a package
  // import ("@openzeppelin/contracts/…") from contracts/node_modules, the version
  // package-lock.json pins.
  const findImports = (importPath) => {
    const base = importPath.startsWith('@') ? path.join(ROOT, 'node_modules') : ROOT;
    const full = path.resolve(base, importPath);
    if (!full.startsWith(ROOT + path.sep) || !existsSync(full)) return { error: `file not found: ${importPath}` };
    return { contents: readFileSync(full, 'utf8') };
  };

  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const d of diagnostics.filter((d) => d.severity !== 'error')) {
    console.error((d.formattedMessage ?? d.message).trimEnd());
  }
  if (errors.length > 0) {
    for (const e of errors) console.error((e.formattedMessage ?? e.message).trimEnd());
    fail(`solc ${SOLC_VERSION} reported ${errors.length} error(s)`);
  }
  return output;
}

/** contract name -> artifact text, for contracts defined in the given sources. */
function artifacts(output, sourcePaths) {
  const result = new Map();
  for (const sourcePath of sourcePaths) {
    const contracts = output.contracts?.[sourcePath] ?? {};
    for (const contractName of Object.keys(contracts).sort()) {
      const c = contracts[contractName];
      if (result.has(contractName)) {
        fail(`contract name ${contractName} is defined in both ${result.get(contractName).sourcePath} and ${sourcePath}; artifact names must be unique`);
      }
      const artifact = {
        contractName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        sourcePath,
        compiler: SOLC_VERSION,
      };
      result.set(contractName, { sourcePath, text: `${JSON.stringify(artifact, null, 2)}\n` });
    }
  }
  return result;
}

function existingArtifacts() {
  if (!existsSync(OUT_DIR)) return [];
  return readdirSync(OUT_DIR).filter((f) => f.endsWith('.json') && statSync(path.join(OUT_DIR, f)).isFile()).sort();
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  if (!existsSync(SRC_DIR)) fail(`no source directory ${SRC_DIR}`);
  const sourcePaths = findSources(SRC_DIR);
  if (sourcePaths.length === 0) fail(`no .sol files under ${SRC_DIR}`);

  const built = artifacts(compile(solc, sourcePaths), sourcePaths);
  const wanted = new Set([...built.keys()].map((name) => `${name}.json`));
  const stale = existingArtifacts().filter((f) => !wanted.has(f));

  if (opts.check) {
    const problems = [];
    for (const [name, { sourcePath, text }] of built) {
      const file = path.join(OUT_DIR, `${name}.json`);
      const rel = path.relative(process.cwd(), file);
      if (!existsSync(file)) problems.push(`${rel} is missing (contract ${name} in ${sourcePath})`);
      else if (readFileSync(file, 'utf8') !== text) problems.push(`${rel} differs from a fresh compile of ${sourcePath}`);
    }
    for (const f of stale) problems.push(`${path.relative(process.cwd(), path.join(OUT_DIR, f))} has no contract in contracts/src`);
    if (problems.length > 0) {
      for (const p of problems) console.error(`build.mjs: ${p}`);
      fail(`contracts/out is out of date (${problems.length} problem(s)); run contracts/build.sh and commit contracts/out`);
    }
    console.log(`build.mjs: ${built.size} artifact(s) in contracts/out are up to date (solc ${SOLC_VERSION})`);
    return;
  }

  mkdirSync(OUT_DIR, { recursive: true });
  let written = 0;
  for (const [name, { text }] of built) {
    const file = path.join(OUT_DIR, `${name}.json`);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    writeFileSync(file, text);
    written += 1;
    console.log(`build.mjs: wrote ${path.relative(process.cwd(), file)}`);
  }
  for (const f of stale) {
    rmSync(path.join(OUT_DIR, f));
    console.log(`build.mjs: removed stale ${path.relative(process.cwd(), path.join(OUT_DIR, f))}`);
  }
  console.log(`build.mjs: ${built.size} artifact(s), ${written} changed, ${stale.length} removed (solc ${SOLC_VERSION})`);
}

main();
