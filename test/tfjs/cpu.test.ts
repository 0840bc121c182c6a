// lucid-optim/tfjs on tfjs-backend-cpu (the suite is in suite.ts; this file, in a process of its own,
// makes cpu tfjs's backend).
import { describe } from 'vitest';
import { bridgeSuite } from './suite';

describe('lucid-optim/tfjs on the cpu backend', () => bridgeSuite('cpu'));
