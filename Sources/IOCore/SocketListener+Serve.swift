extension SocketListener {
    /// The one accept loop: accepts until the listener is closed (or `keepAccepting` turns false, or the task
    /// is cancelled) and serves each connection in a child task of a discarding group, so it returns only once
    /// every connection has ended. `prepare` runs on the loop itself, before the next accept (a server that
    /// tracks its connections registers each one there, so a shutdown never misses one); `body` serves it.
    public func serve<Accepted: Sendable>(while keepAccepting: () -> Bool = { true },
                                          onError: (any Error) -> Void = { _ in },
                                          prepare: (SocketStream) -> Accepted,
                                          _ body: @escaping @Sendable (Accepted) async -> Void) async {
        await withDiscardingTaskGroup { group in
            while keepAccepting() {
                let stream: SocketStream
                do {
                    stream = try await accept()
                } catch is StreamClosed {
                    break
                } catch is CancellationError {
                    break
                } catch {
                    onError(error)
                    break
                }
                let accepted = prepare(stream)
                group.addTask { await body(accepted) }
            }
        }
    }

    /// `serve` for a server that keeps no table of its connections.
    public func serve(_ body: @escaping @Sendable (SocketStream) async -> Void) async {
        await serve(prepare: { $0 }, body)
    }
}
