import EnterpriseModel
import Testing

@Suite("Regions")
struct RegionsTests {
    @Test("the 18 regions of docs/domain.md §3, in code order, with Chinese and pinyin names")
    func eighteenRegions() {
        let expected: [(String, String, String)] = [
            ("410100", "郑州市", "Zhengzhou"), ("410200", "开封市", "Kaifeng"), ("410300", "洛阳市", "Luoyang"),
            ("410400", "平顶山市", "Pingdingshan"), ("410500", "安阳市", "Anyang"), ("410600", "鹤壁市", "Hebi"),
            ("410700", "新乡市", "Xinxiang"), ("410800", "焦作市", "Jiaozuo"), ("410900", "濮阳市", "Puyang"),
            ("411000", "许昌市", "Xuchang"), ("411100", "漯河市", "Luohe"), ("411200", "三门峡市", "Sanmenxia"),
            ("411300", "南阳市", "Nanyang"), ("411400", "商丘市", "Shangqiu"), ("411500", "信阳市", "Xinyang"),
            ("411600", "周口市", "Zhoukou"), ("411700", "驻马店市", "Zhumadian"), ("419001", "济源市", "Jiyuan"),
        ]
        #expect(Regions.all.map { [$0.code, $0.name, $0.pinyin] } == expected.map { [$0.0, $0.1, $0.2] })
        #expect(Regions.all.reduce(0) { $0 + $1.counties.count } == 181)
        #expect(Regions.region(code: "419001")?.counties == [County(code: "419001", name: "济源市")])
    }

    @Test("every listed county belongs to its region by prefix")
    func countiesBelongToTheirRegion() {
        for region in Regions.all {
            for county in region.counties {
                #expect(Regions.regionOwning(countyCode: county.code) == region, "\(county.code) \(county.name)")
            }
        }
    }

    @Test("region keys are exact: a prefix, the province or the pseudo-prefecture 4190 are not regions",
          arguments: ["4103", "410000", "419000", "4190", "", "410300 "])
    func notARegionKey(code: String) {
        #expect(Regions.region(code: code) == nil)
    }

    @Test("ownership is by prefix, so retired and development-zone codes land in the right city", arguments: [
        ("410307", "410300"), ("410381", "410300"), ("410322", "410300"), ("410211", "410200"), ("410728", "410700"),
        ("411626", "411600"), ("410173", "410100"), ("419001", "419001"), ("410300", "410300"),
    ])
    func ownershipByPrefix(county: String, region: String) {
        #expect(Regions.regionOwning(countyCode: county)?.code == region)
    }

    @Test("codes that no region owns", arguments: ["410000", "419002", "419000", "420102", "41030", "4103077", "41030A"])
    func noOwner(county: String) {
        #expect(Regions.regionOwning(countyCode: county) == nil)
    }

    @Test("a region finds its current counties, not retired ones")
    func countyLookup() throws {
        let luoyang = try #require(Regions.region(code: "410300"))
        #expect(luoyang.county(code: "410307")?.name == "偃师区")
        #expect(luoyang.county(code: "410381") == nil)
    }
}
