#if canImport(Glibc)
import Glibc
#endif
import Discord
import IOCore
import IPC
import Logging

// Split from BotSupervisor.swift by concern; members are internal (not private) so the files share them.
extension BotSupervisor {
    func spawn(group: inout DiscardingTaskGroup) {
        generation += 1
        let gen = generation
        stopRequestedAt = nil
        handoverRequested = false
        afterExit = .restartByPolicy
        connection = nil
        metrics = nil
        let child: ChildProcess
        do {
            child = try ChildProcess(path: environment.workerPath,
                                     arguments: environment.workerArguments + ["--ipc", environment.ipcSocketPath, "--bot", name],
                                     environment: environment.workerEnvironment)
        } catch {
            logger.error("cannot spawn the worker", ["error": error])
            lastExit = "spawn failed: \(error)"
            exited(.exited(127), group: &group)
            return
        }
        process = child
        startedAt = .now
        lastHeard = .now
        setState(.starting)
        logger.info("worker spawned", ["pid": child.pid])
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
        let interval = min(environment.heartbeatInterval, .seconds(1))
        group.addTask {
            while !Task.isCancelled {
                do { try await Reactor.shared.sleep(until: .now + interval) } catch { return }
                guard await self.isCurrent(gen) else { return }
                events.yield(.tick(gen))
            }
        }
    }

    func isCurrent(_ gen: UInt64) -> Bool { gen == generation && process != nil }

    func persistSession(group: inout DiscardingTaskGroup) {
        sessionDirty = false
        let sessions = environment.sessions, bot = name, snapshot = session
        group.addTask { await sessions.save(bot: bot, session: snapshot) }
    }

    func beginStop(handover: Bool, group: inout DiscardingTaskGroup) {
        guard let process, stopRequestedAt == nil else { return }
        stopRequestedAt = .now
        handoverRequested = handover
        setState(.stopping)
        logger.info(handover ? "stopping worker, handing its session over" : "stopping worker", ["pid": process.pid])
        if let connection {
            group.addTask {
                // Ask first; SIGTERM makes a worker that cannot hear us drain too.
                try? await connection.send(.stop(Stop(handover: handover)))
                try? await Reactor.shared.sleep(until: .now + .milliseconds(200))
                process.signal(SIGTERM)
            }
        } else {
            process.signal(SIGTERM)
        }
    }

    func exited(_ status: ExitStatus, group: inout DiscardingTaskGroup) {
        let ranFor = startedAt.map { ContinuousClock.now - $0 } ?? .zero
        let wasStopping = stopRequestedAt != nil
        if let process {
            // The group dies with its leader: no orphaned grandchildren.
            process.signalGroup(SIGKILL)
        }
        process = nil
        connection = nil
        stopRequestedAt = nil
        lastExit = status.description
        logger.info("worker exited", ["status": status, "ran_s": ranFor.seconds])

        if case .exited(let code) = status, code == WorkerExitCode.authFailed || code == WorkerExitCode.configFailed {
            let auth = code == WorkerExitCode.authFailed
            reason = fatal.map { "Discord closed the gateway with \($0.closeCode): \($0.reason)" }
                ?? (auth ? "Discord rejected the token (gateway close 4004)" : "Discord rejected the configuration (gateway close 4010-4014)")
            // A refused token or configuration never becomes valid by retrying: wait for an operator.
            session = nil
            let sessions = environment.sessions, bot = name
            group.addTask { await sessions.save(bot: bot, session: nil) }
            logger.error(auth ? "token rejected; not restarting" : "configuration rejected; not restarting", ["reason": reason ?? ""])
            setState(auth ? .authFailed : .configFailed)
            resumeStopWaiters()
            return
        }

        switch afterExit {
        case .stay:
            setState(.stopped)
            startedAt = nil
            resumeStopWaiters()
        case .restartNow:
            resumeStopWaiters()
            spawn(group: &group)
        case .restartByPolicy:
            if wasStopping {
                setState(.stopped)
                resumeStopWaiters()
                return
            }
            let decision = policy.workerExited(startedAt: startedAt ?? .now, now: .now, random: Double.random(in: 0..<1))
            switch decision {
            case .restart(let after) where after < .milliseconds(1):
                // No backoff configured: restart at once, no timer round trip.
                restarts += 1
                logger.notice("restarting at once")
                spawn(group: &group)
            case .restart(let after):
                restarts += 1
                setState(.backoff)
                let gen = generation, events = continuation
                logger.notice("restarting after backoff", ["backoff_ms": after.milliseconds])
                group.addTask {
                    do { try await Reactor.shared.sleep(until: .now + after) } catch { return }
                    events.yield(.backoffElapsed(gen))
                }
            case .giveUp(let why):
                reason = "crash loop: \(why)"
                logger.error("restart budget spent; the bot is failed until started by hand", ["why": why])
                setState(.failed)
            }
        }
    }

    func resumeStopWaiters() {
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters.removeAll()
    }

    func setState(_ new: WorkerState) {
        guard new != state else { return }
        logger.info("state \(state.rawValue) -> \(new.rawValue)")
        state = new
    }
}
