//! The simulator's conformance tests: one binary, one module per area.
