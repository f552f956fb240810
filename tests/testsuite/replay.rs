//! Tests for replay (being built).
