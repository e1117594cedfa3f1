//! Typed client for Meta's Instagram Graph API.
