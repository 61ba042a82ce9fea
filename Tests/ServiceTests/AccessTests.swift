import Auth
import Crypto
import Bytes
import Reservations
import TestSupport
import Testing
import Timing

@testable import Service

@Suite struct RateLimiterTests {
    let second: UInt64 = 1_000_000_000

    @Test func burst_atTheLimitPasses_theNextIsRefusedWithTheTimeUntilATokenIsBack() {
        let limiter = RateLimiter(policy: .init(perSecond: 2, burst: 5), slotCount: 1024, originNanoseconds: 0)
        for _ in 0..<5 { #expect(limiter.take(identity: 42, nowNanoseconds: second) == nil) }
        let refusal = limiter.take(identity: 42, nowNanoseconds: second)
        #expect(refusal == RateLimiter.Refusal(retryAfterSeconds: 1, burst: 5, windowSeconds: 3))
        // Another caller is unaffected.
        #expect(limiter.take(identity: 43, nowNanoseconds: second) == nil)
        // Half a second later one token (at 2/s) is back, and only one.
        #expect(limiter.take(identity: 42, nowNanoseconds: second + second / 2) == nil)
        #expect(limiter.take(identity: 42, nowNanoseconds: second + second / 2) != nil)
        // After a quiet spell the bucket is full again, never fuller.
        for _ in 0..<5 { #expect(limiter.take(identity: 42, nowNanoseconds: 100 * second) == nil) }
        #expect(limiter.take(identity: 42, nowNanoseconds: 100 * second) != nil)
    }

    @Test func slowRates_refillFractionsAndSayHowLongToWait() {
        let limiter = RateLimiter(policy: .init(perSecond: 0.25, burst: 1), slotCount: 64, originNanoseconds: 0)
        #expect(limiter.take(identity: 7, nowNanoseconds: 0) == nil)
        #expect(limiter.take(identity: 7, nowNanoseconds: second)?.retryAfterSeconds == 3)
        #expect(limiter.take(identity: 7, nowNanoseconds: 4 * second) == nil)
    }

    @Test func manyCallers_useAFixedTableAndABusyCallerKeepsItsBucket() {
        let limiter = RateLimiter(policy: .init(perSecond: 1, burst: 3), slotCount: 4096, originNanoseconds: 0)
        for _ in 0..<3 { #expect(limiter.take(identity: 0xDEAD_BEEF, nowNanoseconds: second) == nil) }
        #expect(limiter.take(identity: 0xDEAD_BEEF, nowNanoseconds: second) != nil)
        // 100,000 other callers, each once: the table does not grow (it cannot), and evictions pick
        // fuller buckets over the busy caller's empty one.
        var random = SeededGenerator(seed: 1)
        for _ in 0..<100_000 { _ = limiter.take(identity: random.next(), nowNanoseconds: second) }
        #expect(limiter.slotCount == 4096)
        #expect(limiter.take(identity: 0xDEAD_BEEF, nowNanoseconds: second) != nil, "the empty bucket was forgotten")
    }
}


private struct NoWrites: CommandSink {
    func submit(_ command: WriteCommand) -> Bool { true }
}

private final class NoReads: InventoryReader {
    func event(_ id: EventID) throws -> (event: Event, counts: InventoryCounts)? { nil }
    func eventDefinition(_ id: EventID) throws -> Event? { nil }
    func seats(eventID: EventID, status: SeatStatus?, section: String?, limit: Int, cursor: String?) throws -> SeatPage {
        SeatPage(seats: [], nextCursor: nil)
    }
    func reservation(_ id: ReservationID) throws -> Reservation? { nil }
    func reservations(of userID: UserID, before: ListingPosition?, limit: Int) throws -> [(reservation: Reservation, position: ListingPosition)] { [] }
    func resetStatements() {}
}

@Suite struct AuthenticationTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    let clock = ManualClock(wallMilliseconds: 1_767_225_600_000)

    func service(_ configure: (inout ServiceConfiguration) -> Void = { _ in }) -> ReservationService {
        var settings = JWTVerifier.Settings()
        settings.hs256Secret = Self.secret
        var configuration = ServiceConfiguration()
        configuration.authentication = .jwt(JWTVerifier(settings: settings, keys: nil))
        configure(&configuration)
        let readiness = Readiness()
        readiness.markReady()
        return ReservationService(configuration: configuration, commands: NoWrites(), readers: PerLoop([NoReads()]), readiness: readiness,
                                  clock: clock) { Array(repeating: 1, count: 32) }
    }

    func token(_ claims: String) -> String {
        let input = Base64.encode(Array(#"{"alg":"HS256"}"#.utf8), url: true, padded: false) + "." + Base64.encode(Array(claims.utf8), url: true, padded: false)
        return input + "." + Base64.encode(HMACSHA256.authenticate(key: Self.secret, message: Array(input.utf8)), url: true, padded: false)
    }

    func credentials(_ authorization: String?, claimed: String? = nil) -> Credentials {
        Credentials(authorization: authorization, claimedUserID: claimed, claimedField: "X-User-Id")
    }

    @Test func bearerTokens_nameTheCaller_andRefusalsAreCountedByReason() throws {
        let service = service()
        let alice = token(#"{"sub":"alice","exp":1767229200}"#)
        #expect(try service.caller(credentials("Bearer \(alice)"), loop: 0) == Caller(userID: "alice"))
        #expect(try service.caller(credentials("bearer   \(alice)"), loop: 0) == Caller(userID: "alice"))
        #expect(throws: ServiceError.unauthenticated(.missing)) { try service.caller(credentials(nil), loop: 0) }
        #expect(throws: ServiceError.self) { try service.caller(credentials("Basic \(alice)"), loop: 0) }
        #expect(throws: ServiceError.unauthenticated(.tooLarge)) {
            try service.caller(credentials("Bearer " + String(repeating: "a", count: JWTVerifier.tokenBytesMax + 1)), loop: 0)
        }
        #expect(throws: ServiceError.forbidden("X-User-Id names another caller than the bearer token")) {
            try service.caller(credentials("Bearer \(alice)", claimed: "bob"), loop: 0)
        }
        #expect(throws: ServiceError.unauthenticated(.subject)) {
            try service.caller(credentials("Bearer " + token(#"{"sub":"has space","exp":1767229200}"#)), loop: 0)
        }
        #expect(service.authStatistics.failures(reason: "missing") == 1)
        #expect(service.authStatistics.failures(reason: "too_large") == 1)
        #expect(service.authStatistics.failures(reason: "subject") == 1)
    }

    @Test func cachedTokens_stillExpireOnTime() throws {
        let service = service()
        let alice = token(#"{"sub":"alice","exp":1767225660}"#)  // one minute after now, leeway 60 s
        #expect(try service.caller(credentials("Bearer \(alice)"), loop: 0).userID == "alice")
        clock.advance(byMilliseconds: 119_000)
        #expect(try service.caller(credentials("Bearer \(alice)"), loop: 0).userID == "alice")
        clock.advance(byMilliseconds: 1_000)
        #expect(throws: ServiceError.unauthenticated(.expired)) { try service.caller(credentials("Bearer \(alice)"), loop: 0) }
    }

    @Test func admins_useAdminEndpoints_andListOthers_othersMayNot() throws {
        let service = service()
        let admin = try service.caller(credentials("Bearer " + token(#"{"sub":"root","exp":1767229200,"roles":["admin"]}"#)), loop: 0)
        let alice = try service.caller(credentials("Bearer " + token(#"{"sub":"alice","exp":1767229200,"scope":"read write"}"#)), loop: 0)
        #expect(admin.isAdmin && !alice.isAdmin)
        try service.requireAdmin(admin)
        #expect(throws: ServiceError.self) { try service.requireAdmin(alice) }
        _ = try service.reservations(ListQuery.of("bob"), caller: admin, loop: 0)
        _ = try service.reservations(ListQuery.of("alice"), caller: alice, loop: 0)
        #expect(throws: ServiceError.forbidden("only admins may list another caller's reservations")) {
            try service.reservations(ListQuery.of("bob"), caller: alice, loop: 0)
        }
    }

    @Test func rateLimit_refusesBeyondTheBurstPerCaller_andAnonymousCallersPerAddress() throws {
        let service = service { $0.authentication = .none; $0.rateLimit = RateLimiter.Policy(perSecond: 1, burst: 2) }
        func cancel(_ caller: Caller, address: [UInt8] = [10, 0, 0, 1]) throws(ServiceError) {
            var call = CallContext(caller: caller)
            call.clientAddress = address
            _ = try service.cancelCommand(CancelInput(reservationID: "rsv_1"), call)
        }
        try cancel(Caller(userID: "alice"))
        try cancel(Caller(userID: "alice"))
        #expect(throws: ServiceError.rateLimited(RateLimiter.Refusal(retryAfterSeconds: 1, burst: 2, windowSeconds: 2))) {
            try cancel(Caller(userID: "alice"))
        }
        try cancel(Caller(userID: "bob"))
        try cancel(.anonymous, address: [10, 0, 0, 2])
        try cancel(.anonymous, address: [10, 0, 0, 2])
        #expect(throws: ServiceError.self) { try cancel(.anonymous, address: [10, 0, 0, 2]) }
        try cancel(.anonymous, address: [10, 0, 0, 3])
        #expect(service.authStatistics.rateLimitedCount == 2)
        clock.advance(byMilliseconds: 1_000)
        try cancel(Caller(userID: "alice"))
    }
}

extension ListQuery {
    static func of(_ userID: String) -> ListQuery {
        var query = ListQuery()
        query.userID = userID
        return query
    }
}

@Suite struct CallerIdentityTests {
    @Test func replacementCharacters_areRefused_soBytesThatAreNotUTF8NeverMergeCallers() {
        // HPACK (gRPC metadata) decodes bytes that are not UTF-8 into U+FFFD.
        #expect(throws: ServiceError.invalid([FieldProblem(field: "x-user-id", problem: "must be UTF-8")])) {
            try Caller.resolve(claimed: "al\u{FFFD}ice", field: "x-user-id")
        }
        #expect((try? Caller.resolve(claimed: "álîcé", field: "x-user-id")) != nil)
    }
}
