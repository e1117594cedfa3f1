//! Persistent state behind one `Store` trait, on SQLite (default) or PostgreSQL.
