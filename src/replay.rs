//! Snapshot + logs → DataTree, as `FileTxnSnapLog.restore` does (being built).
