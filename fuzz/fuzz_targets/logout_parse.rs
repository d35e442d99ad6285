//! The LogoutRequest and LogoutResponse parsers (Core 3.7.1, 3.7.2) on raw
//! bytes, with the AuthnRequest parser alongside to check that no document
//! is accepted as two kinds of message.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::check_parsers(data);
});
