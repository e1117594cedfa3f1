//! Deterministic account and media insights, version-gated as shared/graph-api.md §4 describes.
