import HTTP1

// libFuzzer target for the HTTP/1.1 request parser and the chunked decoder.
//
// Every input is parsed as a connection would: in one call, and again as a buffer that grows in
// steps chosen by the input, then request after request (pipelining), with chunked bodies handed
// to the decoder, also in two pieces. Any crash, or any disagreement between the ways of feeding
// the same bytes, stops the fuzzer with the input that caused it.

/// The statuses a parse failure may answer with.
private let failureStatuses: Set<Int> = [400, 413, 414, 417, 431, 501, 505]

/// Small limits, so that short inputs reach every limit too.
private let tightLimits: HTTPLimits = {
    var limits = HTTPLimits()
    limits.requestLineBytesMax = 48
    limits.headerBlockBytesMax = 96
    limits.headerCountMax = 3
    limits.bodyBytesMax = 24
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // The input's length picks the limits, so that one corpus explores both.
    let limits = size % 2 == 0 ? HTTPLimits() : tightLimits
    let step = size == 0 ? 1 : 1 + Int(input[0] % 7)
    checkPipeline(input, limits: limits, step: step)
    _ = decode(input, limits: limits, split: size == 0 ? 0 : Int(input[size - 1]) % (size + 1))
    return 0
}

/// Parses request after request from `input`, as a connection consumes heads and bodies.
private func checkPipeline(_ input: UnsafeRawBufferPointer, limits: HTTPLimits, step: Int) {
    var offset = 0
    while offset < input.count {
        let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
        var head = RequestHead()
        let result = parseOnce(rest, limits: limits, into: &head)
        let growing = parseGrowing(rest, limits: limits, step: step)
        precondition(growing.result == result, "feeding in steps of \(step) gave \(growing.result), at once \(result)")
        switch result {
        case .incomplete:
            return
        case .failed(let error):
            precondition(failureStatuses.contains(error.status), "unexpected status \(error.status)")
            return
        case .complete:
            checkHead(head, bufferCount: rest.count, limits: limits)
            precondition(same(head, growing.head), "feeding in steps of \(step) gave another head")
            offset += head.length
            switch head.framing {
            case .none:
                break
            case .contentLength(let length):
                guard length <= input.count - offset else { return }
                offset += length
            case .chunked:
                let body = UnsafeRawBufferPointer(rebasing: input[offset...])
                let decoded = decode(body, limits: limits, split: body.count / 2)
                guard case .complete(let consumed) = decoded else { return }
                offset += consumed
            }
        }
    }
}

private func parseOnce(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits, into head: inout RequestHead) -> RequestParser.Result {
    var parser = RequestParser(limits: limits)
    return parser.parse(bytes, into: &head)
}

/// Parses prefixes growing by `step` bytes until the result is not `.incomplete`.
private func parseGrowing(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits, step: Int) -> (result: RequestParser.Result, head: RequestHead) {
    var parser = RequestParser(limits: limits)
    var head = RequestHead()
    var end = 0
    while true {
        end = min(end + step, bytes.count)
        let result = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), into: &head)
        if result != .incomplete || end == bytes.count { return (result, head) }
    }
}

/// What a completed head must satisfy whatever the input.
private func checkHead(_ head: RequestHead, bufferCount: Int, limits: HTTPLimits) {
    precondition(head.length > 0 && head.length <= bufferCount, "head length \(head.length) of \(bufferCount)")
    var spans = [head.methodSpan, head.target, head.path]
    if !head.query.isEmpty { spans.append(head.query) }
    for field in head.headers { spans += [field.name, field.value] }
    for span in spans {
        precondition(span.start >= 0 && span.start <= span.end && span.end <= head.length, "span \(span) outside the head")
    }
    precondition(!head.methodSpan.isEmpty && !head.target.isEmpty, "empty method or target")
    precondition(head.headers.count <= limits.headerCountMax, "\(head.headers.count) headers")
    precondition(head.minorVersion == 0 || head.minorVersion == 1, "version 1.\(head.minorVersion)")
    if case .contentLength(let length) = head.framing {
        precondition(length >= 0 && length <= limits.bodyBytesMax, "Content-Length \(length)")
    }
}

private func same(_ left: RequestHead, _ right: RequestHead) -> Bool {
    left.method == right.method && left.methodSpan == right.methodSpan && left.target == right.target
        && left.path == right.path && left.query == right.query && left.minorVersion == right.minorVersion
        && left.headers == right.headers && left.framing == right.framing && left.keepAlive == right.keepAlive
        && left.expectsContinue == right.expectsContinue && left.length == right.length
}

/// Decodes `bytes` at once and split at `split`; both must agree. Returns the one-shot result.
private func decode(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits, split: Int) -> ChunkedDecoder.Result {
    var decoder = ChunkedDecoder(limits: limits)
    var body: [UInt8] = []
    let once = decoder.decode(bytes, into: &body)
    switch once {
    case .incomplete(let consumed):
        precondition(consumed == bytes.count, "incomplete after \(consumed) of \(bytes.count)")
    case .complete(let consumed):
        precondition(consumed <= bytes.count && body.count <= consumed, "complete after \(consumed) of \(bytes.count)")
    case .failed(let error):
        precondition(failureStatuses.contains(error.status), "unexpected status \(error.status)")
    }
    precondition(body.count <= limits.bodyBytesMax, "body of \(body.count) bytes")

    var pieces = ChunkedDecoder(limits: limits)
    var piecesBody: [UInt8] = []
    var twice: ChunkedDecoder.Result
    switch pieces.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<split]), into: &piecesBody) {
    case .incomplete(let consumed):
        switch pieces.decode(UnsafeRawBufferPointer(rebasing: bytes[consumed...]), into: &piecesBody) {
        case .incomplete(let more): twice = .incomplete(consumed: consumed + more)
        case .complete(let more): twice = .complete(consumed: consumed + more)
        case .failed(let error): twice = .failed(error)
        }
    case let other:
        twice = other
    }
    precondition(twice == once && piecesBody == body, "split at \(split) gave \(twice), at once \(once)")
    return once
}
