import Discord
import Fleet
import HTTP
import IPC
import JSON
import Operations
import Store

/// Bulk operations as background jobs: `POST /api/v1/bulk/{start,stop,restart,messages}`
/// answer `202` with the job at once; `/api/v1/jobs` reads them back and cancels them.
package enum JobsAPI {
    /// Targets one bulk message job may have.
    package static let maximumTargets = 10_000

    package static func register(on router: inout Router, fleet: Fleet, jobs: JobRunner) {
        for kind in [JobKind.start, .stop, .restart] {
            router.post("/api/v1/bulk/\(kind.rawValue)") { request, _ in
                try APIQuery.check(request, allows: [])
                let spec = try await lifecycleSpec(kind, request: request, fleet: fleet)
                let job = try await submit(spec, request: request, jobs: jobs)
                return .json(job, status: .accepted, headers: location(job))
            }
        }
        router.post("/api/v1/bulk/messages") { request, _ in
            try APIQuery.check(request, allows: [])
            let spec = try await messageSpec(request, fleet: fleet)
            let job = try await submit(spec, request: request, jobs: jobs)
            return .json(job, status: .accepted, headers: location(job))
        }
        router.get("/api/v1/jobs") { request, _ in
            try APIQuery.check(request, allows: ["limit", "cursor"])
            let limit = try APIQuery.limit(request, default: 50)
            var before: (Int64, String)?
            if let cursor = APIRouter.query(request, "cursor") {
                let parts = cursor.split(separator: "_", maxSplits: 1)
                guard APIQuery.isCursor(cursor), parts.count == 2, let created = Int64(parts[0]) else {
                    throw APIError(.badRequest, .invalidCursor, "cursor is not one this API returned")
                }
                before = (created, String(parts[1]))
            }
            let page = try await jobs.store.jobs(limit: limit, before: before)
            return .json(JobPage(jobs: page, next_cursor: page.count == limit ? page.last.map { "\($0.created_at)_\($0.id)" } : nil))
        }
        router.get("/api/v1/jobs/{id}") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = request.pathParameters["id"] ?? ""
            guard let job = try await jobs.store.job(id) else { throw APIError(.notFound, .jobNotFound, "no job \(id)") }
            return .json(job)
        }
        router.post("/api/v1/jobs/{id}/cancel") { request, _ in
            try APIQuery.check(request, allows: [])
            let id = request.pathParameters["id"] ?? ""
            guard let job = try await jobs.cancel(id) else { throw APIError(.notFound, .jobNotFound, "no job \(id)") }
            return .json(job, status: .accepted)
        }
    }

    /// `Location: /api/v1/jobs/{id}` for a 202 that carries a job.
    package static func location(_ job: Job) -> HTTPHeaders { ["Location": "/api/v1/jobs/\(job.id)"] }

    package struct JobPage: Encodable {
        package var jobs: [Job]
        package var next_cursor: String?
        package init(jobs: [Job], next_cursor: String? = nil) {
            self.jobs = jobs
            self.next_cursor = next_cursor
        }
    }

    package static func submit(_ spec: JobSpec, request: HTTPRequest, jobs: JobRunner) async throws -> Job {
        var key: String?
        if let header = request.headers["Idempotency-Key"] {
            guard (1...255).contains(header.utf8.count), header.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw APIError(.badRequest, .invalidIdempotencyKey, "Idempotency-Key must be 1-255 printable ASCII characters")
            }
            key = header
        }
        return try await jobs.submit(spec, idempotencyKey: key).job
    }

    package static func object(_ request: HTTPRequest) throws(APIError) -> [String: JSON] {
        guard let json = try? JSON.parse(request.body), let object = json.object else {
            throw APIError(.badRequest, .invalidJSON, "the body must be a JSON object")
        }
        return object
    }

    /// `{"bots": [...]}`, `{"all": true}` or `{"state": "failed"}`: exactly one.
    package static func lifecycleSpec(_ kind: JobKind, request: HTTPRequest, fleet: Fleet) async throws -> JobSpec {
        let body = try object(request)
        var problems: [APIError.Field] = []
        for key in body.keys.sorted() where !["bots", "all", "state"].contains(key) {
            problems.append(.init(key, "unknown field; use one of bots, all, state"))
        }
        let selectors = ["bots", "all", "state"].filter { body[$0] != nil }
        if selectors.count != 1 {
            problems.append(.init("bots", "give exactly one of bots (a list of names), all (true) or state (a bot state)"))
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let statuses = try await fleet.statuses()
        var names: [String] = []
        if let list = body["bots"] {
            guard let items = list.array, !items.isEmpty else { throw APIError.validation([.init("bots", "a non-empty list of bot names")]) }
            let known = Set(statuses.map(\.name))
            var unknown: [APIError.Field] = []
            for (i, item) in items.enumerated() {
                if let name = item.string, known.contains(name) {
                    if !names.contains(name) { names.append(name) }
                } else if let name = item.string {
                    unknown.append(.init("bots[\(i)]", "no bot named \(name)"))
                } else {
                    problems.append(.init("bots[\(i)]", "a bot name"))
                }
            }
            if problems.isEmpty { try notFound(unknown) }
        } else if let all = body["all"] {
            guard all.bool == true else { throw APIError.validation([.init("all", "must be true")]) }
            names = statuses.map(\.name)
        } else if let state = body["state"] {
            guard let wanted = state.string.flatMap(WorkerState.init(rawValue:)) else {
                throw APIError.validation([.init("state", "one of \(WorkerState.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            names = statuses.filter { $0.state == wanted }.map(\.name)
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return JobSpec(kind: kind, request: canonical(body), targets: names.map { ($0, nil) })
    }

    /// `{"targets": [{"bot", "channel_id"}], "content"?, "embeds"?}`, checked against Discord's limits before anything is sent.
    package static func messageSpec(_ request: HTTPRequest, fleet: Fleet) async throws -> JobSpec {
        let body = try object(request)
        var problems: [APIError.Field] = []
        for key in body.keys.sorted() where !["targets", "content", "embeds"].contains(key) {
            problems.append(.init(key, "unknown field; known: targets, content, embeds"))
        }
        let known = Set(await fleet.names)
        var unknown: [APIError.Field] = []
        var targets: [(bot: String, channelID: String?)] = []
        if let list = body["targets"]?.array, !list.isEmpty {
            if list.count > maximumTargets { problems.append(.init("targets", "at most \(maximumTargets) targets per job")) }
            for (i, target) in list.prefix(maximumTargets).enumerated() {
                let bot = target["bot"]?.string
                let channel = target["channel_id"]?.string
                if let bot, !known.contains(bot) {
                    unknown.append(.init("targets[\(i)].bot", "no bot named \(bot)"))
                } else if bot == nil {
                    problems.append(.init("targets[\(i)].bot", "required: a bot name"))
                }
                if channel.map(BotConfigInput.isSnowflake) != true {
                    problems.append(.init("targets[\(i)].channel_id", "required: a channel id (a string of digits)"))
                }
                if let bot, let channel { targets.append((bot, channel)) }
            }
        } else {
            problems.append(.init("targets", "required: a non-empty list of {bot, channel_id}"))
        }
        if let content = body["content"], content.string == nil { problems.append(.init("content", "a string")) }
        if let embeds = body["embeds"], embeds.array == nil { problems.append(.init("embeds", "an array of embed objects")) }
        var message: [String: JSON] = [:]
        message["content"] = body["content"]
        message["embeds"] = body["embeds"]
        // Discord's own limits (content 2000, embeds 10, 6000 characters over all embeds, ...): nothing is sent if one is broken.
        for error in MessageLimits.validate(.object(message)) {
            let field = error.path.split(separator: ".").enumerated()
                .map { $0.offset > 0 && $0.element.allSatisfy(\.isNumber) ? "[\($0.element)]" : ($0.offset > 0 ? ".\($0.element)" : String($0.element)) }
                .joined()
            problems.append(.init(field, error.code == "50006" ? "a message needs content or embeds" : "\(error.message) (Discord's limit)"))
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        try notFound(unknown)
        return JobSpec(kind: .message, request: canonical(body), content: body["content"]?.string,
                       embeds: body["embeds"].map { $0.serialized() }, targets: targets)
    }

    /// A well-formed request that names bots which do not exist is a 404 BOT_NOT_FOUND (as a path naming
    /// one is), listing each; a malformed one is a 422 first.
    package static func notFound(_ unknown: [APIError.Field]) throws(APIError) {
        guard !unknown.isEmpty else { return }
        throw APIError(.notFound, .botNotFound, unknown.count == 1 ? unknown[0].message : "\(unknown.count) bots do not exist", fields: unknown)
    }

    /// The request in a stable form (keys sorted), to compare requests sent with the same Idempotency-Key.
    package static func canonical(_ object: [String: JSON]) -> String {
        func render(_ json: JSON) -> String {
            switch json {
            case .object(let o): "{" + o.keys.sorted().map { "\(JSON.string($0).serialized()):\(render(o[$0]!))" }.joined(separator: ",") + "}"
            case .array(let a): "[" + a.map(render).joined(separator: ",") + "]"
            default: json.serialized()
            }
        }
        return render(.object(object))
    }
}
