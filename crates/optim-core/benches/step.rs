//! Native throughput of the Adam step: the scalar reference against the 4-lane kernel that the
//! WebAssembly build runs (here on SSE, the x86-64 baseline; with `-C target-cpu=native` LLVM
//! may also widen the scalar reference to AVX).
//!
//! ```text
//! cargo bench -p optim-core --bench step                      # default target (x86-64: SSE2)
//! RUSTFLAGS="-C target-cpu=native" CARGO_TARGET_DIR=target/native-cpu \
//!   cargo bench -p optim-core --bench step                    # the ceiling on this machine
//! node bench/criterion.mjs                                   # collects both into docs/benchmarks.md
//! ```
//!
//! Each benchmark is one Adam step of a whole model through `optim_core::algorithms::step_param`
//! with the fast kernel or the scalar reference: what the WebAssembly optimizer does per
//! parameter, step count and per-step scalars included. Throughput is in elements (parameter
//! entries). Shapes, options and data are those of the JavaScript benchmark (`bench/run.mjs`), and
//! as there no model takes more than `common::MAX_STEPS_PER_MODEL` steps before it is reset.
//! `BENCH_VARIANTS=adam,wd` limits the option sets; criterion's own filter selects the rest.

// Criterion is a native-only dev-dependency (see Cargo.toml): on wasm32 this bench is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{timed_steps, variant, Model, SHAPES, VARIANTS};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn steps(c: &mut Criterion) {
    let wanted = std::env::var("BENCH_VARIANTS").ok();
    for name in VARIANTS {
        if wanted.as_deref().is_some_and(|w| !w.split(',').any(|v| v == name)) {
            continue;
        }
        let hyper = variant(name).expect("a known variant");
        let mut group = c.benchmark_group(format!("step/{name}"));
        group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        for (size, shape) in SHAPES {
            let mut model = Model::new(shape, &hyper);
            group.throughput(Throughput::Elements(model.elements()));
            for (kernel, reference) in [("step_scalar", true), ("step_simd", false)] {
                model.reset(&hyper);
                group.bench_function(BenchmarkId::new(kernel, size), |b| {
                    b.iter_custom(|iters| timed_steps(&mut model, black_box(&hyper), reference, iters));
                });
            }
            black_box(&model.params);
        }
        group.finish();
    }
}

criterion_group!(benches, steps);
criterion_main!(benches);
