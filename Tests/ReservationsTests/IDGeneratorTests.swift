import Reservations
import Synchronization
import Testing

@Suite struct IDGeneratorTests {
    private static let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz")

    @Test func next_hasPrefixAnd26CrockfordCharacters() {
        let generator = IDGenerator()
        let id = generator.next(prefix: IDGenerator.Prefix.reservation, nowMs: 1_767_225_600_000)
        #expect(id.hasPrefix("rsv_"))
        let encoded = id.dropFirst(4)
        #expect(encoded.count == 26)
        #expect(encoded.allSatisfy { Self.alphabet.contains($0) })
        #expect(IDGenerator.timestampMs(of: id, prefix: "rsv_") == 1_767_225_600_000)
    }

    @Test func next_sameMillisecond_isStrictlyIncreasingAsTextAndNumber() {
        let generator = IDGenerator()
        let ids = (0..<10_000).map { _ in generator.next(prefix: "ord_", nowMs: 1_700_000_000_000) }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        let values = ids.map { IDGenerator.decode($0, prefix: "ord_")! }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 + 1 == $1 }, "within a millisecond, ids count up by one")
    }

    @Test func next_clockGoingBack_staysIncreasing() {
        let generator = IDGenerator()
        let first = generator.next(prefix: "evt_", nowMs: 2_000)
        let second = generator.next(prefix: "evt_", nowMs: 1_000)
        let third = generator.next(prefix: "evt_", nowMs: 3_000)
        #expect(first < second && second < third)
        #expect(IDGenerator.timestampMs(of: second, prefix: "evt_") == 2_000)
        #expect(IDGenerator.timestampMs(of: third, prefix: "evt_") == 3_000)
    }

    @Test func next_randomFieldFull_carriesIntoNextMillisecondInOrder() {
        let generator = IDGenerator(random: { UInt128.max })
        let first = generator.next(prefix: "rsv_", nowMs: 5)
        let second = generator.next(prefix: "rsv_", nowMs: 5)
        let third = generator.next(prefix: "rsv_", nowMs: 6)
        #expect(first < second && second < third)
        #expect(IDGenerator.timestampMs(of: second, prefix: "rsv_") == 6)
    }

    @Test func next_laterMillisecond_drawsFreshRandomBits() {
        let calls = Mutex(0)
        let generator = IDGenerator(random: {
            calls.withLock { $0 += 1 }
            return 0xABCDE
        })
        _ = generator.next(prefix: "rsv_", nowMs: 10)
        _ = generator.next(prefix: "rsv_", nowMs: 10)
        let later = generator.next(prefix: "rsv_", nowMs: 11)
        #expect(calls.withLock { $0 } == 2)
        #expect(IDGenerator.decode(later, prefix: "rsv_")! == (UInt128(11) << 80 | 0xABCDE))
    }

    @Test func kernelRandom_differsBetweenGenerators() {
        let a = IDGenerator().next(prefix: "rsv_", nowMs: 1)
        let b = IDGenerator().next(prefix: "rsv_", nowMs: 1)
        #expect(a != b)
    }

    @Test func decode_rejectsMalformedIDs() {
        #expect(IDGenerator.decode("rsv_" + String(repeating: "0", count: 25), prefix: "rsv_") == nil)
        #expect(IDGenerator.decode("rsv_" + String(repeating: "i", count: 26), prefix: "rsv_") == nil)
        #expect(IDGenerator.decode("ord_" + String(repeating: "0", count: 26), prefix: "rsv_") == nil)
        #expect(IDGenerator.decode("rsv_8" + String(repeating: "0", count: 25), prefix: "rsv_") == nil, "over 128 bits")
    }
}
