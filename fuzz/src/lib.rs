//! The properties the fuzz targets check, one function per target (see `oracle.rs`; the
//! ordinary test run checks the same ones in `tests/tests/bad_input.rs`).

pub mod oracle;
