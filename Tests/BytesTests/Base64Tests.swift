import Bytes
import Testing

@Suite struct Base64Tests {
    /// RFC 4648 §10.
    @Test func encode_matchesTheRFCVectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
                       ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base64.encode(Array(plain.utf8), padded: false) == unpadded)
            #expect(Base64.decode(unpadded) == Array(plain.utf8))
        }
    }

    @Test func urlAlphabet_roundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let url = Base64.encode(bytes, url: true, padded: false)
        #expect(!url.contains("+") && !url.contains("/") && !url.contains("="))
        #expect(Base64.decode(url) == bytes)
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func decode_refusesWhatNoEncoderWrites() {
        for bad in ["Zg=", "Z", "Zm9v!", "Zh==", "Zm9=v", "Zg===", "===="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }
}
