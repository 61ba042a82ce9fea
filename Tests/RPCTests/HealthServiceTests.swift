import Protobuf
import RPC
import Service
import Testing

// Health checks follow the server's readiness: SERVING once ready, NOT_SERVING while starting
// and while draining; a service the server does not serve is NOT_FOUND either way.

private typealias Request = GRPCHealthV1.HealthCheckRequest
private typealias Response = GRPCHealthV1.HealthCheckResponse

private func status(_ health: HealthService, _ service: String) throws(RPCStatus) -> Response.ServingStatus {
    try health.check(Request(service: service)).status
}

@Test func check_followsReadiness_forTheServerAndEveryServedService() throws {
    let readiness = Readiness()
    let health = HealthService { readiness.isReady }
    let names = [""] + ServedServices.names
    for name in names { #expect(try status(health, name) == .notServing, "starting: \(name)") }
    readiness.markReady()
    for name in names { #expect(try status(health, name) == .serving, "ready: \(name)") }
    readiness.markDraining()
    for name in names { #expect(try status(health, name) == .notServing, "draining: \(name)") }
}

@Test(arguments: [true, false])
func check_unknownService_isNotFound(ready: Bool) {
    let health = HealthService { ready }
    for name in ["reservation.v2.ReservationService", "grpc.health.v1", "Health", " "] {
        #expect(throws: RPCStatus(.notFound, "NOT_FOUND: this server does not serve \(name)")) { try health.check(Request(service: name)) }
    }
}

@Test func check_knowsOnlyTheNamesItIsGiven() throws {
    let health = HealthService(serviceNames: ["a.B"]) { true }
    #expect(try status(health, "a.B") == .serving)
    #expect(try status(health, "") == .serving)
    #expect(throws: RPCStatus.self) { try health.check(Request(service: HealthService.serviceName)) }
}

@Test func check_onBytes_answersBytes_andRefusesMalformedOnes() throws {
    let health = HealthService { true }
    let answer = try Request(service: "grpc.health.v1.Health").serializedBytes().withUnsafeBytes { (bytes) throws(RPCStatus) in
        try health.check(message: bytes)
    }
    // Field 1, varint 1 (SERVING).
    #expect(answer == [0x08, 0x01])
    #expect(try [].withUnsafeBytes { (bytes) throws(RPCStatus) in try health.check(message: bytes) } == [0x08, 0x01])
    #expect {
        try [0x0A, 0x05, 0x61].withUnsafeBytes { (bytes) throws(RPCStatus) in try health.check(message: bytes) }
    } throws: { error in
        (error as? RPCStatus)?.code == .invalidArgument
    }
}

@Test func checkMethod_takesBinaryAndJSON() throws {
    let readiness = Readiness()
    let method = HealthService { readiness.isReady }.checkMethod()
    #expect("/\(method.serviceName)/\(method.name)" == HealthService.checkPath)
    let context = RPCContext(userID: nil, idempotencyKey: nil, traceparent: nil, loop: 0)
    func call(_ payload: RPCPayload) throws(RPCStatus) -> [UInt8] {
        guard case .message(let bytes) = try method.call(payload, context) else { preconditionFailure("a health check writes nothing") }
        return bytes
    }
    let json = Array(#"{"service":"reservation.v1.ReservationService"}"#.utf8)
    let bytes = try json.withUnsafeBytes { (raw) throws(RPCStatus) in try call(.json(raw)) }
    #expect(try Response(serializedBytes: bytes).status == .notServing)
    #expect(try method.responseJSON(bytes) == Array(#"{"status":"NOT_SERVING"}"#.utf8))
    readiness.markReady()
    let binary = Request(service: "grpc.health.v1.Health").serializedBytes()
    #expect(try binary.withUnsafeBytes { (raw) throws(RPCStatus) in try call(.proto(raw)) } == [0x08, 0x01])
    let unknown = Array(#"{"service":"x.Y"}"#.utf8)
    #expect(throws: RPCStatus.self) { try unknown.withUnsafeBytes { (raw) throws(RPCStatus) in try call(.json(raw)) } }
}

@Test func watch_isUnimplemented() {
    #expect(HealthService.watchStatus.code == .unimplemented)
    #expect(HealthService.watchPath == "/grpc.health.v1.Health/Watch")
    #expect(HealthService.checkPath == "/grpc.health.v1.Health/Check")
    #expect(HealthService.serviceName == "grpc.health.v1.Health")
}
