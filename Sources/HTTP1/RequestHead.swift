/// Limits on what one request may send, each answered with its own status (units in the names).
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) → 414.
    public var requestLineBytesMax: Int = 8 * 1024
    /// Longest header block after the request line → 431.
    public var headerBlockBytesMax: Int = 16 * 1024
    /// Most header fields (request and trailer) → 431.
    public var headerCountMax: Int = 100
    /// Largest body, declared or chunked → 413.
    public var bodyBytesMax: Int = 1024 * 1024

    public init() {}
}

/// The request methods the server names; anything else is `.other` (routes answer 405).
public enum HTTPMethod: UInt8, Sendable, CustomStringConvertible {
    case get, head, post, put, delete, patch, options, trace, connect, other

    public var description: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .patch: "PATCH"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .connect: "CONNECT"
        case .other: "OTHER"
        }
    }
}

/// Offsets of some bytes inside the buffer a request head was parsed from.
public struct ByteSpan: Sendable, Equatable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var count: Int { end - start }
    public var isEmpty: Bool { start == end }
    public static let empty = ByteSpan(start: 0, end: 0)
}

/// One header field: offsets of its name and its value (without surrounding whitespace).
public struct HeaderField: Sendable, Equatable {
    public var name: ByteSpan
    public var value: ByteSpan
}

/// How the body of a request is framed (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// Neither Content-Length nor Transfer-Encoding: the body is empty.
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request head. Spans are offsets from the start of the head in the parse buffer, so the
/// head is valid as long as those bytes are.
public struct RequestHead: Sendable {
    public var method: HTTPMethod = .get
    public var methodSpan: ByteSpan = .empty
    /// The whole request target as sent.
    public var target: ByteSpan = .empty
    /// The path part of the target (before `?`), still percent-encoded.
    public var path: ByteSpan = .empty
    /// The query after `?`, without it; empty when absent.
    public var query: ByteSpan = .empty
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int = 1
    public var headers: [HeaderField] = []
    public var framing: BodyFraming = .none
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool = true
    /// `Expect: 100-continue` was sent.
    public var expectsContinue: Bool = false
    /// Bytes from the first byte of the request line through the blank line.
    public var length: Int = 0

    public init() {}

    /// Clears the head for reuse, keeping the header array's capacity.
    public mutating func reset() {
        method = .get
        methodSpan = .empty
        target = .empty
        path = .empty
        query = .empty
        minorVersion = 1
        headers.removeAll(keepingCapacity: true)
        framing = .none
        keepAlive = true
        expectsContinue = false
        length = 0
    }
}

/// Why a request could not be parsed: the status to answer with and a short reason. After any of
/// these the connection is closed, because the framing of what follows is unknown.
public struct HTTPParseError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case badRequest
        case uriTooLong
        case headerFieldsTooLarge
        case payloadTooLarge
        case notImplemented
        case versionNotSupported
        case expectationFailed
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .uriTooLong: 414
        case .headerFieldsTooLarge: 431
        case .payloadTooLarge: 413
        case .notImplemented: 501
        case .versionNotSupported: 505
        case .expectationFailed: 417
        }
    }
}
