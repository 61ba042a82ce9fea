import Bytes
import CLinux
import Glibc

/// The outcome of one non-blocking socket call, with `errno` read in the same function that made
/// the call (EAGAIN → wouldBlock, EINTR retried, 0 bytes → closed).
public enum IOResult: Equatable, Sendable {
    case bytes(Int)
    case wouldBlock
    case closed
    case failed(errno: Int32)
}

/// An error from setting up a socket, with the call that failed.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The one seam between the loop and the kernel's socket calls.
public enum Socket {
    /// Creates a non-blocking listening TCP socket. `reusePort` lets every loop bind its own
    /// listener to the same port so the kernel spreads connections across loops.
    public static func listen(host: String, port: Int, reusePort: Bool, backlog: Int32) throws(SocketError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw SocketError(call: "getaddrinfo(\(host))", errno: EINVAL) }
        defer { freeaddrinfo(list) }

        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw SocketError(call: "setsockopt(SO_REUSEPORT)", errno: code)
            }
        }
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(call: "bind(\(host):\(port))", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(call: "listen", errno: code)
        }
        return fd
    }

    /// The port a bound socket actually got (useful after binding port 0).
    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return 0 }
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> Int in
            if family == AF_INET6 { return Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)) }
            return Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
        }
    }

    /// The peer's IP address: 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address as its 4
    /// IPv4 bytes, so one client is one address whichever socket family it came through); empty
    /// when it cannot be read.
    public static func peerAddress(_ fd: Int32) -> [UInt8] {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return [] }
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> [UInt8] in
            if family == AF_INET {
                return withUnsafeBytes(of: raw.load(as: sockaddr_in.self).sin_addr) { Array($0) }
            }
            guard family == AF_INET6 else { return [] }
            let address = withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
            let mapped = address.prefix(10).allSatisfy { $0 == 0 } && address[10] == 0xFF && address[11] == 0xFF
            return mapped ? Array(address.suffix(4)) : address
        }
    }

    public enum AcceptResult {
        case accepted(Int32)
        case wouldBlock
        /// The process or system is out of file descriptors (EMFILE/ENFILE) or memory.
        case exhausted
        case failed(errno: Int32)
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket with TCP_NODELAY set.
    public static func accept(_ listener: Int32) -> AcceptResult {
        while true {
            let fd = clinux_accept_nonblocking(listener)
            if fd >= 0 {
                var one: Int32 = 1
                // Responses are written whole; Nagle would only delay pipelined answers.
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .accepted(fd)
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EAGAIN: return .wouldBlock
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted
            case let code: return .failed(errno: code)
            }
        }
    }

    /// Reads into `buffer`'s spare capacity.
    public static func read(_ fd: Int32, into buffer: ByteBuffer, atMost: Int) -> IOResult {
        buffer.reserve(atMost)
        var result = IOResult.wouldBlock
        _ = buffer.writeWithUnsafeMutableBytes { spare in
            while true {
                let count = Glibc.read(fd, spare.baseAddress, min(atMost, spare.count))
                if count > 0 { result = .bytes(count); return count }
                if count == 0 { result = .closed; return 0 }
                switch errno {
                case EINTR: continue
                case EAGAIN: result = .wouldBlock
                case ECONNRESET: result = .closed
                case let code: result = .failed(errno: code)
                }
                return 0
            }
        }
        return result
    }

    /// Sends bytes without ever raising SIGPIPE (MSG_NOSIGNAL).
    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .bytes(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wouldBlock
            case EPIPE, ECONNRESET: return .closed
            case let code: return .failed(errno: code)
            }
        }
    }

    /// Caps the kernel's send buffer for `fd` (Linux doubles the value for its own bookkeeping).
    public static func setSendBufferBytes(_ fd: Int32, _ bytes: Int) {
        var value = Int32(clamping: bytes)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Ends the sending side (a FIN after what was written); reading goes on.
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Raises the soft open-files limit to the hard limit; returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
