/// An incremental decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
///
/// Chunk extensions are validated and ignored; trailer fields are validated, counted against the
/// header limits and discarded. The decoded body is appended to a caller-owned array.
public struct ChunkedDecoder: Sendable {
    public enum Result: Equatable, Sendable {
        /// All input was used and more is needed.
        case incomplete(consumed: Int)
        /// The last chunk and trailers ended after `consumed` bytes.
        case complete(consumed: Int)
        case failed(HTTPParseError)
    }

    private enum State: Sendable {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    /// Longest chunk-size line, extensions included.
    public static let sizeLineBytesMax = 4096

    private let limits: HTTPLimits
    private var state = State.sizeLine
    private var lineBytes = 0
    private var sawCarriageReturn = false
    private var size = 0
    private var sizeDigits = 0
    private var inExtension = false
    private var sizeEnded = false
    private var decodedBytes = 0
    private var trailerBytes = 0
    private var trailerCount = 0
    private var trailerLineBytes = 0
    private var trailerLineHasColon = false

    public init(limits: HTTPLimits) {
        self.limits = limits
    }

    /// Consumes what it can of `input`, appending chunk data to `body`.
    public mutating func decode(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) -> Result {
        var index = 0
        let count = input.count
        while index < count {
            switch state {
            case .done:
                return .complete(consumed: index)
            case .sizeLine:
                let byte = input[index]
                index += 1
                lineBytes += 1
                if lineBytes > Self.sizeLineBytesMax { return .failed(HTTPParseError(.badRequest, "chunk size line too long")) }
                if byte == 0x0A {
                    guard sizeDigits > 0 else { return .failed(HTTPParseError(.badRequest, "missing chunk size")) }
                    lineBytes = 0
                    sawCarriageReturn = false
                    inExtension = false
                    sizeEnded = false
                    sizeDigits = 0
                    if size == 0 {
                        state = .trailers
                    } else {
                        state = .data(remaining: size)
                    }
                    size = 0
                    continue
                }
                if sawCarriageReturn { return .failed(HTTPParseError(.badRequest, "bare CR in chunk size line")) }
                if byte == 0x0D { sawCarriageReturn = true; continue }
                if inExtension {
                    if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return .failed(HTTPParseError(.badRequest, "control character in chunk extension")) }
                    continue
                }
                if let digit = Self.hexValue(byte), !sizeEnded {
                    guard sizeDigits < 15 else { return .failed(HTTPParseError(.badRequest, "chunk size too large")) }
                    size = size << 4 | digit
                    sizeDigits += 1
                    if decodedBytes + size > limits.bodyBytesMax {
                        return .failed(HTTPParseError(.payloadTooLarge, "body larger than \(limits.bodyBytesMax) bytes"))
                    }
                } else if byte == 0x3B && sizeDigits > 0 {
                    inExtension = true
                } else if (byte == 0x20 || byte == 0x09) && sizeDigits > 0 {
                    // BWS before an extension (RFC 9112 §7.1.1); it ends the size.
                    sizeEnded = true
                    continue
                } else {
                    return .failed(HTTPParseError(.badRequest, "invalid chunk size"))
                }
            case .data(let remaining):
                let take = min(remaining, count - index)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<(index + take)]))
                index += take
                decodedBytes += take
                state = remaining == take ? .dataEnd : .data(remaining: remaining - take)
            case .dataEnd:
                let byte = input[index]
                index += 1
                if byte == 0x0D && !sawCarriageReturn { sawCarriageReturn = true; continue }
                guard byte == 0x0A else { return .failed(HTTPParseError(.badRequest, "chunk data not followed by CRLF")) }
                sawCarriageReturn = false
                state = .sizeLine
            case .trailers:
                let byte = input[index]
                index += 1
                trailerBytes += 1
                if trailerBytes > limits.headerBlockBytesMax + 2 {
                    return .failed(HTTPParseError(.headerFieldsTooLarge, "trailer section larger than \(limits.headerBlockBytesMax) bytes"))
                }
                if byte == 0x0A {
                    if trailerLineBytes == 0 {
                        // The section excludes this blank line, which may be a bare LF.
                        if trailerBytes - (sawCarriageReturn ? 2 : 1) > limits.headerBlockBytesMax {
                            return .failed(HTTPParseError(.headerFieldsTooLarge, "trailer section larger than \(limits.headerBlockBytesMax) bytes"))
                        }
                        state = .done
                        return .complete(consumed: index)
                    }
                    guard trailerLineHasColon else { return .failed(HTTPParseError(.badRequest, "malformed trailer field")) }
                    trailerCount += 1
                    if trailerCount > limits.headerCountMax {
                        return .failed(HTTPParseError(.headerFieldsTooLarge, "more than \(limits.headerCountMax) trailer fields"))
                    }
                    trailerLineBytes = 0
                    trailerLineHasColon = false
                    sawCarriageReturn = false
                    continue
                }
                if sawCarriageReturn { return .failed(HTTPParseError(.badRequest, "bare CR in trailer section")) }
                if byte == 0x0D { sawCarriageReturn = true; continue }
                if byte == 0x3A && trailerLineBytes > 0 { trailerLineHasColon = true }
                if !trailerLineHasColon && !HTTPBytes.isTokenCharacter(byte) {
                    return .failed(HTTPParseError(.badRequest, "malformed trailer field"))
                }
                if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return .failed(HTTPParseError(.badRequest, "control character in trailer")) }
                trailerLineBytes += 1
            }
        }
        if case .done = state { return .complete(consumed: index) }
        return .incomplete(consumed: index)
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
