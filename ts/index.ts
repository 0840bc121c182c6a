// lucid-optim: PyTorch's optimizers for JavaScript, one WebAssembly SIMD call per step.

export { init, type InitOptions, type WasmSource } from './runtime/wasm.js';
export { disposeThreads, threadCount } from './runtime/threads.js';
export { memoryStats, reserve, type MemoryStats } from './runtime/memory.js';
export { Parameter, type ParameterOptions, type SparseGrad, type SparseGradCopy } from './nn/parameter.js';
export { clipGradNorm, type ClipGradNormOptions } from './nn/clip-grad-norm.js';
export { Optimizer, type NonFiniteCallback, type NonFiniteEvent, type OptimizerOptions } from './optim/optimizer.js';
export type { ParamGroup, ParamGroupInput } from './optim/param-groups.js';
export type { JsonBuffer, SavedParamGroup, StateDict } from './optim/state-dict.js';
export { Adam, type AdamGroupOptions, type AdamHyperparameters, type AdamOptions, type AdamParamState, type AdamStateDict } from './optim/adam.js';
export { AdamW, type AdamWOptions } from './optim/adamw.js';
export { SGD, type SGDGroupOptions, type SGDHyperparameters, type SGDOptions, type SGDParamState, type SGDStateDict } from './optim/sgd.js';
export { RMSprop, type RMSpropGroupOptions, type RMSpropHyperparameters, type RMSpropOptions, type RMSpropParamState, type RMSpropStateDict } from './optim/rmsprop.js';
export { Adagrad, type AdagradGroupOptions, type AdagradHyperparameters, type AdagradOptions, type AdagradParamState, type AdagradStateDict } from './optim/adagrad.js';
export { Adadelta, type AdadeltaGroupOptions, type AdadeltaHyperparameters, type AdadeltaOptions, type AdadeltaParamState, type AdadeltaStateDict } from './optim/adadelta.js';
export { Adamax, type AdamaxGroupOptions, type AdamaxHyperparameters, type AdamaxOptions, type AdamaxParamState, type AdamaxStateDict } from './optim/adamax.js';
export { NAdam, type NAdamGroupOptions, type NAdamHyperparameters, type NAdamOptions, type NAdamParamState, type NAdamStateDict } from './optim/nadam.js';
export { RAdam, type RAdamGroupOptions, type RAdamHyperparameters, type RAdamOptions, type RAdamParamState, type RAdamStateDict } from './optim/radam.js';
export { ASGD, type ASGDGroupOptions, type ASGDHyperparameters, type ASGDOptions, type ASGDParamState, type ASGDStateDict } from './optim/asgd.js';
export { Rprop, type RpropGroupOptions, type RpropHyperparameters, type RpropOptions, type RpropParamState, type RpropStateDict } from './optim/rprop.js';
export {
  Adafactor,
  type AdafactorGroupOptions,
  type AdafactorHyperparameters,
  type AdafactorOptions,
  type AdafactorParamState,
  type AdafactorStateDict,
} from './optim/adafactor.js';
export {
  SparseAdam,
  type SparseAdamGroupOptions,
  type SparseAdamHyperparameters,
  type SparseAdamOptions,
  type SparseAdamParamState,
  type SparseAdamStateDict,
} from './optim/sparse-adam.js';
export { LBFGS, type LBFGSHyperparameters, type LBFGSOptions, type LBFGSParamGroup, type LBFGSState, type LBFGSStateDict } from './optim/lbfgs.js';
export { Muon, type MuonAdjustLrFn, type MuonGroupOptions, type MuonHyperparameters, type MuonOptions, type MuonParamState, type MuonStateDict } from './optim/muon.js';
export { AveragedModel, type AverageKind, type AveragedModelOptions, type AveragedModelState } from './optim/averaged-model.js';
export { LRScheduler, type LRSchedulerState, type SchedulableOptimizer, type SchedulerParamGroup } from './schedulers/lr-scheduler.js';
export { LambdaLR, type LambdaLROptions, type LambdaLRState, type LrLambda } from './schedulers/lambda-lr.js';
export { StepLR, type StepLROptions, type StepLRState } from './schedulers/step-lr.js';
export { MultiStepLR, type MultiStepLROptions, type MultiStepLRState } from './schedulers/multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions, type ExponentialLRState } from './schedulers/exponential-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions, type CosineAnnealingLRState } from './schedulers/cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions, type LinearLRState } from './schedulers/linear-lr.js';
export { ConstantLR, type ConstantLROptions, type ConstantLRState } from './schedulers/constant-lr.js';
export { PolynomialLR, type PolynomialLROptions, type PolynomialLRState } from './schedulers/polynomial-lr.js';
export { OneCycleLR, type AnnealStrategy, type OneCycleLROptions, type OneCycleLRState } from './schedulers/one-cycle-lr.js';
export {
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
  type CosineAnnealingWarmRestartsState,
} from './schedulers/cosine-annealing-warm-restarts.js';
export { SequentialLR, type SequentialLROptions, type SequentialLRState } from './schedulers/sequential-lr.js';
export {
  ReduceLROnPlateau,
  type PlateauMode,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauState,
  type ThresholdMode,
} from './schedulers/reduce-lr-on-plateau.js';
export { MultiplicativeLR, type MultiplicativeLROptions, type MultiplicativeLRState } from './schedulers/multiplicative-lr.js';
export { CyclicLR, type CyclicLROptions, type CyclicLRState, type CyclicMode, type CyclicScaleMode } from './schedulers/cyclic-lr.js';
export { ChainedScheduler, type ChainedSchedulerState } from './schedulers/chained-scheduler.js';
export { SWALR, type SWAAnnealStrategy, type SWALROptions, type SWALRState } from './schedulers/swalr.js';
export type { JsonNumber } from './schedulers/options.js';
export type { TorchDtype, TorchTensor } from './torch/tensor.js';
export { loadTorch, saveTorch } from './torch/torch-file.js';
export { namedTensors } from './torch/named-tensors.js';
export type { StateDictOptions, TorchStateDict } from './torch/optimizer-state-dict.js';
export { loadSafetensors, saveSafetensors, type Safetensors } from './torch/safetensors.js';
