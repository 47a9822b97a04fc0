/// What each review page's template renders. Mustache reads these through `Mirror`, so every
/// value a template uses is a stored property (computed ones are invisible to it), and every
/// text is escaped by `{{…}}`.
enum ReviewPageModels {
    struct Nav {
        var reviewer: String
        var csrf: String
        var queueActive = false
        var regionsActive = false
        var reportActive = false
    }

    struct Flash {
        var lines: [String]
        var isError: Bool
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct CountLink {
        var label: String
        var code: String
        var href: String
        var count: Int
        var active: Bool
    }

    struct Hidden {
        var name: String
        var value: String
    }

    struct Login {
        var title = "审核员登录"
        var nav: Nav?
        var flash: Flash?
        var csrf: String
        var next: String
        var name: String
    }

    struct Failure {
        var title: String
        var nav: Nav?
        var flash: Flash?
        var status: Int
        var heading: String
        var message: String
        var backHref: String
        var backLabel: String
    }

    struct Queue {
        var title = "审核队列"
        var nav: Nav
        var flash: Flash?
        var csrf: String
        var openTotal: Int
        var regionCounts: [CountLink]
        var kindCounts: [CountLink]
        var fieldCounts: [CountLink]
        var regionOptions: [Option]
        var fieldOptions: [Option]
        var kindOptions: [Option]
        var ageOptions: [Option]
        var statusOptions: [Option]
        var heading: String
        var rows: [QueueRow]
        var hasRows: Bool
        var total: Int
        var shownFrom: Int
        var shownTo: Int
        var previousHref: String?
        var nextHref: String?
        var selectAllHref: String
        var selectNoneHref: String
        var filters: [Hidden]
        var canBulk: Bool
        var showDecision: Bool
    }

    struct QueueRow {
        var id: Int64
        var uscc: String
        var enterpriseName: String
        var regionLabel: String
        var field: String
        var fieldLabel: String
        var kind: String
        var kindLabel: String
        var current: String
        var incoming: String
        var sourceLabel: String
        var createdAt: String
        var age: String
        var checked: Bool
        var decisionLabel: String
    }

    struct Provenance {
        var source: String
        var changeSet: String
        var at: String
    }

    struct Decision {
        var label: String
        var by: String
        var at: String
        var revision: String
        var value: String?
        var note: String?
    }

    struct HistoryRow {
        var revision: Int64
        var at: String
        var source: String
        var changeSet: String
        var value: String
        var fields: String
        var afterConflict: Bool
    }

    struct Conflict {
        var title: String
        var nav: Nav
        var flash: Flash?
        var csrf: String
        var id: Int64
        var uscc: String
        var enterpriseName: String
        var regionLabel: String
        var field: String
        var fieldLabel: String
        var kind: String
        var kindLabel: String
        /// A recovered value's origin (see `ConflictView.origin`).
        var origin: String?
        var status: String
        var statusLabel: String
        var createdAt: String
        var age: String
        var recordRevision: String
        var expected: String
        var current: String
        var incoming: String
        var expectedProvenance: Provenance?
        var currentProvenance: Provenance?
        var incomingProvenance: Provenance
        var changedSince: String?
        var isOpen: Bool
        var decision: Decision?
        var reopenable: Bool
        var keepLabel: String
        var takeLabel: String
        var allowsValue: Bool
        /// What the value box holds: the bureau's value as it is typed for this field, or what
        /// the reviewer typed before an error.
        var valueDefault: String
        /// How this field's value is typed (plain text, a whole number, JSON).
        var valueHint: String
        /// The note the reviewer typed before an error.
        var noteDraft: String
        var isWholeRecord: Bool
        var history: [HistoryRow]
    }

    struct Regions {
        var title = "各地区概况"
        var nav: Nav
        var flash: Flash?
        var staleAfterHours: String
        var staleCount: Int
        var rows: [RegionRow]
    }

    struct RegionRow {
        var code: String
        var name: String
        var records: Int
        var lastPush: String
        var lastPushRecords: String
        var lastPull: String
        var lastPullCursor: String
        var agent: String
        var openConflicts: Int
        var openHref: String
        var decidedConflicts: Int
        var heldChangeSets: Int
        var stale: Bool
    }
}
