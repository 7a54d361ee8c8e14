#!/usr/bin/env node
// The `gatehouse` command line, from the compiled package (dist/, built by `npm install`).
import { main } from '../dist/adapters/cli/main.js';
await main(process.argv.slice(2));
