// lucid-optim: PyTorch's Adam for JavaScript, one WebAssembly SIMD call per step.

export { init, memoryStats, reserve, type MemoryStats, type WasmSource } from './wasm.js';
export { Parameter, type ParameterOptions } from './parameter.js';
export { Adam } from './adam.js';
export type { AdamOptions, GroupOptions, Hyperparameters, NonFiniteEvent, ParamGroup, ParamGroupInput } from './param-group.js';
export type { ParamState, SavedParamGroup, StateDict } from './state-dict.js';
