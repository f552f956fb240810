//! Comparing two trees (being built).
