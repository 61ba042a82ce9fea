import HTTP1
import Testing

/// A request head flattened to values that compare, so two parses can be checked for equality.
struct HeadSnapshot: Equatable, CustomStringConvertible {
    var method: HTTPMethod
    var methodSpan: ByteSpan
    var target: ByteSpan
    var path: ByteSpan
    var query: ByteSpan
    var minorVersion: Int
    var headers: [HeaderField]
    var framing: BodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool
    var length: Int

    init(_ head: RequestHead) {
        method = head.method
        methodSpan = head.methodSpan
        target = head.target
        path = head.path
        query = head.query
        minorVersion = head.minorVersion
        headers = head.headers
        framing = head.framing
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
        length = head.length
    }

    var description: String {
        "\(method) target \(target.start)..<\(target.end) HTTP/1.\(minorVersion) \(headers.count) headers "
            + "\(framing) keepAlive \(keepAlive) continue \(expectsContinue) length \(length)"
    }
}

/// What parsing some bytes ended with: the result, and the head when it completed.
struct Outcome: Equatable, CustomStringConvertible {
    var result: RequestParser.Result
    var head: HeadSnapshot?

    var description: String { head.map { "\(result) \($0)" } ?? "\(result)" }
}

/// One request parsed in a single call, with accessors that turn spans back into text.
struct Parsed {
    let bytes: [UInt8]
    let result: RequestParser.Result
    let head: RequestHead

    init(_ text: String, limits: HTTPLimits = HTTPLimits()) {
        self.init(bytes: Array(text.utf8), limits: limits)
    }

    init(bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) {
        var parser = RequestParser(limits: limits)
        var head = RequestHead()
        self.bytes = bytes
        self.result = bytes.withUnsafeBytes { parser.parse($0, into: &head) }
        self.head = head
    }

    var isComplete: Bool { result == .complete }

    /// The status a failed parse answers with, or nil.
    var status: Int? {
        if case .failed(let error) = result { return error.status }
        return nil
    }

    var outcome: Outcome { Outcome(result: result, head: isComplete ? HeadSnapshot(head) : nil) }

    func text(_ span: ByteSpan) -> String { String(decoding: bytes[span.start..<span.end], as: UTF8.self) }

    var method: String { text(head.methodSpan) }
    var target: String { text(head.target) }
    var path: String { text(head.path) }
    var query: String { text(head.query) }

    /// Header names and values as sent (values trimmed by the parser).
    var headers: [[String]] { head.headers.map { [text($0.name), text($0.value)] } }
}

/// Parses `bytes` in one call.
func parseOnce(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) -> Outcome {
    Parsed(bytes: bytes, limits: limits).outcome
}

/// Parses `bytes` as a connection's buffer that grows: first the prefixes `bytes[0..<cut]` for each
/// cut in order, then the whole buffer, each call on the same parser and head. Stops at the first
/// result that is not `.incomplete`.
func parseGrowing(_ bytes: [UInt8], cuts: [Int], limits: HTTPLimits = HTTPLimits()) -> Outcome {
    var parser = RequestParser(limits: limits)
    var head = RequestHead()
    return bytes.withUnsafeBytes { raw in
        for cut in cuts + [bytes.count] {
            let result = parser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<cut]), into: &head)
            if result != .incomplete {
                return Outcome(result: result, head: result == .complete ? HeadSnapshot(head) : nil)
            }
        }
        return Outcome(result: .incomplete, head: nil)
    }
}

/// What decoding a chunked body ended with, however it was split: the result with the bytes
/// consumed over all calls (so splits compare equal), and the body decoded so far.
struct Decoded: Equatable, CustomStringConvertible {
    var result: ChunkedDecoder.Result
    var body: [UInt8]

    /// Bytes consumed over all calls; 0 after a failure, when the connection closes anyway.
    var consumed: Int {
        switch result {
        case .incomplete(let consumed), .complete(let consumed): consumed
        case .failed: 0
        }
    }

    var status: Int? {
        if case .failed(let error) = result { return error.status }
        return nil
    }

    var isComplete: Bool {
        if case .complete = result { return true }
        return false
    }

    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "\(result) body \(body.count) bytes" }
}

/// Decodes `bytes` fed in pieces that end at `cuts` (ascending offsets), as a connection hands the
/// decoder what arrived and consumes what it reports. Stops at the first result that is not
/// `.incomplete`.
func decodeChunked(_ bytes: [UInt8], cuts: [Int] = [], limits: HTTPLimits = HTTPLimits()) -> Decoded {
    var decoder = ChunkedDecoder(limits: limits)
    var body: [UInt8] = []
    var consumed = 0
    var result = ChunkedDecoder.Result.incomplete(consumed: 0)
    bytes.withUnsafeBytes { raw in
        for cut in cuts + [bytes.count] where cut >= consumed {
            switch decoder.decode(UnsafeRawBufferPointer(rebasing: raw[consumed..<cut]), into: &body) {
            case .incomplete(let used):
                consumed += used
                result = .incomplete(consumed: consumed)
            case .complete(let used):
                result = .complete(consumed: consumed + used)
                return
            case .failed(let error):
                result = .failed(error)
                return
            }
        }
    }
    return Decoded(result: result, body: body)
}

func decodeChunked(_ text: String, cuts: [Int] = [], limits: HTTPLimits = HTTPLimits()) -> Decoded {
    decodeChunked(Array(text.utf8), cuts: cuts, limits: limits)
}

/// `count` copies of `character` (ASCII).
func repeated(_ character: Character, _ count: Int) -> String { String(repeating: String(character), count: count) }

extension HTTPLimits {
    /// Default limits with some changed, for tests that need small or huge ones.
    static func make(requestLineBytesMax: Int = 8 * 1024, headerBlockBytesMax: Int = 16 * 1024,
                     headerCountMax: Int = 100, bodyBytesMax: Int = 1024 * 1024) -> HTTPLimits {
        var limits = HTTPLimits()
        limits.requestLineBytesMax = requestLineBytesMax
        limits.headerBlockBytesMax = headerBlockBytesMax
        limits.headerCountMax = headerCountMax
        limits.bodyBytesMax = bodyBytesMax
        return limits
    }
}
