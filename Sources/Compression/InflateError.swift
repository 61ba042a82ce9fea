/// Why a compressed stream could not be decoded.
///
/// Every case is final: the decoders do not return partial output, so a caller maps any of them
/// to one rejection of the whole body.
public enum InflateError: Error, Equatable, Sendable {
    /// The decoded data would be longer than the caller's `maxOutputBytes`.
    case outputTooLarge
    /// The input ends before the stream does.
    case truncated
    /// The input breaks a rule of the format; the reason names which one.
    case malformed(Reason)
    /// A CRC-32, Adler-32, ISIZE or gzip header CRC does not match what was decoded.
    case checksumMismatch
    /// Bytes follow the end of the stream: after the last gzip member, the zlib trailer, or the
    /// byte that holds the end of the last DEFLATE block.
    case trailingData

    /// The rule a malformed stream breaks.
    public enum Reason: String, Sendable {
        // RFC 1951 (DEFLATE)
        /// BTYPE 11, which RFC 1951 §3.2.3 reserves.
        case invalidBlockType
        /// A stored block whose NLEN is not the one's complement of LEN (RFC 1951 §3.2.4).
        case storedLengthMismatch
        /// HLIT above 286: RFC 1951 §3.2.7 allows 257–286 literal/length codes.
        case tooManyLiteralLengthCodes
        /// Code lengths that describe more codes than fit (the Kraft sum exceeds 1).
        case oversubscribedCode
        /// Code lengths that leave codes unused, other than the allowed single code or empty distance code.
        case incompleteCode
        /// Code-length symbol 16 ("copy the previous length") as the first length (RFC 1951 §3.2.7).
        case repeatWithoutPreviousLength
        /// A run of code lengths that goes past HLIT + HDIST.
        case tooManyCodeLengths
        /// A dynamic block whose literal/length code has no end-of-block symbol 256.
        case missingEndOfBlockCode
        /// Literal/length symbol 286 or 287, or bits that match no code.
        case invalidLiteralLengthCode
        /// Distance symbol 30 or 31, or bits that match no code (or a block that has no distance codes).
        case invalidDistanceCode
        /// A back-reference to before the start of the output (RFC 1951 §3.2).
        case distanceTooFarBack

        // RFC 1952 (gzip) and RFC 1950 (zlib)
        /// The first two bytes are not the gzip magic 1f 8b (RFC 1952 §2.3.1).
        case notGzip
        /// A compression method other than 8, DEFLATE (RFC 1952 §2.3.1, RFC 1950 §2.2).
        case unsupportedMethod
        /// A gzip FLG with a reserved bit set, which RFC 1952 §2.3.1.2 says must be an error.
        case reservedFlags
        /// A zlib CMF/FLG pair that is not a multiple of 31 (RFC 1950 §2.2, FCHECK).
        case badZlibHeader
        /// A zlib CINFO above 7, a window larger than 32 KiB (RFC 1950 §2.2).
        case windowTooLarge
        /// A zlib stream that needs a preset dictionary (FDICT), which nothing here can supply.
        case presetDictionary
    }
}
