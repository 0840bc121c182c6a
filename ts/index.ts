// lucid-optim: PyTorch's Adam for JavaScript, one WebAssembly SIMD call per step.

export { init, type WasmSource } from './wasm.js';
export { memoryStats, reserve, type MemoryStats } from './memory.js';
export { Parameter, type ParameterOptions } from './parameter.js';
export { Adam, type AdamOptions, type NonFiniteEvent } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { clipGradNorm, type ClipGradNormOptions } from './clip-grad-norm.js';
export type { GroupOptions, Hyperparameters, ParamGroup, ParamGroupInput } from './param-group.js';
export type { ParamState, SavedParamGroup, StateDict } from './state-dict.js';
