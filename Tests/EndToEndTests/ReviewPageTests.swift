@testable import EndToEndSupport
import CurlHTTP
import EnterpriseModel
import Foundation
import SyncCore
import Testing

/// The review pages of the real `esync-aggregator`: over plain HTTP for what must not work
/// (no login, a bureau token, a forged form, a cookie after logout), and in headless Chromium
/// (Tests/Browser/review_test.py) for what a reviewer does, with the bureau pulling the result.
@Suite(.serialized) struct ReviewPageTests {
    /// Records of Zhengzhou whose name the province and the bureau both changed: one open
    /// conflict each, by credit code.
    func conflicted(_ name: String, count: Int) throws -> (AggregatorProcess, AgentHandle, [(uscc: String, id: Int64)]) {
        let province = try AggregatorProcess(regions: ["410100", "410200"], name: name)
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let codes = try zz.generate(count + 2, seed: 40)
        #expect(try zz.agent(["sync"]).status == 0)
        for (n, uscc) in codes.prefix(count).enumerated() {
            #expect(try province.cli(["records", "set", uscc, #"name="省厅核定名称\#(n)有限公司""#, "--by", "li"]).status == 0)
            try zz.edit(uscc, ["name": .string("区局登记名称\(n)有限公司")])
        }
        let sync = try zz.agent(["sync"])
        #expect(sync.status == 0, "\(sync)")
        let list = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--json"]).stdout.utf8)).conflicts
        try #require(list.count == count)
        let ids = Dictionary(uniqueKeysWithValues: list.map { ($0.uscc, $0.id) })
        return (province, zz, codes.prefix(count).map { ($0, ids[$0]!) })
    }

    func status(of id: Int64, _ province: AggregatorProcess) throws -> ConflictView {
        try ConflictView.decode(Array(try province.cli(["conflicts", "show", "\(id)", "--json"]).stdout.utf8))
    }

    @Test func thePagesShowNothingWithoutALogin() throws {
        let (province, _, conflicts) = try conflicted("pages-no-login", count: 1)
        defer { province.stop() }
        for path in ["/review", "/review/regions", "/review/conflicts/\(conflicts[0].id)", "/review?region=410100"] {
            let response = try Page.get(province, path)
            #expect(response.status == 303, "\(path)")
            #expect(response.header("location")?.hasPrefix("/review/login?next=") == true, "\(path)")
            #expect(response.body.isEmpty, "\(path): \(response.bodyString)")
        }
        // A reviewer's bearer token is for the API; the pages want a signed-in session.
        let bearer = try province.request(.get, "/review", token: province.reviewerToken)
        #expect(bearer.status == 303 && bearer.body.isEmpty)
        let post = try Page.post(province, "/review/conflicts/\(conflicts[0].id)/resolve", ["decision": "take-incoming"])
        #expect(post.status == 303 && post.header("location") == "/review/login")
        #expect(try status(of: conflicts[0].id, province).isOpen)
    }

    @Test func aBureauTokenCannotSignInNorDecideNorReadAnotherRegion() throws {
        let (province, _, conflicts) = try conflicted("pages-bureau", count: 1)
        defer { province.stop() }
        let bureau = province.bureauTokens["410100"]!
        let refused = try Page.signIn(province, name: "bureau 410100", token: bureau)
        #expect(refused.status == 403)
        #expect(refused.bodyString.contains("区局令牌不能登录审核页面"))
        #expect(refused.header("set-cookie")?.contains("esync_session=") != true)
        #expect(try Page.signIn(province, name: "wang", token: "esync_" + String(repeating: "0", count: 64)).status == 401)
        // Over the API: no decisions, and nothing of another region. (A bureau's agent reads
        // its own region's conflicts to learn the decisions, so that stays allowed.)
        let body = Resolution(decision: .takeIncoming).encoded()
        #expect(try province.request(.post, "/v1/conflicts/\(conflicts[0].id)/resolution", token: bureau, body: body).status == 403)
        #expect(try province.request(.get, "/v1/conflicts?region=410200", token: bureau).status == 403)
        #expect(try province.request(.get, "/v1/conflicts/\(conflicts[0].id)", token: province.bureauTokens["410200"]).status == 403)
        #expect(try status(of: conflicts[0].id, province).isOpen)
    }

    @Test func aFormWithoutAValidCSRFTokenChangesNothing() throws {
        let (province, _, conflicts) = try conflicted("pages-csrf", count: 2)
        defer { province.stop() }
        let session = try Page.session(province)
        let id = conflicts[0].id
        for csrf in [nil, "", "forged", String(session.csrf.dropLast()) + (session.csrf.hasSuffix("A") ? "B" : "A")] {
            var form = ["decision": "take-incoming", "note": "forged"]
            form["csrf"] = csrf
            let response = try Page.post(province, "/review/conflicts/\(id)/resolve", form, cookie: session.cookie)
            #expect(response.status == 403, "csrf \(csrf ?? "absent")")
            #expect(response.bodyString.contains("表单已失效"))
        }
        let bulk = try Page.post(province, "/review/bulk", ["decision": "keep-current", "id": "\(conflicts[1].id)"], cookie: session.cookie)
        #expect(bulk.status == 403)
        #expect(try Page.post(province, "/review/logout", [:], cookie: session.cookie).status == 403)
        #expect(try status(of: id, province).isOpen && (try status(of: conflicts[1].id, province).isOpen))
        // The same form with the session's token does what it says.
        let decided = try Page.post(province, "/review/conflicts/\(id)/resolve",
                                    ["decision": "take-incoming", "note": "核实无误", "csrf": session.csrf], cookie: session.cookie)
        #expect(decided.status == 303 && decided.header("location") == "/review")
        let view = try status(of: id, province)
        #expect(view.decision == .takeIncoming && view.note == "核实无误" && view.resolvedBy == "reviewer:wang")
        #expect(try province.record(conflicts[0].uscc).document["name"] == "区局登记名称0有限公司")
    }

    @Test func aCookieFromBeforeLogoutNoLongerWorks() throws {
        let (province, _, _) = try conflicted("pages-logout", count: 1)
        defer { province.stop() }
        let session = try Page.session(province)
        #expect(try Page.get(province, "/review", cookie: session.cookie).status == 200)
        let out = try Page.post(province, "/review/logout", ["csrf": session.csrf], cookie: session.cookie)
        #expect(out.status == 303 && out.header("location") == "/review/login?bye=1")
        #expect(out.header("set-cookie")?.contains("esync_session=;") == true)
        let after = try Page.get(province, "/review", cookie: session.cookie)
        #expect(after.status == 303 && after.body.isEmpty)
        // A login form needs the login cookie it was served with.
        let bare = try Page.post(province, "/review/login", ["name": "wang", "token": province.reviewerToken, "csrf": "x"])
        #expect(bare.status == 403 && bare.header("set-cookie")?.contains("esync_session=") != true)
    }

    /// A text field takes the text as typed, a number field digits; a value that does not fit
    /// shows the page again with the reason (the whole character, never a byte of it) and with
    /// the value and the note the reviewer typed.
    @Test func aNewValueIsTypedAsTheFieldTakesItAndAMistakeKeepsWhatWasTyped() throws {
        let (province, zz, conflicts) = try conflicted("pages-value", count: 1)
        defer { province.stop() }
        let employees = try reopenedNumberConflict(province, zz, conflicts[0].uscc)
        let session = try Page.session(province)
        let namePath = "/review/conflicts/\(conflicts[0].id)", numberPath = "/review/conflicts/\(employees)"
        #expect(try Page.get(province, namePath, cookie: session.cookie).bodyString.contains(">区局登记名称0有限公司</textarea>"))

        let note = "按统计年报核对 <第2页>"
        let bad = try Page.post(province, numberPath + "/resolve", ["decision": "value", "value": "洛阳120", "note": note, "csrf": session.csrf],
                                cookie: session.cookie)
        #expect(bad.status == 422, "\(bad.status)")
        #expect(bad.bodyString.contains("要填整数") && bad.bodyString.contains("&#39;洛&#39;") && !bad.bodyString.contains("æ"), "\(bad.bodyString)")
        #expect(bad.bodyString.contains(">洛阳120</textarea>") && bad.bodyString.contains(">按统计年报核对 &lt;第2页&gt;</textarea>"))
        #expect(try status(of: employees, province).isOpen)
        let number = try Page.post(province, numberPath + "/resolve", ["decision": "value", "value": " 120 ", "note": note, "csrf": session.csrf],
                                   cookie: session.cookie)
        #expect(number.status == 303 && number.header("location") == "/review")
        #expect(try province.record(conflicts[0].uscc).document["employees"] == 120)
        #expect(try status(of: employees, province).note == note)

        let text = try Page.post(province, namePath + "/resolve", ["decision": "value", "value": "洛阳新名称有限公司", "note": "以营业执照为准", "csrf": session.csrf],
                                 cookie: session.cookie)
        #expect(text.status == 303 && text.header("location") == "/review")
        #expect(try province.record(conflicts[0].uscc).document["name"] == "洛阳新名称有限公司")
        // Decided already: the page says so, and what was typed is still there.
        let again = try Page.post(province, namePath + "/resolve", ["decision": "keep-current", "note": "再次确认", "csrf": session.csrf], cookie: session.cookie)
        #expect(again.status == 409 && again.bodyString.contains("已被处理"))
    }

    /// The page promises the note is seen by the bureau: its agent shows each decision with
    /// the note and the reviewer on pull (text and --json) and in `status` (text and --json).
    @Test func theDecisionsNoteAndReviewerReachTheBureau() throws {
        let (province, zz, conflicts) = try conflicted("pages-note", count: 2)
        defer { province.stop() }
        let session = try Page.session(province)
        let onPage = try Page.post(province, "/review/conflicts/\(conflicts[0].id)/resolve",
                                   ["decision": "keep-current", "note": "以营业执照为准，请区局更正", "csrf": session.csrf], cookie: session.cookie)
        #expect(onPage.status == 303)
        let json = try zz.agent(["pull", "--json"])
        #expect(json.status == 0, "\(json)")
        let decisions = try JSONValue.parse(json.stdout)["pull"]?["decisions"]?.arrayValue ?? []
        #expect(decisions.count == 1, "\(json.stdout)")
        #expect(decisions.first?["note"] == "以营业执照为准，请区局更正" && decisions.first?["by"] == "reviewer:wang", "\(decisions)")
        #expect(decisions.first?["conflictId"] == .int(conflicts[0].id) && decisions.first?["decision"] == "keep-current")

        #expect(try province.cli(["conflicts", "resolve", "\(conflicts[1].id)", "--take-incoming", "--note", "核实无误", "--by", "li"]).status == 0)
        let text = try zz.agent(["pull"])
        #expect(text.stdout.contains("the province decided (take-incoming)") && text.stdout.contains("reviewer:li")
                && text.stdout.contains("核实无误"), "\(text)")
        let status = try zz.agent(["status"])
        #expect(status.stdout.contains("以营业执照为准，请区局更正") && status.stdout.contains("核实无误") && status.stdout.contains("reviewer:wang"),
                "\(status)")
        let recent = try zz.statusJSON()["decisions"]?.arrayValue ?? []
        #expect(recent.count == 2 && recent.contains { $0["note"] == "核实无误" && $0["by"] == "reviewer:li" }, "\(recent)")
    }

    @Test func aRuleDecisionIsReopenedFromItsPage() throws {
        let province = try AggregatorProcess(regions: ["410100"], name: "pages-reopen")
        defer { province.stop() }
        let zz = try AgentHandle(region: "410100", aggregator: province)
        let uscc = try zz.generate(2, seed: 41)[0]
        #expect(try zz.agent(["sync"]).status == 0)
        #expect(try province.cli(["records", "set", uscc, "employees=101"]).status == 0)
        try zz.edit(uscc, ["employees": 201])
        #expect(try zz.agent(["sync"]).status == 0)
        let auto = try ConflictList.decode(Array(try province.cli(["conflicts", "list", "--auto", "--json"]).stdout.utf8)).conflicts
        let id = try #require(auto.first { $0.field == "employees" }?.id)
        let session = try Page.session(province)
        let page = try Page.get(province, "/review/conflicts/\(id)", cookie: session.cookie)
        #expect(page.bodyString.contains("重新打开") && page.bodyString.contains("规则自动决定"))
        let reopened = try Page.post(province, "/review/conflicts/\(id)/reopen", ["csrf": session.csrf], cookie: session.cookie)
        #expect(reopened.status == 303 && reopened.header("location") == "/review/conflicts/\(id)")
        #expect(try status(of: id, province).isOpen)
        #expect(try Page.get(province, "/review?status=open", cookie: session.cookie).bodyString.contains("/review/conflicts/\(id)"))
    }

    /// A reviewer in Chromium signs in, filters the queue, takes the bureau's value on one
    /// conflict's page and keeps the province's on two more in bulk; a forged form changes
    /// nothing. The bureau then pulls the decisions into its working copy.
    @Test(.disabled(if: BrowserTest.skipped, BrowserTest.skipReason))
    func aReviewerDecidesInTheBrowserAndTheBureauPullsTheDecisions() throws {
        let (province, zz, conflicts) = try conflicted("pages-browser", count: 4)
        defer { province.stop() }
        let browser = try BrowserTest.environment(temporary: province.folder)
        let artefacts = BrowserTest.packageRoot + "/test-artifacts"
        let result = try run("/usr/bin/env", [
            "python3", BrowserTest.packageRoot + "/Tests/Browser/review_test.py", "--url", province.url,
            "--reviewer", "wang", "--reviewer-token", province.reviewerToken, "--bureau-token", province.bureauTokens["410100"]!,
            "--db", province.databaseURL ?? province.folder + "/province.sqlite", "--conflict", "\(conflicts[0].id)",
            "--bulk", "\(conflicts[1].id),\(conflicts[2].id)", "--forged", "\(conflicts[3].id)", "--artefacts", artefacts,
        ], environment: browser, in: province.folder)
        #expect(result.status == 0, "\(result)")
        for line in result.stdout.split(separator: "\n") where line.contains("screenshot") { print("review pages: \(line.trimmingCharacters(in: .whitespaces))") }
        try #require(result.status == 0)

        let pull = try zz.agent(["pull"])
        #expect(pull.status == 0, "\(pull)")
        #expect(try zz.readRecord(conflicts[0].uscc)["name"] == "区局登记名称0有限公司")
        #expect(try province.record(conflicts[0].uscc).document["name"] == "区局登记名称0有限公司")
        for (n, conflict) in conflicts[1...2].enumerated() {
            #expect(try zz.readRecord(conflict.uscc)["name"] == .string("省厅核定名称\(n + 1)有限公司"))
        }
        #expect(try zz.readRecord(conflicts[3].uscc)["name"] == "区局登记名称3有限公司")
        #expect(try status(of: conflicts[3].id, province).isOpen)
        let waiting = try zz.statusJSON()["waitingForReview"]?.arrayValue ?? []
        #expect(waiting.count == 1, "\(waiting)")
    }
}

/// Headless Chromium, its driver and Selenium, for the tests that drive the review pages in a
/// browser. CI installs them (.ci/run); a developer without them sets ESYNC_SKIP_BROWSER=1 and
/// those tests are reported as skipped, with the reason; otherwise a test without them fails
/// saying what to install.
enum BrowserTest {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// ESYNC_SKIP_BROWSER=1: the browser tests are skipped (`.disabled(if:)`).
    static var skipped: Bool { ProcessInfo.processInfo.environment["ESYNC_SKIP_BROWSER"] == "1" }
    static let skipReason: Comment = "ESYNC_SKIP_BROWSER=1: the browser tests are skipped"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The environment for a browser script, with `temporary` (the test's folder) as its
    /// TMPDIR, so that what Chromium leaves there goes with the folder; throws, naming what to
    /// install, when something it needs is not here.
    static func environment(temporary: String) throws -> [String: String] {
        let missing = try ["chromium", "chromedriver"].filter { try run("/usr/bin/env", ["which", $0], in: NSTemporaryDirectory()).status != 0 }
            + (try run("/usr/bin/env", ["python3", "-c", "import selenium"], in: NSTemporaryDirectory()).status != 0 ? ["selenium (pip)"] : [])
        guard missing.isEmpty else {
            throw Missing(description: "the browser tests need \(missing.joined(separator: ", ")): apt-get install chromium chromium-driver fonts-noto-cjk; pip install selenium (or set ESYNC_SKIP_BROWSER=1 to skip them)")
        }
        return ["TMPDIR": temporary + "/"]
    }
}
