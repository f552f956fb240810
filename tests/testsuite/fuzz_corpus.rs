//! Tests for fuzz_corpus (being built).
