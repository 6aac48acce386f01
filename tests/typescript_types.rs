//! Generates the TypeScript declarations of the JS API's types from the Rust types, and fails
//! when the checked-in `src/wasm/types.d.ts` (which the wasm build embeds) is stale.
//! Run with `UPDATE_TYPES=1` to rewrite it: `cargo xtask types` does.
#![cfg(feature = "typescript")]

use markifact_connect::client::ConnectionType;
use markifact_connect::js_options::{
    CallOptions, CreateAuthLinkParams, GetConnectionOptions, ListConnectionsOptions,
    MarkifactClientOptions, VerifyRedirectOptions, WaitForAuthLinkOptions,
};
use markifact_connect::models::{AuthLink, AuthLinkState, AuthLinkStatus, Connection};
use markifact_connect::{
    ErrorCode, ParseOptions, RedirectError, RedirectResult, RedirectSuccess, RedirectUrlOptions,
    Rule,
};
use ts_rs::{Config, TS};

fn declarations() -> String {
    // Timestamps are i64 milliseconds; they reach JavaScript as numbers (JSON), never BigInt.
    let cfg = Config::default().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types by tests/typescript_types.rs; do not edit.\n",
    );
    for decl in [
        RedirectResult::decl(&cfg),
        RedirectSuccess::decl(&cfg),
        RedirectError::decl(&cfg),
        ParseOptions::decl(&cfg),
        RedirectUrlOptions::decl(&cfg),
        ErrorCode::decl(&cfg),
        Rule::decl(&cfg),
        Connection::decl(&cfg),
        AuthLinkStatus::decl(&cfg),
        AuthLinkState::decl(&cfg),
        AuthLink::decl(&cfg),
        ConnectionType::decl(&cfg),
        MarkifactClientOptions::<()>::decl(&cfg),
        CallOptions::<()>::decl(&cfg),
        CreateAuthLinkParams::decl(&cfg),
        WaitForAuthLinkOptions::<()>::decl(&cfg),
        ListConnectionsOptions::<()>::decl(&cfg),
        GetConnectionOptions::<()>::decl(&cfg),
        VerifyRedirectOptions::<()>::decl(&cfg),
    ] {
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[test]
fn checked_in_declarations_are_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/wasm/types.d.ts");
    let generated = declarations();
    if std::env::var_os("UPDATE_TYPES").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "src/wasm/types.d.ts is stale; run `cargo xtask types`.\n--- generated ---\n{generated}"
    );
}
