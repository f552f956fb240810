//! Tests for dump (being built).
