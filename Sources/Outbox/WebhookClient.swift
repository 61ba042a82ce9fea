import Glibc

/// Where webhook deliveries go: `http://host[:port][/path]` (plain HTTP only; no TLS).
public struct WebhookTarget: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// The request target, starting with `/` (query included).
    public let path: String

    /// Parses `url`; nil with a reason when it is not an `http://` URL this client can call.
    public static func parse(_ url: String) -> Result<WebhookTarget, WebhookURLError> {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") {
            return .failure(WebhookURLError(reason: "https is not supported (the client speaks plain HTTP/1.1); use http://"))
        }
        guard lowered.hasPrefix("http://") else { return .failure(WebhookURLError(reason: "must start with http://")) }
        guard url.utf8.count <= 2_048, !url.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else {
            return .failure(WebhookURLError(reason: "must be at most 2048 visible ASCII characters"))
        }
        let rest = url.dropFirst(7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count).prefix { $0 != "#" })
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.contains("@") else { return .failure(WebhookURLError(reason: "user information is not supported")) }
        var host = Substring(authority)
        var port = 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(WebhookURLError(reason: "unterminated IPv6 address")) }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65_535).contains(value) else {
                    return .failure(WebhookURLError(reason: "bad port"))
                }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]), (1...65_535).contains(value) else {
                return .failure(WebhookURLError(reason: "bad port"))
            }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { return .failure(WebhookURLError(reason: "missing host")) }
        return .success(WebhookTarget(host: String(host), port: port, path: path))
    }

    /// The `Host` header's value.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    public var description: String { "http://\(hostHeader)\(path)" }
}

/// Why a webhook URL was refused.
public struct WebhookURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// A blocking HTTP/1.1 client for one keep-alive connection to the webhook target, used by one
/// relay thread at a time (never an event loop or the writer). Every wait is bounded: the connect
/// by `connectTimeoutMilliseconds`, the whole exchange by `responseTimeoutMilliseconds`; response
/// heads by 16 KiB and bodies (read and dropped) by 1 MiB.
final class WebhookClient {
    let target: WebhookTarget
    let connectTimeoutMilliseconds: Int
    let responseTimeoutMilliseconds: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    /// Exchanges completed on the current connection (a failure on a reused connection is retried
    /// once on a fresh one: the server may have closed it while idle).
    private var exchanges = 0

    static let headBytesMax = 16 * 1_024
    static let bodyBytesMax = 1_048_576

    init(target: WebhookTarget, connectTimeoutMilliseconds: Int, responseTimeoutMilliseconds: Int) {
        self.target = target
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.responseTimeoutMilliseconds = responseTimeoutMilliseconds
    }

    deinit { disconnect() }

    /// POSTs `body` with `headers` (name, value) and returns how it went.
    func post(body: [UInt8], headers: [(String, String)]) -> DeliveryPolicy.Attempt {
        var request = Array("POST \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nContent-Length: \(body.count)\r\n".utf8)
        for (name, value) in headers {
            request.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        request.append(contentsOf: "\r\n".utf8)
        request.append(contentsOf: body)
        let reused = fd >= 0 && exchanges > 0
        let first = exchange(request)
        if reused, case .failure(.staleConnection) = first {
            disconnect()
            return Self.attempt(exchange(request))
        }
        return Self.attempt(first)
    }

    private static func attempt(_ result: Result<DeliveryPolicy.Attempt, ExchangeError>) -> DeliveryPolicy.Attempt {
        switch result {
        case .success(let attempt): attempt
        case .failure(.timedOut): .timedOut
        case .failure(.staleConnection): .connectionFailed("connection closed before a response")
        case .failure(.failed(let reason)): .connectionFailed(reason)
        }
    }

    private enum ExchangeError: Error {
        case timedOut
        /// The connection ended before any byte of a response arrived.
        case staleConnection
        case failed(String)
    }

    private func exchange(_ request: [UInt8]) -> Result<DeliveryPolicy.Attempt, ExchangeError> {
        let deadline = Self.nowMilliseconds() + Int64(responseTimeoutMilliseconds)
        if fd < 0 {
            if let error = connect() { return .failure(error) }
        }
        if let error = send(request, deadline: deadline) { disconnect(); return .failure(error) }
        let result = readResponse(deadline: deadline)
        switch result {
        case .success(let (attempt, keepAlive)):
            exchanges += 1
            if !keepAlive { disconnect() }
            return .success(attempt)
        case .failure(let error):
            disconnect()
            return .failure(error)
        }
    }

    // MARK: Socket

    private func connect() -> ExchangeError? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else {
            return .failed("cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let socketFD = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard socketFD >= 0 else { lastError = Self.errnoText("socket"); continue }
            var one: Int32 = 1
            _ = setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                var descriptor = pollfd(fd: socketFD, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&descriptor, 1, Int32(connectTimeoutMilliseconds))
                var socketError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                if ready == 1, getsockopt(socketFD, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0, socketError == 0 {
                    fd = socketFD
                    exchanges = 0
                    buffer.removeAll(keepingCapacity: true)
                    return nil
                }
                lastError = ready == 0 ? "connect timed out" : "connect failed: \(String(cString: strerror(socketError)))"
            } else {
                lastError = Self.errnoText("connect")
            }
            Glibc.close(socketFD)
        }
        return .failed("\(lastError) (\(target.hostHeader))")
    }

    private func disconnect() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        exchanges = 0
        buffer.removeAll(keepingCapacity: true)
    }

    private func send(_ bytes: [UInt8], deadline: Int64) -> ExchangeError? {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if let error = wait(for: Int16(POLLOUT), deadline: deadline) { return error }
                continue
            }
            // A reused connection the server closed fails here or on the first read.
            return exchanges > 0 ? .staleConnection : .failed(Self.errnoText("send"))
        }
        return nil
    }

    /// Waits until `fd` is ready for `events` or the deadline passes.
    private func wait(for events: Int16, deadline: Int64) -> ExchangeError? {
        let left = deadline - Self.nowMilliseconds()
        guard left > 0 else { return .timedOut }
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let ready = poll(&descriptor, 1, Int32(min(left, Int64(Int32.max))))
        if ready == 0 { return .timedOut }
        if ready < 0 && errno != EINTR { return .failed(Self.errnoText("poll")) }
        return nil
    }

    /// Reads more bytes into `buffer`; false at the end of the stream.
    private func fill(deadline: Int64) -> Result<Bool, ExchangeError> {
        var chunk = [UInt8](repeating: 0, count: 16 * 1_024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return .success(true)
            }
            if count == 0 { return .success(false) }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                if let error = wait(for: Int16(POLLIN), deadline: deadline) { return .failure(error) }
                continue
            }
            if errno == EINTR { continue }
            return .failure(.failed(Self.errnoText("recv")))
        }
    }

    // MARK: Response

    /// Reads one final response (skipping 1xx interim ones) and its body; returns the attempt and
    /// whether the connection may be reused.
    private func readResponse(deadline: Int64) -> Result<(DeliveryPolicy.Attempt, Bool), ExchangeError> {
        while true {
            var headEnd: Int?
            while headEnd == nil {
                headEnd = Self.endOfHead(buffer)
                if headEnd != nil { break }
                guard buffer.count <= Self.headBytesMax else { return .failure(.failed("response head over 16 KiB")) }
                switch fill(deadline: deadline) {
                case .success(true): continue
                case .success(false):
                    return .failure(buffer.isEmpty && exchanges > 0 ? .staleConnection : .failed("connection closed mid-response"))
                case .failure(let error): return .failure(error)
                }
            }
            guard let end = headEnd, let head = ResponseHead(Array(buffer[0..<end])) else {
                return .failure(.failed("malformed response head"))
            }
            buffer.removeFirst(end)
            if (100...199).contains(head.status) { continue }
            switch readBody(head, deadline: deadline) {
            case .success(let reusable):
                return .success((.answered(status: head.status, retryAfterSeconds: head.retryAfterSeconds), reusable && head.keepAlive))
            case .failure(let error):
                return .failure(error)
            }
        }
    }

    /// Reads and drops the body; returns whether the connection stays usable.
    private func readBody(_ head: ResponseHead, deadline: Int64) -> Result<Bool, ExchangeError> {
        if head.status == 204 || head.status == 304 { return .success(true) }
        if head.chunked {
            var total = 0
            while true {
                guard let lineEnd = Self.lineEnd(buffer) else {
                    guard buffer.count <= 1_024 else { return .failure(.failed("bad chunk size line")) }
                    switch fill(deadline: deadline) {
                    case .success(true): continue
                    case .success(false): return .failure(.failed("connection closed mid-body"))
                    case .failure(let error): return .failure(error)
                    }
                }
                let line = buffer[0..<lineEnd].prefix { $0 != UInt8(ascii: ";") }
                guard let size = Int(String(decoding: line, as: UTF8.self).trimmingSpaces, radix: 16), size >= 0 else {
                    return .failure(.failed("bad chunk size"))
                }
                buffer.removeFirst(lineEnd + 2)
                total += size
                guard total <= Self.bodyBytesMax else { return .failure(.failed("response body over 1 MiB")) }
                if size == 0 {
                    // Trailers, if any, end with an empty line.
                    while true {
                        guard let end = Self.lineEnd(buffer) else {
                            guard buffer.count <= Self.headBytesMax else { return .failure(.failed("trailers too large")) }
                            switch fill(deadline: deadline) {
                            case .success(true): continue
                            case .success(false): return .failure(.failed("connection closed mid-body"))
                            case .failure(let error): return .failure(error)
                            }
                        }
                        buffer.removeFirst(end + 2)
                        if end == 0 { return .success(true) }
                    }
                }
                if let error = discard(size + 2, deadline: deadline) { return .failure(error) }
            }
        }
        if let length = head.contentLength {
            guard length <= Self.bodyBytesMax else { return .failure(.failed("response body over 1 MiB")) }
            if let error = discard(length, deadline: deadline) { return .failure(error) }
            return .success(true)
        }
        // Close-delimited: read to the end (bounded), and the connection is done.
        while true {
            guard buffer.count <= Self.bodyBytesMax else { return .failure(.failed("response body over 1 MiB")) }
            switch fill(deadline: deadline) {
            case .success(true): continue
            case .success(false):
                buffer.removeAll(keepingCapacity: true)
                return .success(false)
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// Drops `count` bytes of the stream.
    private func discard(_ count: Int, deadline: Int64) -> ExchangeError? {
        var left = count
        while true {
            let taken = min(left, buffer.count)
            buffer.removeFirst(taken)
            left -= taken
            if left == 0 { return nil }
            switch fill(deadline: deadline) {
            case .success(true): continue
            case .success(false): return .failed("connection closed mid-body")
            case .failure(let error): return error
            }
        }
    }

    /// Index just past the blank line ending a head, if it has arrived.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 0x0A && bytes[index - 1] == 0x0D && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    /// Index of the CR of the first CRLF, if any.
    static func lineEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0D && bytes[index + 1] == 0x0A { return index }
        return nil
    }

    static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    private static func errnoText(_ call: String) -> String {
        "\(call): \(String(cString: strerror(errno)))"
    }
}

/// The parts of a response head the relay needs.
struct ResponseHead {
    var status = 0
    var keepAlive = true
    var contentLength: Int?
    var chunked = false
    var retryAfterSeconds: Int64?

    /// Parses `HTTP/1.x NNN …` and the header lines; nil when malformed.
    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
        guard let statusLine = lines.next(), statusLine.hasPrefix("HTTP/1.") else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[1].count == 3, let status = Int(parts[1]), (100...599).contains(status) else { return nil }
        self.status = status
        keepAlive = !statusLine.hasPrefix("HTTP/1.0")
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingSpaces
            switch name {
            case "content-length":
                guard let length = Int(value), length >= 0 else { return nil }
                contentLength = length
            case "transfer-encoding":
                chunked = value.lowercased().hasSuffix("chunked")
            case "connection":
                let tokens = value.lowercased()
                if tokens.contains("close") { keepAlive = false }
                if tokens.contains("keep-alive") { keepAlive = true }
            case "retry-after":
                // Delta-seconds only; an HTTP-date falls back to the backoff.
                if let seconds = Int64(value), seconds >= 0 { retryAfterSeconds = seconds }
            default:
                break
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
