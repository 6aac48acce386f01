//! The main wasm's JavaScript API in a real JS engine: every shared vector through the wasm
//! bindings, plus hostile argument types. Runs in Node and in headless Chromium (`cargo xtask
//! test` runs both; WASM_BINDGEN_USE_BROWSER=1 selects the browser).
//!
//! The hostile corpus (`vectors/hostile.json`, and the overlong inputs built in code as in
//! `tests/vectors.rs`) also checks, after every input, that the instance still answers a known-good
//! call exactly: a Rust panic in wasm traps and leaves the instance unusable.
//!
//! `parseRedirect` is not here: it comes from the parser wasm (src/parser_abi/, no
//! wasm-bindgen), which the JS tests run through the packed package with the same vectors, the
//! hostile corpus and wrong argument types (tests/js/consumer/).
#![cfg(target_arch = "wasm32")]

// Its parse_redirect inputs run natively (tests/vectors.rs) and through the package (see above).
#[allow(dead_code)]
#[path = "shared/overlong.rs"]
mod overlong;

use js_sys::{Array, Object, Reflect, JSON};
use markifact_connect::wasm;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn vectors(json: &str) -> Vec<Value> {
    serde_json::from_str(json).expect("vector file is JSON")
}

fn js(value: &Value) -> JsValue {
    JSON::parse(&value.to_string()).unwrap()
}

fn to_value(value: &JsValue) -> Value {
    if value.is_undefined() {
        return Value::Null;
    }
    serde_json::from_str(&String::from(JSON::stringify(value).unwrap())).unwrap()
}

fn options<T: JsCast>(pairs: &[(&str, &Value)]) -> Option<T> {
    let object = Object::new();
    let mut any = false;
    for (key, value) in pairs {
        if !value.is_null() {
            Reflect::set(&object, &JsValue::from_str(key), &js(value)).unwrap();
            any = true;
        }
    }
    any.then(|| object.unchecked_into())
}

/// Checks an outcome against a vector's `expect` or `error`. Vectors name fields the Rust way;
/// `renames` maps them to the JS argument names (`redirect_url` -> `redirectUrl`).
fn check(name: &str, vector: &Value, outcome: Result<JsValue, JsValue>, renames: &[(&str, &str)]) {
    if let Some(difference) = difference(vector, outcome, renames) {
        panic!("{name}: {difference}");
    }
}

/// [`check`], returning the difference instead of panicking.
fn difference(
    vector: &Value,
    outcome: Result<JsValue, JsValue>,
    renames: &[(&str, &str)],
) -> Option<String> {
    match (outcome, vector.get("error")) {
        (Ok(value), None) => {
            let expected = vector.get("expect")?;
            let got = to_value(&value);
            (&got != expected).then(|| format!("expected {expected}, got {got}"))
        }
        (Err(error), Some(expected)) => {
            if !error.is_instance_of::<js_sys::Error>() {
                return Some(format!("not an Error: {error:?}"));
            }
            let get = |key: &str| {
                Reflect::get(&error, &JsValue::from_str(key))
                    .unwrap()
                    .as_string()
            };
            if get("name").as_deref() != Some("MarkifactError") {
                return Some(format!("not a MarkifactError: {error:?}"));
            }
            let mut differences = Vec::new();
            for key in ["code", "field", "rule"] {
                if let Some(want) = expected.get(key).and_then(Value::as_str) {
                    let want = renames
                        .iter()
                        .find_map(|(from, to)| {
                            want.strip_prefix(from).map(|rest| format!("{to}{rest}"))
                        })
                        .unwrap_or_else(|| want.to_string());
                    if get(key).as_deref() != Some(want.as_str()) {
                        differences.push(format!("{key} {:?} (want {want:?})", get(key)));
                    }
                }
            }
            (!differences.is_empty()).then(|| differences.join(", "))
        }
        (Ok(value), Some(_)) => Some(format!("expected an error, got {}", to_value(&value))),
        (Err(error), None) => Some(format!("unexpected error {error:?}")),
    }
}

fn name(vector: &Value) -> &str {
    vector["name"].as_str().unwrap_or("?")
}

/// How the vectors of each shape are run through the bindings, and how their fields are renamed.
type Call = fn(&Value) -> Result<JsValue, JsValue>;
const VALIDATE_REDIRECT_URL: (Call, &[(&str, &str)]) = (
    call_validate_redirect_url,
    &[("redirect_url", "redirectUrl")],
);
const VALIDATE_EXTERNAL_ID: (Call, &[(&str, &str)]) =
    (call_validate_external_id, &[("external_id", "externalId")]);

fn call_validate_redirect_url(v: &Value) -> Result<JsValue, JsValue> {
    let opts = options(&[(
        "allowInsecureLocalhost",
        v.get("allowInsecureLocalhost").unwrap_or(&Value::Null),
    )]);
    wasm::validate_redirect_url(js(&v["input"]), opts).map(JsValue::from)
}

fn call_validate_external_id(v: &Value) -> Result<JsValue, JsValue> {
    wasm::validate_external_id(js(&v["input"])).map(|()| JsValue::UNDEFINED)
}

#[wasm_bindgen_test]
fn validate_redirect_url_vectors() {
    let (call, renames) = VALIDATE_REDIRECT_URL;
    for v in vectors(include_str!("vectors/validate_redirect_url.json")) {
        check(name(&v), &v, call(&v), renames);
    }
}

#[wasm_bindgen_test]
fn validate_external_id_vectors() {
    let (call, renames) = VALIDATE_EXTERNAL_ID;
    for v in vectors(include_str!("vectors/validate_external_id.json")) {
        check(name(&v), &v, call(&v), renames);
    }
}

/// One section of `hostile.json` (same shape as the vector file of the same name).
fn hostile(section: &str) -> Vec<Value> {
    let mut file: serde_json::Map<String, Value> =
        serde_json::from_str(include_str!("vectors/hostile.json")).expect("hostile.json is JSON");
    match file.remove(section) {
        Some(Value::Array(vectors)) if !vectors.is_empty() => vectors,
        other => panic!("hostile.json: {section} is not a non-empty array: {other:?}"),
    }
}

/// The "survives" check: a known-good redirect URL still validates to exactly its normal form.
/// After a Rust panic the instance is unusable and this call throws or traps.
fn instance_survives() -> Option<String> {
    let url = "https://APP.example.com:443/cb?session_id=abc";
    let want = "https://app.example.com/cb?session_id=abc";
    match wasm::validate_redirect_url(JsValue::from_str(url), None) {
        Ok(value) if value == want => None,
        Ok(value) => Some(format!("the known-good redirect URL now gives {value}")),
        Err(error) => Some(format!("the known-good redirect URL now fails: {error:?}")),
    }
}

/// Runs hostile vectors through the bindings, checking each outcome and then that the instance
/// still answers correctly; fails once, naming every failing vector.
fn run_hostile(label: &str, vectors: Vec<Value>, (call, renames): (Call, &[(&str, &str)])) {
    let mut failures = Vec::new();
    for v in &vectors {
        let mut problems: Vec<String> = difference(v, call(v), renames).into_iter().collect();
        problems.extend(instance_survives().map(|p| format!("after it, {p}")));
        if !problems.is_empty() {
            failures.push(format!("{}: {}", name(v), problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{label}: {} of {} vectors failed:\n  {}",
        failures.len(),
        vectors.len(),
        failures.join("\n  ")
    );
}

#[wasm_bindgen_test]
fn hostile_validate_redirect_url_vectors() {
    run_hostile(
        "hostile.json validate_redirect_url",
        hostile("validate_redirect_url"),
        VALIDATE_REDIRECT_URL,
    );
}

#[wasm_bindgen_test]
fn hostile_validate_external_id_vectors() {
    run_hostile(
        "hostile.json validate_external_id",
        hostile("validate_external_id"),
        VALIDATE_EXTERNAL_ID,
    );
}

#[wasm_bindgen_test]
fn overlong_inputs() {
    run_hostile(
        "overlong validate_redirect_url",
        overlong::validate_redirect_url(),
        VALIDATE_REDIRECT_URL,
    );
    run_hostile(
        "overlong validate_external_id",
        overlong::validate_external_id(),
        VALIDATE_EXTERNAL_ID,
    );
}

#[wasm_bindgen_test]
fn context_header_vectors() {
    for v in vectors(include_str!("vectors/context_header.json")) {
        let outcome = wasm::context_header(js(&v["ids"])).map(JsValue::from);
        check(
            name(&v),
            &v,
            outcome,
            &[("connection_ids", "connectionIds")],
        );
    }
}

fn code_of(outcome: Result<impl std::fmt::Debug, JsValue>) -> String {
    let error = outcome.expect_err("expected a MarkifactError");
    assert!(error.is_instance_of::<js_sys::Error>());
    Reflect::get(&error, &JsValue::from_str("code"))
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn wrong_argument_types_are_coded_errors() {
    let not_strings = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(42),
        JsValue::from(true),
        Object::new().into(),
        Array::new().into(),
    ];
    for value in &not_strings {
        assert_eq!(
            code_of(wasm::validate_redirect_url(value.clone(), None)),
            "invalid_argument"
        );
        assert_eq!(
            code_of(wasm::validate_external_id(value.clone())),
            "invalid_argument"
        );
    }
    let bad_flag = options(&[("allowInsecureLocalhost", &Value::from("yes"))]);
    assert_eq!(
        code_of(wasm::validate_redirect_url(
            JsValue::from_str("http://localhost/"),
            bad_flag
        )),
        "invalid_argument"
    );
    assert_eq!(
        code_of(wasm::context_header(JsValue::from_str("c_1"))),
        "invalid_argument"
    );
    assert_eq!(
        code_of(wasm::context_header(js(&serde_json::json!(["a", 1])))),
        "invalid_argument"
    );
}

#[wasm_bindgen_test]
fn ids_with_lone_surrogates_are_refused_not_altered() {
    let lone: JsValue = js_sys::JsString::from_char_code1(0xD800).into();
    let error = wasm::validate_external_id(lone.clone()).expect_err("a lone surrogate is not text");
    let get = |key: &str| {
        Reflect::get(&error, &JsValue::from_str(key))
            .unwrap()
            .as_string()
    };
    assert_eq!(get("code").as_deref(), Some("invalid_argument"));
    assert_eq!(get("rule").as_deref(), Some("invalid_unicode"));
    assert_eq!(get("field").as_deref(), Some("externalId"));
    let ids = Array::of2(&JsValue::from_str("c_1"), &lone);
    let error = wasm::context_header(ids.into()).expect_err("a lone surrogate is not text");
    assert_eq!(
        Reflect::get(&error, &JsValue::from_str("field"))
            .unwrap()
            .as_string()
            .as_deref(),
        Some("connectionIds[1]")
    );
}

/// The main wasm's allocator (Talc, src/wasm/mod.rs) under a deterministic churn of allocations,
/// reallocations and frees of 1 B to 256 KiB in shuffled order, the memory growing on the way:
/// every live block keeps exactly what was written to it.
#[wasm_bindgen_test]
fn the_allocator_keeps_every_block_intact() {
    let mut seed: u32 = 0x9E37_79B9;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let fill =
        |id: u32, len: usize| -> Vec<u8> { (0..len).map(|i| (id as usize + i) as u8).collect() };
    let intact = |id: u32, block: &[u8]| {
        block
            .iter()
            .enumerate()
            .all(|(i, b)| *b == (id as usize + i) as u8)
    };
    let mut live: Vec<(u32, Vec<u8>)> = Vec::new();
    for id in 0..4_000u32 {
        match next() % 4 {
            0 | 1 => {
                let len = 1usize << (next() % 19);
                live.push((id, fill(id, len + (next() as usize % len))));
            }
            2 if !live.is_empty() => {
                let index = next() as usize % live.len();
                let (owner, block) = &mut live[index];
                let extra = 1 + next() as usize % 4_096;
                let grown = block.len() + extra;
                block.reserve_exact(extra);
                block.extend((block.len()..grown).map(|i| (*owner as usize + i) as u8));
            }
            _ if !live.is_empty() => {
                let (owner, block) = live.swap_remove(next() as usize % live.len());
                assert!(intact(owner, &block), "block {owner} was overwritten");
            }
            _ => {}
        }
        if live.len() > 64 {
            let (owner, block) = live.swap_remove(0);
            assert!(intact(owner, &block), "block {owner} was overwritten");
        }
    }
    for (owner, block) in &live {
        assert!(intact(*owner, block), "block {owner} was overwritten");
    }
}
