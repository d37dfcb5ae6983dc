//! The measurements that are not a time per iteration (so not criterion's): one JSON record
//! each, with the bounds the project claims, all written to the file `MSS_BENCH_MEASURES_JSON`
//! names (when set, as `cargo xtask bench` sets it), where `cargo xtask bench` judges them.
//! The X11 stream measures (`measures`) and the Wayland ones (`wayland`) both make their
//! records here.

use serde_json::{Value, json};

/// One result, with the bounds it is judged against.
pub(crate) fn measure(
    id: &str,
    value: f64,
    unit: &str,
    bounds: (Option<f64>, Option<f64>),
    detail: String,
) -> Value {
    eprintln!("mss-bench measure: {id} = {value:.3} {unit} ({detail})");
    json!({
        "id": id,
        "value": value,
        "unit": unit,
        "at_least": bounds.0,
        "at_most": bounds.1,
        "detail": detail,
    })
}

/// Writes `measures` where `MSS_BENCH_MEASURES_JSON` says, if it is set.
pub fn write(measures: Vec<Value>) {
    if let Some(path) = std::env::var_os("MSS_BENCH_MEASURES_JSON") {
        let text = serde_json::to_string_pretty(&Value::Array(measures))
            .expect("JSON values always serialise");
        if let Err(error) = std::fs::write(&path, text) {
            panic!("cannot write {}: {error}", path.to_string_lossy());
        }
    }
}
