//! The native contestants of the JavaScript benchmark: `bench/run.mjs` starts this binary with
//! `--serve` and times native steps between its WebAssembly and JavaScript ones, in the same run,
//! so that their ratios are not skewed by a machine that got busier in between.
//!
//! A line protocol on stdin/stdout, one JSON reply per command:
//!
//! ```text
//! new <variant> <n1,n2,...>   -> {"id":0}     a model (shape, option set; data of common::Rng)
//! run <id> <simd|scalar> <k>  -> {"ns":123}   k Adam steps with that kernel, timed here
//! params <id>                 -> {"hex":"…"}  every parameter value, as little-endian f32 bits
//! free <id>                   -> {}
//! ```
//!
//! Without `--serve` (as under `cargo bench`) it does nothing.

mod common;

use std::io::{BufRead, Write};
use std::time::Instant;

use common::{variant, Model};
use optim_core::algorithms::adam::Hyperparameters;

fn main() {
    if !std::env::args().any(|arg| arg == "--serve") {
        eprintln!("serve: bench/run.mjs drives this benchmark (with --serve); nothing to do here");
        return;
    }
    let mut models: Vec<Option<(Model, Hyperparameters)>> = Vec::new();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("reading stdin");
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["new", name, shape] => match (variant(name), shape.split(',').map(str::parse).collect::<Result<Vec<usize>, _>>()) {
                (Some(hyper), Ok(shape)) => {
                    models.push(Some((Model::new(&shape, &hyper), hyper)));
                    format!("{{\"id\":{}}}", models.len() - 1)
                }
                _ => format!("{{\"error\":\"bad model: {name} {shape}\"}}"),
            },
            ["run", id, kernel, steps] => match (model(&mut models, id), steps.parse::<u32>()) {
                (Some((model, hyper)), Ok(steps)) if *kernel == "simd" || *kernel == "scalar" => {
                    let reference = *kernel == "scalar";
                    let start = Instant::now();
                    for _ in 0..steps {
                        model.step(hyper, reference);
                    }
                    // bench/run.mjs replaces a model before MAX_STEPS_PER_MODEL itself.
                    format!("{{\"ns\":{}}}", start.elapsed().as_nanos())
                }
                _ => format!("{{\"error\":\"bad run: {line}\"}}"),
            },
            ["params", id] => match model(&mut models, id) {
                Some((model, _)) => {
                    let hex: String =
                        model.params.iter().flatten().flat_map(|x| x.to_le_bytes()).map(|b| format!("{b:02x}")).collect();
                    format!("{{\"hex\":\"{hex}\"}}")
                }
                None => format!("{{\"error\":\"no model {id}\"}}"),
            },
            ["free", id] => match id.parse::<usize>().ok().and_then(|i| models.get_mut(i)) {
                Some(slot) => {
                    *slot = None;
                    "{}".to_string()
                }
                None => format!("{{\"error\":\"no model {id}\"}}"),
            },
            _ => format!("{{\"error\":\"unknown command: {line}\"}}"),
        };
        writeln!(out, "{reply}").and_then(|()| out.flush()).expect("writing stdout");
    }
}

fn model<'a>(models: &'a mut [Option<(Model, Hyperparameters)>], id: &str) -> Option<&'a mut (Model, Hyperparameters)> {
    id.parse::<usize>().ok().and_then(|i| models.get_mut(i)).and_then(Option::as_mut)
}
