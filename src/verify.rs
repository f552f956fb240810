//! Checks of files and data dirs, as pure functions producing findings (being built).
