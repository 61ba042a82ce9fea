import Glibc

/// An incremental, sans-IO parser for HTTP/1.1 request heads (RFC 9112).
///
/// Feed it the buffered bytes of a connection each time more arrive; it remembers how far it got,
/// so a head that trickles in byte by byte is scanned once in total. Lines end in CRLF; a bare LF is
/// accepted as a line end too (RFC 9112 §2.2), a bare CR is not.
public struct RequestParser: Sendable {
    public enum Result: Equatable, Sendable {
        case incomplete
        case complete
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits

    // Scan state of the head in progress, offsets from the start of the buffer.
    private var position = 0
    private var lineStart = -1
    private var requestLineEnd = -1
    private var contentLengthSeen = false
    private var transferEncodingSeen = false
    private var hostCount = 0
    private var closeRequested = false
    private var keepAliveRequested = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Forgets the head in progress; call after a complete head was consumed from the buffer.
    public mutating func reset() {
        position = 0
        lineStart = -1
        requestLineEnd = -1
        contentLengthSeen = false
        transferEncodingSeen = false
        hostCount = 0
        closeRequested = false
        keepAliveRequested = false
    }

    /// True once some bytes of a head have been seen (for the head-arrival deadline).
    public var hasPartialHead: Bool { lineStart >= 0 }

    /// Parses as much of the head at the start of `bytes` as is there. Pass the same `head` on
    /// every call for one request; it is filled as lines complete.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, into head: inout RequestHead) -> Result {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return .incomplete }
        if lineStart < 0 {
            // RFC 9112 §2.2: ignore empty lines received before the request line.
            var skip = position
            while skip < count, bytes[skip] == 0x0D || bytes[skip] == 0x0A { skip += 1 }
            if skip > limits.requestLineBytesMax { return .failed(HTTPParseError(.badRequest, "too many empty lines before the request")) }
            position = skip
            if skip == count { return .incomplete }
            head.reset()
            lineStart = skip
        }
        while position < count {
            guard let found = memchr(base + position, 0x0A, count - position) else {
                position = count
                return checkPartialLine(bytes, count)
            }
            let lineFeed = base.distance(to: UnsafeRawPointer(found))
            position = lineFeed + 1
            var lineEnd = lineFeed
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if requestLineEnd < 0 {
                if let failure = parseRequestLine(bytes, start: lineStart, end: lineEnd, into: &head) { return .failed(failure) }
                requestLineEnd = position
            } else if lineEnd == lineStart {
                head.length = position
                return finish(&head)
            } else {
                if position - requestLineEnd > limits.headerBlockBytesMax {
                    return .failed(HTTPParseError(.headerFieldsTooLarge, "header block larger than \(limits.headerBlockBytesMax) bytes"))
                }
                if head.headers.count >= limits.headerCountMax {
                    return .failed(HTTPParseError(.headerFieldsTooLarge, "more than \(limits.headerCountMax) header fields"))
                }
                if let failure = parseHeaderLine(bytes, start: lineStart, end: lineEnd, into: &head) { return .failed(failure) }
            }
            lineStart = position
        }
        return .incomplete
    }

    /// Refuses a line still without its end that can no longer fit its limit: the request line
    /// (its CRLF excluded) however it ends, or a header line, which still needs at least an LF. A
    /// trailing CR may be the start of the line's CRLF, and a lone CR may start the blank line.
    private func checkPartialLine(_ bytes: UnsafeRawBufferPointer, _ count: Int) -> Result {
        let endsWithCarriageReturn = bytes[count - 1] == 0x0D
        if requestLineEnd < 0 {
            if count - lineStart - (endsWithCarriageReturn ? 1 : 0) > limits.requestLineBytesMax {
                return .failed(HTTPParseError(.uriTooLong, "request line longer than \(limits.requestLineBytesMax) bytes"))
            }
        } else if !(count - lineStart == 1 && endsWithCarriageReturn), count - requestLineEnd + 1 > limits.headerBlockBytesMax {
            return .failed(HTTPParseError(.headerFieldsTooLarge, "header block larger than \(limits.headerBlockBytesMax) bytes"))
        }
        return .incomplete
    }

    // MARK: - Request line (RFC 9112 §3)

    private func parseRequestLine(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int, into head: inout RequestHead) -> HTTPParseError? {
        if end - start > limits.requestLineBytesMax {
            return HTTPParseError(.uriTooLong, "request line longer than \(limits.requestLineBytesMax) bytes")
        }
        var index = start
        while index < end, HTTPBytes.isTokenCharacter(bytes[index]) { index += 1 }
        guard index > start, index < end, bytes[index] == 0x20 else { return HTTPParseError(.badRequest, "malformed request line") }
        head.methodSpan = ByteSpan(start: start, end: index)
        head.method = HTTPBytes.method(bytes, head.methodSpan)
        index += 1
        let targetStart = index
        while index < end, bytes[index] > 0x20, bytes[index] != 0x7F { index += 1 }
        guard index > targetStart, index < end, bytes[index] == 0x20 else { return HTTPParseError(.badRequest, "malformed request target") }
        head.target = ByteSpan(start: targetStart, end: index)
        index += 1
        guard end - index == 8,
              bytes[index] == 0x48, bytes[index + 1] == 0x54, bytes[index + 2] == 0x54, bytes[index + 3] == 0x50,
              bytes[index + 4] == 0x2F, bytes[index + 6] == 0x2E,
              HTTPBytes.isDigit(bytes[index + 5]), HTTPBytes.isDigit(bytes[index + 7])
        else { return HTTPParseError(.badRequest, "malformed HTTP version") }
        guard bytes[index + 5] == 0x31, bytes[index + 7] <= 0x31 else {
            return HTTPParseError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served here")
        }
        head.minorVersion = Int(bytes[index + 7] - 0x30)
        return splitTarget(bytes, into: &head)
    }

    /// Finds the path and query in origin-form (`/a?b`), absolute-form (`http://h/a?b`) or `*`.
    private func splitTarget(_ bytes: UnsafeRawBufferPointer, into head: inout RequestHead) -> HTTPParseError? {
        var pathStart = head.target.start
        let end = head.target.end
        if bytes[pathStart] != 0x2F {
            if head.target.count == 1 && bytes[pathStart] == 0x2A {
                head.path = head.target
                return nil
            }
            // absolute-form: skip "scheme://authority".
            var index = pathStart
            while index + 2 < end, !(bytes[index] == 0x3A && bytes[index + 1] == 0x2F && bytes[index + 2] == 0x2F) { index += 1 }
            guard index + 2 < end, index > pathStart else { return HTTPParseError(.badRequest, "malformed request target") }
            index += 3
            while index < end, bytes[index] != 0x2F, bytes[index] != 0x3F { index += 1 }
            pathStart = index
        }
        var index = pathStart
        while index < end, bytes[index] != 0x3F { index += 1 }
        head.path = ByteSpan(start: pathStart, end: index)
        head.query = index < end ? ByteSpan(start: index + 1, end: end) : ByteSpan(start: end, end: end)
        return nil
    }

    // MARK: - Header fields (RFC 9112 §5, RFC 9110 §5)

    private mutating func parseHeaderLine(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int, into head: inout RequestHead) -> HTTPParseError? {
        if bytes[start] == 0x20 || bytes[start] == 0x09 {
            return HTTPParseError(.badRequest, "obsolete line folding is not accepted")
        }
        var index = start
        while index < end, HTTPBytes.isTokenCharacter(bytes[index]) { index += 1 }
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        guard index > start, index < end, bytes[index] == 0x3A else { return HTTPParseError(.badRequest, "malformed header field") }
        let name = ByteSpan(start: start, end: index)
        index += 1
        var valueEnd = end
        while index < valueEnd, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        while valueEnd > index, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        var check = index
        while check < valueEnd {
            let byte = bytes[check]
            if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return HTTPParseError(.badRequest, "control character in a header value") }
            check += 1
        }
        let value = ByteSpan(start: index, end: valueEnd)
        head.headers.append(HeaderField(name: name, value: value))
        return interpretHeader(bytes, name: name, value: value, into: &head)
    }

    /// Takes note of the header fields that decide framing and connection handling.
    private mutating func interpretHeader(_ bytes: UnsafeRawBufferPointer, name: ByteSpan, value: ByteSpan, into head: inout RequestHead) -> HTTPParseError? {
        switch name.count {
        case 14 where HTTPBytes.equalsLowercase(bytes, name, "content-length"):
            // RFC 9110 §8.6: a length may have any number of digits; one too long to parse is
            // certainly over the body limit, so it counts as Int.max and is answered with 413.
            let tooLong = value.count > 18 && (value.start..<value.end).allSatisfy { HTTPBytes.isDigit(bytes[$0]) }
            guard let length = tooLong ? Int.max : HTTPBytes.parseDecimal(bytes, value) else {
                return HTTPParseError(.badRequest, "invalid Content-Length")
            }
            if contentLengthSeen, case .contentLength(let earlier) = head.framing, earlier != length {
                return HTTPParseError(.badRequest, "conflicting Content-Length values")
            }
            contentLengthSeen = true
            if !transferEncodingSeen { head.framing = .contentLength(length) }
        case 17 where HTTPBytes.equalsLowercase(bytes, name, "transfer-encoding"):
            if transferEncodingSeen { return HTTPParseError(.badRequest, "repeated Transfer-Encoding") }
            transferEncodingSeen = true
            guard value.count == 7, HTTPBytes.equalsLowercase(bytes, value, "chunked") else {
                return HTTPParseError(.notImplemented, "only the chunked transfer coding is supported")
            }
            head.framing = .chunked
        case 10 where HTTPBytes.equalsLowercase(bytes, name, "connection"):
            HTTPBytes.forEachToken(bytes, value) { token in
                if token.count == 5, HTTPBytes.equalsLowercase(bytes, token, "close") { closeRequested = true }
                if token.count == 10, HTTPBytes.equalsLowercase(bytes, token, "keep-alive") { keepAliveRequested = true }
            }
        case 6 where HTTPBytes.equalsLowercase(bytes, name, "expect"):
            guard value.count == 12, HTTPBytes.equalsLowercase(bytes, value, "100-continue") else {
                return HTTPParseError(.expectationFailed, "only Expect: 100-continue is supported")
            }
            head.expectsContinue = true
        case 4 where HTTPBytes.equalsLowercase(bytes, name, "host"):
            hostCount += 1
        default:
            break
        }
        return nil
    }

    private func finish(_ head: inout RequestHead) -> Result {
        // RFC 9112 §6.1: a message with both Content-Length and Transfer-Encoding is an attack
        // vector for request smuggling; refuse it and close.
        if contentLengthSeen && transferEncodingSeen {
            return .failed(HTTPParseError(.badRequest, "both Content-Length and Transfer-Encoding"))
        }
        if transferEncodingSeen && head.minorVersion == 0 {
            return .failed(HTTPParseError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request"))
        }
        // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host field, and no request has two.
        if hostCount > 1 || (head.minorVersion == 1 && hostCount == 0) {
            return .failed(HTTPParseError(.badRequest, hostCount == 0 ? "missing Host header" : "more than one Host header"))
        }
        if case .contentLength(let length) = head.framing, length > limits.bodyBytesMax {
            return .failed(HTTPParseError(.payloadTooLarge, "body larger than \(limits.bodyBytesMax) bytes"))
        }
        head.keepAlive = head.minorVersion == 1 ? !closeRequested : (keepAliveRequested && !closeRequested)
        return .complete
    }
}

