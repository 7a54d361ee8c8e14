#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npm install` needs no compile step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../adapters/cli/main.ts');
await main(process.argv.slice(2));
