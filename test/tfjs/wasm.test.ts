// lucid-optim/tfjs on tfjs-backend-wasm (the suite is in suite.ts; this file, in a process of its own,
// makes wasm tfjs's backend).
import { describe } from 'vitest';
import { bridgeSuite } from './suite';

describe('lucid-optim/tfjs on the wasm backend', () => bridgeSuite('wasm'));
