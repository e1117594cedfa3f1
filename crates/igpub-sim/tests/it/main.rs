//! The simulator's conformance tests: one binary, one module per area. Every test starts its
//! own simulator on port 0 and talks to it over loopback with reqwest, as a client would.

mod support;

mod batch;
mod containers;
mod control;
mod crawler;
mod faults;
mod insights;
mod login;
mod processing;
mod publishing;
mod rate_limits;
mod reading;
mod robustness;
mod tokens;
mod upload;
mod webhooks;
