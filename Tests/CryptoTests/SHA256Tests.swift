import Crypto
import Testing

// FIPS 180-4 worked examples (as published in NIST's "Example Algorithms" for SHA-256).

@Test func sha256_hashesEmptyMessage() {
    #expect(hexString(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
}

@Test func sha256_hashesOneBlockMessageABC() {
    #expect(hexString(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

@Test func sha256_hashesTwoBlock448BitMessage() {
    let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(message.utf8.count * 8 == 448)
    #expect(hexString(SHA256.hash(message)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
}

@Test func sha256_hashesOneMillionA() {
    #expect(hexString(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256_streamingInUnevenChunksMatchesOneShot() {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let expected = SHA256.hash(message)
    for chunk in [1, 3, 55, 56, 63, 64, 65, 127, 128, 999] {
        var hasher = SHA256()
        var start = 0
        while start < message.count {
            let end = min(start + chunk, message.count)
            hasher.update(Array(message[start..<end]))
            start = end
        }
        #expect(hasher.finalize() == expected, "chunk size \(chunk)")
    }
}

@Test func sha256_genericSequenceUpdateMatchesArrayUpdate() {
    var viaSequence = SHA256()
    viaSequence.update((0..<200).lazy.map { UInt8($0) })
    #expect(viaSequence.finalize() == SHA256.hash((0..<200).map { UInt8($0) }))
}

@Test func sha256_copiedHasherForksIndependently() {
    var base = SHA256()
    base.update("ab")
    var fork = base
    base.update("c")
    fork.update("d")
    #expect(base.finalize() == SHA256.hash("abc"))
    #expect(fork.finalize() == SHA256.hash("abd"))
}

@Test func sha256_finalizeResetsToInitialState() {
    var hasher = SHA256()
    hasher.update("something")
    _ = hasher.finalize()
    hasher.update("abc")
    #expect(hasher.finalize() == SHA256.hash("abc"))
}

@Test func hexString_isLowercaseTwoDigitsPerByte() {
    #expect(hexString([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
    #expect(hexString([]) == "")
}
