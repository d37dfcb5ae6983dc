//! Reading a monitor's name from its EDID block.

/// Every EDID base block starts with these eight bytes.
const EDID_HEADER: [u8; 8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
/// Length of the EDID base block, which holds the four descriptors.
const BASE_BLOCK_LEN: usize = 128;
/// Offsets of the four 18-byte descriptors in the base block.
const DESCRIPTOR_OFFSETS: [usize; 4] = [54, 72, 90, 108];
/// The tag of the "display product name" descriptor.
const DISPLAY_NAME_TAG: u8 = 0xFC;

/// The display product name (descriptor tag `0xFC`) of an EDID block, such as `DELL U2720Q`.
///
/// Returns `None` when the block is shorter than 128 bytes, lacks the EDID header, fails its
/// checksum, has no name descriptor, or the name is empty. Name bytes outside printable ASCII
/// become `U+FFFD` so a broken monitor cannot put control characters into logs.
pub(crate) fn edid_display_name(edid: &[u8]) -> Option<String> {
    let block = edid.get(..BASE_BLOCK_LEN)?;
    if block[..8] != EDID_HEADER {
        return None;
    }
    let checksum = block.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    if checksum != 0 {
        return None;
    }
    DESCRIPTOR_OFFSETS.iter().find_map(|&offset| {
        let descriptor = &block[offset..offset + 18];
        // A display descriptor (as opposed to a timing) starts with a zero pixel clock.
        let is_name = descriptor[..3] == [0, 0, 0] && descriptor[3] == DISPLAY_NAME_TAG;
        if !is_name {
            return None;
        }
        let text = &descriptor[5..];
        let end = text
            .iter()
            .position(|&byte| byte == b'\n')
            .unwrap_or(text.len());
        let name = printable_name(&text[..end]);
        let name = name.trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

/// A name the server or a monitor sent, safe to print: printable ASCII and spaces are kept,
/// every other byte (control characters, escape sequences, broken UTF-8) becomes `U+FFFD`, so a
/// broken monitor or a hostile server cannot put terminal escapes into logs and listings.
pub(crate) fn printable_name(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| {
            if byte.is_ascii_graphic() || byte == b' ' {
                char::from(byte)
            } else {
                char::REPLACEMENT_CHARACTER
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    #[test]
    fn printable_names_keep_ascii_and_replace_everything_else() {
        assert_eq!(printable_name(b"DUMMY0"), "DUMMY0");
        assert_eq!(printable_name(b"HDMI-A 1"), "HDMI-A 1");
        assert_eq!(
            printable_name(b"\x1b[31mred\x07"),
            "\u{fffd}[31mred\u{fffd}"
        );
        assert_eq!(printable_name("é".as_bytes()), "\u{fffd}\u{fffd}");
        assert_eq!(printable_name(b"a\nb\tc\0"), "a\u{fffd}b\u{fffd}c\u{fffd}");
    }

    /// Builds a valid base block whose descriptors are `descriptors` (tag, 13 text bytes),
    /// placed from the first slot on, with a correct checksum.
    fn edid_with(descriptors: &[(u8, &[u8])]) -> Vec<u8> {
        let mut block = vec![0u8; BASE_BLOCK_LEN];
        block[..8].copy_from_slice(&EDID_HEADER);
        // Manufacturer "TST", product 0x1234, as a real block would have.
        block[8..12].copy_from_slice(&[0x52, 0x74, 0x34, 0x12]);
        // The first slot is normally a detailed timing: non-zero pixel clock.
        for (slot, (tag, text)) in descriptors.iter().enumerate() {
            let offset = DESCRIPTOR_OFFSETS[slot];
            block[offset + 3] = *tag;
            let mut padded = [b' '; 13];
            padded[..text.len()].copy_from_slice(text);
            block[offset + 5..offset + 18].copy_from_slice(&padded);
        }
        fix_checksum(&mut block);
        block
    }

    fn fix_checksum(block: &mut [u8]) {
        let sum = block[..127]
            .iter()
            .fold(0u8, |sum, byte| sum.wrapping_add(*byte));
        block[127] = 0u8.wrapping_sub(sum);
    }

    fn timing_first(name: &[u8]) -> Vec<u8> {
        let mut block = edid_with(&[(0, b""), (0xFF, b"SN123\n"), (DISPLAY_NAME_TAG, name)]);
        // Make slot 0 a detailed timing descriptor (pixel clock 148.5 MHz).
        block[54] = 0x02;
        block[55] = 0x3A;
        fix_checksum(&mut block);
        block
    }

    #[rstest]
    #[case::terminated(b"DELL U2720Q\n", Some("DELL U2720Q"))]
    #[case::full_13_bytes(b"ABCDEFGHIJKLM", Some("ABCDEFGHIJKLM"))]
    #[case::trailing_spaces(b"Test Panel  \n", Some("Test Panel"))]
    #[case::empty(b"\n", None)]
    #[case::only_spaces(b"   \n", None)]
    #[case::control_bytes(b"A\x01B\n", Some("A\u{FFFD}B"))]
    fn name_descriptor_is_read(#[case] name: &[u8], #[case] expected: Option<&str>) {
        assert_eq!(edid_display_name(&timing_first(name)).as_deref(), expected);
    }

    #[test]
    fn extension_blocks_after_the_base_block_are_ignored() {
        let mut edid = timing_first(b"Wide\n");
        edid.extend_from_slice(&[0x02; 128]);
        assert_eq!(edid_display_name(&edid).as_deref(), Some("Wide"));
    }

    #[test]
    fn no_name_descriptor_gives_none() {
        let edid = edid_with(&[(0xFF, b"SN123\n"), (0xFD, b""), (0xFE, b"text\n")]);
        assert_eq!(edid_display_name(&edid), None);
    }

    #[test]
    fn bad_blocks_give_none() {
        let good = timing_first(b"Panel\n");
        assert_eq!(edid_display_name(&good).as_deref(), Some("Panel"));

        let mut bad_checksum = good.clone();
        bad_checksum[127] = bad_checksum[127].wrapping_add(1);
        assert_eq!(edid_display_name(&bad_checksum), None, "bad checksum");

        let mut bad_header = good.clone();
        bad_header[0] = 0x01;
        bad_header[127] = bad_header[127].wrapping_sub(1);
        assert_eq!(edid_display_name(&bad_header), None, "bad header");

        assert_eq!(edid_display_name(&good[..127]), None, "short");
        assert_eq!(edid_display_name(&[]), None, "empty");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = edid_display_name(&bytes);
        }

        #[test]
        fn corrupting_any_byte_breaks_the_checksum(index in 0usize..128, delta in 1u8..=255) {
            let mut edid = timing_first(b"Panel\n");
            edid[index] = edid[index].wrapping_add(delta);
            prop_assert_eq!(edid_display_name(&edid), None);
        }
    }
}
