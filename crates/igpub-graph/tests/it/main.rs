//! Integration tests of the Graph client against wiremock servers answering with the shapes of
//! shared/graph-api.md (real recorded examples where it gives them). One binary, many modules.

mod against_sim;
mod auth;
mod batch;
mod containers;
mod errors;
mod helpers;
mod insights;
mod platform_cases;
mod publishing;
mod reading;
mod secrets;
mod send;
mod usage;
