//! Scripted tests of the calls' state machines (src/client/call.rs, exchange.rs, wait.rs).
