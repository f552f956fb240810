//! The in-memory DataTree and ZooKeeper's per-txn apply rules (being built).
