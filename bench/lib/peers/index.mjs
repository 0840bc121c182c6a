// Every contestant, in the order of the report's columns. A contestant that needs an artifact
// besides the package itself (dist/) has build(), which builds it (bench/build.mjs runs them all),
// and prepare(), which only checks it is there and throws, naming the command to run, if not.
import { lucidScalar, lucidSimd } from './lucid.mjs';
import { native, nativeCeiling } from './native.mjs';
import { plainTextbook, plainTorchOrder } from './plain-js.mjs';
import { tfjsCpu, tfjsWasm } from './tfjs.mjs';

export const PEERS = [lucidSimd, lucidScalar, native, nativeCeiling, plainTextbook, plainTorchOrder, tfjsWasm, tfjsCpu];
