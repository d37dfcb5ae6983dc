//! Encoding PODs: objects of properties whose values are plain values or choices.

use crate::ids::{choice, pod_type};
use crate::{Fraction, Rectangle};

/// A plain POD value of one of the types the stream parameters use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// An enumeration value (`SPA_TYPE_Id`).
    Id(u32),
    /// A signed 32-bit integer (`SPA_TYPE_Int`).
    Int(i32),
    /// A signed 64-bit integer (`SPA_TYPE_Long`).
    Long(i64),
    /// A width and height (`SPA_TYPE_Rectangle`).
    Rectangle(Rectangle),
    /// A numerator and denominator (`SPA_TYPE_Fraction`).
    Fraction(Fraction),
}

impl Value {
    fn pod_type(self) -> u32 {
        match self {
            Value::Id(_) => pod_type::ID,
            Value::Int(_) => pod_type::INT,
            Value::Long(_) => pod_type::LONG,
            Value::Rectangle(_) => pod_type::RECTANGLE,
            Value::Fraction(_) => pod_type::FRACTION,
        }
    }

    /// The body's bytes (no header, no padding).
    fn write_body(self, out: &mut Vec<u8>) {
        match self {
            Value::Id(id) => out.extend_from_slice(&id.to_ne_bytes()),
            Value::Int(int) => out.extend_from_slice(&int.to_ne_bytes()),
            Value::Long(long) => out.extend_from_slice(&long.to_ne_bytes()),
            Value::Rectangle(Rectangle { width, height }) => {
                out.extend_from_slice(&width.to_ne_bytes());
                out.extend_from_slice(&height.to_ne_bytes());
            }
            Value::Fraction(Fraction { num, denom }) => {
                out.extend_from_slice(&num.to_ne_bytes());
                out.extend_from_slice(&denom.to_ne_bytes());
            }
        }
    }

    fn body_size(self) -> u32 {
        match self {
            Value::Id(_) | Value::Int(_) => 4,
            Value::Long(_) | Value::Rectangle(_) | Value::Fraction(_) => 8,
        }
    }
}

/// The alternatives of a choice, all of one type (as SPA requires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChoiceValues {
    /// Enumeration values.
    Ids(Vec<u32>),
    /// 32-bit integers.
    Ints(Vec<i32>),
    /// Rectangles.
    Rectangles(Vec<Rectangle>),
    /// Fractions.
    Fractions(Vec<Fraction>),
}

impl ChoiceValues {
    fn values(&self) -> Vec<Value> {
        match self {
            ChoiceValues::Ids(ids) => ids.iter().copied().map(Value::Id).collect(),
            ChoiceValues::Ints(ints) => ints.iter().copied().map(Value::Int).collect(),
            ChoiceValues::Rectangles(rectangles) => {
                rectangles.iter().copied().map(Value::Rectangle).collect()
            }
            ChoiceValues::Fractions(fractions) => {
                fractions.iter().copied().map(Value::Fraction).collect()
            }
        }
    }
}

/// A choice (`SPA_TYPE_Choice`): which kind, and its values in SPA's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    kind: u32,
    values: ChoiceValues,
}

impl Choice {
    /// `SPA_CHOICE_Range`: a default, a minimum and a maximum.
    pub fn range_int(default: i32, min: i32, max: i32) -> Self {
        Self {
            kind: choice::RANGE,
            values: ChoiceValues::Ints(vec![default, min, max]),
        }
    }

    /// `SPA_CHOICE_Range` of rectangles.
    pub fn range_rectangle(default: Rectangle, min: Rectangle, max: Rectangle) -> Self {
        Self {
            kind: choice::RANGE,
            values: ChoiceValues::Rectangles(vec![default, min, max]),
        }
    }

    /// `SPA_CHOICE_Range` of fractions.
    pub fn range_fraction(default: Fraction, min: Fraction, max: Fraction) -> Self {
        Self {
            kind: choice::RANGE,
            values: ChoiceValues::Fractions(vec![default, min, max]),
        }
    }

    /// `SPA_CHOICE_Enum` of ids: the default first, then every alternative (the default
    /// among them, as SPA lists it).
    pub fn enum_id(default: u32, alternatives: &[u32]) -> Self {
        let mut ids = vec![default];
        ids.extend_from_slice(alternatives);
        Self {
            kind: choice::ENUM,
            values: ChoiceValues::Ids(ids),
        }
    }

    /// `SPA_CHOICE_Flags` of an integer mask.
    pub fn flags_int(mask: i32) -> Self {
        Self {
            kind: choice::FLAGS,
            values: ChoiceValues::Ints(vec![mask]),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let values = self.values.values();
        let child_size = values.first().map_or(0, |value| value.body_size());
        let child_type = values
            .first()
            .map_or(pod_type::NONE, |value| value.pod_type());
        let body_size = 16 + child_size * values.len() as u32;
        write_header(out, body_size, pod_type::CHOICE);
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        write_header(out, child_size, child_type);
        for value in values {
            value.write_body(out);
        }
        pad(out);
    }
}

/// A property's value: plain or a choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyValue {
    /// One value.
    Plain(Value),
    /// Alternatives.
    Choice(Choice),
}

impl From<Value> for PropertyValue {
    fn from(value: Value) -> Self {
        PropertyValue::Plain(value)
    }
}

impl From<Choice> for PropertyValue {
    fn from(choice: Choice) -> Self {
        PropertyValue::Choice(choice)
    }
}

/// Encodes an object POD (`SPA_TYPE_Object`) of `object_type` (an `object_type::*`) for
/// parameter `param_id` (a `param::*`), holding `properties` in order as `(key, value)`, each
/// with no flags.
///
/// The layout is `spa/pod/pod.h`'s: every POD is a header of two native-endian 32-bit words
/// (body size, type) then its body, padded with zeros to a multiple of 8 bytes.
pub fn object(object_type: u32, param_id: u32, properties: &[(u32, PropertyValue)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_header(&mut out, 0, pod_type::OBJECT);
    out.extend_from_slice(&object_type.to_ne_bytes());
    out.extend_from_slice(&param_id.to_ne_bytes());
    for (key, value) in properties {
        out.extend_from_slice(&key.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        match value {
            PropertyValue::Plain(value) => {
                write_header(&mut out, value.body_size(), value.pod_type());
                value.write_body(&mut out);
                pad(&mut out);
            }
            PropertyValue::Choice(choice) => choice.write(&mut out),
        }
    }
    let body_size = (out.len() - 8) as u32;
    out[..4].copy_from_slice(&body_size.to_ne_bytes());
    out
}

fn write_header(out: &mut Vec<u8>, size: u32, pod_type: u32) {
    out.extend_from_slice(&size.to_ne_bytes());
    out.extend_from_slice(&pod_type.to_ne_bytes());
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}
