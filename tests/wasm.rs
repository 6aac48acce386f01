//! The JavaScript API in a real JS engine: every shared vector through the wasm bindings, plus
//! hostile argument types. Runs in Node and in headless Chromium (`cargo xtask test` runs both;
//! WASM_BINDGEN_USE_BROWSER=1 selects the browser).
#![cfg(target_arch = "wasm32")]

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
    match (outcome, vector.get("error")) {
        (Ok(value), None) => {
            if let Some(expected) = vector.get("expect") {
                assert_eq!(&to_value(&value), expected, "{name}");
            }
        }
        (Err(error), Some(expected)) => {
            assert!(
                error.is_instance_of::<js_sys::Error>(),
                "{name}: not an Error"
            );
            let get = |key: &str| {
                Reflect::get(&error, &JsValue::from_str(key))
                    .unwrap()
                    .as_string()
            };
            assert_eq!(get("name").as_deref(), Some("MarkifactError"), "{name}");
            for key in ["code", "field", "rule"] {
                if let Some(want) = expected.get(key).and_then(Value::as_str) {
                    let want = renames
                        .iter()
                        .find_map(|(from, to)| {
                            want.strip_prefix(from).map(|rest| format!("{to}{rest}"))
                        })
                        .unwrap_or_else(|| want.to_string());
                    assert_eq!(get(key), Some(want), "{name}: {key}");
                }
            }
        }
        (Ok(value), Some(_)) => panic!("{name}: expected an error, got {:?}", to_value(&value)),
        (Err(error), None) => panic!("{name}: unexpected error {error:?}"),
    }
}

fn name(vector: &Value) -> &str {
    vector["name"].as_str().unwrap_or("?")
}

#[wasm_bindgen_test]
fn parse_redirect_vectors() {
    for v in vectors(include_str!("vectors/parse_redirect.json")) {
        let opts = options(&[("redirectUrl", v.get("redirectUrl").unwrap_or(&Value::Null))]);
        let outcome = wasm::parse_redirect(js(&v["url"]), opts);
        check(name(&v), &v, outcome, &[("redirect_url", "redirectUrl")]);
    }
}

#[wasm_bindgen_test]
fn validate_redirect_url_vectors() {
    for v in vectors(include_str!("vectors/validate_redirect_url.json")) {
        let opts = options(&[(
            "allowInsecureLocalhost",
            v.get("allowInsecureLocalhost").unwrap_or(&Value::Null),
        )]);
        let outcome = wasm::validate_redirect_url(js(&v["input"]), opts).map(JsValue::from);
        check(name(&v), &v, outcome, &[("redirect_url", "redirectUrl")]);
    }
}

#[wasm_bindgen_test]
fn validate_external_id_vectors() {
    for v in vectors(include_str!("vectors/validate_external_id.json")) {
        let outcome = wasm::validate_external_id(js(&v["input"])).map(|()| JsValue::UNDEFINED);
        check(name(&v), &v, outcome, &[("external_id", "externalId")]);
    }
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
            code_of(wasm::parse_redirect(value.clone(), None)),
            "invalid_argument"
        );
        assert_eq!(
            code_of(wasm::validate_redirect_url(value.clone(), None)),
            "invalid_argument"
        );
        assert_eq!(
            code_of(wasm::validate_external_id(value.clone())),
            "invalid_argument"
        );
    }
    let url = JsValue::from_str("https://a.example/cb?status=error");
    let string_options = JsValue::from_str("redirectUrl").unchecked_into();
    assert_eq!(
        code_of(wasm::parse_redirect(url.clone(), Some(string_options))),
        "invalid_argument"
    );
    let bad_redirect = options(&[("redirectUrl", &Value::from(7))]);
    assert_eq!(
        code_of(wasm::parse_redirect(url, bad_redirect)),
        "invalid_argument"
    );
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
fn lone_surrogates_and_huge_inputs_do_not_break_the_instance() {
    let lone = JsValue::from_str(
        "https://a.example/cb?status=success&connection_type=\u{FFFD}&connection_id=c",
    );
    assert!(wasm::parse_redirect(lone, None).is_ok());
    let huge = format!("https://a.example/cb?{}", "x".repeat(1 << 20));
    assert_eq!(
        code_of(wasm::parse_redirect(JsValue::from_str(&huge), None)),
        "input_too_long"
    );
    // Still answers correctly afterwards.
    let ok = wasm::parse_redirect(
        JsValue::from_str(
            "https://a.example/cb?status=success&connection_type=ga4&connection_id=c_1",
        ),
        None,
    )
    .unwrap();
    assert_eq!(to_value(&ok)["connectionId"], "c_1");
}

#[wasm_bindgen_test]
fn error_codes_lists_every_code() {
    let codes: Vec<String> = wasm::error_codes()
        .iter()
        .filter_map(|c| c.as_string())
        .collect();
    assert!(codes.contains(&"invalid_redirect_url".to_string()));
    assert_eq!(codes.len(), markifact_connect::ErrorCode::ALL.len());
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
