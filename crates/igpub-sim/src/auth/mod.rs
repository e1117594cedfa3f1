//! Who is calling: tokens, their failures, appsecret_proof, permissions; and the login flow.

pub mod dialog;
pub mod oauth;
pub mod scopes;
pub mod tokens;
