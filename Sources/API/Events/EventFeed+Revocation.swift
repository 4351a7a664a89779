import IOCore

extension EventFeed {
    /// Closes, every `revocationCheckInterval` until cancelled, the clients whose credential `authenticator`
    /// would refuse now (revoked, its account disabled, deleted or changed, signed out, expired): a WebSocket
    /// with 1008 and the reason, an SSE stream with a `closed` notice. A connection lives as long as the
    /// credential that opened it, and no longer than one interval past its revocation.
    public func closeRevoked(following authenticator: Authenticator) async {
        while true {
            do { try await Reactor.shared.sleep(until: .now + settings.revocationCheckInterval) } catch { return }
            closeRevoked(by: authenticator)
        }
    }

    /// One pass of `closeRevoked(following:)`; answers how many clients it closed.
    @discardableResult
    func closeRevoked(by authenticator: Authenticator) -> Int {
        let held: [(id: Int, credential: Authenticator.Credential)] = state.withLock { s in
            var held: [(id: Int, credential: Authenticator.Credential)] = []
            for (id, client) in s.clients where !client.ending {
                if let credential = client.credential { held.append((id, credential)) }
            }
            return held
        }
        guard !held.isEmpty else { return 0 }
        // Outside the feed's lock: the authenticator takes its own.
        let reasons = authenticator.revocations(of: held.map(\.credential))
        var closed = 0
        for (client, reason) in zip(held, reasons) {
            guard let reason else { continue }
            logger.notice("closing an event client whose credential no longer works", ["client": client.id, "reason": reason])
            // RFC 6455 §7.4.1: 1008, a policy violation; the reason fits the 123 bytes a close frame leaves.
            end(client.id, code: 1008, reason: "credential revoked: \(reason)")
            closed += 1
        }
        return closed
    }
}
