//! cargo fuzz target: arbitrary bytes through zkdd's snapshot reader.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = zkdd::fuzz::snapshot(data);
});
