import Testing
import Timing

@Test func manualClock_advance_movesBothClocksTogether() {
    let clock = ManualClock(monotonicNanoseconds: 5, wallMilliseconds: 1_000)
    clock.advance(byMilliseconds: 3)
    clock.advance(byNanoseconds: 1_500_000)
    #expect(clock.monotonicNanoseconds() == 4_500_005)
    #expect(clock.wallMilliseconds() == 1_004)
}

@Test func manualClock_setWallMilliseconds_leavesMonotonicAlone() {
    let clock = ManualClock()
    #expect(clock.wallMilliseconds() == 1_767_225_600_000)
    clock.setWallMilliseconds(-1)
    #expect(clock.wallMilliseconds() == -1)
    #expect(clock.monotonicNanoseconds() == 0)
}

@Test func manualClock_usableThroughProtocol() {
    let clock: any Clock = ManualClock(monotonicNanoseconds: 42)
    #expect(clock.monotonicNanoseconds() == 42)
}

@Test func systemClock_monotonicNeverGoesBackwards() {
    let clock = SystemClock()
    var previous = clock.monotonicNanoseconds()
    for _ in 0..<1000 {
        let now = clock.monotonicNanoseconds()
        #expect(now >= previous)
        previous = now
    }
}

@Test func systemClock_wallIsAfter2020() {
    // 2020-01-01T00:00:00Z; a wall clock before it means the conversion is broken.
    #expect(SystemClock().wallMilliseconds() > 1_577_836_800_000)
}
