//! [`Pod`]: a parameter in SPA's POD format, checked to be well formed before libpipewire
//! reads it.
//!
//! libpipewire walks PODs trusting their inner sizes (a choice whose element size is 0 makes
//! its iteration spin forever; an object whose property claims more bytes than it has is read
//! past its end), so a POD is checked here, all the way down, before it is handed over: every
//! header fits inside its parent, containers hold whole children, choices and arrays have
//! elements of a non-zero size that divide their body, and fixed-size values have their size.
//! The bytes are kept 8-byte aligned, as libspa reads them.

use crate::error::PipeWireError;

/// POD types (`enum spa_type`) with a fixed body size, and that size.
fn fixed_size(pod_type: u32) -> Option<usize> {
    match pod_type {
        // None.
        1 => Some(0),
        // Bool, Id, Int, Float, Fd (an index, 8 bytes).
        2..=4 | 6 => Some(4),
        // Long, Double, Rectangle, Fraction, Fd.
        5 | 7 | 10 | 11 | 18 => Some(8),
        _ => None,
    }
}

const OBJECT: u32 = 15;
const STRUCT: u32 = 14;
const ARRAY: u32 = 13;
const CHOICE: u32 = 19;

/// How deep containers may nest (far more than any parameter needs; it bounds the checker's
/// recursion on hostile bytes).
const MAX_DEPTH: u32 = 16;

/// A POD, owned, 8-byte aligned and checked to be well formed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pod {
    words: Vec<u64>,
    len: usize,
}

impl std::fmt::Debug for Pod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pod").field("len", &self.len).finish()
    }
}

impl Pod {
    /// Copies `bytes`, which must be exactly one well-formed POD (its padding may be left
    /// off).
    ///
    /// # Errors
    ///
    /// [`PipeWireError::InvalidPod`] saying what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PipeWireError> {
        let end = check(bytes, 0).map_err(|reason| PipeWireError::InvalidPod { reason })?;
        if end < bytes.len() {
            return Err(PipeWireError::InvalidPod {
                reason: format!("{} bytes follow the POD", bytes.len() - end),
            });
        }
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
            let mut eight = [0u8; 8];
            eight[..chunk.len()].copy_from_slice(chunk);
            *word = u64::from_ne_bytes(eight);
        }
        Ok(Self {
            words,
            len: bytes.len(),
        })
    }

    /// The POD's bytes.
    pub fn as_bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self
            .words
            .iter()
            .flat_map(|word| word.to_ne_bytes())
            .collect();
        bytes.truncate(self.len);
        bytes
    }

    /// A pointer to the POD for libpipewire, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *const crate::sys::spa_pod {
        self.words.as_ptr().cast()
    }
}

fn word(bytes: &[u8], offset: usize) -> Result<u32, String> {
    bytes
        .get(offset..offset + 4)
        .map(|word| u32::from_ne_bytes(word.try_into().expect("four bytes")))
        .ok_or_else(|| format!("a header at byte {offset} goes past the end"))
}

/// Checks the POD at the start of `bytes`; returns the offset past its body (without
/// padding).
fn check(bytes: &[u8], depth: u32) -> Result<usize, String> {
    if depth > MAX_DEPTH {
        return Err("containers nest too deep".to_owned());
    }
    let size = word(bytes, 0)? as usize;
    let pod_type = word(bytes, 4)?;
    let end = 8usize
        .checked_add(size)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| format!("a POD of type {pod_type} claims {size} bytes, more than it has"))?;
    let body = &bytes[8..end];
    if let Some(fixed) = fixed_size(pod_type) {
        if body.len() < fixed {
            return Err(format!(
                "a POD of type {pod_type} has {} bytes, not {fixed}",
                body.len()
            ));
        }
        return Ok(end);
    }
    match pod_type {
        OBJECT | STRUCT => {
            let mut offset = if pod_type == OBJECT { 8 } else { 0 };
            if body.len() < offset {
                return Err("an object's body is shorter than its header".to_owned());
            }
            while offset < body.len() {
                if pod_type == OBJECT {
                    // A property: key and flags, then its value.
                    offset += 8;
                    if offset > body.len() {
                        return Err("a property's header goes past its object".to_owned());
                    }
                }
                let child_end = offset + check(&body[offset..], depth + 1)?;
                offset = child_end.next_multiple_of(8).min(body.len());
            }
        }
        ARRAY | CHOICE => {
            // A choice has its kind and flags before the child header.
            let header = if pod_type == CHOICE { 8 } else { 0 };
            let child_size = word(body, header)? as usize;
            let child_type = word(body, header + 4)?;
            let elements = body.len() - (header + 8);
            if child_size == 0 && (elements > 0 || pod_type == CHOICE) {
                return Err(format!("a POD of type {pod_type} has elements of 0 bytes"));
            }
            if child_size > 0 && !elements.is_multiple_of(child_size) {
                return Err(format!(
                    "{elements} bytes of elements of {child_size} bytes each"
                ));
            }
            if fixed_size(child_type).is_some_and(|fixed| child_size < fixed) {
                return Err(format!(
                    "elements of type {child_type} cannot be {child_size} bytes"
                ));
            }
            if pod_type == CHOICE && elements == 0 {
                return Err("a choice without elements".to_owned());
            }
        }
        _ => {}
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffers_param() -> Vec<u8> {
        mss_spa_pod::buffers((8, 2, 16), 1 << 2)
    }

    #[test]
    fn real_parameters_are_accepted_and_kept_aligned() {
        let bytes = mss_spa_pod::enum_format_raw_video(
            &[mss_spa_pod::VideoFormat::Bgrx],
            (
                mss_spa_pod::Rectangle::new(640, 480),
                mss_spa_pod::Rectangle::new(1, 1),
                mss_spa_pod::Rectangle::new(8192, 8192),
            ),
            (
                mss_spa_pod::Fraction::new(0, 1),
                mss_spa_pod::Fraction::new(0, 1),
                mss_spa_pod::Fraction::new(1000, 1),
            ),
        );
        let pod = Pod::from_bytes(&bytes).unwrap();
        assert_eq!(pod.as_bytes(), bytes);
        assert_eq!(pod.as_ptr() as usize % 8, 0);
        assert_eq!(
            Pod::from_bytes(&buffers_param()).unwrap().as_bytes(),
            buffers_param()
        );
    }

    fn refused(bytes: &[u8]) -> String {
        match Pod::from_bytes(bytes) {
            Err(PipeWireError::InvalidPod { reason }) => reason,
            other => panic!("accepted: {other:?}"),
        }
    }

    #[test]
    fn malformed_pods_are_refused_before_libpipewire_sees_them() {
        let good = buffers_param();
        assert!(refused(&good[..good.len() - 1]).contains("more than it has"));
        assert!(refused(&good[..4]).contains("goes past the end"));
        let mut trailing = good.clone();
        trailing.extend_from_slice(&[0; 8]);
        assert_eq!(refused(&trailing), "8 bytes follow the POD");
        // The buffer count's choice (its child header's size word at byte 40) with elements
        // of 0 bytes, which would make libspa's iteration spin forever.
        let mut zero_child = good.clone();
        assert_eq!(zero_child[40], 4);
        zero_child[40] = 0;
        assert!(refused(&zero_child).contains("elements of 0 bytes"));
        // The same with elements of 8 bytes, which do not divide its 12 bytes of elements.
        let mut uneven = good.clone();
        uneven[40] = 8;
        assert!(refused(&uneven).contains("12 bytes of elements of 8 bytes each"));
        // An Int value (the block count, whose header is at bytes 72..80) of 2 bytes.
        let mut short_int = good;
        assert_eq!(short_int[72], 4);
        short_int[72] = 2;
        assert!(refused(&short_int).contains("has 2 bytes, not 4"));
    }
}
