//! Retention planning and execution for `zkdd purge` (being built).
