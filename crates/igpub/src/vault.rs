//! Token encryption at rest: versioned AES-256-GCM envelopes and a key ring.
