// A small load generator for unary gRPC calls over HTTP/2 cleartext, for scripts/bench-grpc.sh.
//
// h2load sends one fixed body, so every CreateReservation would carry the same idempotency key
// and replay the first; this tool makes a unique key per call (and otherwise behaves like h2load:
// one thread, poll(2) over all connections, N concurrent streams per connection, a new call as
// soon as one ends). It prints one line in the format of scripts/wrk/report.lua:
//   RESULT requests=… seconds=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=… socket_errors=0 answered=…
// where non2xx counts calls whose grpc-status was not 0.
//
// usage: GRPCLoad --port P [--host H] [--connections 64] [--streams 1] [--seconds 10]
//                 --call create|get|health [--events a,b] [--id rsv_… | --ids FILE] [--user u] [--tag t]

import Glibc
import HTTP2
import Timing

struct Options {
    var host = "127.0.0.1"
    var port = 8011
    var connections = 64
    var streams = 1
    var seconds = 10.0
    var call = "health"
    var events = ["evt_bench_1"]
    var reservationIDs: [String] = []
    var user = "bench-reader"
    var tag = "run"

    init(_ arguments: [String]) {
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("missing value after \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": host = value()
            case "--port": port = Int(value()) ?? port
            case "--connections": connections = Int(value()) ?? connections
            case "--streams": streams = Int(value()) ?? streams
            case "--seconds": seconds = Double(value()) ?? seconds
            case "--call": call = value()
            case "--events": events = value().split(separator: ",").map(String.init)
            case "--id": reservationIDs = [value()]
            case "--ids": reservationIDs = readLines(value())
            case "--user": user = value()
            case "--tag": tag = value()
            default: fail("unknown option \(arguments[index])")
            }
            index += 1
        }
        guard ["create", "get", "health"].contains(call), connections > 0, streams > 0 else { fail("bad options") }
        if call == "get" && reservationIDs.isEmpty { fail("--call get needs --id or --ids") }
    }
}

/// The non-empty lines of a file.
func readLines(_ path: String) -> [String] {
    guard let file = fopen(path, "r") else { fail("cannot read \(path)") }
    defer { fclose(file) }
    var lines: [String] = []
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    while getline(&line, &capacity, file) > 0 {
        let text = String(cString: line!).filter { $0 != "\n" && $0 != "\r" }
        if !text.isEmpty { lines.append(text) }
    }
    free(line)
    return lines
}

func fail(_ message: String) -> Never {
    let line = Array("GRPCLoad: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let clock = SystemClock()
func nowNanoseconds() -> UInt64 { clock.monotonicNanoseconds() }

/// A frame's 9-byte header and payload (RFC 9113 §4.1).
func appendFrame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8], to out: inout [UInt8]) {
    let length = payload.count
    out += [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
            UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
    out += payload
}

func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var rest = value
    while rest >= 0x80 {
        out.append(UInt8(rest & 0x7F) | 0x80)
        rest >>= 7
    }
    out.append(UInt8(rest))
}

func appendStringField(_ number: UInt64, _ text: String, to out: inout [UInt8]) {
    appendVarint(number << 3 | 2, to: &out)
    appendVarint(UInt64(text.utf8.count), to: &out)
    out += Array(text.utf8)
}

final class Load {
    let options: Options
    var counter = 0
    var latencies: [UInt32] = []
    var failed = 0
    var answered = 0

    /// The fields every request carries, made once.
    let commonFields: [HeaderField]

    init(options: Options) {
        self.options = options
        latencies.reserveCapacity(1 << 20)
        let path = switch options.call {
        case "create": "/reservation.v1.ReservationService/CreateReservation"
        case "get": "/reservation.v1.ReservationService/GetReservation"
        default: "/grpc.health.v1.Health/Check"
        }
        commonFields = [
            HeaderField(name: ":method", value: "POST"), HeaderField(name: ":scheme", value: "http"),
            HeaderField(name: ":path", value: path), HeaderField(name: ":authority", value: "\(options.host):\(options.port)"),
            HeaderField(name: "content-type", value: "application/grpc"), HeaderField(name: "te", value: "trailers"),
        ]
    }

    /// The next request's header block fields and gRPC-framed message.
    func nextRequest() -> ([HeaderField], [UInt8]) {
        counter += 1
        var fields = commonFields
        var message: [UInt8] = []
        switch options.call {
        case "create":
            let event = options.events[counter % options.events.count]
            let quantity = UInt64(counter / options.events.count % 2 + 1)
            appendStringField(1, event, to: &message)
            appendVarint(3 << 3, to: &message)
            appendVarint(quantity, to: &message)
            fields.append(HeaderField(name: "idempotency-key", value: "g-\(options.tag)-\(counter)"))
            fields.append(HeaderField(name: "x-user-id", value: "bench-\(counter % 1000)"))
        case "get":
            appendStringField(1, options.reservationIDs[counter % options.reservationIDs.count], to: &message)
            fields.append(HeaderField(name: "x-user-id", value: options.user))
        default:
            break
        }
        let length = UInt32(message.count)
        let framed = [0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + message
        return (fields, framed)
    }
}

final class ClientConnection {
    let fd: Int32
    var output: [UInt8] = []
    var input: [UInt8] = []
    var encoder = HPACKEncoder(huffman: .never)
    var decoder = HPACKDecoder()
    var nextStream: UInt32 = 1
    var started: [UInt32: UInt64] = [:]
    /// Header block fragments of a stream until END_HEADERS.
    var pendingBlock: (stream: UInt32, bytes: [UInt8], endStream: Bool)?
    var closed = false
    /// What each recv() fills, kept for the connection's life.
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(host: String, port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { fail("cannot connect to \(host):\(port)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        output += Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        appendFrame(4, 0, 0, [], to: &output)
        // A large connection window, so answers never wait for our WINDOW_UPDATEs.
        appendFrame(8, 0, 0, [0x7F, 0xFF, 0x00, 0x00], to: &output)
    }

    func send(_ load: Load) {
        let (fields, message) = load.nextRequest()
        var block: [UInt8] = []
        encoder.encode(fields, into: &block)
        let stream = nextStream
        nextStream += 2
        appendFrame(1, 0x4, stream, block, to: &output)
        appendFrame(0, 0x1, stream, message, to: &output)
        started[stream] = nowNanoseconds()
    }

    /// Writes what it can; false when the peer is gone.
    func flush() -> Bool {
        while !output.isEmpty {
            let written = output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
            output.removeFirst(written)
        }
        return true
    }

    /// Reads and handles frames; returns the streams that ended with their grpc-status.
    func read(_ load: Load) -> [(UInt32, Bool)] {
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { closed = true; break }
            if count < 0 {
                if errno != EAGAIN && errno != EWOULDBLOCK { closed = true }
                break
            }
            input += chunk[0..<count]
        }
        var ended: [(UInt32, Bool)] = []
        var offset = 0
        var received = 0
        while input.count - offset >= 9 {
            let length = Int(input[offset]) << 16 | Int(input[offset + 1]) << 8 | Int(input[offset + 2])
            guard input.count - offset >= 9 + length else { break }
            let type = input[offset + 3]
            let flags = input[offset + 4]
            let stream = UInt32(input[offset + 5] & 0x7F) << 24 | UInt32(input[offset + 6]) << 16 | UInt32(input[offset + 7]) << 8 | UInt32(input[offset + 8])
            let payload = input[(offset + 9)..<(offset + 9 + length)]
            offset += 9 + length
            switch type {
            case 0:  // DATA
                received += length
            case 1, 9:  // HEADERS, CONTINUATION
                var fragment = Array(payload)
                if type == 1 {
                    var start = 0
                    var padding = 0
                    if flags & 0x8 != 0 { padding = Int(fragment[0]); start = 1 }
                    if flags & 0x20 != 0 { start += 5 }
                    fragment = Array(fragment[start..<(fragment.count - padding)])
                    pendingBlock = (stream, fragment, flags & 0x1 != 0)
                } else {
                    pendingBlock?.bytes += fragment
                }
                if flags & 0x4 != 0, let block = pendingBlock {
                    pendingBlock = nil
                    let fields = (try? block.bytes.withUnsafeBytes { try decoder.decode($0, headerListSizeMax: 1 << 20) })?.fields ?? []
                    if block.endStream {
                        let status = fields.first { $0.name == "grpc-status" }?.value
                        ended.append((block.stream, status == "0"))
                    }
                }
            case 4 where flags & 0x1 == 0:  // SETTINGS → ACK
                appendFrame(4, 0x1, 0, [], to: &output)
            case 6 where flags & 0x1 == 0:  // PING → ACK
                appendFrame(6, 0x1, 0, Array(payload), to: &output)
            case 7:  // GOAWAY
                closed = true
            case 3:  // RST_STREAM
                ended.append((stream, false))
            default:
                break
            }
        }
        input.removeFirst(offset)
        if received > 0 {
            let increment = UInt32(received)
            appendFrame(8, 0, 0, [UInt8(increment >> 24), UInt8(increment >> 16 & 0xFF), UInt8(increment >> 8 & 0xFF), UInt8(increment & 0xFF)],
                        to: &output)
        }
        return ended
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let load = Load(options: options)
let connections = (0..<options.connections).map { _ in ClientConnection(host: options.host, port: options.port) }
for connection in connections {
    for _ in 0..<options.streams { connection.send(load) }
    _ = connection.flush()
}
let start = nowNanoseconds()
let end = start + UInt64(options.seconds * 1e9)
var stopping = false
var pollSet = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
while true {
    let now = nowNanoseconds()
    if now >= end { stopping = true }
    let inFlight = connections.reduce(0) { $0 + ($1.closed ? 0 : $1.started.count) }
    if stopping && (inFlight == 0 || now >= end + 2_000_000_000) { break }
    for (index, connection) in connections.enumerated() {
        pollSet[index].events = Int16(POLLIN) | (connection.output.isEmpty ? 0 : Int16(POLLOUT))
        pollSet[index].revents = 0
    }
    _ = poll(&pollSet, nfds_t(pollSet.count), 100)
    for (index, connection) in connections.enumerated() where !connection.closed && pollSet[index].revents != 0 {
        for (stream, ok) in connection.read(load) {
            guard let began = connection.started.removeValue(forKey: stream) else { continue }
            load.answered += 1
            if !ok { load.failed += 1 }
            load.latencies.append(UInt32(min((nowNanoseconds() - began) / 1_000, UInt64(UInt32.max))))
            if !stopping { connection.send(load) }
        }
        if !connection.flush() { connection.closed = true }
    }
}
let elapsed = Double(nowNanoseconds() - start) / 1e9
let sorted = load.latencies.sorted()
func percentile(_ fraction: Double) -> Double {
    sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
}
/// Two decimals, as report.lua prints them.
func fixed(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
// Calls answered after the end (the in-flight ones) count, over the time they took.
let measured = min(elapsed, options.seconds + 2)
print("RESULT requests=\(load.answered) seconds=\(fixed(measured)) rps=\(Int(Double(load.answered) / max(measured, 0.001))) "
    + "p50_ms=\(fixed(percentile(0.5))) p90_ms=\(fixed(percentile(0.9))) "
    + "p99_ms=\(fixed(percentile(0.99))) max_ms=\(fixed(Double(sorted.last ?? 0) / 1000)) "
    + "non2xx=\(load.failed) socket_errors=\(connections.filter(\.closed).count) answered=\(load.answered)")
