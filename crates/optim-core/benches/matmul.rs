//! Native throughput of Muon's matrix product (`optim_core::kernel::matmul::Gemm`): n×n times
//! n×n, the 4-lane kernel the WebAssembly build runs (here on SSE) against the scalar reference.
//! Throughput is in floating-point operations (2n³ per product): criterion's "elem/s" are FLOP/s.
//! The WebAssembly figures, against plain JavaScript and tfjs-wasm, are bench/muon.mjs's.
//!
//! ```text
//! cargo bench -p optim-core --bench matmul
//! ```

// Criterion is a native-only dev-dependency (see Cargo.toml): on wasm32 this bench is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use optim_core::kernel::matmul::Gemm;
use optim_core::kernel::Kernel;

fn products(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in [512, 1024] {
        let a: Vec<f32> = (0..n * n).map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 500.0).collect();
        let b: Vec<f32> = (0..n * n).map(|i| ((i * 104_729 % 1000) as f32 - 500.0) / 500.0).collect();
        let mut out = vec![0.0; n * n];
        let gemm = Gemm { m: n, k: n, n, alpha: 1.0, beta: 0.0 };
        let mut pack = vec![0.0; gemm.pack_len()];
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        for (name, kernel) in [("simd", Kernel::Simd), ("scalar", Kernel::Reference)] {
            group.bench_function(BenchmarkId::new(name, n), |bench| {
                bench.iter(|| gemm.run(black_box(&a), black_box(&b), &mut out, &mut pack, kernel));
            });
        }
        black_box(&out);
    }
    group.finish();
}

criterion_group!(benches, products);
criterion_main!(benches);
