#if canImport(Glibc)
import Glibc
#endif
import IOCore
import IPC
import Logging

// The driver's half: performs what `WorkerLifecycle` decided.
extension BotSupervisor {
    /// Performs `actions` in order; returns the inputs they produced for the machine.
    @discardableResult
    func perform(_ actions: [WorkerLifecycle.Action], group: inout DiscardingTaskGroup) -> [WorkerLifecycle.Input] {
        var produced: [WorkerLifecycle.Input] = []
        for action in actions {
            if let input = perform(action, group: &group) { produced.append(input) }
        }
        return produced
    }

    private func perform(_ action: WorkerLifecycle.Action, group: inout DiscardingTaskGroup) -> WorkerLifecycle.Input? {
        switch action {
        case .spawn(let gen):
            return spawn(gen, group: &group)

        case .signal(let sig, let wholeGroup):
            guard let process else { return nil }
            if wholeGroup { process.signalGroup(sig) } else { process.signal(sig) }

        case .releaseProcess:
            process = nil
            metrics = nil
            metricsReceivedAt = nil

        case .sendWelcome(let session, let delay):
            guard let conn = connection else { return nil }
            var config = definition.workerConfig(apiBase: environment.apiBase, session: session)
            if let delay { config.identifyDelayMilliseconds = Int(delay.milliseconds) }
            let gen = lifecycle.generation, events = continuation
            group.addTask {
                do {
                    try await conn.send(.welcome(Welcome(config: config)))
                    while true {
                        let envelope = try await conn.receive()
                        events.yield(.message(gen, envelope))
                    }
                } catch {
                    events.yield(.disconnected(gen, error))
                }
            }

        case .sendConfiguration(let session):
            guard let conn = connection else { return nil }
            let config = definition.workerConfig(apiBase: environment.apiBase, session: session)
            group.addTask { try? await conn.send(.configure(config)) }

        case .sendStop(let handover):
            guard let conn = connection else { return nil }
            group.addTask { try? await conn.send(.stop(Stop(handover: handover))) }

        case .sendHeartbeat:
            guard let conn = connection else { return nil }
            group.addTask { try? await conn.send(.heartbeat) }

        case .closeConnection:
            break // handled where the connection is at hand (`.attached`)

        case .dropConnection:
            connection = nil

        case .startTicks(let gen):
            let interval = min(environment.heartbeatInterval, .seconds(1)), events = continuation
            group.addTask {
                while !Task.isCancelled {
                    do { try await Reactor.shared.sleep(until: .now + interval) } catch { return }
                    guard await self.isCurrent(gen) else { return }
                    events.yield(.tick(gen))
                }
            }

        case .persistSession(let session):
            let sessions = environment.sessions, bot = name
            group.addTask { await sessions.save(bot: bot, session: session) }

        case .persistIdentify(let instant):
            let sessions = environment.sessions, bot = name
            let unixMillis = Self.unixMillis(of: instant)
            group.addTask { await sessions.saveIdentify(bot: bot, unixMillis: unixMillis) }

        case .storeRecords(let records, let ids, let sessionFirst):
            guard let conn = connection else { return nil }
            let sink = environment.records, sessions = environment.sessions, log = logger, bot = name
            let fleetEvents = environment.events
            group.addTask {
                do {
                    // The position first: once these records are durable, a replay must not start before them.
                    if let sessionFirst { await sessions.save(bot: bot, session: sessionFirst) }
                    if !records.isEmpty { try await sink.store(records) }
                    // Acknowledge only after the commit: the worker resends anything unacknowledged.
                    try await conn.send(.ack(Ack(ids: ids)))
                    if !records.isEmpty { fleetEvents.publish(.commandRecordsCommitted(bot: bot, records: records)) }
                } catch {
                    log.error("storing command records failed; the worker will resend them", ["error": error])
                }
            }

        case .schedule(let timer, let after, let epoch):
            let events = continuation
            group.addTask {
                do { try await Reactor.shared.sleep(until: .now + after) } catch { return }
                events.yield(.timer(timer, epoch: epoch))
            }

        case .setState(let new):
            // Announced when the word or the worker changes: a new worker in the same state (a restart at once,
            // another spawn attempt) is news to whoever waits for a generation.
            guard new != shownState || lifecycle.generation != shownGeneration else { return nil }
            let old = shownState
            shownState = new
            shownGeneration = lifecycle.generation
            if old != new { logger.info("state \(old.rawValue) -> \(new.rawValue)") }
            environment.events.publish(.botStateChanged(bot: name, from: old, to: new, generation: lifecycle.generation,
                                                        reason: lifecycle.reason))

        case .stopCompleted:
            for waiter in stopWaiters { waiter.resume() }
            stopWaiters.removeAll()

        case .report(let report):
            self.report(report)
        }
        return nil
    }

    private func spawn(_ gen: UInt64, group: inout DiscardingTaskGroup) -> WorkerLifecycle.Input {
        connection = nil
        metrics = nil
        let child: ChildProcess
        do {
            child = try ChildProcess(path: environment.workerPath,
                                     arguments: environment.workerArguments + ["--ipc", environment.ipcSocketPath, "--bot", name],
                                     environment: environment.workerEnvironment)
        } catch {
            return .spawnFailed(generation: gen, reason: "cannot spawn the worker at \(environment.workerPath): \(Self.describe(error))")
        }
        process = child
        let events = continuation
        group.addTask {
            let status = (try? await child.waitForExit()) ?? .exited(-1)
            events.yield(.exited(gen, status))
        }
        if let output = child.output {
            let log = logger.with("pid", child.pid)
            let bot = name, logs = environment.output
            group.addTask { await WorkerOutput.forward(output, to: log, bot: bot, keep: logs) }
        }
        return .spawned(generation: gen)
    }

    func isCurrent(_ gen: UInt64) -> Bool { gen == lifecycle.generation && process != nil }

    private func report(_ report: WorkerLifecycle.Report) {
        switch report {
        case .spawned:
            logger.info("worker spawned", ["pid": process?.pid ?? 0])
        case .spawnFailed(let reason, let retry):
            logger.error("cannot spawn the worker; retrying", ["reason": reason, "retry_ms": retry.milliseconds])
        case .startFailed(let reason, let retry):
            logger.warning("the worker did not start; trying again (not counted as a crash)", ["reason": reason,
                                                                                                "retry_ms": retry.milliseconds])
        case .exited(let status, let ranFor):
            logger.info("worker exited", ["status": status, "ran_s": ranFor.seconds])
            environment.events.publish(.workerExited(bot: name, generation: lifecycle.generation, status: status, ranFor: ranFor))
        case .restartingAtOnce:
            logger.notice("restarting at once")
        case .restartingAfter(let after):
            logger.notice("restarting after backoff", ["backoff_ms": after.milliseconds])
        case .gaveUp(let why):
            logger.error("restart budget spent; the bot is failed until started by hand", ["why": why])
        case .refused(let reason, let auth):
            logger.error(auth ? "token rejected; not restarting" : "configuration rejected; not restarting", ["reason": reason])
        case .stopping(let handover):
            logger.info(handover ? "stopping worker, handing its session over" : "stopping worker", ["pid": process?.pid ?? 0])
        case .heartbeatMissed:
            logger.error("worker missed its IPC heartbeats; killing it", ["pid": process?.pid ?? 0])
        case .helloMissed:
            logger.error("worker never said hello; killing it", ["pid": process?.pid ?? 0])
        case .stopTimedOut:
            logger.warning("worker did not stop in time; killing it", ["pid": process?.pid ?? 0])
        case .connectionLost:
            break // logged with its error where the disconnect arrives
        case .foreignRecords(let count, let bots):
            logger.warning("dropped command records that name another bot", ["count": count, "named": bots.joined(separator: ",")])
        case .sessionHandedOver:
            environment.events.publish(.sessionHandedOver(bot: name))
        }
    }

    /// `strerror` for a system error ("No such file or directory"), the error's own words otherwise.
    static func describe(_ error: any Error) -> String {
        if let system = error as? SystemError { return String(cString: strerror(system.errno)) }
        return "\(error)"
    }

    /// The wall-clock time of a monotonic instant, in Unix milliseconds.
    static func unixMillis(of instant: ContinuousClock.Instant) -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 - (ContinuousClock.now - instant).milliseconds
    }
}
