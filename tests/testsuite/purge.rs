//! Tests for purge (being built).
