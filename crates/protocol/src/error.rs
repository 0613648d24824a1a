//! Errors of the protocol layer.

/// A frame, header or body that is not what RocketMQ 4.9.x sends.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("frame length {0} exceeds the 16 MiB limit")]
    FrameTooLarge(usize),
    #[error("frame length {0} is smaller than the 4-byte header-length word")]
    FrameTooSmall(usize),
    #[error("header length {header} does not fit in frame of {frame} bytes")]
    BadHeaderLength { header: usize, frame: usize },
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    #[error("malformed JSON header: {0}")]
    BadJsonHeader(String),
    #[error("malformed ROCKETMQ binary header: {0}")]
    BadBinaryHeader(&'static str),
    #[error("missing required header field `{0}`")]
    MissingField(&'static str),
    #[error("header field `{field}` has invalid value `{value}`")]
    BadField { field: &'static str, value: String },
    #[error("malformed body: {0}")]
    BadBody(String),
    #[error("malformed message record: {0}")]
    BadMessage(&'static str),
    #[error("malformed message record: {0}")]
    Record(#[from] crate::record::DecodeError),
}
