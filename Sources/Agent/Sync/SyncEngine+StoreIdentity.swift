import SyncCore

/// The store's identity towards the province: its epoch, sent with every push and pull, and
/// what happens when the province does not recognise it.
extension SyncEngine {
    /// A store made before store identities gets its epoch on its first push or pull (under the
    /// store's lock, so no other esync process writes state.json meanwhile).
    func ensureEpoch() throws(AgentError) {
        guard state.epoch == nil else { return }
        state.epoch = AgentState.makeEpoch()
        try saveState()
        log("store \(store.root) had no epoch (made before store identities): it is now \(state.epoch!)")
    }

    /// One page of the change feed, with the store's identity. A new store that holds nothing yet
    /// (no record file, nothing sealed, never pulled) may take over a region whose old store the
    /// province still knows: there is nothing in it to lose or to skip, and it fetches the region
    /// in full. Any other store the province does not recognise stops here (`reconcile`).
    /// `leavingOutEchoes`: see `ProvinceAPI.changes`.
    func changes(own: Bool, leavingOutEchoes: Bool = false) throws(AgentError) -> (page: ChangePage, refused: [RefusedRecord]) {
        do {
            return try client().changes(since: state.cursor, limit: config.pageSize, own: own, leavingOutEchoes: leavingOutEchoes && !own,
                                        identity: durableIdentity)
        } catch .storeIdentity(let conflict, _) where conflict.reason == .newStore && isEmptyStore {
            let registered = try register(replacing: conflict.province.epoch)
            log("this new, empty store takes over region \(config.region) from the store the province knew (epoch \(conflict.province.epoch), "
                + "last seen \(conflict.province.lastSeenAt ?? "never")) and fetches the region's records; if that store is still in use, "
                + "the province now refuses it until it is reconciled (`esync-agent reconcile`). Epoch \(registered.epoch).")
            return try client().changes(since: state.cursor, limit: config.pageSize, own: true, leavingOutEchoes: false, identity: durableIdentity)
        }
    }

    /// Nothing a bureau typed can be in the store: no record file, no base, nothing sealed, never pulled.
    var isEmptyStore: Bool {
        state.highestCursor == 0 && state.outboxSequence == 0 && index.entries.isEmpty && ((try? outboxFiles().isEmpty) ?? false)
    }

    /// Registers the store's current (saved) identity as the region's store at the province.
    @discardableResult
    func register(replacing epoch: String?) throws(AgentError) -> StoreRegistration {
        guard let identity = durableIdentity else { throw .corruptState(path: store.stateFilePath, reason: "the store has no epoch") }
        return try client().register(StoreRegistrationRequest(epoch: identity.epoch, replaces: epoch, cursor: identity.cursor, sequence: identity.sequence,
                                                              region: identity.region))
    }
}
