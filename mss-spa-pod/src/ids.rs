//! The numbers SPA gives its types, objects, parameters, keys and enumerations, as in
//! `spa/utils/type.h`, `spa/param/*.h` and `spa/buffer/*.h` of PipeWire 0.3.65 (they are part
//! of PipeWire's stable ABI and wire protocol, so later versions keep them).

/// POD value types (`enum spa_type`, the second word of every POD header).
pub mod pod_type {
    /// `SPA_TYPE_None`.
    pub const NONE: u32 = 1;
    /// `SPA_TYPE_Bool`.
    pub const BOOL: u32 = 2;
    /// `SPA_TYPE_Id`: a 32-bit enumeration value.
    pub const ID: u32 = 3;
    /// `SPA_TYPE_Int`: a signed 32-bit integer.
    pub const INT: u32 = 4;
    /// `SPA_TYPE_Long`: a signed 64-bit integer.
    pub const LONG: u32 = 5;
    /// `SPA_TYPE_Float`.
    pub const FLOAT: u32 = 6;
    /// `SPA_TYPE_Double`.
    pub const DOUBLE: u32 = 7;
    /// `SPA_TYPE_String`.
    pub const STRING: u32 = 8;
    /// `SPA_TYPE_Bytes`.
    pub const BYTES: u32 = 9;
    /// `SPA_TYPE_Rectangle`: width and height, unsigned 32-bit.
    pub const RECTANGLE: u32 = 10;
    /// `SPA_TYPE_Fraction`: numerator and denominator, unsigned 32-bit.
    pub const FRACTION: u32 = 11;
    /// `SPA_TYPE_Bitmap`.
    pub const BITMAP: u32 = 12;
    /// `SPA_TYPE_Array`.
    pub const ARRAY: u32 = 13;
    /// `SPA_TYPE_Struct`.
    pub const STRUCT: u32 = 14;
    /// `SPA_TYPE_Object`: a typed set of properties.
    pub const OBJECT: u32 = 15;
    /// `SPA_TYPE_Sequence`.
    pub const SEQUENCE: u32 = 16;
    /// `SPA_TYPE_Pointer`.
    pub const POINTER: u32 = 17;
    /// `SPA_TYPE_Fd`.
    pub const FD: u32 = 18;
    /// `SPA_TYPE_Choice`: a set of alternatives of one child type.
    pub const CHOICE: u32 = 19;
    /// `SPA_TYPE_Pod`.
    pub const POD: u32 = 20;
}

/// Object types (`SPA_TYPE_OBJECT_*`), the first word of an object's body.
pub mod object_type {
    /// `SPA_TYPE_OBJECT_Format`: a media format (`EnumFormat` and `Format` parameters).
    pub const FORMAT: u32 = 0x40003;
    /// `SPA_TYPE_OBJECT_ParamBuffers`.
    pub const PARAM_BUFFERS: u32 = 0x40004;
    /// `SPA_TYPE_OBJECT_ParamMeta`.
    pub const PARAM_META: u32 = 0x40005;
}

/// Parameter ids (`enum spa_param_type`), the second word of an object's body.
pub mod param {
    /// `SPA_PARAM_EnumFormat`: the formats a port accepts.
    pub const ENUM_FORMAT: u32 = 3;
    /// `SPA_PARAM_Format`: the format negotiated.
    pub const FORMAT: u32 = 4;
    /// `SPA_PARAM_Buffers`: buffer requirements.
    pub const BUFFERS: u32 = 5;
    /// `SPA_PARAM_Meta`: metadata wanted on buffers.
    pub const META: u32 = 6;
}

/// Property keys of format objects (`enum spa_format`).
pub mod format_key {
    /// `SPA_FORMAT_mediaType` (Id of `enum spa_media_type`).
    pub const MEDIA_TYPE: u32 = 1;
    /// `SPA_FORMAT_mediaSubtype` (Id of `enum spa_media_subtype`).
    pub const MEDIA_SUBTYPE: u32 = 2;
    /// `SPA_FORMAT_VIDEO_format` (Id of `enum spa_video_format`).
    pub const VIDEO_FORMAT: u32 = 0x20001;
    /// `SPA_FORMAT_VIDEO_modifier` (Long): a DMA-BUF format modifier.
    pub const VIDEO_MODIFIER: u32 = 0x20002;
    /// `SPA_FORMAT_VIDEO_size` (Rectangle).
    pub const VIDEO_SIZE: u32 = 0x20003;
    /// `SPA_FORMAT_VIDEO_framerate` (Fraction).
    pub const VIDEO_FRAMERATE: u32 = 0x20004;
    /// `SPA_FORMAT_VIDEO_maxFramerate` (Fraction).
    pub const VIDEO_MAX_FRAMERATE: u32 = 0x20005;
}

/// `SPA_MEDIA_TYPE_video`.
pub const MEDIA_TYPE_VIDEO: u32 = 2;
/// `SPA_MEDIA_SUBTYPE_raw`.
pub const MEDIA_SUBTYPE_RAW: u32 = 1;

/// Property keys of `ParamBuffers` objects (`enum spa_param_buffers`).
pub mod buffers_key {
    /// `SPA_PARAM_BUFFERS_buffers` (Int): how many buffers.
    pub const BUFFERS: u32 = 1;
    /// `SPA_PARAM_BUFFERS_blocks` (Int): data blocks per buffer.
    pub const BLOCKS: u32 = 2;
    /// `SPA_PARAM_BUFFERS_size` (Int): bytes of a block.
    pub const SIZE: u32 = 3;
    /// `SPA_PARAM_BUFFERS_stride` (Int).
    pub const STRIDE: u32 = 4;
    /// `SPA_PARAM_BUFFERS_align` (Int).
    pub const ALIGN: u32 = 5;
    /// `SPA_PARAM_BUFFERS_dataType` (Int): a mask of `1 << data type`.
    pub const DATA_TYPE: u32 = 6;
}

/// Property keys of `ParamMeta` objects (`enum spa_param_meta`).
pub mod meta_key {
    /// `SPA_PARAM_META_type` (Id of `enum spa_meta_type`).
    pub const TYPE: u32 = 1;
    /// `SPA_PARAM_META_size` (Int): the most bytes the metadata takes.
    pub const SIZE: u32 = 2;
}

/// Choice kinds (`enum spa_choice_type`).
pub mod choice {
    /// `SPA_CHOICE_None`: one value (what a fixated format keeps).
    pub const NONE: u32 = 0;
    /// `SPA_CHOICE_Range`: default, minimum, maximum.
    pub const RANGE: u32 = 1;
    /// `SPA_CHOICE_Step`: default, minimum, maximum, step.
    pub const STEP: u32 = 2;
    /// `SPA_CHOICE_Enum`: default, then the alternatives.
    pub const ENUM: u32 = 3;
    /// `SPA_CHOICE_Flags`: a mask of allowed bits.
    pub const FLAGS: u32 = 4;
}

/// Buffer data types (`enum spa_data_type`).
pub mod data_type {
    /// `SPA_DATA_MemPtr`: memory in the producer's process only.
    pub const MEM_PTR: u32 = 1;
    /// `SPA_DATA_MemFd`: shared memory passed as a file descriptor (a memfd).
    pub const MEM_FD: u32 = 2;
    /// `SPA_DATA_DmaBuf`: a DMA-BUF (GPU memory).
    pub const DMA_BUF: u32 = 3;
}

/// Metadata types (`enum spa_meta_type`).
pub mod meta_type {
    /// `SPA_META_Header`: `struct spa_meta_header` (sequence number, timestamps, flags).
    pub const HEADER: u32 = 1;
    /// `SPA_META_VideoCrop`: one `struct spa_meta_region`, the valid part of the frame.
    pub const VIDEO_CROP: u32 = 2;
    /// `SPA_META_VideoDamage`: an array of `struct spa_meta_region`, what changed.
    pub const VIDEO_DAMAGE: u32 = 3;
    /// `SPA_META_Bitmap`.
    pub const BITMAP: u32 = 4;
    /// `SPA_META_Cursor`: `struct spa_meta_cursor`, then a `struct spa_meta_bitmap`.
    pub const CURSOR: u32 = 5;
}

/// Byte sizes of the metadata structures (`spa/buffer/meta.h`), for `ParamMeta` sizes.
pub mod meta_size {
    /// `sizeof(struct spa_meta_header)`.
    pub const HEADER: u32 = 32;
    /// `sizeof(struct spa_meta_region)`.
    pub const REGION: u32 = 16;
    /// `sizeof(struct spa_meta_cursor)`.
    pub const CURSOR: u32 = 28;
    /// `sizeof(struct spa_meta_bitmap)`.
    pub const BITMAP: u32 = 20;

    /// The size of cursor metadata with room for a `width` x `height` bitmap of 4 bytes per
    /// pixel (what `SPA_META_Cursor` needs for such a cursor).
    pub const fn cursor_with_bitmap(width: u32, height: u32) -> u32 {
        CURSOR + BITMAP + width * height * 4
    }
}
