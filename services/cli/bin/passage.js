#!/usr/bin/env node
// Entry shim: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
