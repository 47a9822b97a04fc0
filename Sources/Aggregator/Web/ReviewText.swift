import EnterpriseModel
import Foundation
import SyncCore

/// The review pages' words: Chinese labels for fields, kinds, statuses and decisions (the codes
/// are shown beside them, so a reviewer can match a page with the command line), and times in
/// China Standard Time.
enum ReviewText {
    static let fieldNames: [String: String] = [
        "uscc": "统一社会信用代码", "name": "名称", "region": "所属地区", "county": "县区", "industry": "行业",
        "sizeClass": "规模", "employees": "从业人数", "revenueYuan": "营业收入（元）", "taxYuan": "税收（元）",
        "rdExpenseYuan": "研发费用（元）", "aboveDesignatedSize": "规上企业", "srdi": "专精特新", "littleGiant": "专精特新“小巨人”",
        "supportMeasures": "扶持措施", "contact": "联系方式", "status": "经营状态", "updatedAt": "更新时间", "*": "整条记录",
        "since": "起始", "year": "年度", "batch": "批次", "validUntil": "有效期至", "person": "联系人", "phone": "电话",
        "measure": "措施", "amountYuan": "金额（元）", "date": "日期",
    ]

    /// "名称" for `name`, "联系方式 · 电话" for `contact.phone`; unknown parts as they are.
    static func fieldLabel(_ field: String) -> String {
        FieldPath.components(field).map { fieldNames[$0] ?? $0 }.joined(separator: " · ")
    }

    static func kindLabel(_ kind: String) -> String {
        switch kind {
        case "field": "字段冲突"
        case "delete": "删除申请"
        case "transfer": "迁移申请"
        case "recovered": "恢复值"
        default: kind
        }
    }

    static func statusLabel(_ status: String) -> String {
        switch status {
        case "open": "待审核"
        case "resolved": "已决定"
        case "auto": "规则自动决定"
        case "withdrawn": "区局已撤回"
        default: status
        }
    }

    static func decisionLabel(_ decision: ConflictView.Decision?, kind: String) -> String {
        switch (decision, kind) {
        case (.keepCurrent?, "delete"): "保留记录（不删除）"
        case (.takeIncoming?, "delete"): "同意删除"
        case (.keepCurrent?, "transfer"): "不迁移"
        case (.takeIncoming?, "transfer"): "同意迁移"
        case (.takeIncoming?, "recovered"): "恢复此值"
        case (.keepCurrent?, _): "保留省厅现值"
        case (.takeIncoming?, _): "采用区局提交值"
        case (.value?, _): "设为新值"
        case (nil, _): "—"
        }
    }

    static func regionLabel(_ code: String) -> String {
        Regions.region(code: code).map { "\($0.name) \(code)" } ?? code
    }

    /// Who wrote a value: `region:410100` → "郑州市区局 410100", `reviewer:wang` → "审核员 wang".
    static func sourceLabel(_ source: String) -> String {
        if source.hasPrefix("region:") {
            let code = String(source.dropFirst(7))
            return (Regions.region(code: code).map { $0.name + "区局" } ?? "区局") + " " + code
        }
        if source.hasPrefix("reviewer:") { return "审核员 " + source.dropFirst(9) }
        if source == "policy" { return "字段规则 policy" }
        return source
    }

    /// A value as a reviewer reads it: text without quotes, objects and arrays as indented JSON.
    static func value(_ value: JSONValue?) -> String {
        switch value {
        case nil: "（无 absent）"
        case .null?: "（空 null）"
        case .string(let text)?: text
        case .object?, .array?: String(decoding: value!.prettyBytes(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        case let other?: other.canonicalString
        }
    }

    /// How a value is typed for a field of this kind, beside the "new value" box.
    static func valueHint(_ kind: RecordFieldKind) -> String {
        switch kind {
        case .text: "照原样填写文字，不加引号"
        case .integer: "填写整数，如 123"
        case .structure: "JSON 格式（对象或列表）"
        }
    }

    /// Why a typed value does not fit its field, in the reviewer's words; the parser's own
    /// reason (which names the character it stopped at) after it.
    static func valueProblem(_ error: TypedValueError) -> String {
        let field = "\(fieldLabel(error.field)) \(error.field)"
        return switch error.problem {
        case .empty: "请填写新值（\(field)）。"
        case .notAWholeNumber: "\(field)要填整数，如 123；填的是“\(error.typed)”。"
        case .notJSON(let parse) where error.kind == .integer: "\(field)要填整数，如 123；填的是“\(error.typed)”（\(parse)）。"
        case .notJSON(let parse): "\(field)要用 JSON 填写（对象或列表）：\(parse)。"
        }
    }

    /// "2026-05-01 14:03" in Beijing time (`BeijingTime`); the stored text when it is not a time.
    static func time(_ iso: String?) -> String {
        guard let iso else { return "从未" }
        return BeijingTime.local(iso) ?? iso
    }

    /// "3 天前" … "刚刚".
    static func ago(_ iso: String, now: Date = Date()) -> String {
        let text = age(iso, now: now)
        return text == "刚刚" || text.isEmpty ? text : text + "前"
    }

    /// "3 天", "5 小时", "12 分钟", "刚刚".
    static func age(_ iso: String, now: Date = Date()) -> String {
        guard let date = BeijingTime.date(iso) else { return "" }
        let seconds = max(0, now.timeIntervalSince(date))
        if seconds >= 86_400 { return "\(Int(seconds / 86_400)) 天" }
        if seconds >= 3600 { return "\(Int(seconds / 3600)) 小时" }
        if seconds >= 60 { return "\(Int(seconds / 60)) 分钟" }
        return "刚刚"
    }

    /// The three values of a conflict as a reviewer reads them. A delete request compares
    /// content hashes (the record itself is in the history); a transfer, regions.
    static func sides(_ c: ConflictView) -> (expected: String, current: String, incoming: String) {
        switch c.kind {
        case "delete":
            let seen = c.expected?.stringValue, now = c.current?.stringValue
            return ("区局所见版本 " + (seen.map { String($0.prefix(12)) } ?? "—"),
                    "现有记录 版本 " + (now.map { String($0.prefix(12)) } ?? "—") + (seen != nil && seen == now ? "（与区局所见相同）" : "（区局所见之后已改动）"),
                    "删除这条记录 delete")
        case "transfer":
            func region(_ v: JSONValue?) -> String { v?.stringValue.map(regionLabel) ?? value(v) }
            return (region(c.expected), region(c.current), "迁往 " + region(c.incoming))
        default:
            return (value(c.expected), value(c.current), value(c.incoming))
        }
    }

    /// One line for a table cell, cut at `limit` characters.
    static func cut(_ text: String, limit: Int = 40) -> String {
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }

    /// A reviewer's note from a form: trimmed, at most 2000 characters, nil when empty.
    static func note(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return String(text.prefix(2000))
    }

    /// The labels of the keep and take buttons, in the words of the conflict's kind.
    static func decisionButtons(_ c: ConflictView) -> (keep: String, take: String) {
        switch c.kind {
        case "delete": ("保留记录（不删除）", "同意删除")
        case "transfer": ("不迁移，留在\(regionLabel(c.region))", "同意迁往 " + (c.incoming?.stringValue.map(regionLabel) ?? "?"))
        case "recovered": ("保留省厅现值", "恢复此值")
        default: ("保留省厅现值", "采用区局提交值")
        }
    }

    /// A refusal of the service in Chinese, with the service's own words (which name the
    /// record, the field and the values) after it.
    static func refusal(_ error: ServiceError) -> String {
        let summary = switch error.statusCode {
        case 400: "请求有误"
        case 401, 403: "无权操作"
        case 404: "找不到"
        case 409: "已被处理，或值在此期间又有变化"
        case 422: "结果不是有效的记录"
        default: "服务器错误"
        }
        return "\(summary)（\(error.description)）"
    }
}
