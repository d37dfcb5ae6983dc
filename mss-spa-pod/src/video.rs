//! The parameters of a raw-video capture stream: the formats offered, the format negotiated,
//! the buffers and the metadata asked for.

use crate::build::{Choice, PropertyValue, Value, object};
use crate::ids::{
    MEDIA_SUBTYPE_RAW, MEDIA_TYPE_VIDEO, buffers_key, format_key, meta_key, object_type, param,
};
use crate::parse::Object;
use crate::{Fraction, PodError, Rectangle};

/// A raw video format (`enum spa_video_format`). SPA names formats by their bytes in memory,
/// first byte first: `Bgrx` is blue, green, red, then a byte to ignore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VideoFormat {
    /// `SPA_VIDEO_FORMAT_RGBx` (7): bytes R, G, B, X.
    Rgbx,
    /// `SPA_VIDEO_FORMAT_BGRx` (8): bytes B, G, R, X.
    Bgrx,
    /// `SPA_VIDEO_FORMAT_xRGB` (9): bytes X, R, G, B.
    Xrgb,
    /// `SPA_VIDEO_FORMAT_xBGR` (10): bytes X, B, G, R.
    Xbgr,
    /// `SPA_VIDEO_FORMAT_RGBA` (11): bytes R, G, B, A.
    Rgba,
    /// `SPA_VIDEO_FORMAT_BGRA` (12): bytes B, G, R, A.
    Bgra,
    /// `SPA_VIDEO_FORMAT_ARGB` (13): bytes A, R, G, B.
    Argb,
    /// `SPA_VIDEO_FORMAT_ABGR` (14): bytes A, B, G, R.
    Abgr,
    /// Any other format, by its SPA number.
    Other(u32),
}

impl VideoFormat {
    /// Its SPA number.
    pub fn id(self) -> u32 {
        match self {
            VideoFormat::Rgbx => 7,
            VideoFormat::Bgrx => 8,
            VideoFormat::Xrgb => 9,
            VideoFormat::Xbgr => 10,
            VideoFormat::Rgba => 11,
            VideoFormat::Bgra => 12,
            VideoFormat::Argb => 13,
            VideoFormat::Abgr => 14,
            VideoFormat::Other(id) => id,
        }
    }

    /// The format with SPA number `id`.
    pub fn from_id(id: u32) -> Self {
        match id {
            7 => VideoFormat::Rgbx,
            8 => VideoFormat::Bgrx,
            9 => VideoFormat::Xrgb,
            10 => VideoFormat::Xbgr,
            11 => VideoFormat::Rgba,
            12 => VideoFormat::Bgra,
            13 => VideoFormat::Argb,
            14 => VideoFormat::Abgr,
            other => VideoFormat::Other(other),
        }
    }
}

/// The `EnumFormat` parameter of a stream that takes raw video: `formats` (the first is
/// preferred), a size within `size` and a frame rate within `framerate`, each a (default,
/// minimum, maximum) range.
pub fn enum_format_raw_video(
    formats: &[VideoFormat],
    size: (Rectangle, Rectangle, Rectangle),
    framerate: (Fraction, Fraction, Fraction),
) -> Vec<u8> {
    let ids: Vec<u32> = formats.iter().map(|format| format.id()).collect();
    let preferred = ids.first().copied().unwrap_or(VideoFormat::Bgrx.id());
    object(
        object_type::FORMAT,
        param::ENUM_FORMAT,
        &[
            (format_key::MEDIA_TYPE, Value::Id(MEDIA_TYPE_VIDEO).into()),
            (
                format_key::MEDIA_SUBTYPE,
                Value::Id(MEDIA_SUBTYPE_RAW).into(),
            ),
            (
                format_key::VIDEO_FORMAT,
                Choice::enum_id(preferred, &ids).into(),
            ),
            (
                format_key::VIDEO_SIZE,
                Choice::range_rectangle(size.0, size.1, size.2).into(),
            ),
            (
                format_key::VIDEO_FRAMERATE,
                Choice::range_fraction(framerate.0, framerate.1, framerate.2).into(),
            ),
        ],
    )
}

/// The `Buffers` parameter: a count of buffers in (default, minimum, maximum), one data block
/// each, of the data types in `data_types` (a mask of `1 << data_type::*`).
pub fn buffers(count: (i32, i32, i32), data_types: u32) -> Vec<u8> {
    object(
        object_type::PARAM_BUFFERS,
        param::BUFFERS,
        &[
            (
                buffers_key::BUFFERS,
                Choice::range_int(count.0, count.1, count.2).into(),
            ),
            (buffers_key::BLOCKS, Value::Int(1).into()),
            (
                buffers_key::DATA_TYPE,
                Choice::flags_int(data_types as i32).into(),
            ),
        ],
    )
}

/// How many bytes of metadata to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaSize {
    /// Exactly this many.
    Fixed(u32),
    /// A (default, minimum, maximum) range.
    Range(u32, u32, u32),
}

/// A `Meta` parameter asking for metadata of `meta_type` (a `meta_type::*`) of `size` bytes.
pub fn meta(meta_type: u32, size: MetaSize) -> Vec<u8> {
    let size: PropertyValue = match size {
        MetaSize::Fixed(size) => Value::Int(size as i32).into(),
        MetaSize::Range(default, min, max) => {
            Choice::range_int(default as i32, min as i32, max as i32).into()
        }
    };
    object(
        object_type::PARAM_META,
        param::META,
        &[
            (meta_key::TYPE, Value::Id(meta_type).into()),
            (meta_key::SIZE, size),
        ],
    )
}

/// A negotiated raw video format (the `Format` parameter a stream receives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoFormatInfo {
    /// The pixel format.
    pub format: VideoFormat,
    /// The frame size in pixels.
    pub size: Rectangle,
    /// The frame rate (0/1 for a variable rate, as screen casts announce).
    pub framerate: Option<Fraction>,
    /// The highest frame rate, for a variable rate.
    pub max_framerate: Option<Fraction>,
    /// The DMA-BUF modifier, present when the buffers will be DMA-BUFs.
    pub modifier: Option<u64>,
}

impl VideoFormatInfo {
    /// Reads a `Format` object of raw video. Values may be plain or fixated choices (whose
    /// first element counts).
    ///
    /// # Errors
    ///
    /// [`PodError::NotRawVideo`] when the object is not a raw video format;
    /// [`PodError::MissingKey`] without a format or size; the malformations of the parser.
    pub fn parse(bytes: &[u8]) -> Result<Self, PodError> {
        let object = Object::parse(bytes)?;
        if object.object_type != object_type::FORMAT {
            return Err(PodError::NotRawVideo {
                what: format!("an object of type {:#x}", object.object_type),
            });
        }
        let id_of = |key| -> Result<Option<u32>, PodError> {
            object
                .find(key)?
                .map(|property| property.value.preferred()?.id())
                .transpose()
        };
        let media = (
            id_of(format_key::MEDIA_TYPE)?,
            id_of(format_key::MEDIA_SUBTYPE)?,
        );
        if media != (Some(MEDIA_TYPE_VIDEO), Some(MEDIA_SUBTYPE_RAW)) {
            return Err(PodError::NotRawVideo {
                what: format!("media type {:?}, subtype {:?}", media.0, media.1),
            });
        }
        let format = id_of(format_key::VIDEO_FORMAT)?
            .map(VideoFormat::from_id)
            .ok_or(PodError::MissingKey {
                key: format_key::VIDEO_FORMAT,
            })?;
        let size = object
            .find(format_key::VIDEO_SIZE)?
            .ok_or(PodError::MissingKey {
                key: format_key::VIDEO_SIZE,
            })?
            .value
            .preferred()?
            .rectangle()?;
        let fraction_of = |key| -> Result<Option<Fraction>, PodError> {
            object
                .find(key)?
                .map(|property| property.value.preferred()?.fraction())
                .transpose()
        };
        let modifier = object
            .find(format_key::VIDEO_MODIFIER)?
            .map(|property| property.value.preferred()?.long())
            .transpose()?
            .map(|modifier| modifier as u64);
        Ok(Self {
            format,
            size,
            framerate: fraction_of(format_key::VIDEO_FRAMERATE)?,
            max_framerate: fraction_of(format_key::VIDEO_MAX_FRAMERATE)?,
            modifier,
        })
    }
}
