//! Tests for roundtrip (being built).
