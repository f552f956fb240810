//! Tests for verify (being built).
