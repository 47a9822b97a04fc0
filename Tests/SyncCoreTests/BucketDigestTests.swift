import EnterpriseModel
import SyncCore
import Testing

@Suite struct BucketDigestTests {
    static let records: [(uscc: String, hash: String)] = (0..<1000).map { n in
        (uscc: "9141010055693\(String(format: "%05d", n))", hash: ContentHash.of(bytes: Array("record \(n)".utf8)))
    }

    @Test func aCreditCodesBucketIsTheFirstByteOfTheSHA256OfItsCharacters() {
        let uscc = "91410100556930377C"
        let hex = ContentHash.of(bytes: Array(uscc.utf8))
        #expect(BucketDigest.bucket(of: uscc) == Int(hex.prefix(2), radix: 16))
        // Generated codes spread over (nearly) every bucket.
        let used = Set(Self.records.map { BucketDigest.bucket(of: $0.uscc) })
        #expect(used.count > 240 && used.allSatisfy { (0..<256).contains($0) })
    }

    @Test func aBucketDigestIsOverTheSortedCodesAndHashesSoBothEndsGetTheSameFromAnyOrder() {
        let some = Array(Self.records.prefix(5))
        let digest = BucketDigest.digest(of: some)
        #expect(BucketDigest.digest(of: some.reversed()) == digest)
        let text = some.sorted { $0.uscc < $1.uscc }.map { "\($0.uscc) \($0.hash)\n" }.joined()
        #expect(digest == ContentHash.of(bytes: Array(text.utf8)))
        #expect(BucketDigest.digest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Another content, one record less, one record more: each changes the digest.
        var changed = some
        changed[2].hash = ContentHash.of(bytes: Array("edited".utf8))
        #expect(BucketDigest.digest(of: changed) != digest)
        #expect(BucketDigest.digest(of: some.dropLast()) != digest)
        #expect(BucketDigest.digest(of: some + [Self.records[5]]) != digest)
    }

    @Test func onlyTheBucketOfAChangedRecordDiffers() {
        let before = BucketDigest.digests(of: Self.records)
        var records = Self.records
        records[500].hash = ContentHash.of(bytes: Array("edited".utf8))
        let after = BucketDigest.digests(of: records)
        #expect(before.count == 256)
        let differing = (0..<256).filter { before[$0] != after[$0] }
        #expect(differing == [BucketDigest.bucket(of: records[500].uscc)])
    }
}
