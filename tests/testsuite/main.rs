//! The one integration-test binary (it links once and runs fast).

mod common; // fixture paths, running zkdd, ZooKeeper's own tools
mod diff; // zkdd diff
mod dump; // zkdd dump: JSON contract, filters, exit codes, CLI
mod formats; // readers vs ZooKeeper's TxnLogToolkit / SnapshotFormatter / restore
mod fuzz_corpus; // seeded mutations of real fixtures never panic or over-allocate
mod purge; // zkdd purge
mod replay; // zkdd replay and the tree engine vs ZooKeeper's restore
mod roundtrip; // writer -> reader round trips
mod verify; // zkdd verify
