//! What both native benchmarks share with the JavaScript one (`bench/lib/data.mjs`): the shapes,
//! the option sets, and the data, generated bit for bit the same in Rust and in JavaScript.

// Each benchmark binary uses a part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use optim_core::algorithms::adam::{Adam, Hyperparameters, ADAM};
use optim_core::algorithms::step_param;
use optim_core::kernel::Kernel;
use optim_core::ParamState;

/// The parameter shapes of the benchmark: one tensor of each size, many small ones, an MLP.
pub const SHAPES: [(&str, &[usize]); 6] = [
    ("1K", &[1_000]),
    ("100K", &[100_000]),
    ("1M", &[1_000_000]),
    ("10M", &[10_000_000]),
    ("1000x1K", &[1_000; 1_000]),
    // 784 -> 256 -> 10: weights and biases of both layers.
    ("MLP", &[784 * 256, 256, 256 * 10, 10]),
];

/// The option sets measured, by name: Adam's defaults, each switch on, then both; then AdamW's defaults.
pub fn variant(name: &str) -> Option<Hyperparameters> {
    let adam = Hyperparameters::default();
    match name {
        "adam" => Some(adam),
        "amsgrad" => Some(Hyperparameters { amsgrad: true, ..adam }),
        "wd" => Some(Hyperparameters { weight_decay: 1e-2, ..adam }),
        "amsgrad+wd" => Some(Hyperparameters { amsgrad: true, weight_decay: 1e-2, ..adam }),
        "adamw" => Some(Hyperparameters::adamw()),
        _ => None,
    }
}

/// The names [`variant`] knows, in report order.
pub const VARIANTS: [&str; 5] = ["adam", "amsgrad", "wd", "amsgrad+wd", "adamw"];

/// mulberry32: 32-bit state, and every step is integer arithmetic that JavaScript reproduces
/// exactly (`Math.imul`), so both languages draw the same numbers.
pub struct Rng(u32);

impl Rng {
    /// The generator every model starts from.
    pub fn new() -> Self {
        Rng(0x9E37_79B9)
    }

    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x6D2B_79F5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        t ^ (t >> 14)
    }

    /// A parameter value in [-1, 1): a multiple of 2^-23, so exact in f32 in both languages.
    pub fn param(&mut self) -> f32 {
        ((self.next() >> 8) as i32 - (1 << 23)) as f32 / (1 << 23) as f32
    }

    /// A gradient value with magnitude in [1/64, 1 + 1/64) and a random sign: never zero and never
    /// tiny, so no moment decays into subnormals (which would slow the divider down), and exact.
    pub fn grad(&mut self) -> f32 {
        let bits = self.next() >> 8;
        let magnitude = ((bits & 0x7F_FFFF) + 0x2_0000) as f32 / (1 << 23) as f32;
        if bits & 0x80_0000 != 0 {
            -magnitude
        } else {
            magnitude
        }
    }
}

/// Steps after which a benchmark puts a model back to its initial values and fresh state
/// ([`Model::reset`], untimed). With a fixed gradient and weight decay, Adam reaches the exact
/// fixed point where `grad + wd * p` is 0 in f32 after some 10^4 steps, and the moments then
/// decay into subnormals, which slow the divider down: a regime of this synthetic problem, not of
/// training. `bench/lib/measure.mjs` applies the same limit.
pub const MAX_STEPS_PER_MODEL: u64 = 5_000;

/// Parameters, gradients and states for one shape. For each parameter in order, its values are
/// drawn first, then its gradient.
pub struct Model {
    pub params: Vec<Vec<f32>>,
    pub grads: Vec<Vec<f32>>,
    pub states: Vec<Option<ParamState>>,
    initial: Vec<Vec<f32>>,
    /// Steps taken since the model was made or reset.
    pub steps: u64,
}

impl Model {
    pub fn new(shape: &[usize], hyper: &Hyperparameters) -> Self {
        let mut rng = Rng::new();
        let (mut params, mut grads) = (Vec::new(), Vec::new());
        for &n in shape {
            params.push((0..n).map(|_| rng.param()).collect());
            grads.push((0..n).map(|_| rng.grad()).collect());
        }
        let mut model = Model { initial: params.clone(), params, grads, states: Vec::new(), steps: 0 };
        model.states = model.zero_states(hyper);
        model
    }

    /// Zeroed states with every buffer `hyper` uses, as an optimizer's first step creates them.
    fn zero_states(&self, hyper: &Hyperparameters) -> Vec<Option<ParamState>> {
        let buffers = ADAM.buffers_in_use(&hyper.to_row(), 1);
        let zeros = |n: usize, b: usize| (buffers & (1 << b) != 0).then(|| vec![0.0_f32; n]);
        self.params
            .iter()
            .map(|p| {
                Some(ParamState::from_parts(0, Default::default(), [zeros(p.len(), 0), zeros(p.len(), 1), zeros(p.len(), 2)]))
            })
            .collect()
    }

    /// Back to the initial values and zero state.
    pub fn reset(&mut self, hyper: &Hyperparameters) {
        for (param, initial) in self.params.iter_mut().zip(&self.initial) {
            param.copy_from_slice(initial);
        }
        self.states = self.zero_states(hyper);
        self.steps = 0;
    }

    pub fn elements(&self) -> u64 {
        self.params.iter().map(|p| p.len() as u64).sum()
    }

    /// One Adam step of every parameter, as the WebAssembly optimizer takes it: step count,
    /// per-step scalars, then the fast kernel or the scalar reference ([`step_param`]).
    #[inline(never)]
    pub fn step(&mut self, hyper: &Hyperparameters, reference: bool) {
        self.steps += 1;
        let row = hyper.to_row();
        let kernel = if reference { Kernel::Reference } else { Kernel::Simd };
        for ((param, grad), state) in self.params.iter_mut().zip(&self.grads).zip(&mut self.states) {
            step_param::<Adam>(&ADAM, &row, state, param, grad, kernel);
        }
    }
}

/// `steps` timed steps of `model`, resetting it (untimed) whenever it reaches
/// [`MAX_STEPS_PER_MODEL`]; returns the time the steps took.
pub fn timed_steps(model: &mut Model, hyper: &Hyperparameters, reference: bool, steps: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = steps;
    while left > 0 {
        if model.steps >= MAX_STEPS_PER_MODEL {
            model.reset(hyper);
            model.step(hyper, reference); // untimed, as bench/lib/measure.mjs leaves a fresh model's first step
        }
        let n = left.min(MAX_STEPS_PER_MODEL - model.steps);
        let start = Instant::now();
        for _ in 0..n {
            model.step(hyper, reference);
        }
        total += start.elapsed();
        left -= n;
    }
    total
}
