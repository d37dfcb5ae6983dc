//! Parsing PODs: every read is bounds-checked, so bytes from another process (a parameter the
//! producer sent) can be wrong but never make the parser read outside them.

use crate::ids::pod_type;
use crate::{Fraction, PodError, Rectangle};

/// One POD inside a byte slice: its type and its body (without padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pod<'a> {
    /// The type (a `pod_type::*`).
    pub pod_type: u32,
    /// The body, exactly as long as the header says.
    pub body: &'a [u8],
}

/// Reads a native-endian `u32` at `offset`.
fn u32_at(bytes: &[u8], offset: usize) -> Result<u32, PodError> {
    bytes
        .get(
            offset
                ..offset
                    .checked_add(4)
                    .ok_or(PodError::Truncated { offset })?,
        )
        .map(|word| u32::from_ne_bytes(word.try_into().expect("four bytes")))
        .ok_or(PodError::Truncated { offset })
}

impl<'a> Pod<'a> {
    /// The POD at the start of `bytes`, and the offset just past it and its padding (at most
    /// `bytes.len()`).
    ///
    /// # Errors
    ///
    /// [`PodError::Truncated`] when the header or the body does not fit.
    pub fn parse_prefix(bytes: &'a [u8]) -> Result<(Self, usize), PodError> {
        let size = u32_at(bytes, 0)? as usize;
        let pod_type = u32_at(bytes, 4)?;
        let end = 8usize
            .checked_add(size)
            .filter(|&end| end <= bytes.len())
            .ok_or(PodError::Truncated { offset: 0 })?;
        let padded = end.next_multiple_of(8).min(bytes.len());
        Ok((
            Self {
                pod_type,
                body: &bytes[8..end],
            },
            padded,
        ))
    }

    /// The POD that `bytes` holds (trailing bytes past it are allowed).
    ///
    /// # Errors
    ///
    /// As [`parse_prefix`](Self::parse_prefix).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, PodError> {
        Self::parse_prefix(bytes).map(|(pod, _)| pod)
    }

    fn expect(&self, wanted: u32, min_size: usize) -> Result<&'a [u8], PodError> {
        if self.pod_type != wanted {
            return Err(PodError::WrongType {
                expected: wanted,
                found: self.pod_type,
            });
        }
        if self.body.len() < min_size {
            return Err(PodError::Truncated { offset: 0 });
        }
        Ok(self.body)
    }

    /// The value of an Id.
    ///
    /// # Errors
    ///
    /// [`PodError::WrongType`] for another type; [`PodError::Truncated`] for a short body.
    pub fn id(&self) -> Result<u32, PodError> {
        u32_at(self.expect(pod_type::ID, 4)?, 0)
    }

    /// The value of an Int.
    ///
    /// # Errors
    ///
    /// As [`id`](Self::id).
    pub fn int(&self) -> Result<i32, PodError> {
        u32_at(self.expect(pod_type::INT, 4)?, 0).map(|word| word as i32)
    }

    /// The value of a Long.
    ///
    /// # Errors
    ///
    /// As [`id`](Self::id).
    pub fn long(&self) -> Result<i64, PodError> {
        let body = self.expect(pod_type::LONG, 8)?;
        Ok(i64::from_ne_bytes(
            body[..8].try_into().expect("eight bytes"),
        ))
    }

    /// The value of a Rectangle.
    ///
    /// # Errors
    ///
    /// As [`id`](Self::id).
    pub fn rectangle(&self) -> Result<Rectangle, PodError> {
        let body = self.expect(pod_type::RECTANGLE, 8)?;
        Ok(Rectangle {
            width: u32_at(body, 0)?,
            height: u32_at(body, 4)?,
        })
    }

    /// The value of a Fraction.
    ///
    /// # Errors
    ///
    /// As [`id`](Self::id).
    pub fn fraction(&self) -> Result<Fraction, PodError> {
        let body = self.expect(pod_type::FRACTION, 8)?;
        Ok(Fraction {
            num: u32_at(body, 0)?,
            denom: u32_at(body, 4)?,
        })
    }

    /// This POD as a choice, or `None` when it is a plain value.
    ///
    /// # Errors
    ///
    /// [`PodError::Truncated`] or [`PodError::BadChoice`] for a malformed choice.
    pub fn choice(&self) -> Result<Option<ChoicePod<'a>>, PodError> {
        if self.pod_type != pod_type::CHOICE {
            return Ok(None);
        }
        let kind = u32_at(self.body, 0)?;
        let child_size = u32_at(self.body, 8)? as usize;
        let child_type = u32_at(self.body, 12)?;
        let elements = &self.body[16.min(self.body.len())..];
        if child_size == 0 || !elements.len().is_multiple_of(child_size) || elements.is_empty() {
            return Err(PodError::BadChoice {
                child_size: child_size as u32,
                bytes: elements.len(),
            });
        }
        Ok(Some(ChoicePod {
            kind,
            child_type,
            child_size,
            elements,
        }))
    }

    /// The value a property holds or prefers: the value itself, or a choice's first element
    /// (the default of a range or an enumeration, the only value of a fixated `None` choice).
    ///
    /// # Errors
    ///
    /// As [`choice`](Self::choice).
    pub fn preferred(&self) -> Result<Pod<'a>, PodError> {
        match self.choice()? {
            Some(choice) => Ok(choice.values().next().expect("a choice has an element")),
            None => Ok(*self),
        }
    }
}

/// A choice's alternatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoicePod<'a> {
    /// The kind (a `choice::*`).
    pub kind: u32,
    /// The type of every element.
    pub child_type: u32,
    child_size: usize,
    elements: &'a [u8],
}

impl<'a> ChoicePod<'a> {
    /// The elements in order, each as a POD of the child type.
    pub fn values(&self) -> impl Iterator<Item = Pod<'a>> + 'a {
        let child_type = self.child_type;
        self.elements
            .chunks_exact(self.child_size)
            .map(move |body| Pod {
                pod_type: child_type,
                body,
            })
    }
}

/// An object POD: its type, its parameter id and its properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object<'a> {
    /// The object type (an `object_type::*`).
    pub object_type: u32,
    /// The parameter id (a `param::*`).
    pub id: u32,
    properties: &'a [u8],
}

/// One property of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property<'a> {
    /// The key.
    pub key: u32,
    /// The flags (`SPA_POD_PROP_FLAG_*`).
    pub flags: u32,
    /// The value.
    pub value: Pod<'a>,
}

impl<'a> Object<'a> {
    /// The object that `bytes` holds.
    ///
    /// # Errors
    ///
    /// [`PodError::WrongType`] when it is not an object; [`PodError::Truncated`] when it does
    /// not fit.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, PodError> {
        let pod = Pod::parse(bytes)?;
        let body = pod.expect(pod_type::OBJECT, 8)?;
        Ok(Self {
            object_type: u32_at(body, 0)?,
            id: u32_at(body, 4)?,
            properties: &body[8..],
        })
    }

    /// The properties in order; a malformed one ends the iteration with its error.
    pub fn properties(&self) -> impl Iterator<Item = Result<Property<'a>, PodError>> + 'a {
        let mut rest = self.properties;
        let mut failed = false;
        std::iter::from_fn(move || {
            if rest.is_empty() || failed {
                return None;
            }
            let parsed = (|| {
                let key = u32_at(rest, 0)?;
                let flags = u32_at(rest, 4)?;
                let (value, used) = Pod::parse_prefix(&rest[8.min(rest.len())..])?;
                Ok((Property { key, flags, value }, 8 + used))
            })();
            match parsed {
                Ok((property, used)) => {
                    rest = &rest[used.min(rest.len())..];
                    Some(Ok(property))
                }
                Err(error) => {
                    failed = true;
                    Some(Err(error))
                }
            }
        })
    }

    /// The property with `key`, if present.
    ///
    /// # Errors
    ///
    /// The first malformed property met before it.
    pub fn find(&self, key: u32) -> Result<Option<Property<'a>>, PodError> {
        for property in self.properties() {
            let property = property?;
            if property.key == key {
                return Ok(Some(property));
            }
        }
        Ok(None)
    }
}
