@testable import Aggregator
import EndToEndSupport
import EnterpriseModel
import Foundation
import GRDB
import SyncCore
import Testing

/// The review pages' pieces without HTTP: sessions, CSRF, forms, the queue's queries and the
/// templates. The pages themselves are driven through the real process and a browser in
/// EndToEndTests/ReviewPageTests.
@Suite struct ReviewSessionTests {
    let temporary = TemporaryFolder("sessions")
    let database: ProvinceDatabase
    let sessions: ReviewSessions
    let token: String

    init() async throws {
        database = try await TestRegister.open(temporary.path + "/province.sqlite")
        sessions = ReviewSessions(database: database, idle: 3600, maxAge: 8 * 3600)
        token = try await TokenStore(database: database).add(role: .reviewer, region: nil, name: "wang")
    }

    @Test func aSessionLastsWhileItIsUsedAndEndsWhenIdle() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let (cookie, session) = try await sessions.start(reviewer: "wang", token: token, address: "127.0.0.1", now: start)
        #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(3000))?.reviewer == "wang")
        #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(6000))?.csrf == session.csrf)
        #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(6000 + 3601)) == nil)
        #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(6000)) == nil, "an expired session is gone for good")
    }

    @Test func aSessionEndsAtItsMaximumAgeEvenWhileUsed() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let (cookie, _) = try await sessions.start(reviewer: "wang", token: token, address: nil, now: start)
        for hour in 1...7 { #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(Double(hour) * 3000)) != nil) }
        #expect(try await sessions.find(cookie: cookie, now: start.addingTimeInterval(8 * 3600 + 1)) == nil)
    }

    @Test func loggingOutOrRevokingTheTokenEndsTheSession() async throws {
        let (cookie, session) = try await sessions.start(reviewer: "wang", token: token, address: nil)
        let (other, _) = try await sessions.start(reviewer: "wang", token: token, address: nil)
        try await sessions.end(session)
        #expect(try await sessions.find(cookie: cookie) == nil)
        #expect(try await sessions.find(cookie: other) != nil)
        try database.sql("UPDATE tokens SET revoked_at = 'now'")
        #expect(try await sessions.find(cookie: other) == nil)
    }

    @Test func theDatabaseKeepsOnlyTheHashOfTheSessionCookie() async throws {
        let (cookie, _) = try await sessions.start(reviewer: "wang", token: token, address: nil)
        #expect(cookie.count == 43)
        let keys = try database.sql("SELECT key || token_hash FROM review_sessions").split(separator: "\n").map(String.init)
        #expect(keys.count == 1 && !keys[0].contains(cookie) && !keys[0].contains(token))
    }

    @Test func aFlashMessageIsShownOnce() async throws {
        let (cookie, session) = try await sessions.start(reviewer: "wang", token: token, address: nil)
        try await sessions.setFlash(.init(["冲突 #3 已决定", "第二行"], isError: true), for: session)
        #expect(try await sessions.find(cookie: cookie)?.flash == .init(["冲突 #3 已决定", "第二行"], isError: true))
        #expect(try await sessions.find(cookie: cookie)?.flash == nil)
    }

    @Test func theCSRFTokenMustMatchExactly() {
        let expected = ReviewSessions.randomToken()
        #expect(ReviewSessions.csrfMatches(expected, expected))
        #expect(!ReviewSessions.csrfMatches(nil, expected))
        #expect(!ReviewSessions.csrfMatches("", expected))
        #expect(!ReviewSessions.csrfMatches(String(expected.dropLast()), expected))
        #expect(!ReviewSessions.csrfMatches(String(expected.dropLast()) + "x", expected) || expected.hasSuffix("x"))
        #expect(!ReviewSessions.csrfMatches("", ""))
    }
}

@Suite struct ReviewFormTests {
    @Test func aFormKeepsRepeatedNamesAndDecodesChinese() {
        let form = FormData(Array("csrf=a%2Bb&id=3&id=5&note=%E4%BF%9D%E7%95%99+%E7%8E%B0%E5%80%BC&empty=&=x&bad=%ZZ".utf8))
        #expect(form["csrf"] == "a+b")
        #expect(form.all("id") == ["3", "5"])
        #expect(form["note"] == "保留 现值")
        #expect(form["empty"] == "")
        #expect(form["bad"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func afterSigningInOnlyAReviewPageIsAPlaceToGo() {
        #expect(ReviewPages.safeNext("/review/conflicts/3") == "/review/conflicts/3")
        #expect(ReviewPages.safeNext("/review?kind=field&region=410100") == "/review?kind=field&region=410100")
        for hostile in ["//evil.example", "https://evil.example/review", "/review//evil.example", "/review/\\evil", "/reviewer", "/review/login",
                        "/review/x\r\nSet-Cookie: a=b", nil] {
            #expect(ReviewPages.safeNext(hostile) == "/review", "\(hostile ?? "nil")")
        }
    }

    @Test func queueFiltersIgnoreWhatTheyDoNotKnowAndKeepWhatTheyDo() {
        let query = ["region": "410300", "kind": "delete", "age": "7", "status": "auto", "page": "2", "field": "contact.phone"]
        let filters = QueueFilters { query[$0] }
        #expect(filters == QueueFilters(status: "auto", region: "410300", field: "contact.phone", kind: "delete", minAgeDays: 7, page: 2))
        #expect(filters.href(page: 3) == "/review?status=auto&region=410300&field=contact.phone&kind=delete&age=7&page=3")
        let junk = ["region": "999999", "kind": "drop table", "age": "5", "status": "x", "page": "-1"]
        #expect(QueueFilters { junk[$0] } == QueueFilters())
        #expect(QueueFilters(field: "名称 x&y").href() == "/review?field=%E5%90%8D%E7%A7%B0%20x%26y")
    }

    @Test func theLoginThrottleMakesAnAddressWaitAfterRepeatedFailures() async {
        let throttle = LoginThrottle(freeFailures: 2, window: 600, maxWait: 60)
        let now = Date()
        await throttle.failed("10.0.0.1", now: now)
        #expect(await throttle.wait(for: "10.0.0.1", now: now) == 0)
        await throttle.failed("10.0.0.1", now: now)
        #expect(await throttle.wait(for: "10.0.0.1", now: now) == 1)
        await throttle.failed("10.0.0.1", now: now)
        #expect(await throttle.wait(for: "10.0.0.1", now: now) == 2)
        #expect(await throttle.wait(for: "10.0.0.2", now: now) == 0)
        #expect(await throttle.wait(for: "10.0.0.1", now: now.addingTimeInterval(700)) == 0)
        await throttle.succeeded("10.0.0.1")
        #expect(await throttle.wait(for: "10.0.0.1", now: now) == 0)
    }
}

@Suite struct ReviewTemplateTests {
    @Test func everyTemplateParsesAndEscapesWhatItShows() {
        let nav = ReviewPageModels.Nav(reviewer: "<b>wang</b>", csrf: "tok\"en", queueActive: true)
        let row = ReviewPageModels.QueueRow(id: 7, uscc: "91410100MA00000000", enterpriseName: "<script>alert(1)</script>有限公司", regionLabel: "郑州市 410100",
                                            field: "name", fieldLabel: "名称", kind: "field", kindLabel: "字段冲突", current: "a & b", incoming: "\"x\"",
                                            sourceLabel: "郑州市区局 410100", createdAt: "2026-01-01 08:00", age: "3 天", checked: true, decisionLabel: "—")
        let queue = ReviewPageModels.Queue(
            nav: nav, flash: .init(lines: ["<i>done</i>"], isError: false), csrf: "tok\"en", openTotal: 1, regionCounts: [], kindCounts: [], fieldCounts: [],
            regionOptions: [], fieldOptions: [], kindOptions: [], ageOptions: [], statusOptions: [], heading: "审核队列", rows: [row], hasRows: true,
            total: 1, shownFrom: 1, shownTo: 1, previousHref: nil, nextHref: nil, selectAllHref: "/review?select=all", selectNoneHref: "/review",
            filters: [], canBulk: true, showDecision: false)
        let html = ReviewPages.library.render(queue, withTemplate: "queue") ?? ""
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;有限公司") && !html.contains("<script>"))
        #expect(html.contains("&lt;b&gt;wang&lt;/b&gt;") && html.contains("&lt;i&gt;done&lt;/i&gt;"))
        #expect(html.contains(#"name="csrf" value="tok&quot;en""#))
        #expect(html.contains(#"<input type="checkbox" name="id" value="7" aria-label="选择冲突 7" checked>"#))
        #expect(html.contains("<html lang=\"zh-CN\">") && html.contains("审核员 <strong>&lt;b&gt;wang"))
        for name in ReviewTemplates.all.keys { #expect(ReviewPages.library.getTemplate(named: name) != nil, "\(name)") }
    }
}

/// The queue's queries on a real database with real conflicts.
@Suite struct ReviewQueueTests {
    let temporary = TemporaryFolder("queue")
    let service: MergeService
    let conflicts: ConflictService
    let zhengzhou = Principal(role: .bureau, region: "410100", name: "bureau 410100")
    let reviewer = Principal(role: .reviewer, region: nil, name: "wang")

    init() async throws {
        let database = try await TestRegister.open(temporary.path + "/province.sqlite")
        service = MergeService(database: database)
        conflicts = ConflictService(database: database)
    }

    /// `count` records whose name both sides changed: one open conflict each.
    func conflicted(_ count: Int) async throws -> [String] {
        var generator = SampleGenerator(seed: 31)
        let docs = generator.records(count: count, regions: [Regions.region(code: "410100")!]).map(\.json)
        var changes: [RecordChange] = []
        for doc in docs {
            let uscc = doc["uscc"]!.stringValue!
            _ = try await service.apply(ChangeSet(id: UUID().uuidString, region: "410100", createdAt: "now",
                                                  records: [RecordDiff.change(uscc: uscc, base: nil, baseRevision: nil, working: doc)!]), from: zhengzhou)
            _ = try await service.patch(uscc, RecordPatch(set: ["name": "省厅核定名称有限公司"]), by: reviewer)
            var edited = doc
            FieldPath.set(&edited, path: "name", to: "区局登记名称有限公司")
            changes.append(RecordDiff.change(uscc: uscc, base: doc, baseRevision: 1, working: edited)!)
        }
        _ = try await service.apply(ChangeSet(id: "both", region: "410100", createdAt: "now", records: changes), from: zhengzhou)
        return docs.map { $0["uscc"]!.stringValue! }
    }

    @Test func theQueueIsCountedAndPagedAndOnlyForReviewers() async throws {
        _ = try await conflicted(5)
        let counts = try await conflicts.openCounts(for: reviewer)
        #expect(counts.total == 5 && counts.byRegion == ["410100": 5] && counts.byKind == ["field": 5] && counts.byField == ["name": 5])
        let first = try await conflicts.queue(.init(limit: 2), for: reviewer)
        let third = try await conflicts.queue(.init(offset: 4, limit: 2), for: reviewer)
        #expect(first.total == 5 && first.entries.count == 2 && third.entries.count == 1)
        #expect(first.entries[0].enterpriseName == "省厅核定名称有限公司")
        #expect(try await conflicts.queue(.init(region: "410200"), for: reviewer).total == 0)
        #expect(try await conflicts.queue(.init(minAgeDays: 1), for: reviewer).total == 0)
        #expect(try await conflicts.queue(.init(minAgeDays: 1), for: reviewer, now: Date().addingTimeInterval(2 * 86_400)).total == 5)
        await #expect(throws: ServiceError.self) { try await conflicts.queue(.init(), for: zhengzhou) }
        await #expect(throws: ServiceError.self) { try await conflicts.openCounts(for: zhengzhou) }
    }

    @Test func aFieldsHistoryListsTheRevisionsThatSetIt() async throws {
        let uscc = try await conflicted(1)[0]
        let history = try await conflicts.fieldHistory(uscc: uscc, field: "name", for: reviewer)
        #expect(history.map(\.revision) == [1, 2])
        #expect(history.map(\.source) == ["region:410100", "reviewer:wang"])
        #expect(history[1].value == "省厅核定名称有限公司")
        #expect(try await conflicts.fieldHistory(uscc: uscc, field: "*", for: reviewer).count == 2)
    }

    @Test func aBulkDecisionReportsTheOnesItCouldNotTakeAndDecidesTheRest() async throws {
        _ = try await conflicted(3)
        let ids = try await conflicts.queue(.init(), for: reviewer).entries.map(\.conflict.id)
        _ = try await conflicts.resolve(ids[1], Resolution(decision: .keepCurrent), by: reviewer)
        let outcomes = try await conflicts.resolveEach(ids + [999], Resolution(decision: .takeIncoming, note: "批量"), by: reviewer)
        #expect(outcomes.map { $0.decided != nil } == [true, false, true, false])
        #expect(outcomes[1].failure?.contains("already decided") == true)
        #expect(outcomes[3].failure?.contains("no conflict 999") == true)
        #expect(try await conflicts.show(ids[2], for: reviewer).note == "批量")
        await #expect(throws: ServiceError.self) { try await conflicts.resolveEach(ids, Resolution(decision: .keepCurrent), by: zhengzhou) }
    }
}
