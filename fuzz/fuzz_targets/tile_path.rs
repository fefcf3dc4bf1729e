#![no_main]
//! Tile paths: what parses is canonical or re-encodes to a path that parses
//! to the same tile.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((id, entries)) = signet_tlog::tile::TileId::parse_path(text) {
            let again = if entries { id.entries_path() } else { id.path() };
            assert_eq!(signet_tlog::tile::TileId::parse_path(&again).expect("re-encoded"), (id, entries));
        }
    }
});
