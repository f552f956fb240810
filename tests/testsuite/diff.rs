//! Tests for diff (being built).
