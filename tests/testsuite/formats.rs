//! Tests for formats (being built).
