//! The reader and writer against `serde_json` (a dev-dependency) as the reference.

use super::*;
use crate::client::decode::FromJson;
use crate::models::{AuthLinkStatus, Connection, CreateAuthLinkRequest};
use serde::de::DeserializeOwned;

fn from_str<T: FromJson>(text: &str) -> Result<T, Error> {
    T::from_json(parse(text)?)
}

/// Ours as `serde_json`'s tree, numbers through its own reading of their text.
fn reference(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(text) => serde_json::from_str(text).unwrap(),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => items.iter().map(reference).collect(),
        // Last occurrence wins, as in serde_json's map.
        Value::Object(members) => members
            .iter()
            .map(|(k, v)| (k.clone(), reference(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// Same verdict as `serde_json` and, when accepted, the same tree. `serde_json` refuses numbers
/// out of `f64`'s range, which are valid JSON: ours keeps their text.
fn agrees(text: &str) {
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    let ours = parse(text);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => assert_eq!(&reference(ours), theirs, "{text:?}"),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) if e.to_string().contains("number out of range") => {}
        _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

#[test]
fn reads_what_serde_json_reads() {
    for text in [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "12",
        "-12",
        "1.5",
        "1e3",
        "1E+3",
        "2.5e-3",
        "18446744073709551616",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20AC""#,
        r#""\ud83d\ude00""#,
        r#""é😀""#,
        "[]",
        "[1,[2,[3]]]",
        " { } ",
        r#"{"a":1,"a":2}"#,
        r#"{"id":"c1","type":"ga4","nested":{"x":[true,null]}}"#,
        "\t\r\n[ 1 , 2 ]\n",
    ] {
        agrees(text);
        assert!(parse(text).is_ok(), "{text}");
    }
}

#[test]
fn refuses_what_is_not_json() {
    for text in [
        "",
        " ",
        "nul",
        "True",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "0x10",
        "NaN",
        "[1,]",
        "[1 2]",
        "{\"a\"}",
        "{\"a\":}",
        "{a:1}",
        "{\"a\":1,}",
        "\"abc",
        "\"a\u{1}b\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\ud800""#,
        r#""\ud800\u0041""#,
        r#""\udc00""#,
        "[1]]",
        "{} {}",
        "\u{feff}1",
        "[1,\u{a0}2]",
        "'a'",
    ] {
        agrees(text);
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn nesting_is_limited_without_exhausting_the_stack() {
    let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
    agrees(&nested(127));
    assert!(parse(&nested(127)).is_ok());
    agrees(&nested(128));
    let error = parse(&nested(100_000)).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("nested too deeply at line 1 column 128"),
        "{error}"
    );
}

#[test]
fn errors_say_where() {
    let error = parse("{\n  \"a\": tru\n}").unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected a JSON value at line 2 column 8"
    );
    let error = from_str::<Vec<Connection>>(
        r#"[{"type":"ga4","is_private":false},{"type":"ga4","is_private":false,"created_at":"x"}]"#,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected an integer, found string at [1].created_at"
    );
    let error = from_str::<AuthLinkStatus>(r#"{"id":"l","status":"done"}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown status \"done\", expected pending, connected or expired at status"
    );
    let error = from_str::<Connection>(r#"{"type":"a","type":"b","is_private":true}"#).unwrap_err();
    assert_eq!(error.to_string(), "duplicate field `type`");
    let error = from_str::<AuthLinkStatus>(
        r#"{"id":"l","status":"pending","connection_type":"ga4","expires_at":1,"created_at":1,
            "updated_at":1,"connections":null}"#,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected an array, found null at connections"
    );
    let error = from_str::<Connection>(r#"{"type":"ga4","is_private":false,"created_at":1.5}"#)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the number 1.5 is not a 64-bit integer at created_at"
    );
    let error = from_str::<Connection>(r#"{"type":"ga4"}"#).unwrap_err();
    assert_eq!(error.to_string(), "missing field `is_private`");
}

#[test]
fn decodes_models_as_serde_json_does() {
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/api_responses.json")).unwrap();
    let mut bodies = Vec::new();
    collect_strings(&vectors, &mut bodies);
    assert!(bodies.len() > 10);
    for body in bodies {
        agrees(&body);
        same_decoding::<Vec<Connection>>(&body);
        same_decoding::<Connection>(&body);
        same_decoding::<AuthLinkStatus>(&body);
        same_decoding::<crate::models::CreateAuthLinkResponse>(&body);
    }
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The hand-written reading and the models' serde derives agree on what they accept and read.
fn same_decoding<T: FromJson + DeserializeOwned + PartialEq + core::fmt::Debug>(body: &str) {
    let ours = from_str::<T>(body).ok();
    let theirs = serde_json::from_str::<T>(body).ok();
    assert_eq!(ours, theirs, "{body}");
}

#[test]
fn writes_what_serde_json_writes() {
    let status: AuthLinkStatus = serde_json::from_str(
        r#"{"id":"l\"1","status":"connected","connection_type":"ga4","expires_at":-1,
            "created_at":0,"updated_at":9007199254740993,"connection_id":"c\u0001",
            "connections":[{"id":"c","type":"ga4","is_private":true,"display_name":"é😀\n"}]}"#,
    )
    .unwrap();
    assert_eq!(
        to_string(&status).unwrap(),
        serde_json::to_string(&status).unwrap()
    );
    let body = CreateAuthLinkRequest {
        connection_type: "ga4".into(),
        redirect_url: None,
        external_id: Some("u\u{2028}".into()),
        is_private: Some(false),
    };
    assert_eq!(
        to_string(&body).unwrap(),
        serde_json::to_string(&body).unwrap()
    );
    let tree = parse(r#"{"a":[1,-2.5e3,"x\ty"],"b":{},"c":null,"d":true}"#).unwrap();
    assert_eq!(
        tree.to_json(),
        r#"{"a":[1,-2.5e3,"x\ty"],"b":{},"c":null,"d":true}"#
    );
    assert!(to_string(&1.5f64).is_err());
}

/// Random texts and documents (native only: proptest is not built for wasm32).
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text made of JSON's own pieces, so most samples get deep into the grammar.
    fn json_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just(":".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("u".to_owned()),
            Just("d83d".to_owned()),
            Just("\\ude00".to_owned()),
            Just(" ".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just("-".to_owned()),
            Just("0".to_owned()),
            Just("1".to_owned()),
            Just(".".to_owned()),
            Just("e".to_owned()),
            Just("+".to_owned()),
            Just("\"k\"".to_owned()),
            Just("\"v\\n\"".to_owned()),
            Just("é".to_owned()),
            Just("\n".to_owned()),
            "[ -~]{0,3}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// Valid documents, written by serde_json from arbitrary trees.
    fn json_document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            "\\PC{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("\\PC{0,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
        .prop_map(|value| serde_json::to_string_pretty(&value).unwrap())
    }

    fn object(members: Vec<(&str, String)>) -> String {
        let members: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    /// Objects made of the models' own field names (and others), with values of every type,
    /// sometimes repeated or missing: where the hand-written reading and serde's derives could
    /// part ways.
    fn model_like() -> impl Strategy<Value = String> {
        let scalar = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("\"ga4\"".to_owned()),
            Just("\"pending\"".to_owned()),
            Just("\"connected\"".to_owned()),
            Just("\"other\"".to_owned()),
            Just("1.5".to_owned()),
            Just("-7".to_owned()),
            Just("9223372036854775808".to_owned()),
            Just("1767225600000".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
        ];
        let key = prop_oneof![
            Just("id"),
            Just("type"),
            Just("is_private"),
            Just("display_name"),
            Just("external_id"),
            Just("created_at"),
            Just("updated_at"),
            Just("status"),
            Just("connection_type"),
            Just("expires_at"),
            Just("connection_id"),
            Just("consumed_at"),
            Just("connections"),
            Just("url"),
            Just("extra"),
        ];
        let inner =
            proptest::collection::vec((key.clone(), scalar.clone()), 0..10).prop_map(object);
        let value = prop_oneof![
            4 => scalar,
            1 => proptest::collection::vec(inner, 0..3).prop_map(|items| format!("[{}]", items.join(","))),
        ];
        proptest::collection::vec((key, value), 0..14).prop_map(object)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn agrees_with_serde_json_on_any_text(text in json_like()) {
            agrees(&text);
        }

        #[test]
        fn reads_models_as_their_serde_derives_do(text in model_like()) {
            same_decoding::<Connection>(&text);
            same_decoding::<AuthLinkStatus>(&text);
            same_decoding::<crate::models::CreateAuthLinkResponse>(&text);
            same_decoding::<Vec<Connection>>(&format!("[{text}]"));
        }

        #[test]
        fn agrees_with_serde_json_on_documents(text in json_document()) {
            agrees(&text);
            let ours = parse(&text).unwrap();
            prop_assert_eq!(parse(&ours.to_json()).unwrap(), ours);
        }
    }
}
