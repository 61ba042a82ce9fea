/// What the peer did, as `HTTP2ServerConnection.receive` reports it.
///
/// For each stream the caller sees `headers` first, then any `data`, then at most one `trailers`;
/// the request is complete at the first event with `endStream` (trailers always end it). A
/// `streamReset` means the stream is gone: nothing more arrives for it and responses to it are
/// dropped. It follows only streams whose `headers` were delivered.
public enum HTTP2Event: Sendable, Equatable {
    /// A complete request header block (CONTINUATION frames joined), validated as RFC 9113 §8.3
    /// asks: pseudo-header fields first, `:method`, `:scheme` and `:path` present, names lowercase.
    case headers(streamID: UInt32, fields: [HeaderField], endStream: Bool)
    /// Request body octets. Flow-control credit for them is already returned, so the caller must
    /// bound what it keeps. Consecutive DATA frames of one stream in one `receive` are joined.
    case data(streamID: UInt32, bytes: [UInt8], endStream: Bool)
    /// A trailer block: a second header block, always with END_STREAM.
    case trailers(streamID: UInt32, fields: [HeaderField])
    /// The stream ended early: the peer sent RST_STREAM, or the peer broke a stream rule and we
    /// reset it (the code is the one we sent).
    case streamReset(streamID: UInt32, errorCode: HTTP2ErrorCode)
    /// The peer sent GOAWAY: it opens no more streams; those up to ours continue.
    case goAway(lastStreamID: UInt32, errorCode: HTTP2ErrorCode)
}
