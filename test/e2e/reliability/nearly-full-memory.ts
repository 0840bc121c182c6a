// lucid-optim with its WebAssembly memory nearly full, for the out-of-memory tests.
//
// To run out of memory without touching gigabytes, this grows the instance's memory from
// JavaScript (WebAssembly.instantiate is wrapped while init() runs, to get the Memory object) up to
// `left` bytes short of wasm32's 4 GiB. Pages grown that way are untouched (no RSS) and Rust's
// allocator never uses them, so what it can still get is those last `left` bytes.

const PAGE = 65_536;
const MAX_PAGES = 65_536; // wasm32: 4 GiB

/** Imports and initializes lucid-optim (this test file's own instance) with `left` bytes left to allocate. */
export async function initNearlyFull(left: number): Promise<typeof import('lucid-optim')> {
  let memory: WebAssembly.Memory | undefined;
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (async (...args: unknown[]) => {
    const result = await (instantiate as (...a: unknown[]) => Promise<unknown>).apply(WebAssembly, args);
    const instance = (result as { instance?: WebAssembly.Instance }).instance ?? (result as WebAssembly.Instance);
    memory = instance.exports.memory as WebAssembly.Memory;
    return result;
  }) as typeof WebAssembly.instantiate;
  let lucid: typeof import('lucid-optim');
  try {
    lucid = await import('lucid-optim');
    await lucid.init();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  if (memory === undefined) throw new Error('init() did not instantiate through WebAssembly.instantiate');
  memory.grow(MAX_PAGES - memory.buffer.byteLength / PAGE - left / PAGE); // throws if this engine allows less than 4 GiB
  // The first error returned from Rust makes wasm-bindgen allocate its (reused) externref slot
  // list, 512 bytes once: do that now, so that the tests can ask for allocatedBytes unchanged.
  let refused: unknown;
  try {
    new lucid.Parameter(5e8);
  } catch (error) {
    refused = error;
  }
  if (!(refused instanceof RangeError)) throw new Error(`a 5e8-element Parameter should not fit, got ${String(refused)}`);
  return lucid;
}
