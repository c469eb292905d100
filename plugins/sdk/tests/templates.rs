//! The sources `keel plugin new` writes (`runtime/node/templates/plugin/*.rs.in`) build against
//! this SDK, and their own tests pass: a template that drifts from the SDK fails here, not in a
//! plugin author's first build. (Their `{{name}}` placeholders are in comments only.)

// A template's items are `pub` for the crate it becomes; here they are a test's modules.
#![allow(unreachable_pub)]

#[path = "../../../runtime/node/templates/plugin/ordering.rs.in"]
mod ordering;

#[path = "../../../runtime/node/templates/plugin/fee.rs.in"]
mod fee;

#[path = "../../../runtime/node/templates/plugin/bridge.rs.in"]
mod bridge;
