//! Every algorithm through the engine: the 4-lane kernel against the scalar reference (bit for bit,
//! over random rows that follow each spec's rules, lengths that leave every tail, and gradients with
//! zeros of both signs), and what the specs say about state: the scalars torch keeps as float32 0-d
//! tensors (NAdam's `mu_product`, ASGD's `eta` and `mu`), buffers that start filled (Adagrad's `sum`
//! from the optimizer's defaults, Rprop's `step_size` from the group's lr), and the state Adagrad's
//! constructor creates. Each algorithm's arithmetic against real torch: test/e2e/fidelity/.

// See the convention atop tests/adam.rs: every test also runs on wasm32 with simd128.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::{cell::RefCell, rc::Rc};

use optim_core::algorithms::{adagrad, asgd, nadam, rprop, AlgorithmId};
use optim_core::kernel::Kernel;
use optim_core::parallel::MIN_PARALLEL_ELEMENTS;
use optim_core::schema::{FieldKind, Rule};
use optim_core::{Optimizer, ParamBuffers, SharedParam, StepError, Stepped, Unbounded};

/// xorshift64*: a tiny deterministic generator, enough for test data.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A value of `rule`, away from its edges (the edges are the schema's and the TypeScript suite's tests).
    fn value(&mut self, rule: Rule) -> f64 {
        let u = self.unit();
        match rule {
            Rule::NonNegative => [0.0, 1e-3, 0.01, 0.5, 0.9][(u * 5.0) as usize],
            Rule::UnitInterval | Rule::ClosedUnitInterval => [0.0, 0.3, 0.9, 0.999][(u * 4.0) as usize],
            Rule::OpenUnitInterval => 0.1 + 0.8 * u,
            Rule::AboveOne => 1.0 + 2.0 * u,
            Rule::Finite => [-3.0, 0.0, 1e-6, 2.0, 50.0][(u * 5.0) as usize],
            Rule::Flag => f64::from(u8::from(u < 0.5)),
            Rule::IterationCount => [0.0, 1.0, 5.0][(u * 3.0) as usize],
            Rule::Positive => [1e-3, 0.01, 0.5, 0.9][(u * 4.0) as usize],
            Rule::NonPositive => [0.0, -0.5, -0.8, -2.0][(u * 4.0) as usize],
            Rule::AtLeastOne => [1.0, 1.5, 20.0][(u * 3.0) as usize],
            Rule::NonNegativeOrNone => [f64::NAN, 0.0, 1e-3, 1e-30][(u * 4.0) as usize],
            Rule::Choice => unreachable!("choices are drawn by their number"),
        }
    }
    /// Gradient values: mostly moderate, some exact zeros of both signs, some large and tiny.
    fn grad(&mut self) -> f32 {
        let u = self.unit();
        match (u * 10.0) as u32 {
            0 => 0.0,
            1 => -0.0,
            2 => (self.unit() * 1e4 - 5e3) as f32,
            3 => (self.unit() * 1e-6) as f32,
            _ => (self.unit() * 4.0 - 2.0) as f32,
        }
    }
}

fn shared(values: Vec<f32>) -> SharedParam {
    Rc::new(RefCell::new(ParamBuffers::from_values(values)))
}

fn set_grad(p: &SharedParam, grad: &[f32]) {
    let mut b = p.borrow_mut();
    b.grad_buffer(&Unbounded).unwrap().copy_from_slice(grad);
    b.set_has_grad(true);
}

/// The same gradient as a sparse one, for an algorithm that takes only those (SparseAdam): every
/// row of the first dimension, the last first and the first twice (half its values each time).
fn set_sparse_grad(p: &SharedParam, grad: &[f32]) {
    let mut b = p.borrow_mut();
    let first = b.dims().first;
    let width = b.dims().row_width(grad.len());
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    for row in (0..first).rev() {
        indices.push(row as u32);
        values.extend_from_slice(&grad[row * width..(row + 1) * width]);
    }
    if first > 0 {
        indices.push(0);
        values.extend(std::iter::repeat(0.5).take(width));
    }
    b.set_sparse_grad(&indices, &values, &Unbounded).unwrap();
}

/// A random row of `id`'s spec that follows every rule (rows breaking a cross rule are drawn again).
fn row(id: AlgorithmId, rng: &mut Rng) -> Vec<f64> {
    let spec = id.spec();
    loop {
        let mut row = Vec::new();
        for field in spec.fields {
            match field.kind {
                FieldKind::Number { rule, .. } => row.push(rng.value(rule)),
                FieldKind::Tuple { len, rules, .. } => row.extend(rules[..len].iter().map(|&r| rng.value(r))),
                FieldKind::Choice { choices, .. } => row.push((rng.unit() * choices.len() as f64).floor()),
                FieldKind::Flag { fixed: true, default } => row.push(f64::from(u8::from(default))),
                FieldKind::Flag { .. } => row.push(rng.value(Rule::Flag)),
                FieldKind::TorchOnly { .. } => {}
            }
        }
        if spec.check_row(&row).is_ok() {
            return row;
        }
    }
}

/// Two groups over parameters of lengths 0 to 13 (every tail of 4 lanes), `kernel`, 8 steps of the
/// same random gradients (each parameter without one now and then): the parameters and every state.
fn run(id: AlgorithmId, seed: u64, kernel: Kernel) -> (Vec<Vec<u32>>, Vec<String>) {
    let lengths: Vec<usize> = (0..14).collect();
    run_with(id, seed, kernel, 1, &lengths)
}

/// [`run`] over parameters of `lengths` (the first half in group 0), on up to `threads` threads.
fn run_with(id: AlgorithmId, seed: u64, kernel: Kernel, threads: usize, lengths: &[usize]) -> (Vec<Vec<u32>>, Vec<String>) {
    let mut rng = Rng(seed);
    let rows = [row(id, &mut rng), row(id, &mut rng)];
    let params: Vec<SharedParam> = lengths.iter().map(|&n| shared((0..n).map(|i| (i as f32 - 3.0) * 0.37).collect())).collect();
    // Matrices of every length (the smallest divisor >= 2 rows, 1 row for a prime): all of them
    // for an algorithm that takes only matrices, every other one otherwise (Adafactor factors them).
    for (k, p) in params.iter().enumerate() {
        if id.spec().matrices_only || k % 2 == 0 {
            let n = p.borrow().len();
            let rows = (2..n).find(|d| n % d == 0).unwrap_or(1);
            assert!(p.borrow_mut().set_shape([rows, n / rows]));
        }
    }
    let mut opt = Optimizer::new(id, Unbounded);
    opt.set_kernel(kernel);
    opt.set_threads(threads);
    for (g, chunk) in params.chunks(params.len().div_ceil(2)).enumerate() {
        opt.add_group(chunk.len()).unwrap();
        opt.set_row(g, &rows[g]);
        for p in chunk {
            opt.add_param(p).unwrap();
        }
    }
    opt.set_defaults(&rows[0]).unwrap();
    if id.spec().eager_state {
        opt.create_states().unwrap();
    }
    for step in 0..8 {
        for (i, p) in params.iter().enumerate() {
            if (i + step) % 5 == 0 {
                p.borrow_mut().set_has_grad(false);
            } else {
                let grad: Vec<f32> = (0..p.borrow().len()).map(|_| rng.grad()).collect();
                if id.spec().sparse_grads {
                    set_sparse_grad(p, &grad);
                } else {
                    set_grad(p, &grad);
                }
            }
        }
        assert_eq!(opt.step(false), Ok(Stepped::All));
        // A test of threads that never split a step would prove nothing.
        let with_grad: usize = params.iter().filter(|p| p.borrow().has_grad()).map(|p| p.borrow().len()).sum();
        let split = threads > 1 && id.splits_by_element() && with_grad >= MIN_PARALLEL_ELEMENTS;
        assert_eq!(opt.split_last_step(), split, "{id:?}, step {step}");
    }
    let values = params.iter().map(|p| p.borrow().data().iter().map(|x| x.to_bits()).collect()).collect();
    let states = (0..params.len())
        .map(|i| {
            format!(
                "{:?}",
                opt.state(i).map(|s| (
                    s.step_count(),
                    s.scalars().map(f32::to_bits),
                    (0..3).map(|b| s.buffer(b).map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())).collect::<Vec<_>>()
                ))
            )
        })
        .collect();
    (values, states)
}

#[test]
fn every_algorithm_four_lanes_equal_the_scalar_reference_bit_for_bit() {
    for &id in AlgorithmId::ALL {
        for seed in 1..=12 {
            assert_eq!(run(id, seed, Kernel::Simd), run(id, seed, Kernel::Reference), "{id:?}, seed {seed}");
        }
    }
}

/// Steps split across native threads (`Optimizer::set_threads`); on wasm32 the threads are the
/// shared-memory `.wasm`'s workers, tested through the package (test/runtime/threads.test.ts).
#[cfg(all(feature = "threads", not(target_arch = "wasm32")))]
mod native_only {
    use super::*;
    use optim_core::parallel::CHUNK;

    /// Lengths that cut chunks everywhere: empty and tiny parameters, one a chunk short, one exactly
    /// a chunk, one just over, several chunks and a tail, and enough elements in all for a split step.
    const SPLIT_LENGTHS: [usize; 10] = [0, 3, CHUNK - 1, CHUNK, 1, CHUNK + 5, 7, 2 * CHUNK + 13, 40_000, 2];

    #[test]
    fn every_step_split_across_threads_has_the_bits_of_one_thread() {
        // Random rows (AMSGrad, momentum, centered, maximize... on and off), two groups, parameters
        // without a gradient now and then, sizes that divide neither the chunk nor the lanes.
        for &id in AlgorithmId::ALL.iter().filter(|id| id.splits_by_element()) {
            for seed in 1..=3 {
                let one = run_with(id, seed, Kernel::Simd, 1, &SPLIT_LENGTHS);
                for threads in [2, 3, 8] {
                    assert!(
                        run_with(id, seed, Kernel::Simd, threads, &SPLIT_LENGTHS) == one,
                        "{id:?}, seed {seed}, {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn the_non_finite_guard_skips_a_step_split_across_threads_whole() {
        let params: Vec<SharedParam> = SPLIT_LENGTHS.iter().map(|&n| shared(vec![1.5; n])).collect();
        let mut opt = Optimizer::new(AlgorithmId::Adam, Unbounded);
        opt.set_threads(2);
        opt.add_group(params.len()).unwrap();
        opt.set_row(0, &optim_core::algorithms::adam::Hyperparameters::default().to_row());
        for p in &params {
            opt.add_param(p).unwrap();
            let len = p.borrow().len();
            set_grad(p, &vec![0.25; len]);
        }
        assert_eq!(opt.step(true), Ok(Stepped::All));
        assert!(opt.split_last_step());
        let before: Vec<Vec<f32>> = params.iter().map(|p| p.borrow().data().to_vec()).collect();
        let mut grad = vec![0.25; CHUNK + 5];
        grad[CHUNK + 4] = f32::NAN; // in the second chunk of parameter 5
        set_grad(&params[5], &grad);
        assert_eq!(opt.step(true), Ok(Stepped::SkippedNonFinite { param: 5 }));
        assert!(params.iter().zip(&before).all(|(p, b)| p.borrow().data() == &b[..]));
        assert_eq!(opt.state(0).unwrap().step_count(), 1);
    }
}

#[test]
fn adagrad_creates_every_state_at_construction_from_the_optimizers_defaults() {
    // torch 2.15 Adagrad.__init__: state["step"] = 0, state["sum"] = full_like(p, initial_accumulator_value),
    // the constructor's value, whatever a group says.
    let (a, b) = (shared(vec![1.0, 2.0]), shared(vec![3.0]));
    let mut opt = Optimizer::new(AlgorithmId::Adagrad, Unbounded);
    let defaults = adagrad::Hyperparameters { initial_accumulator_value: 0.1, ..Default::default() };
    for (g, (p, iav)) in [(&a, 0.1), (&b, 0.5)].into_iter().enumerate() {
        opt.add_group(1).unwrap();
        opt.set_row(g, &adagrad::Hyperparameters { initial_accumulator_value: iav, ..Default::default() }.to_row());
        opt.add_param(p).unwrap();
    }
    opt.set_defaults(&defaults.to_row()).unwrap();
    assert!(opt.state(0).is_none(), "no state before create_states");
    opt.create_states().unwrap();
    for i in 0..2 {
        let s = opt.state(i).unwrap();
        assert_eq!(s.step_count(), 0);
        assert!(s.buffer(0).unwrap().iter().all(|&x| x == 0.1_f32), "{i}: {:?}", s.buffer(0));
    }
    // All or nothing: with a disposed parameter, no state at all.
    let mut again = Optimizer::new(AlgorithmId::Adagrad, Unbounded);
    again.add_group(2).unwrap();
    again.set_row(0, &defaults.to_row());
    let (c, d) = (shared(vec![1.0]), shared(vec![2.0]));
    again.add_param(&c).unwrap();
    again.add_param(&d).unwrap();
    d.borrow_mut().dispose();
    assert_eq!(again.create_states(), Err(StepError::Disposed { param: 1 }));
    assert!(again.state(0).is_none());
}

#[test]
fn asgd_keeps_eta_and_mu_as_float32_and_sets_them_for_the_next_step() {
    let p = shared(vec![1.0, -1.0]);
    let mut opt = Optimizer::new(AlgorithmId::Asgd, Unbounded);
    let hyper = asgd::Hyperparameters { lr: 0.1, t0: 1.0, ..Default::default() };
    opt.add_group(1).unwrap();
    opt.set_row(0, &hyper.to_row());
    opt.add_param(&p).unwrap();
    set_grad(&p, &[0.5, 0.5]);
    opt.step(false).unwrap();
    // After step 1: eta = f32(lr / (1 + lambd * lr * 1) ** alpha), mu = f32(1 / max(1, 1 - t0)) = 1.
    let s = opt.state(0).unwrap();
    let eta = (0.1 / (1.0 + 1e-4 * 0.1_f64).powf(0.75)) as f32;
    assert_eq!(s.scalars(), &[eta, 1.0]);
    // Step 1 used eta = f32(lr): p * f32(1 - lambd * f32(0.1)) + (-f32(0.1)) * g; ax is a copy of p.
    let want = 1.0_f32 * ((1.0 - 1e-4 * f64::from(0.1_f32)) as f32) + -0.1_f32 * 0.5;
    assert_eq!(p.borrow().data()[0], want);
    assert_eq!(s.buffer(0).unwrap(), p.borrow().data());
    opt.step(false).unwrap();
    opt.step(false).unwrap();
    // After step 3: mu = 1 / max(1, 3 - 1) = 0.5.
    assert_eq!(opt.state(0).unwrap().scalars()[1], 0.5);
}

#[test]
fn nadam_multiplies_mu_product_in_float32() {
    let p = shared(vec![1.0]);
    let mut opt = Optimizer::new(AlgorithmId::NAdam, Unbounded);
    opt.add_group(1).unwrap();
    opt.set_row(0, &nadam::Hyperparameters::default().to_row());
    opt.add_param(&p).unwrap();
    let mut want = 1.0_f32;
    for t in 1..=5_u32 {
        set_grad(&p, &[0.25]);
        opt.step(false).unwrap();
        want *= (0.9 * (1.0 - 0.5 * 0.96_f64.powf(f64::from(t) * 4e-3))) as f32;
        assert_eq!(opt.state(0).unwrap().scalars()[0], want, "step {t}");
    }
}

#[test]
fn rprop_step_sizes_start_at_the_groups_lr_and_a_loaded_state_keeps_its_scalars() {
    let p = shared(vec![1.0, 2.0]);
    let mut opt = Optimizer::new(AlgorithmId::Rprop, Unbounded);
    opt.add_group(1).unwrap();
    opt.set_row(0, &rprop::Hyperparameters { lr: 0.3, ..Default::default() }.to_row());
    opt.add_param(&p).unwrap();
    set_grad(&p, &[1.0, 0.0]);
    opt.step(false).unwrap();
    // torch.full_like(grad, lr) at the first step; that step's sign(g * prev) is 0, so the factor is 1.
    assert_eq!(opt.state(0).unwrap().buffer(1).unwrap(), &[0.3_f32, 0.3]);
    assert_eq!(p.borrow().data(), &[1.0 - 0.3_f32, 2.0]);

    // Staging (a loaded state dict): the scalars set there are what the next step reads.
    let q = shared(vec![1.0]);
    let mut asgd = Optimizer::new(AlgorithmId::Asgd, Unbounded);
    asgd.add_group(1).unwrap();
    asgd.set_row(0, &asgd::Hyperparameters { lr: 0.1, ..Default::default() }.to_row());
    asgd.add_param(&q).unwrap();
    asgd.begin_staging().unwrap();
    asgd.stage_state(0, 7.0, 0b1).unwrap();
    *asgd.staged_mut(0).unwrap().scalars_mut() = [0.25, 0.5];
    asgd.commit_staged();
    set_grad(&q, &[2.0]);
    asgd.step(false).unwrap();
    // p * f32(1 - lambd * 0.25) + (-0.25) * 2; mu 0.5: ax = 0 + (p - 0) * 0.5.
    let p1 = 1.0_f32 * ((1.0 - 1e-4 * 0.25) as f32) + -0.25 * 2.0;
    assert_eq!(q.borrow().data(), &[p1]);
    let s = asgd.state(0).unwrap();
    assert_eq!((s.step_count(), s.buffer(0).unwrap()[0]), (8, p1 * 0.5));
}
