//! Runs the table-driven vectors in `tests/vectors/*.json` against the native build.
//!
//! The same files are read by the wasm test run (through `include_str!`), so the JSON shape is part
//! of the contract between the two runners:
//!
//! - `parse_redirect.json`: `{name, url, redirectUrl?, expect | error: {code, field?}}`, where
//!   `expect` is the `RedirectResult` exactly as the JS API returns it (serde JSON);
//! - `validate_redirect_url.json`: `{name, input, allowInsecureLocalhost?, expect | error: {code, rule}}`;
//! - `validate_external_id.json`: `{name, input, error?: {code, rule}}` (no `error` means valid);
//! - `context_header.json`: `{name, ids, expect | error: {code, field}}`;
//! - `api_responses.json` (native only): `{name, endpoint, status, retryAfter?, body, error?: {code,
//!   status?}}`, an API answer and how the endpoint's interpreter reads it (no `error`: a value);
//! - `hostile.json`: `{"parse_redirect": [...], "validate_redirect_url": [...],
//!   "validate_external_id": [...]}`, hostile inputs, each section in exactly the shape of the file
//!   of the same name and run by the same runner. Overlong inputs (near and over each cap) are
//!   built in code by the `overlong_*` functions below rather than written into the file.
//!
//! Each runner checks every vector, prints the name of each failing one, then fails once.
//! The wasm run of the same files is `tests/wasm.rs`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "shared/overlong.rs"]
mod overlong;

use markifact_connect::{
    context_header, parse_redirect, validate_external_id, validate_redirect_url, Error,
    ParseOptions, RedirectUrlOptions,
};
use serde_json::{Map, Value};

const PARSE_REDIRECT: &str = include_str!("vectors/parse_redirect.json");
const VALIDATE_REDIRECT_URL: &str = include_str!("vectors/validate_redirect_url.json");
const VALIDATE_EXTERNAL_ID: &str = include_str!("vectors/validate_external_id.json");
const CONTEXT_HEADER: &str = include_str!("vectors/context_header.json");
const API_RESPONSES: &str = include_str!("vectors/api_responses.json");
const HOSTILE: &str = include_str!("vectors/hostile.json");

/// One vector: its object, and accessors that fail loudly on a malformed file.
struct Vector<'a> {
    file: &'static str,
    object: &'a Map<String, Value>,
}

impl<'a> Vector<'a> {
    fn name(&self) -> &'a str {
        self.object
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                panic!(
                    "{}: a vector without a string name: {:?}",
                    self.file, self.object
                )
            })
    }

    fn str(&self, key: &str) -> &'a str {
        self.opt_str(key)
            .unwrap_or_else(|| panic!("{}: {:?} lacks the string {key:?}", self.file, self.name()))
    }

    fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.object.get(key).map(|v| {
            v.as_str().unwrap_or_else(|| {
                panic!("{}: {:?}: {key:?} must be a string", self.file, self.name())
            })
        })
    }

    fn opt_bool(&self, key: &str) -> Option<bool> {
        self.object.get(key).map(|v| {
            v.as_bool().unwrap_or_else(|| {
                panic!(
                    "{}: {:?}: {key:?} must be a boolean",
                    self.file,
                    self.name()
                )
            })
        })
    }
}

/// Parses a vector file: an array of objects.
fn array(file: &'static str, json: &str) -> Vec<Map<String, Value>> {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{file} is not an array of objects: {e}"))
}

/// The sections of `hostile.json`: an object holding exactly these arrays of objects.
const HOSTILE_SECTIONS: [&str; 3] = [
    "parse_redirect",
    "validate_redirect_url",
    "validate_external_id",
];

/// One section of `hostile.json`, an array in the shape of the vector file of the same name.
fn hostile(section: &str) -> Vec<Map<String, Value>> {
    let object: Map<String, Value> = serde_json::from_str(HOSTILE)
        .unwrap_or_else(|e| panic!("hostile.json is not an object: {e}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = HOSTILE_SECTIONS;
    want.sort_unstable();
    assert_eq!(keys, want, "hostile.json: unexpected sections");
    serde_json::from_value(object[section].clone())
        .unwrap_or_else(|e| panic!("hostile.json: {section} is not an array of objects: {e}"))
}

/// Checks the shape of a file's vectors: objects with unique names, only the given keys, and
/// exactly one of `expect` / `error` (or at most `error` when `expect_key` is false).
fn load(
    file: &'static str,
    vectors: Vec<Map<String, Value>>,
    keys: &[&str],
    expect_key: bool,
) -> Vec<Map<String, Value>> {
    assert!(!vectors.is_empty(), "{file} holds no vectors");
    let mut names = std::collections::HashSet::new();
    for object in &vectors {
        let vector = Vector { file, object };
        let name = vector.name();
        assert!(names.insert(name), "{file}: duplicate vector name {name:?}");
        for key in object.keys() {
            assert!(
                key == "name" || key == "expect" || key == "error" || keys.contains(&key.as_str()),
                "{file}: {name:?} has the unknown key {key:?}"
            );
        }
        let (has_expect, has_error) = (object.contains_key("expect"), object.contains_key("error"));
        if expect_key {
            assert!(
                has_expect != has_error,
                "{file}: {name:?} needs exactly one of expect and error"
            );
        } else {
            assert!(!has_expect, "{file}: {name:?}: this file has no expect key");
        }
        if let Some(error) = object.get("error") {
            let error = error
                .as_object()
                .unwrap_or_else(|| panic!("{file}: {name:?}: error must be an object"));
            assert!(
                error.get("code").is_some_and(Value::is_string),
                "{file}: {name:?}: error needs a string code"
            );
            for key in error.keys() {
                assert!(
                    matches!(key.as_str(), "code" | "field" | "rule" | "status"),
                    "{file}: {name:?}: unknown key {key:?} in error"
                );
            }
        }
    }
    vectors
}

/// Compares an outcome with the vector's `expect` / `error`, returning a description of any difference.
fn check(vector: &Vector<'_>, outcome: Result<Value, Error>) -> Option<String> {
    match (vector.object.get("error"), outcome) {
        (None, Ok(got)) => {
            let want = vector.object.get("expect").unwrap_or(&Value::Null);
            (got != *want).then(|| format!("expected {want}\n      got {got}"))
        }
        (None, Err(e)) => Some(format!(
            "expected {}\n      got the error {e:?}",
            vector.object.get("expect").unwrap_or(&Value::Null)
        )),
        (Some(want), Ok(got)) => Some(format!("expected the error {want}\n      got {got}")),
        (Some(want), Err(e)) => {
            let mut differences = Vec::new();
            if want["code"] != e.code().as_str() {
                differences.push(format!("code {} (want {})", e.code(), want["code"]));
            }
            if let Some(field) = want.get("field") {
                if e.field() != field.as_str() {
                    differences.push(format!("field {:?} (want {field})", e.field()));
                }
            }
            if let Some(status) = want.get("status") {
                if e.status().map(u64::from) != status.as_u64() {
                    differences.push(format!("status {:?} (want {status})", e.status()));
                }
            }
            if let Some(rule) = want.get("rule") {
                if e.rule().map(|r| r.as_str()) != rule.as_str() {
                    differences.push(format!(
                        "rule {:?} (want {rule})",
                        e.rule().map(|r| r.as_str())
                    ));
                }
            }
            (!differences.is_empty())
                .then(|| format!("{}; the error was {e:?}", differences.join(", ")))
        }
    }
}

/// Runs every vector of a file and fails once, naming each failing vector.
fn run(
    file: &'static str,
    json: &str,
    keys: &[&str],
    expect_key: bool,
    call: impl FnMut(&Vector<'_>) -> Result<Value, Error>,
) {
    run_vectors(file, array(file, json), keys, expect_key, call);
}

/// [`run`], over vectors already parsed (a section of `hostile.json`, or vectors built in code).
fn run_vectors(
    file: &'static str,
    vectors: Vec<Map<String, Value>>,
    keys: &[&str],
    expect_key: bool,
    mut call: impl FnMut(&Vector<'_>) -> Result<Value, Error>,
) {
    let vectors = load(file, vectors, keys, expect_key);
    let mut failures = Vec::new();
    for object in &vectors {
        let vector = Vector { file, object };
        if let Some(difference) = check(&vector, call(&vector)) {
            eprintln!("FAILED {file}: {}\n      {difference}", vector.name());
            failures.push(vector.name().to_owned());
        }
    }
    assert!(
        failures.is_empty(),
        "{file}: {} of {} vectors failed:\n  {}",
        failures.len(),
        vectors.len(),
        failures.join("\n  ")
    );
    eprintln!("{file}: all {} vectors passed", vectors.len());
}

/// The `parse_redirect.json` runner, for that file and for vectors of the same shape elsewhere.
fn run_parse_redirect(file: &'static str, vectors: Vec<Map<String, Value>>) {
    run_vectors(file, vectors, &["url", "redirectUrl"], true, |v| {
        let options = ParseOptions {
            redirect_url: v.opt_str("redirectUrl"),
        };
        parse_redirect(v.str("url"), options)
            .map(|result| serde_json::to_value(result).expect("a RedirectResult serialises"))
    });
}

/// The `validate_redirect_url.json` runner.
fn run_validate_redirect_url(file: &'static str, vectors: Vec<Map<String, Value>>) {
    run_vectors(
        file,
        vectors,
        &["input", "allowInsecureLocalhost"],
        true,
        |v| {
            let options = RedirectUrlOptions {
                allow_insecure_localhost: v.opt_bool("allowInsecureLocalhost").unwrap_or(false),
            };
            validate_redirect_url(v.str("input"), options).map(Value::String)
        },
    );
}

/// The `validate_external_id.json` runner.
fn run_validate_external_id(file: &'static str, vectors: Vec<Map<String, Value>>) {
    run_vectors(file, vectors, &["input"], false, |v| {
        validate_external_id(v.str("input")).map(|()| Value::Null)
    });
}

#[test]
fn parse_redirect_vectors() {
    let file = "parse_redirect.json";
    run_parse_redirect(file, array(file, PARSE_REDIRECT));
}

#[test]
fn validate_redirect_url_vectors() {
    let file = "validate_redirect_url.json";
    run_validate_redirect_url(file, array(file, VALIDATE_REDIRECT_URL));
}

#[test]
fn validate_external_id_vectors() {
    let file = "validate_external_id.json";
    run_validate_external_id(file, array(file, VALIDATE_EXTERNAL_ID));
}

#[test]
fn hostile_parse_redirect_vectors() {
    run_parse_redirect("hostile.json parse_redirect", hostile("parse_redirect"));
}

#[test]
fn hostile_validate_redirect_url_vectors() {
    run_validate_redirect_url(
        "hostile.json validate_redirect_url",
        hostile("validate_redirect_url"),
    );
}

#[test]
fn hostile_validate_external_id_vectors() {
    run_validate_external_id(
        "hostile.json validate_external_id",
        hostile("validate_external_id"),
    );
}

/// A vector built in code, in the shape of the vector files.
fn vector(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        other => panic!("a vector must be an object: {other}"),
    }
}

#[test]
fn overlong_inputs() {
    run_parse_redirect(
        "overlong parse_redirect",
        overlong::parse_redirect().into_iter().map(vector).collect(),
    );
    run_validate_redirect_url(
        "overlong validate_redirect_url",
        overlong::validate_redirect_url()
            .into_iter()
            .map(vector)
            .collect(),
    );
    run_validate_external_id(
        "overlong validate_external_id",
        overlong::validate_external_id()
            .into_iter()
            .map(vector)
            .collect(),
    );
}

#[test]
fn context_header_vectors() {
    run("context_header.json", CONTEXT_HEADER, &["ids"], true, |v| {
        let ids: Vec<&str> = v.object["ids"]
            .as_array()
            .unwrap_or_else(|| panic!("context_header.json: {:?}: ids must be an array", v.name()))
            .iter()
            .map(|id| {
                id.as_str().unwrap_or_else(|| {
                    panic!("context_header.json: {:?}: ids must be strings", v.name())
                })
            })
            .collect();
        context_header(&ids).map(Value::String)
    });
}

#[test]
fn api_response_vectors() {
    use markifact_connect::client::{response, HttpResponse};
    let keys = ["endpoint", "status", "retryAfter", "body"];
    run("api_responses.json", API_RESPONSES, &keys, false, |v| {
        let status = v.object["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok());
        let status = status
            .unwrap_or_else(|| panic!("api_responses.json: {:?}: status must be a u16", v.name()));
        let view =
            HttpResponse::new(status, v.str("body")).with_retry_after(v.opt_str("retryAfter"));
        match v.str("endpoint") {
            "create_auth_link" => response::create_auth_link(&view).map(|_| Value::Null),
            "auth_link_status" => response::auth_link_status(&view).map(|_| Value::Null),
            "list_connections" => response::list_connections(&view).map(|_| Value::Null),
            "get_connection" => response::get_connection(&view).map(|_| Value::Null),
            "delete_connection" => response::delete_connection(&view).map(|_| Value::Null),
            "connection_types" => response::connection_types(&view).map(|_| Value::Null),
            other => panic!(
                "api_responses.json: {:?}: unknown endpoint {other:?}",
                v.name()
            ),
        }
    });
}

/// Every vector file names its errors with codes and rules the crate actually has, so a typo in a
/// vector cannot pass by accident on the wasm side either.
#[test]
fn vector_errors_use_known_codes_and_rules() {
    let codes: Vec<&str> = markifact_connect::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    let rules: Vec<&str> = markifact_connect::Rule::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    let mut files: Vec<(String, Vec<Value>)> = [
        ("parse_redirect.json", PARSE_REDIRECT),
        ("validate_redirect_url.json", VALIDATE_REDIRECT_URL),
        ("validate_external_id.json", VALIDATE_EXTERNAL_ID),
        ("context_header.json", CONTEXT_HEADER),
        ("api_responses.json", API_RESPONSES),
    ]
    .into_iter()
    .map(|(file, json)| {
        (
            file.to_owned(),
            serde_json::from_str(json).expect("valid JSON"),
        )
    })
    .collect();
    for section in HOSTILE_SECTIONS {
        let vectors = hostile(section).into_iter().map(Value::Object).collect();
        files.push((format!("hostile.json {section}"), vectors));
    }
    for (file, vectors) in &files {
        for vector in vectors {
            if let Some(error) = vector.get("error") {
                let code = error["code"].as_str().unwrap_or_default();
                assert!(
                    codes.contains(&code),
                    "{file}: {}: unknown code {code:?}",
                    vector["name"]
                );
                if let Some(rule) = error.get("rule") {
                    let rule = rule.as_str().unwrap_or_default();
                    assert!(
                        rules.contains(&rule),
                        "{file}: {}: unknown rule {rule:?}",
                        vector["name"]
                    );
                }
            }
        }
    }
}
