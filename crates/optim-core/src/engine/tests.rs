//! The optimizer's transactions, natively: a step or a load either happens whole or changes
//! nothing, whichever check or allocation fails.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::*;
use crate::algorithms::adam::Hyperparameters;
use crate::algorithms::sgd;
use crate::schema::{CrossRule, Rule};
use crate::ParamBuffers;

/// Slots of Adam's row (its spec's order: lr, betas, eps, weight_decay, amsgrad, ...).
const BETA2: usize = 2;
const AMSGRAD: usize = 5;

/// Adam's `exp_avg` and `exp_avg_sq`; with `max_exp_avg_sq`.
const MOMENTS: u8 = 0b011;
const WITH_MAX: u8 = 0b111;

/// Admits allocations until the `fail_at`-th (counting from 0), which it refuses.
struct FailAt {
    fail_at: usize,
    seen: Cell<usize>,
}

impl FailAt {
    fn new(fail_at: usize) -> Self {
        Self { fail_at, seen: Cell::new(0) }
    }
}

impl MemoryPolicy for FailAt {
    fn admit(&self, bytes: usize) -> Result<(), AllocError> {
        let n = self.seen.get();
        self.seen.set(n + 1);
        if n == self.fail_at {
            Err(AllocError { bytes })
        } else {
            Ok(())
        }
    }
}

fn param(values: &[f32], grad: Option<&[f32]>) -> SharedParam {
    let p = Rc::new(RefCell::new(ParamBuffers::from_values(values.to_vec())));
    if let Some(grad) = grad {
        let mut b = p.borrow_mut();
        b.grad_buffer(&Unbounded).unwrap().copy_from_slice(grad);
        assert!(b.set_has_grad(true));
    }
    p
}

fn lr(lr: f64) -> Hyperparameters {
    Hyperparameters { lr, ..Hyperparameters::default() }
}

fn optimizer<M: MemoryPolicy>(policy: M, groups: &[(&[&SharedParam], Hyperparameters)]) -> Optimizer<M> {
    let mut adam = Optimizer::new(AlgorithmId::Adam, policy);
    for (params, hyper) in groups {
        let g = adam.add_group(params.len()).unwrap();
        adam.set_row(g, &hyper.to_row());
        for p in params.iter() {
            adam.add_param(p).unwrap();
        }
    }
    adam
}

/// The same optimizer under another memory policy.
fn with_policy<M: MemoryPolicy, N: MemoryPolicy>(opt: Optimizer<M>, policy: N) -> Optimizer<N> {
    let Optimizer {
        algorithm,
        spec,
        row_len,
        slots,
        group_ends,
        hyper_table,
        defaults,
        pending,
        staged,
        workspace,
        #[cfg(feature = "threads")]
        tasks,
        split,
        threads,
        kernel,
        policy: _,
    } = opt;
    Optimizer {
        algorithm,
        spec,
        row_len,
        slots,
        group_ends,
        hyper_table,
        defaults,
        pending,
        staged,
        workspace,
        #[cfg(feature = "threads")]
        tasks,
        split,
        threads,
        kernel,
        policy,
    }
}

/// Everything a step or a load could change: every parameter's values, and every state.
fn observe<M: MemoryPolicy>(adam: &Optimizer<M>, params: &[&SharedParam]) -> (Vec<Vec<f32>>, Vec<Option<ParamState>>) {
    let data = params.iter().map(|p| p.borrow().data().to_vec()).collect();
    let states = (0..adam.param_count()).map(|i| adam.state(i).cloned()).collect();
    (data, states)
}

#[test]
fn the_guard_skips_a_step_with_any_non_finite_gradient_and_changes_nothing() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let a = param(&[1.0, 2.0], Some(&[0.5, 0.5]));
        let b = param(&[3.0; 9], Some(&[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, bad]));
        let mut adam = optimizer(Unbounded, &[(&[&a, &b], lr(0.1))]);
        assert_eq!(adam.step(true), Ok(Stepped::SkippedNonFinite { param: 1 }), "{bad}");
        assert_eq!(a.borrow().data(), [1.0, 2.0]);
        assert_eq!(b.borrow().data(), [3.0; 9]);
        assert!(adam.state(0).is_none() && adam.state(1).is_none(), "no state created");
        // Without the guard, NaN propagates as in PyTorch.
        assert_eq!(adam.step(false), Ok(Stepped::All));
        assert!(b.borrow().data()[8].is_nan());
        assert_eq!(adam.state(0).unwrap().step_count(), 1);
    }
}

#[test]
fn the_guard_ignores_parameters_without_a_gradient() {
    let a = param(&[1.0], Some(&[0.5]));
    let b = param(&[1.0], Some(&[f32::NAN]));
    b.borrow_mut().set_has_grad(false); // a stale buffer behind `grad = null`
    let mut adam = optimizer(Unbounded, &[(&[&a, &b], lr(0.1))]);
    assert_eq!(adam.step(true), Ok(Stepped::All));
    assert_eq!(adam.state(0).unwrap().step_count(), 1);
    assert!(adam.state(1).is_none());
}

#[test]
fn a_disposed_parameter_or_a_bad_row_refuses_the_step_before_anything_changes() {
    let a = param(&[1.0], Some(&[0.5]));
    let b = param(&[1.0], Some(&[0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[&b], lr(0.1))]);
    b.borrow_mut().dispose();
    assert_eq!(adam.step(false), Err(StepError::Disposed { param: 1 }));
    assert_eq!(a.borrow().data(), [1.0]);
    assert!(adam.state(0).is_none());

    let c = param(&[1.0], Some(&[0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&c], lr(0.1))]);
    adam.hyper_table_mut()[BETA2] = 1.0;
    let error = InvalidHyperparameter::Field { slot: BETA2, value: 1.0, rule: Rule::UnitInterval };
    assert_eq!(adam.step(false), Err(StepError::Hyperparameter { group: 0, error }));
    assert_eq!(c.borrow().data(), [1.0]);
    assert!(adam.state(0).is_none());
}

#[test]
fn a_failed_allocation_anywhere_in_a_step_changes_nothing() {
    // Group 0 steps for the second time with AMSGrad just switched on (it needs max_exp_avg_sq);
    // group 1 takes two first steps (each needs a whole state). Fail each allocation in turn.
    let a = param(&[1.0, 2.0], Some(&[0.5, -0.5]));
    let b = param(&[3.0], Some(&[0.25]));
    let c = param(&[4.0, 5.0, 6.0], Some(&[1.0, 1.0, 1.0]));
    let all = [&a, &b, &c];
    let mut fail_at = 0;
    loop {
        let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[&b, &c], lr(0.1))]);
        c.borrow_mut().set_has_grad(false);
        b.borrow_mut().set_has_grad(false);
        adam.step(false).unwrap(); // a's first step
        b.borrow_mut().set_has_grad(true);
        c.borrow_mut().set_has_grad(true);
        adam.hyper_table_mut()[AMSGRAD] = 1.0;
        // The same optimizer with a policy that refuses allocation `fail_at` of the next step.
        let mut adam = with_policy(adam, FailAt::new(fail_at));
        let before = observe(&adam, &all);
        match adam.step(false) {
            Err(StepError::OutOfMemory { .. }) => {
                assert_eq!(observe(&adam, &all), before, "allocation {fail_at} failed: nothing changed");
                assert!(adam.pending.is_empty() && adam.pending.capacity() == 0, "nothing kept");
                fail_at += 1;
            }
            Ok(Stepped::All) => {
                // Past the last allocation: the step happened, whole.
                assert_eq!(adam.state(0).unwrap().step_count(), 2);
                assert!(adam.state(0).unwrap().buffer(2).is_some(), "max_exp_avg_sq");
                assert_eq!(adam.state(1).unwrap().step_count(), 1);
                assert_eq!(adam.state(2).unwrap().step_count(), 1);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
        // Fresh values for the next round.
        a.borrow_mut().data_mut().copy_from_slice(&[1.0, 2.0]);
    }
    // max_exp_avg_sq, b's state, a pending slot, c's state, another pending slot (at least).
    assert!(fail_at >= 4, "only {fail_at} allocations were tried");
}

#[test]
fn the_step_limit_is_refused_and_changes_nothing() {
    let a = param(&[1.0], Some(&[0.5]));
    let b = param(&[1.0], Some(&[0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&a, &b], lr(0.1))]);
    adam.begin_staging().unwrap();
    adam.stage_state(0, 5.0, MOMENTS).unwrap();
    adam.stage_state(1, (MAX_STEP - 1) as f64, MOMENTS).unwrap();
    adam.commit_staged();
    // One more step reaches the limit...
    assert_eq!(adam.step(false), Ok(Stepped::All));
    assert_eq!(adam.state(1).unwrap().step_count(), MAX_STEP);
    // ...and the next is refused, for every parameter.
    let before = observe(&adam, &[&a, &b]);
    assert_eq!(adam.step(false), Err(StepError::StepLimit { param: 1, step: MAX_STEP as f64 }));
    assert_eq!(observe(&adam, &[&a, &b]), before);
    // A parameter without a gradient does not step, so it does not count.
    b.borrow_mut().set_has_grad(false);
    assert_eq!(adam.step(false), Ok(Stepped::All));
    assert_eq!(adam.state(0).unwrap().step_count(), 7);
}

#[test]
fn staging_checks_the_step_count_at_the_edges() {
    let a = param(&[1.0], None);
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1))]);
    adam.begin_staging().unwrap();
    for ok in [0.0, 1.0, MAX_STEP as f64] {
        assert_eq!(adam.stage_state(0, ok, MOMENTS), Ok(()), "{ok}");
    }
    // 2^53 is where a JavaScript number stops counting exactly: 2^53 + 1 reads as 2^53.
    for bad in [-1.0, -0.5, 0.5, (MAX_STEP + 1) as f64, 2f64.powi(53) + 2.0, f64::INFINITY, f64::NAN] {
        assert!(matches!(adam.stage_state(0, bad, MOMENTS), Err(StepError::StepLimit { param: 0, .. })), "{bad}");
    }
    assert_eq!(adam.stage_state(1, 0.0, MOMENTS), Err(StepError::NoSuchParameter { param: 1 }));
    adam.discard_staged();
    assert_eq!(adam.stage_state(0, 0.0, MOMENTS), Err(StepError::NoSuchParameter { param: 0 }), "no load in progress");
    assert!(adam.state(0).is_none());
}

#[test]
fn a_load_swaps_in_every_staged_state_at_once_or_none() {
    let a = param(&[1.0, 2.0], Some(&[0.5, 0.5]));
    let b = param(&[3.0], Some(&[0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[&b], lr(0.1))]);
    adam.step(false).unwrap();
    let before = observe(&adam, &[&a, &b]);

    // A load that fails half-way (b is disposed) is discarded: nothing changed.
    adam.begin_staging().unwrap();
    adam.stage_state(0, 10.0, WITH_MAX).unwrap();
    adam.staged_mut(0).unwrap().buffer_mut(0).unwrap().copy_from_slice(&[7.0, 8.0]);
    b.borrow_mut().dispose();
    assert_eq!(adam.stage_state(1, 3.0, MOMENTS), Err(StepError::Disposed { param: 1 }));
    adam.discard_staged();
    assert_eq!(observe(&adam, &[&a]).1, before.1);

    // A load that stages only parameter 0 replaces the state wholesale: 1 has none afterwards.
    adam.begin_staging().unwrap();
    adam.stage_state(0, 10.0, WITH_MAX).unwrap();
    adam.staged_mut(0).unwrap().buffer_mut(0).unwrap().copy_from_slice(&[7.0, 8.0]);
    adam.commit_staged();
    let state = adam.state(0).unwrap();
    assert_eq!((state.step_count(), state.buffer(0), state.buffer(2)), (10, Some(&[7.0, 8.0][..]), Some(&[0.0, 0.0][..])));
    assert!(adam.state(1).is_none());
    assert!(adam.staged.is_empty() && adam.staged.capacity() == 0);
}

#[test]
fn a_failed_allocation_while_staging_is_reported_for_its_parameter() {
    let a = param(&[1.0, 2.0], None);
    // Allocation 0 is the staging list; 1 is a's state.
    let mut adam = with_policy(optimizer(Unbounded, &[(&[&a], lr(0.1))]), FailAt::new(1));
    adam.begin_staging().unwrap();
    assert_eq!(
        adam.stage_state(0, 1.0, MOMENTS),
        Err(StepError::OutOfMemory { param: Some(0), error: AllocError { bytes: 16 } })
    );
    adam.discard_staged();
    assert!(adam.state(0).is_none());
}

#[test]
fn amsgrad_switched_on_between_steps_starts_its_maximum_at_zero() {
    // PyTorch raises a KeyError here; lucid-optim starts max_exp_avg_sq at zeros, so the step
    // is the AMSGrad step of a state whose maximum was kept from the start but never exceeded 0.
    let a = param(&[1.0], Some(&[0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1))]);
    adam.step(false).unwrap();
    let v = adam.state(0).unwrap().buffer(1).unwrap()[0];
    adam.hyper_table_mut()[AMSGRAD] = 1.0;
    adam.step(false).unwrap();
    let state = adam.state(0).unwrap();
    // max(0, v2) = v2 = beta2 * v + (1 - beta2) * g^2 (f32, as the kernel computes it).
    assert_eq!(state.buffer(2), state.buffer(1));
    assert!(state.buffer(1).unwrap()[0] != v);
}

#[test]
fn groups_that_share_bias_corrections_step_exactly_as_if_alone() {
    // The step reuses `1 - beta^step` across groups with the same betas and step count
    // (BiasMemo). Each group must still come out bit for bit as if it were the
    // optimizer's only group.
    let hypers = [
        Hyperparameters { lr: 0.1, ..Hyperparameters::default() },
        Hyperparameters { lr: 0.05, weight_decay: 0.01, ..Hyperparameters::default() },
        Hyperparameters { lr: 0.1, betas: (0.8, 0.99), ..Hyperparameters::default() },
        Hyperparameters { lr: 0.2, ..Hyperparameters::default() },
    ];
    let values = |g: usize| -> Vec<f32> { (0..5).map(|i| (g * 5 + i) as f32 * 0.37 - 1.0).collect() };
    let grads = |g: usize| -> Vec<f32> { (0..5).map(|i| ((g * 5 + i) as f32 * 1.3).sin()).collect() };
    let together: Vec<SharedParam> = (0..hypers.len()).map(|g| param(&values(g), Some(&grads(g)))).collect();
    let alone: Vec<SharedParam> = (0..hypers.len()).map(|g| param(&values(g), Some(&grads(g)))).collect();
    let together_refs: Vec<[&SharedParam; 1]> = together.iter().map(|p| [p]).collect();
    let groups: Vec<(&[&SharedParam], Hyperparameters)> = together_refs.iter().zip(hypers).map(|(p, h)| (&p[..], h)).collect();
    let mut all = optimizer(Unbounded, &groups);
    let mut each: Vec<Optimizer> = alone.iter().zip(hypers).map(|(p, h)| optimizer(Unbounded, &[(&[p], h)])).collect();
    for _ in 0..3 {
        all.step(false).unwrap();
        each.iter_mut().for_each(|adam| assert_eq!(adam.step(false), Ok(Stepped::All)));
    }
    for g in 0..hypers.len() {
        let bits = |p: &SharedParam| p.borrow().data().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&together[g]), bits(&alone[g]), "group {g}");
        assert_eq!(all.state(g), each[g].state(0), "group {g}");
    }
}

fn bits(p: &SharedParam) -> Vec<u32> {
    p.borrow().data().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn params_added_to_a_group_step_bit_for_bit_like_params_given_at_construction() {
    // `late`: groups [a], [b]; two steps; then group 0 is extended with c. `early`: groups
    // [a, c], [b] from the start, c without a gradient for those two steps (so, lazily, without
    // state). Same hyperparameters (group 1 shares group 0's betas: BiasMemo carries across the
    // groups, while c counts 1 step where a and b count 3), same gradients: same bits, same
    // states, same numbering (c is parameter 1, b moved to 2, as torch numbers after `.extend`).
    let hypers = [lr(0.1), Hyperparameters { lr: 0.05, weight_decay: 0.01, ..Hyperparameters::default() }];
    let make = || (param(&[1.0, -2.0], Some(&[0.5, -0.25])), param(&[3.0], Some(&[0.125])), param(&[0.5, 0.75, -1.0], None));
    let (a1, b1, c1) = make();
    let (a2, b2, c2) = make();
    let mut late = optimizer(Unbounded, &[(&[&a1], hypers[0]), (&[&b1], hypers[1])]);
    let mut early = optimizer(Unbounded, &[(&[&a2, &c2], hypers[0]), (&[&b2], hypers[1])]);
    for _ in 0..2 {
        late.step(false).unwrap();
        early.step(false).unwrap();
    }
    late.extend_group(0, [&c1]).unwrap();
    assert_eq!((late.param_count(), late.group_range(0), late.group_range(1)), (3, 0..2, 2..3));
    assert!(late.state(1).is_none(), "an added parameter starts without state");
    for c in [&c1, &c2] {
        c.borrow_mut().grad_buffer(&Unbounded).unwrap().copy_from_slice(&[1.0, -1.0, 0.5]);
        assert!(c.borrow_mut().set_has_grad(true));
    }
    for _ in 0..3 {
        late.step(false).unwrap();
        early.step(false).unwrap();
    }
    for (x, y) in [(&a1, &a2), (&c1, &c2), (&b1, &b2)] {
        assert_eq!(bits(x), bits(y));
    }
    for i in 0..3 {
        assert_eq!(late.state(i), early.state(i), "parameter {i}");
    }
    assert_eq!(late.state(1).unwrap().step_count(), 3);
    assert_eq!(late.state(2).unwrap().step_count(), 5);
}

#[test]
fn an_empty_group_steps_as_a_no_op_and_can_be_extended() {
    let a = param(&[1.0, 2.0], Some(&[0.5, 0.5]));
    let mut adam = optimizer(Unbounded, &[(&[], lr(0.1))]);
    assert_eq!(adam.step(false), Ok(Stepped::All));
    assert_eq!(adam.param_count(), 0);
    adam.begin_staging().unwrap();
    adam.commit_staged();
    adam.extend_group(0, [] as [&SharedParam; 0]).unwrap();
    adam.extend_group(0, [&a]).unwrap();
    assert_eq!(adam.step(false), Ok(Stepped::All));
    assert_eq!(adam.state(0).unwrap().step_count(), 1);
}

#[test]
fn a_refused_extension_adds_no_parameter() {
    let a = param(&[1.0], Some(&[0.5]));
    let (b, c) = (param(&[2.0], None), param(&[3.0], None));
    let adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[], lr(0.1))]);
    // Allocation 0 is the room for both: refused, neither is added.
    let mut adam = with_policy(adam, FailAt::new(0));
    assert!(matches!(adam.extend_group(1, [&b, &c]), Err(StepError::OutOfMemory { param: None, .. })));
    assert_eq!((adam.param_count(), adam.group_range(0), adam.group_range(1)), (1, 0..1, 1..1));
}

#[test]
fn an_added_parameters_state_loads_back() {
    let a = param(&[1.0], Some(&[0.5]));
    let b = param(&[2.0, 3.0], Some(&[0.25, -0.5]));
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[], lr(0.2))]);
    adam.step(false).unwrap();
    adam.extend_group(1, [&b]).unwrap();
    adam.step(false).unwrap();
    let saved: Vec<ParamState> = (0..2).map(|i| adam.state(i).unwrap().clone()).collect();
    // A fresh optimizer built with b in group 1 from the start loads those states.
    let (a2, b2) = (param(&[1.0], Some(&[0.5])), param(&[2.0, 3.0], Some(&[0.25, -0.5])));
    let mut loaded = optimizer(Unbounded, &[(&[&a2], lr(0.1)), (&[&b2], lr(0.2))]);
    loaded.begin_staging().unwrap();
    for (i, s) in saved.iter().enumerate() {
        loaded.stage_state(i, s.step_count() as f64, MOMENTS).unwrap();
        let staged = loaded.staged_mut(i).unwrap();
        for b in 0..2 {
            staged.buffer_mut(b).unwrap().copy_from_slice(s.buffer(b).unwrap());
        }
    }
    loaded.commit_staged();
    a2.borrow_mut().data_mut().copy_from_slice(a.borrow().data());
    b2.borrow_mut().data_mut().copy_from_slice(b.borrow().data());
    adam.step(false).unwrap();
    loaded.step(false).unwrap();
    assert_eq!((bits(&a), bits(&b)), (bits(&a2), bits(&b2)));
    assert_eq!((adam.state(0), adam.state(1)), (loaded.state(0), loaded.state(1)));
}

#[test]
fn a_parameter_pushed_between_empty_groups_lands_in_its_own() {
    // Groups [a], [], [b], []: the empty groups' ends equal their neighbours', so only the index
    // tells which ends move.
    let (a, b, c, d) = (param(&[1.0], None), param(&[2.0], None), param(&[3.0], None), param(&[4.0], None));
    let mut adam = optimizer(Unbounded, &[(&[&a], lr(0.1)), (&[], lr(0.1)), (&[&b], lr(0.1)), (&[], lr(0.1))]);
    adam.push_param(1, &c).unwrap();
    assert_eq!((0..4).map(|g| adam.group_range(g)).collect::<Vec<_>>(), [0..1, 1..2, 2..3, 3..3]);
    adam.push_param(3, &d).unwrap();
    assert_eq!((0..4).map(|g| adam.group_range(g)).collect::<Vec<_>>(), [0..1, 1..2, 2..3, 3..4]);
    let order: Vec<_> = adam.slots.iter().map(|s| s.param.borrow().data()[0]).collect();
    assert_eq!(order, [1.0, 3.0, 2.0, 4.0]);
    // No group 4: refused, nothing added.
    assert_eq!(adam.push_param(4, &d), Err(StepError::NoSuchGroup { group: 4 }));
    assert_eq!(adam.extend_group(4, [&d]), Err(StepError::NoSuchGroup { group: 4 }));
    assert_eq!(adam.param_count(), 4);
}

fn sgd(policy: Unbounded, groups: &[(&[&SharedParam], sgd::Hyperparameters)]) -> Optimizer {
    let mut opt = Optimizer::new(AlgorithmId::Sgd, policy);
    for (params, hyper) in groups {
        let g = opt.add_group(params.len()).unwrap();
        opt.set_row(g, &hyper.to_row());
        for p in params.iter() {
            opt.add_param(p).unwrap();
        }
    }
    opt
}

/// Slot of SGD's `momentum` (its spec's order: lr, momentum, dampening, ...).
const SGD_MOMENTUM: usize = 1;

#[test]
fn sgd_keeps_state_only_while_momentum_is_on_and_clones_the_gradient_at_first() {
    // torch: no state while momentum == 0; at the first step with momentum, buf = grad.clone();
    // afterwards buf = buf * momentum + (1 - dampening) * grad; p = p - lr * buf. Expected values
    // are that arithmetic in f32, each operation rounded (torch's kernels without FMA).
    let g = [0.5_f32, -0.25];
    let a = param(&[1.0, 2.0], Some(&g));
    let mut opt = sgd(Unbounded, &[(&[&a], sgd::Hyperparameters { lr: 0.1, ..Default::default() })]);
    let lr = -0.1_f32;
    opt.step(false).unwrap();
    assert!(opt.state(0).is_none(), "momentum 0: no state");
    let p1 = [1.0 + lr * g[0], 2.0 + lr * g[1]];
    assert_eq!(a.borrow().data(), p1);

    opt.hyper_table_mut()[SGD_MOMENTUM] = 0.9;
    opt.step(false).unwrap();
    assert_eq!(opt.state(0).unwrap().buffer(0), Some(&g[..]), "the first buffer is the gradient");
    let p2 = [p1[0] + lr * g[0], p1[1] + lr * g[1]];
    assert_eq!(a.borrow().data(), p2);

    opt.step(false).unwrap();
    let buf = [g[0] * 0.9 + 1.0 * g[0], g[1] * 0.9 + 1.0 * g[1]];
    assert_eq!(opt.state(0).unwrap().buffer(0), Some(&buf[..]));
    assert_eq!(a.borrow().data(), [p2[0] + lr * buf[0], p2[1] + lr * buf[1]]);

    // Momentum off: the buffer is kept, unused (torch keeps `state[p]` as it was).
    opt.hyper_table_mut()[SGD_MOMENTUM] = 0.0;
    let p3: Vec<f32> = a.borrow().data().to_vec();
    opt.step(false).unwrap();
    assert_eq!(opt.state(0).unwrap().buffer(0), Some(&buf[..]));
    assert_eq!(a.borrow().data(), [p3[0] + lr * g[0], p3[1] + lr * g[1]]);
}

#[test]
fn a_loaded_sgd_state_without_its_buffer_starts_it_as_torch_does() {
    // torch's `state.get("momentum_buffer")` is None: the next step clones the gradient.
    let g = [0.5_f32, -0.25];
    let a = param(&[1.0, 2.0], Some(&g));
    let mut opt = sgd(Unbounded, &[(&[&a], sgd::Hyperparameters { lr: 0.1, momentum: 0.9, ..Default::default() })]);
    opt.begin_staging().unwrap();
    opt.stage_state(0, 0.0, 0).unwrap();
    opt.commit_staged();
    assert_eq!(opt.state(0).unwrap().present(), 0);
    opt.step(false).unwrap();
    assert_eq!(opt.state(0).unwrap().buffer(0), Some(&g[..]));
}

#[test]
fn a_row_breaking_a_rule_across_fields_refuses_the_step() {
    let a = param(&[1.0], Some(&[0.5]));
    let hyper = sgd::Hyperparameters { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() };
    let mut opt = sgd(Unbounded, &[(&[&a], hyper)]);
    let error = InvalidHyperparameter::Cross(CrossRule::NesterovNeedsMomentum);
    assert_eq!(opt.step(false), Err(StepError::Hyperparameter { group: 0, error }));
    assert_eq!(a.borrow().data(), [1.0]);
    assert!(opt.state(0).is_none());
}
